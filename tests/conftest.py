import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the database calls the tests
# make around it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


_loaded = {}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and caches start empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load VCC-2 once into the test database: tests run inside transactions that are rolled
    back, so each starts from the freshly loaded scenario. (pytest-django runs the tests
    that flush the database, transaction=True, after all the others.)"""
    from plenary.scenarios.loader import load_scenario

    with django_db_blocker.unblock():
        _loaded["vcc2"] = load_scenario("vcc2")


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


@pytest.fixture
def secretariat_user(vcc2):
    from plenary.core.models import User

    return User.objects.get(email="secretariat@example.org")


@pytest.fixture
def totp_code():
    """The current code for a user's TOTP authenticator, computed as an authenticator app does."""

    def code_for(user) -> str:
        from allauth.mfa.adapter import get_adapter
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import (
            format_hotp_value,
            hotp_value,
            yield_hotp_counters_from_time,
        )

        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        secret = get_adapter().decrypt(authenticator.data["secret"])
        return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))

    return code_for
