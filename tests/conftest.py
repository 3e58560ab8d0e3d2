import os
import time

import pytest

from plenary.remote.models import RemoteSettings
from tests import factories
from tests.mailserver import serve

# Playwright's sync API runs an event loop in the test thread; the database calls the tests
# make around it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


_loaded = {}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and caches start empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request to /fr/… leaves French active in
    the thread, and a later test that reads a message would otherwise depend on the order."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load VCC-2 once into the test database: tests run inside transactions that are rolled
    back, so each starts from the freshly loaded scenario. (pytest-django runs the tests
    that flush the database, transaction=True, after all the others.)"""
    from plenary.scenarios.loader import load_scenario

    with django_db_blocker.unblock():
        _loaded["vcc2"] = load_scenario("vcc2")
    yield
    # The live floor's database thread keeps its connection open (floor/db.py); PostgreSQL
    # would refuse to drop the test database while it is.
    from plenary.floor import db

    db.close()


@pytest.fixture
def vcc2(db):
    """The VCC-2 scenario as loaded (reloaded if a transactional test flushed it)."""
    from plenary.consultations.models import Consultation
    from plenary.scenarios.loader import LoadResult, load_scenario

    first = _loaded["vcc2"]
    consultation = Consultation.objects.filter(slug=first.consultation.slug).first()
    if consultation is None:
        return load_scenario("vcc2")
    return LoadResult(consultation, first.changes, first.credentials)


@pytest.fixture
def consultation(vcc2):
    return vcc2.consultation


# --- the demo accounts (tests/factories.py has the same as functions) --------------------------


@pytest.fixture
def secretariat_user(vcc2):
    return factories.secretariat()


@pytest.fixture
def chair(vcc2):
    """The presiding officer."""
    return factories.chair()


@pytest.fixture
def focal_ch(vcc2):
    """Switzerland's focal point."""
    return factories.focal_point("CH")


@pytest.fixture
def it_support(vcc2):
    return factories.it_support()


# --- remote participation ----------------------------------------------------------------------


@pytest.fixture
def meeting(consultation):
    """Meeting 1, moved to now: it started ten minutes ago and ends in two hours."""
    return factories.under_way(factories.meeting(consultation, 1))


@pytest.fixture
def livekit(consultation, settings):
    """VCC-2 on the LiveKit platform, with a configured server."""
    settings.PLENARY_LIVEKIT_URL = "wss://livekit.example.org"
    settings.PLENARY_LIVEKIT_API_KEY = factories.LIVEKIT_KEY
    settings.PLENARY_LIVEKIT_API_SECRET = factories.LIVEKIT_SECRET
    RemoteSettings.objects.update_or_create(
        consultation=consultation, defaults={"platform": "livekit"}
    )
    return consultation


@pytest.fixture
def totp_code():
    """The current code for a user's TOTP authenticator, computed as an authenticator app does."""

    def code_for(user) -> str:
        from allauth.mfa import app_settings as mfa_settings
        from allauth.mfa.adapter import get_adapter
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        secret = get_adapter().decrypt(authenticator.data["secret"])
        # the current period's code, not the first one accepted (the previous period's)
        counter = int(time.time()) // mfa_settings.TOTP_PERIOD
        return format_hotp_value(hotp_value(secret, counter))

    return code_for


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server on a free local port for the test; its Inbox."""
    inbox, controller = serve(settings)
    yield inbox
    controller.stop()
