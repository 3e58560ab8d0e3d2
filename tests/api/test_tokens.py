"""Personal API tokens: stored as a hash, shown once, revocable, and no way around the
second factor the web asks of the secretariat."""

import hashlib
import io

import pytest
from django.core.management import call_command

from plenary.core import tokens
from plenary.core.errors import DomainError
from plenary.core.models import ApiToken, User
from plenary.registration import services as registration

from .conftest import activate_totp, bearer, participant, user_token

PUBLISH = "/api/v1/consultations/vcc-2/plan/publish"


def test_only_the_hash_of_a_token_is_stored(secretariat_user):
    row, token = tokens.create_user_token(activate_totp(secretariat_user), name="laptop")
    assert token.startswith("plen_") and len(token) > 40
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not ApiToken.objects.filter(hint=token).exists()
    assert token not in str(list(ApiToken.objects.values()))


def test_secretariat_without_a_second_factor_gets_no_token(secretariat_user):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=secretariat_user).delete()
    with pytest.raises(DomainError) as refused:
        tokens.create_user_token(secretariat_user, name="laptop")
    assert refused.value.code == "mfa_required"


def test_a_token_of_an_account_that_lost_its_second_factor_is_refused(client, secretariat_user):
    from allauth.mfa.models import Authenticator

    token = user_token(activate_totp(secretariat_user))
    assert (
        client.post(PUBLISH, {}, content_type="application/json", **bearer(token)).status_code
        == 200
    )
    Authenticator.objects.filter(user=secretariat_user).delete()
    refused = client.post(PUBLISH, {}, content_type="application/json", **bearer(token))
    assert refused.status_code == 403
    assert "second sign-in factor" in refused.json()["detail"]


def test_revoked_expired_and_unknown_tokens_are_401(client, secretariat_token):
    assert (
        client.post(
            PUBLISH, {}, content_type="application/json", **bearer("plen_nothing")
        ).status_code
        == 401
    )
    row = tokens.find(secretariat_token)
    tokens.revoke(row)
    assert (
        client.post(
            PUBLISH, {}, content_type="application/json", **bearer(secretariat_token)
        ).status_code
        == 401
    )


def test_a_token_is_created_from_the_signed_in_session_and_shown_once(client, secretariat_user):
    activate_totp(secretariat_user)
    client.force_login(secretariat_user)
    created = client.post("/api/v1/tokens", {"name": "script"}, content_type="application/json")
    assert created.status_code == 201
    token = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    client.logout()
    assert client.get("/api/v1/tokens", **bearer(token)).status_code == 200
    # A token cannot mint another one: creation needs the session.
    assert (
        client.post(
            "/api/v1/tokens", {"name": "x"}, content_type="application/json", **bearer(token)
        ).status_code
        == 401
    )


def test_session_writes_need_the_csrf_token(secretariat_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    activate_totp(secretariat_user)
    browser.force_login(secretariat_user)
    refused = browser.post(PUBLISH, {}, content_type="application/json")
    assert refused.status_code == 403


def test_management_command_creates_and_revokes(secretariat_user):
    from allauth.mfa.models import Authenticator
    from django.core.management.base import CommandError

    Authenticator.objects.filter(user=secretariat_user).delete()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("api_token", "create", "secretariat@example.org", "--name", "ci", stdout=out)
    activate_totp(secretariat_user)
    call_command(
        "api_token", "create", "secretariat@example.org", "--name", "ci", "--days", "30", stdout=out
    )
    token = out.getvalue().split()[-1]
    row = tokens.find(token)
    assert row.user == secretariat_user and row.expires_at is not None
    call_command("api_token", "revoke", str(row.pk), stdout=out)
    assert tokens.find(token) is None


def test_participant_token_from_the_personal_link_asks_for_the_floor(client, consultation):
    from plenary.floor import services as floor

    chair = User.objects.get(email="chair@example.org")
    floor.open_meeting(
        consultation, consultation.meetings.get(kind="meeting", number=1), actor=chair
    )
    floor.set_item(consultation, consultation.groups.get(number=1).items.get(number=2), actor=chair)
    speaker = participant(consultation, "CH")
    link = registration.issue_link(speaker)
    minted = client.post(
        "/api/v1/tokens/participant",
        {"link": f"http://127.0.0.1:8000/j/{link}"},
        content_type="application/json",
    )
    assert minted.status_code == 201
    token = minted.json()["token"]
    asked = client.post(
        "/api/v1/consultations/vcc-2/floor/requests",
        {"kind": "speak"},
        content_type="application/json",
        **bearer(token),
    )
    assert asked.status_code == 201
    assert asked.json()["delegation"] == speaker.delegation_id
    # A participant token is no account: the chair's actions are refused.
    assert client.post("/api/v1/consultations/vcc-2/floor/end", **bearer(token)).status_code == 403
    # A new link replaces the old one, and the token minted from it stops working.
    registration.issue_link(speaker)
    assert client.get("/api/v1/consultations/vcc-2/floor", **bearer(token)).status_code == 401


def test_a_forged_link_mints_no_token(client, vcc2):
    refused = client.post(
        "/api/v1/tokens/participant",
        {"link": "forged"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 403  # a forged link stands for nobody, as on the page
    assert refused.json()["code"] == "bad_link"
    assert refused.json()["detail"] != "This link is not valid."
