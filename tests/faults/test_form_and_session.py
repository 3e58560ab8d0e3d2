"""A form that changes something and writes the session commits both together: PostgreSQL
killed while the form's session is being written leaves nothing done, so the error page the
person sees is true, and the form sent again does it once.

To stop PostgreSQL at that very moment, the test holds a SHARE lock on the session table
(reads go on, writes wait): the form's request stops where it writes its session. Had the
change been committed before (the session saved by SessionMiddleware after the view), it
would be visible from another connection at that moment, and the error page that follows
the kill would stand for a change that was made."""

import contextlib
import threading

import psycopg
import pytest
import requests

from .processes import wait_until

pytestmark = pytest.mark.faults

CSRF = "formsessionformsessionformsessi0"  # a CSRF secret of 32 characters, cookie and field
WAITING_ON_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND query ILIKE %s AND pid <> pg_backend_pid()"
)


def _browser(session_key: str | None = None) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set("csrftoken", CSRF)
    if session_key:
        browser.cookies.set("sessionid", session_key)
    return browser


def _killed_while_writing_the_session(site, send, committed) -> tuple[int, str, int]:
    """Send the form while session writes wait; once it waits, kill PostgreSQL. Returns what
    was committed while it waited, the answer, and what is stored once PostgreSQL is back."""
    lock = psycopg.connect(
        host="127.0.0.1", port=site.postgres.port, user="postgres", dbname="plenary"
    )
    lock.execute("LOCK TABLE django_session IN SHARE MODE")
    answer = {}

    def post():
        try:
            response = send()
            answer["answer"] = f"status {response.status_code}"
        except requests.RequestException as error:
            answer["answer"] = type(error).__name__

    sender = threading.Thread(target=post)
    sender.start()
    try:
        wait_until(
            lambda: site.query(WAITING_ON_SESSIONS, ("%django_session%",))[0][0] > 0,
            20,
            "the form waits to write its session",
        )
        seen_while_waiting = committed()
    finally:
        site.postgres.kill()
        with contextlib.suppress(psycopg.Error):
            lock.close()
    sender.join(60)
    site.postgres.start(60)
    return seen_while_waiting, answer.get("answer", "no answer"), committed()


def _until_done(send, done) -> requests.Response:
    """The person sends the form again until the site answers (its first requests after the
    restart may meet connections PostgreSQL closed)."""
    response = None

    def sent():
        nonlocal response
        with contextlib.suppress(requests.RequestException):
            response = send()
            return done(response)
        return False

    wait_until(sent, 60, "the form sent again is answered", interval=0.5)
    return response


def test_a_support_request_and_the_session_that_opened_it_are_committed_together(site):
    site.start_app()
    url = f"{site.base_url}/en/c/vcc-2/help/"
    subject = "No sound in the meeting (fault test)"
    browser = _browser()  # nobody signed in: the session is new, made by this form

    def send():
        return browser.post(
            url,
            {
                "csrfmiddlewaretoken": CSRF,
                "channel": "form",
                "subject": subject,
                "name": "Someone Outside",
                "email": "someone.outside@help.example.org",
            },
            allow_redirects=False,
            timeout=30,
        )

    def stored():
        return site.query(
            "SELECT count(*) FROM remote_supportrequest WHERE subject = %s", (subject,)
        )[0][0]

    while_waiting, answer, after = _killed_while_writing_the_session(site, send, stored)
    assert while_waiting == 0, "the request was committed before its session was written"
    assert answer != "status 302"  # the database went away before anything was done …
    assert after == 0  # … and nothing was: the error page is true

    again = _until_done(send, lambda r: r.status_code == 302)
    assert stored() == 1  # sent again, made once
    thread = browser.get(f"{site.base_url}{again.headers['Location']}", timeout=30)
    assert thread.status_code == 200  # the session remembers the request it opened
    assert subject in thread.text


def test_a_decision_on_a_registration_and_the_list_results_are_committed_together(site):
    prepared = site.prepare("bulk_decision")
    site.start_app()
    url = f"{site.base_url}/en/c/vcc-2/registration/participants/bulk/"
    browser = _browser(prepared["session"])
    participant = prepared["participant"]

    def send():
        return browser.post(
            url,
            {"csrfmiddlewaretoken": CSRF, "row": f"{participant}:approve"},
            allow_redirects=False,
            timeout=30,
        )

    def approved():
        return site.query(
            "SELECT count(*) FROM registration_participant WHERE id = %s AND status = %s",
            (participant, "approved"),
        )[0][0]

    while_waiting, answer, after = _killed_while_writing_the_session(site, send, approved)
    assert while_waiting == 0, "the decision was committed before the session was written"
    assert answer != "status 302"
    assert after == 0

    again = _until_done(send, lambda r: r.status_code == 302)
    assert approved() == 1
    listing = browser.get(f"{site.base_url}{again.headers['Location']}", timeout=30)
    assert listing.status_code == 200
    assert "Pending Person" in listing.text  # the row's outcome, from the session
    decided = site.query(
        "SELECT count(*) FROM core_auditevent WHERE action = %s AND target_id = %s",
        ("registration.approved", str(participant)),
    )[0][0]
    assert decided == 1
