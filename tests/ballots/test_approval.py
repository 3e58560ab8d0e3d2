"""A decision by correspondence is prepared by the secretariat as a draft and launched only
when the consultation's presiding officer, signed in, approves it on their own page (or
sends it back with a note). Every refusal changes nothing."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from plenary.ballots import services
from plenary.ballots.models import Ballot
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, User
from tests import factories
from tests.api.conftest import activate_totp

BALLOTS = "/en/c/vcc-2/ballots/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secretariat_page(secretariat_user):
    return _signed_in(activate_totp(secretariat_user))


@pytest.fixture
def chair_page(chair):
    return _signed_in(chair)


@pytest.fixture
def draft(consultation, secretariat_user):
    return factories.draft_ballot(
        consultation,
        actor=secretariat_user,
        title="Appointment of the External Auditor",
        question="Do you approve the proposed conclusion?",
        proposals=[(None, "The Council appoints the External Auditor as proposed.")],
    )


def _state(ballot) -> tuple:
    """What a refusal must leave as it was."""
    ballot = Ballot.objects.get(pk=ballot.pk)
    return (
        ballot.status,
        ballot.approved_by_id,
        ballot.launched_at,
        ballot.title,
        ballot.deadline,
        ballot.electors.count(),
        list(ballot.proposals.values_list("text", flat=True)),
    )


# --- the secretariat prepares ----------------------------------------------------------------


def test_the_secretariat_prepares_a_draft_that_lists_as_pending_approval(
    secretariat_page, consultation
):
    response = secretariat_page.post(
        BALLOTS + "new/",
        {
            "title": "Budget transfer",
            "question": "Do you approve the transfer?",
            "proposals": "The Council approves the transfer.\nAnd notes the report.",
            "deadline": "2099-01-01T12:00",
            "rule": "electorate",
        },
    )
    assert response.status_code == 302
    ballot = Ballot.objects.get(title="Budget transfer")
    assert ballot.status == Ballot.Status.DRAFT
    assert ballot.approved_by is None and ballot.launched_at is None
    assert ballot.electors.count() == 0  # frozen only at approval
    assert [p.text for p in ballot.proposals.all()] == [
        "The Council approves the transfer.",
        "And notes the report.",
    ]
    listing = secretariat_page.get(BALLOTS).content.decode()
    assert "Budget transfer" in listing
    assert "Pending the presiding officer&#x27;s approval" in listing
    # Nobody else sees a draft: not in the public list, not found on its page.
    assert "Budget transfer" not in Client().get(BALLOTS).content.decode()
    assert Client().get(f"{BALLOTS}{ballot.pk}/").status_code == 404


def test_the_draft_form_names_the_field_that_is_wrong_and_nothing_is_prepared(
    secretariat_page, consultation
):
    response = secretariat_page.post(
        BALLOTS + "new/",
        {
            "title": "Too late",
            "question": "Q?",
            "proposals": "P",
            "deadline": "2001-01-01T12:00",
            "rule": "electorate",
        },
        HTTP_REFERER="http://testserver" + BALLOTS + "new/",
        follow=True,
    )
    assert "Deadline: it must be in the future." in response.content.decode()
    with pytest.raises(DomainError) as refused:
        factories.draft_ballot(consultation, proposals=[(None, "  ")])
    assert refused.value.code == "no_proposal"
    assert not Ballot.objects.filter(title="Too late").exists()


def test_the_page_offers_no_approver_to_pick(secretariat_page):
    page = secretariat_page.get(BALLOTS + "new/").content.decode()
    assert 'name="approved_by"' not in page
    assert "approves it from their own page" in page


# --- the presiding officer approves ----------------------------------------------------------


def test_the_presiding_officer_approves_on_their_page_and_the_audit_names_them(
    chair_page, chair, draft
):
    page = chair_page.get(BALLOTS + "approvals/").content.decode()
    assert "Appointment of the External Auditor" in page
    assert "Do you approve the proposed conclusion?" in page
    assert "The Council appoints the External Auditor as proposed." in page
    assert "Approve and launch" in page and "Send back" in page

    response = chair_page.post(f"{BALLOTS}{draft.pk}/approve/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Ballot.Status.OPEN
    assert draft.approved_by == chair
    assert draft.launched_at is not None
    assert draft.electors.count() == 48  # the electorate, frozen now
    event = AuditEvent.objects.get(action="ballot.launched", target_id=str(draft.pk))
    assert event.actor == chair
    assert event.data["approved_by"] == str(chair)
    assert event.data["prepared_by"] == str(factories.secretariat())
    assert event.data["electorate"] == draft.electors.filter(has_vote=True).count()
    # Launched, it is public and no longer pending.
    assert Client().get(f"{BALLOTS}{draft.pk}/").status_code == 200
    assert (
        "Appointment of the External" not in chair_page.get(BALLOTS + "approvals/").content.decode()
    )


def test_the_chair_sees_the_draft_and_its_buttons_on_the_ballot_page(chair_page, draft):
    page = chair_page.get(f"{BALLOTS}{draft.pk}/").content.decode()
    assert "The Council appoints the External Auditor as proposed." in page
    assert f"/ballots/{draft.pk}/approve/" in page
    assert f"/ballots/{draft.pk}/send-back/" in page


def test_the_secretariat_cannot_approve_and_nothing_changes(
    secretariat_page, secretariat_user, draft
):
    before = _state(draft)
    assert secretariat_page.get(BALLOTS + "approvals/").status_code == 403
    assert secretariat_page.post(f"{BALLOTS}{draft.pk}/approve/").status_code == 403
    assert (
        secretariat_page.post(f"{BALLOTS}{draft.pk}/send-back/", {"note": "x"}).status_code == 403
    )
    # Nor through the service itself; the attempt is audited.
    with pytest.raises(DomainError) as refused:
        services.approve(draft, actor=secretariat_user)
    assert refused.value.code == "not_presiding_officer"
    assert refused.value.status == 403
    assert AuditEvent.objects.filter(action="ballot.approval_refused").count() == 1
    assert _state(draft) == before
    page = secretariat_page.get(f"{BALLOTS}{draft.pk}/").content.decode()
    assert "Approve and launch" not in page


def test_anyone_else_is_refused_approval(draft):
    admin = User.objects.create_superuser("admin@example.org", "a-long-passphrase-for-admin")
    for user in (factories.focal_point("CH"), factories.it_support(), activate_totp(admin)):
        assert _signed_in(user).post(f"{BALLOTS}{draft.pk}/approve/").status_code == 403
    assert Client().post(f"{BALLOTS}{draft.pk}/approve/").status_code == 302  # to sign in
    assert Ballot.objects.get(pk=draft.pk).status == Ballot.Status.DRAFT


def test_a_second_approval_says_already_launched_and_changes_nothing(chair_page, chair, draft):
    url = f"{BALLOTS}{draft.pk}/approve/"
    assert chair_page.post(url).status_code == 302
    before = _state(draft)
    again = chair_page.post(url, HTTP_REFERER="http://testserver" + BALLOTS, follow=True)
    assert "This ballot is already launched." in again.content.decode()
    assert _state(draft) == before
    assert AuditEvent.objects.filter(action="ballot.launched").count() == 1
    with pytest.raises(DomainError) as refused:
        services.approve(draft, actor=chair)
    assert refused.value.code == "already_launched"


def test_approval_after_the_deadline_is_refused_naming_the_deadline(chair_page, chair, draft):
    deadline = draft.deadline
    with pytest.raises(DomainError) as refused:
        services.approve(draft, actor=chair, now=deadline + datetime.timedelta(seconds=1))
    assert refused.value.code == "deadline_passed"
    assert services.shown_deadline(draft) in refused.value.user_message()
    assert "Geneva time, UTC+" in services.shown_deadline(draft)
    # On the page: the deadline passed while the draft waited.
    past = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    Ballot.objects.filter(pk=draft.pk).update(deadline=past)
    draft.refresh_from_db()
    before = _state(draft)
    response = chair_page.post(
        f"{BALLOTS}{draft.pk}/approve/",
        HTTP_REFERER="http://testserver" + BALLOTS + "approvals/",
        follow=True,
    )
    shown = services.shown_deadline(draft)
    assert f"The deadline ({shown}) has passed" in response.content.decode()
    assert _state(draft) == before


# --- sent back, changed, withdrawn -----------------------------------------------------------


def test_sent_back_with_a_note_changed_by_the_secretariat_then_approved(
    chair_page, secretariat_page, chair, draft
):
    response = chair_page.post(
        f"{BALLOTS}{draft.pk}/send-back/", {"note": "Name the auditor in the proposal."}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Ballot.Status.RETURNED
    assert draft.returned_note == "Name the auditor in the proposal."
    assert AuditEvent.objects.get(action="ballot.sent_back").actor == chair
    # A returned draft is not approved as it stands.
    with pytest.raises(DomainError) as refused:
        services.approve(draft, actor=chair)
    assert refused.value.code == "sent_back"
    # The secretariat reads the note, changes the draft: it is pending again.
    edit_page = secretariat_page.get(f"{BALLOTS}{draft.pk}/edit/").content.decode()
    assert "Name the auditor in the proposal." in edit_page
    response = secretariat_page.post(
        f"{BALLOTS}{draft.pk}/edit/",
        {
            "title": draft.title,
            "question": draft.question,
            "proposals": "The Council appoints the Cour des comptes as External Auditor.",
            "deadline": "2099-01-01T12:00",
            "rule": "electorate",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Ballot.Status.DRAFT and draft.returned_note == ""
    assert [p.text for p in draft.proposals.all()] == [
        "The Council appoints the Cour des comptes as External Auditor."
    ]
    assert chair_page.post(f"{BALLOTS}{draft.pk}/approve/").status_code == 302
    assert Ballot.objects.get(pk=draft.pk).status == Ballot.Status.OPEN


def test_sending_back_needs_a_note(chair_page, chair, draft):
    before = _state(draft)
    response = chair_page.post(
        f"{BALLOTS}{draft.pk}/send-back/",
        {"note": "   "},
        HTTP_REFERER="http://testserver" + BALLOTS + "approvals/",
        follow=True,
    )
    assert "Note: say why the draft is sent back" in response.content.decode()
    with pytest.raises(DomainError) as refused:
        services.send_back(draft, note="", actor=chair)
    assert refused.value.code == "note_required"
    assert _state(draft) == before


def test_the_secretariat_withdraws_a_draft_before_approval(secretariat_page, chair, draft):
    response = secretariat_page.post(f"{BALLOTS}{draft.pk}/manage/", {"action": "withdraw"})
    assert response.status_code == 302
    assert Ballot.objects.get(pk=draft.pk).status == Ballot.Status.WITHDRAWN
    with pytest.raises(DomainError) as refused:
        services.approve(draft, actor=chair)
    assert refused.value.code == "already_withdrawn"
    assert Ballot.objects.get(pk=draft.pk).electors.count() == 0


def test_after_approval_the_secretariat_can_neither_change_nor_withdraw(
    secretariat_page, secretariat_user, chair, draft
):
    services.approve(draft, actor=chair)
    before = _state(draft)
    for attempt in (
        lambda: services.withdraw_draft(draft, actor=secretariat_user),
        lambda: services.edit_draft(
            draft,
            title="Changed",
            question="Q?",
            proposals=[(None, "P")],
            deadline=draft.deadline,
            actor=secretariat_user,
        ),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "already_launched"
    response = secretariat_page.post(
        f"{BALLOTS}{draft.pk}/edit/",
        {
            "title": "Changed",
            "question": "Q?",
            "proposals": "P",
            "deadline": "2099-01-01T12:00",
            "rule": "electorate",
        },
    )
    assert response.status_code == 400
    assert _state(draft) == before


def test_a_draft_is_not_closed_nor_replied_to(secretariat_user, draft):
    with pytest.raises(DomainError) as refused:
        services.close(draft, actor=secretariat_user, now=draft.deadline + datetime.timedelta(1))
    assert refused.value.code == "not_launched"
    assert Ballot.objects.get(pk=draft.pk).status == Ballot.Status.DRAFT


def test_launch_is_the_approval_of_a_prepared_draft(consultation, secretariat_user, chair):
    ballot = factories.ballot(consultation, actor=secretariat_user, approved_by=chair)
    assert ballot.status == Ballot.Status.OPEN and ballot.approved_by == chair
    actions = list(
        AuditEvent.objects.filter(target_id=str(ballot.pk), action__startswith="ballot.")
        .order_by("sequence")
        .values_list("action", "actor__email")
    )
    assert actions == [
        ("ballot.prepared", "secretariat@example.org"),
        ("ballot.launched", "chair@example.org"),
    ]


def test_a_note_too_long_is_refused_naming_the_note(chair_page, draft):
    before = _state(draft)
    response = chair_page.post(
        f"{BALLOTS}{draft.pk}/send-back/",
        {"note": "x" * 2001},
        HTTP_REFERER="http://testserver" + BALLOTS + "approvals/",
        follow=True,
    )
    assert "Note: at most 2000 characters." in response.content.decode()
    assert _state(draft) == before


def test_the_edit_page_of_a_launched_ballot_says_it_is_launched(secretariat_page, chair, draft):
    services.approve(draft, actor=chair)
    response = secretariat_page.get(f"{BALLOTS}{draft.pk}/edit/", follow=True)
    assert "already launched: it can no longer be changed" in response.content.decode()
    assert 'name="title"' not in response.content.decode()
