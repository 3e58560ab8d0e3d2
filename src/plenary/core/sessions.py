"""A form that changes something and writes the session too (what it remembers for the next
page, a sign-in) does both in one transaction: the session is saved before the change is
committed, and nothing is left to write afterwards. Otherwise the session would be saved by
SessionMiddleware after the commit, and a database lost in between would answer an error
page for a change that was made — the person sends the form again, and it is made twice.

Django's messages are kept in a cookie (the fallback storage writes the session only for
messages too long for one), so a message needs no such care."""

import time
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase
from django.utils.http import http_date

from .errors import DomainError


def _set_cookie(request, response) -> None:
    """The session's cookie, as SessionMiddleware sets it after saving the session."""
    session = request.session
    if session.get_expire_at_browser_close():
        max_age, expires = None, None
    else:
        max_age = session.get_expiry_age()
        expires = http_date(time.time() + max_age)
    response.set_cookie(
        settings.SESSION_COOKIE_NAME,
        session.session_key,
        max_age=max_age,
        expires=expires,
        domain=settings.SESSION_COOKIE_DOMAIN,
        path=settings.SESSION_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE or None,
        httponly=settings.SESSION_COOKIE_HTTPONLY or None,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


@contextmanager
def _in_one_transaction(request):
    """Run the block and save the session in one transaction. A refusal (DomainError) is
    raised after the commit, so that the audit event a service records for it is kept."""
    refusal = None
    saved = {"session": False}
    with transaction.atomic():
        try:
            yield saved
        except DomainError as error:
            refusal = error
        if request.session.modified:
            request.session.save()
            saved["session"] = True
    if saved["session"]:
        request.session.modified = False  # saved above, with the change
    if refusal is not None:
        raise refusal


def session_in_transaction(view):
    """View decorator: the view's changes and its session are committed together."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with _in_one_transaction(request) as saved:
            response = view(request, *args, **kwargs)
        if saved["session"] and isinstance(response, HttpResponseBase):
            _set_cookie(request, response)
        return response

    return wrapper


@contextmanager
def change_with_session(request):
    """The same for an API endpoint, whose answer is made after it returns: the session is
    saved with the change; a session new to this request keeps SessionMiddleware's save,
    which sends its cookie (its row is already stored: the save only rewrites it)."""
    with _in_one_transaction(request) as saved:
        yield
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if saved["session"] and cookie != request.session.session_key:
        request.session.modified = True
