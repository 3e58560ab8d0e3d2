"""Calls released at the same instant, each in a thread (and database connection) of its
own: how the tests of simultaneous designations and submissions race them."""

import threading

from django.db import connection


def run_together(calls) -> list:
    """What each call returned, or the exception it raised, in the order they finished."""
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            outcome = call()
        except Exception as failure:  # a refusal or a crash: the test looks at which
            outcome = failure
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
