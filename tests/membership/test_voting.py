"""The right to vote lost and restored by the secretariat (Constitution No. 169): through the
service and the page, audited; bad dates, non-members and a second open loss refused."""

import datetime

import pytest

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.directory import queries
from plenary.directory.models import State, VotingRightSuspension
from plenary.membership import services

SINCE = datetime.date(2020, 1, 1)
DAY = datetime.date(2020, 11, 16)


def _state(iso2):
    return State.objects.get(iso2=iso2)


def test_a_vote_is_lost_then_restored_and_both_are_audited(vcc2, secretariat_user):
    paraguay = _state("PY")
    loss = services.suspend_voting_right(
        paraguay, since=SINCE, note="Arrears 2018-2019", actor=secretariat_user
    )
    assert not queries.has_right_to_vote(paraguay, DAY)
    services.restore_voting_right(loss, until=datetime.date(2020, 11, 1), actor=secretariat_user)
    assert queries.has_right_to_vote(paraguay, DAY)
    actions = list(
        AuditEvent.objects.filter(action__startswith="directory.voting_right").values_list(
            "action", flat=True
        )
    )
    assert actions == ["directory.voting_right_suspended", "directory.voting_right_restored"]


def test_a_second_open_loss_of_the_same_state_is_refused(vcc2, secretariat_user):
    paraguay = _state("PY")
    services.suspend_voting_right(paraguay, since=SINCE, actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.suspend_voting_right(paraguay, since=DAY, actor=secretariat_user)
    assert refused.value.code == "already_suspended"
    assert "since 2020-01-01" in refused.value.user_message()
    assert VotingRightSuspension.objects.filter(state=paraguay).count() == 1


def test_restoring_before_the_loss_or_twice_is_refused(vcc2, secretariat_user):
    loss = services.suspend_voting_right(_state("PY"), since=SINCE, actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.restore_voting_right(
            loss, until=datetime.date(2019, 12, 1), actor=secretariat_user
        )
    assert refused.value.code == "bad_dates"
    services.restore_voting_right(loss, until=DAY, actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.restore_voting_right(loss, until=DAY, actor=secretariat_user)
    assert refused.value.code == "already_restored"


@pytest.mark.parametrize(
    ("iso2", "since"), [("PS", SINCE), ("PW", SINCE)], ids=["observer", "not-yet-a-member"]
)
def test_only_a_member_state_loses_a_vote(vcc2, secretariat_user, iso2, since):
    with pytest.raises(DomainError) as refused:
        services.suspend_voting_right(_state(iso2), since=since, actor=secretariat_user)
    assert refused.value.code == "not_member"
    assert not VotingRightSuspension.objects.filter(state__iso2=iso2).exists()


def test_a_focal_point_cannot_record_a_loss(vcc2, focal_ch):
    with pytest.raises(DomainError) as refused:
        services.suspend_voting_right(_state("PY"), since=SINCE, actor=focal_ch)
    assert refused.value.code == "not_secretariat"


def test_the_page_records_a_loss_and_restores_the_vote(secretariat_client, vcc2):
    paraguay = _state("PY")
    response = secretariat_client.post(
        "/en/secretariat/voting-rights/",
        {"state": paraguay.pk, "since": "2020-01-01", "reason": "arrears", "note": "two years"},
    )
    assert response.status_code == 302
    page = secretariat_client.get("/en/secretariat/voting-rights/").content.decode()
    assert 'id="loss-PY"' in page and "two years" in page and "2020-01-01" in page
    loss = VotingRightSuspension.objects.get(state=paraguay)
    early = secretariat_client.post(
        f"/en/secretariat/voting-rights/{loss.pk}/restore/",
        {"until": "2019-06-01"},
        HTTP_REFERER="http://testserver/en/secretariat/voting-rights/",
    )
    assert early.status_code == 302
    shown = secretariat_client.get(early["Location"]).content.decode()
    assert "cannot be restored before it was lost" in shown
    loss.refresh_from_db()
    assert loss.until is None
    secretariat_client.post(
        f"/en/secretariat/voting-rights/{loss.pk}/restore/", {"until": "2020-11-01"}
    )
    loss.refresh_from_db()
    assert loss.until == datetime.date(2020, 11, 1)
    # restored before today: no longer listed
    assert (
        'id="loss-PY"'
        not in secretariat_client.get("/en/secretariat/voting-rights/").content.decode()
    )


def test_the_page_refuses_a_second_loss_with_its_reason(secretariat_client, vcc2, secretariat_user):
    paraguay = _state("PY")
    services.suspend_voting_right(paraguay, since=SINCE, actor=secretariat_user)
    response = secretariat_client.post(
        "/en/secretariat/voting-rights/",
        {"state": paraguay.pk, "since": "2020-06-01", "reason": "arrears"},
    )
    assert response.status_code == 400
    assert "already lost the right to vote since 2020-01-01" in response.content.decode()


def test_the_voting_rights_page_is_the_secretariats(client, focal_client, vcc2):
    assert focal_client.get("/en/secretariat/voting-rights/").status_code == 403
    assert (
        focal_client.post(
            "/en/secretariat/voting-rights/",
            {"state": _state("PY").pk, "since": "2020-01-01", "reason": "arrears"},
        ).status_code
        == 403
    )
    assert not VotingRightSuspension.objects.exists()
