"""The API's ballots go the pages' way: the secretariat prepares a draft, the presiding
officer approves it (which launches it) or sends it back; every refusal as on the pages."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from plenary.ballots.models import Ballot
from plenary.core.models import AuditEvent
from tests import factories

from .conftest import activate_totp, bearer, user_token

BALLOTS = "/api/v1/consultations/vcc-2/ballots"
DRAFT = {
    "title": "Budget transfer",
    "question": "Do you approve the transfer?",
    "proposals": ["The Council approves the transfer."],
    "deadline": "2099-01-01T12:00:00Z",
    "rule": "electorate",
}


@pytest.fixture
def secretariat(secretariat_user):
    return bearer(user_token(activate_totp(secretariat_user)))


@pytest.fixture
def presiding(chair):
    return bearer(user_token(chair))


def _post(client, path, headers, body=None):
    return client.post(path, body or {}, content_type="application/json", **headers)


def test_prepare_then_the_presiding_officer_approves(client, secretariat, presiding, chair):
    prepared = _post(client, BALLOTS, secretariat, DRAFT)
    assert prepared.status_code == 201
    assert prepared.json()["status"] == "draft"
    assert prepared.json()["approved_by"] is None
    ballot = Ballot.objects.get(pk=prepared.json()["id"])
    assert ballot.electors.count() == 0

    approved = _post(client, f"{BALLOTS}/{ballot.pk}/approve", presiding)
    assert approved.status_code == 200
    assert approved.json()["status"] == "open"
    assert approved.json()["approved_by"] == chair.email
    assert ballot.electors.count() == 48
    assert AuditEvent.objects.get(action="ballot.launched").actor == chair


def test_an_approver_named_by_the_secretariat_is_refused(client, secretariat):
    response = _post(client, BALLOTS, secretariat, {**DRAFT, "approved_by": "chair@example.org"})
    assert response.status_code == 400
    assert response.json()["code"] == "approval_required"
    assert "approved_by" in response.json()["detail"]
    assert not Ballot.objects.exists()


def test_the_secretariat_and_others_may_not_approve_or_send_back(client, consultation, secretariat):
    draft = factories.draft_ballot(consultation)
    for headers in (
        secretariat,
        bearer(user_token(factories.focal_point("CH"))),
        {},
    ):
        approve = _post(client, f"{BALLOTS}/{draft.pk}/approve", headers)
        assert approve.status_code in (401, 403)
        back = _post(client, f"{BALLOTS}/{draft.pk}/send-back", headers, {"note": "No"})
        assert back.status_code in (401, 403)
    assert _post(client, f"{BALLOTS}/{draft.pk}/approve", secretariat).status_code == 403
    draft.refresh_from_db()
    assert draft.status == Ballot.Status.DRAFT and draft.electors.count() == 0


def test_a_second_approval_is_refused_as_already_launched(client, consultation, presiding):
    draft = factories.draft_ballot(consultation)
    assert _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding).status_code == 200
    launched_at = Ballot.objects.get(pk=draft.pk).launched_at
    again = _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding)
    assert again.status_code == 400
    assert again.json()["code"] == "already_launched"
    assert Ballot.objects.get(pk=draft.pk).launched_at == launched_at
    assert AuditEvent.objects.filter(action="ballot.launched").count() == 1


def test_approval_after_the_deadline_names_it(client, consultation, presiding):
    draft = factories.draft_ballot(consultation)
    past = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
    Ballot.objects.filter(pk=draft.pk).update(deadline=past)  # the time passed while it waited
    response = _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding)
    assert response.status_code == 400
    assert response.json()["code"] == "deadline_passed"
    local = past.astimezone(zoneinfo.ZoneInfo(consultation.time_zone))
    assert f"{local:%Y-%m-%d %H:%M} {consultation.time_zone_label}" in response.json()["detail"]
    assert Ballot.objects.get(pk=draft.pk).status == Ballot.Status.DRAFT


def test_sent_back_changed_and_withdrawn(client, consultation, secretariat, presiding):
    draft = factories.draft_ballot(consultation)
    empty = _post(client, f"{BALLOTS}/{draft.pk}/send-back", presiding, {"note": ""})
    assert empty.status_code == 422  # the note is required by the schema
    back = _post(client, f"{BALLOTS}/{draft.pk}/send-back", presiding, {"note": "Add item 1.5."})
    assert back.status_code == 200
    assert back.json()["status"] == "returned"
    assert back.json()["returned_note"] == "Add item 1.5."
    refused = _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding)
    assert refused.status_code == 400 and refused.json()["code"] == "sent_back"

    changed = client.put(
        f"{BALLOTS}/{draft.pk}",
        {**DRAFT, "title": "Budget transfer (changed)"},
        content_type="application/json",
        **secretariat,
    )
    assert changed.status_code == 200
    assert changed.json()["status"] == "draft" and changed.json()["returned_note"] == ""
    withdrawn = _post(client, f"{BALLOTS}/{draft.pk}/withdraw", secretariat)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    gone = _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding)
    assert gone.status_code == 400 and gone.json()["code"] == "already_withdrawn"


def test_a_launched_ballot_is_neither_changed_nor_withdrawn(
    client, consultation, secretariat, presiding
):
    draft = factories.draft_ballot(consultation)
    _post(client, f"{BALLOTS}/{draft.pk}/approve", presiding)
    changed = client.put(
        f"{BALLOTS}/{draft.pk}",
        {**DRAFT, "title": "Changed"},
        content_type="application/json",
        **secretariat,
    )
    assert changed.status_code == 400 and changed.json()["code"] == "already_launched"
    withdrawn = _post(client, f"{BALLOTS}/{draft.pk}/withdraw", secretariat)
    assert withdrawn.status_code == 400 and withdrawn.json()["code"] == "already_launched"
    ballot = Ballot.objects.get(pk=draft.pk)
    assert ballot.title == "Draft ballot" and ballot.status == Ballot.Status.OPEN
