import datetime

import pytest

OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)


def activate_totp(user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from plenary.core.accounts import has_totp

    if not has_totp(user):
        TOTP.activate(user, generate_totp_secret())
    return user


def user_token(user, name="test") -> str:
    from plenary.core import tokens

    _row, token = tokens.create_user_token(user, name=name)
    return token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def participant(consultation, iso2, n=1, *, speaker=True):
    """An approved participant of the state's delegation, registered while registration was
    open; a speaker unless said otherwise."""
    from plenary.core.models import User
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation

    delegation = Delegation.objects.get(consultation=consultation, state__iso2=iso2)
    secretariat = User.objects.get(email="secretariat@example.org")
    person = registration.register(
        consultation,
        delegation=delegation,
        name=f"{iso2} {n}",
        email=f"{iso2.lower()}{n}@example.org",
        now=OPEN,
    )
    registration.approve(person, actor=secretariat)
    if speaker:
        registration.designate_speaker(person, actor=secretariat)
    person.refresh_from_db()
    return person


@pytest.fixture
def secretariat_token(secretariat_user):
    return user_token(activate_totp(secretariat_user))
