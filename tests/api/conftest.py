import pytest

# The API tests import the participant factory from here with the token helpers.
from tests.factories import participant  # noqa: F401


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


@pytest.fixture
def secretariat_token(secretariat_user):
    return user_token(activate_totp(secretariat_user))
