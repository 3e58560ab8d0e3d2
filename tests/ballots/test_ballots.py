"""Decision by correspondence (R27): electorate, replies, deadline, the majority rule."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.ballots import services, tally
from plenary.ballots.models import Reply
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, User
from plenary.directory.models import State
from plenary.directory.services import suspend_voting_right
from tests import factories

CHOICES = [tally.IN_FAVOUR, tally.AGAINST, tally.ABSTAIN]

# --- the tally -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(st.just(n), st.lists(st.sampled_from(CHOICES), max_size=n))
    )
)
def test_default_rule_needs_more_than_half_of_the_electorate_in_favour(case):
    electorate, replies = case
    result = tally.tally(replies, electorate)
    assert result.adopted == (replies.count(tally.IN_FAVOUR) * 2 > electorate)
    assert result.in_favour + result.against + result.abstain + result.not_replied == electorate


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(CHOICES), max_size=60), st.randoms())
def test_the_tally_does_not_depend_on_the_order_of_replies(replies, random):
    shuffled = list(replies)
    random.shuffle(shuffled)
    for rule in tally.RULES:
        assert tally.tally(shuffled, 60, rule) == tally.tally(replies, 60, rule)


def test_the_three_bases():
    replies = (
        [tally.IN_FAVOUR] * 20 + [tally.AGAINST] * 5 + [tally.ABSTAIN] * 10
    )  # 35 of 48 replied
    assert not tally.tally(replies, 48, tally.OF_ELECTORATE).adopted  # 20 is not more than 24
    assert tally.tally(replies, 48, tally.OF_VOTES_CAST).adopted  # 20 > 5
    assert tally.tally(replies, 48, tally.OF_REPLIES).adopted  # 20 > 17.5
    assert tally.tally(replies, 48).threshold == 25


# --- the services ----------------------------------------------------------------------------


def _focal_point_with_totp(email):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = User.objects.create_user(email, "a-long-passphrase-for-voting")
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def ballot(consultation, secretariat_user, chair):
    suspend_voting_right(
        State.objects.get(iso2="PY"), since=datetime.date(2020, 1, 1), actor=secretariat_user
    )
    item = factories.item(consultation, "1.5")
    return services.launch(
        consultation,
        title="Appointment of the External Auditor",
        question="Do you approve the proposed conclusion on item 1.5?",
        proposals=[(item, "The Council appoints the External Auditor as proposed.")],
        deadline=timezone.now() + datetime.timedelta(days=20),
        actor=secretariat_user,
        approved_by=chair,
    )


def test_electorate_is_frozen_with_exclusions_and_their_reasons(ballot):
    electors = ballot.electors.all()
    assert electors.count() == 48
    excluded = electors.get(state__iso2="PY")
    assert not excluded.has_vote
    assert "169" in excluded.exclusion
    assert AuditEvent.objects.get(action="ballot.launched").data["electorate"] == 47


def test_launch_needs_the_presiding_officers_approval(consultation, secretariat_user):
    with pytest.raises(DomainError) as refused:
        services.launch(
            consultation,
            title="T",
            question="Q",
            proposals=[(None, "P")],
            deadline=timezone.now() + datetime.timedelta(days=1),
            actor=secretariat_user,
            approved_by=secretariat_user,
        )
    assert refused.value.code == "approval_required"


def test_focal_point_votes_changes_until_the_deadline_and_history_is_kept(ballot, secretariat_user):
    voter = _focal_point_with_totp("vote.ch@example.org")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="CH"), voter, actor=secretariat_user
    )
    proposal = ballot.proposals.get()
    first = services.cast(proposal, "against", actor=voter)
    second = services.cast(proposal, "in_favour", actor=voter)
    assert Reply.objects.filter(proposal=proposal).count() == 2
    assert list(Reply.objects.filter(proposal=proposal, current=True)) == [second]
    assert len(first.digest) == 64 and first.digest != second.digest
    late = ballot.deadline + datetime.timedelta(seconds=1)
    with pytest.raises(DomainError) as refused:
        services.cast(proposal, "against", actor=voter, now=late)
    assert refused.value.code == "closed"
    assert AuditEvent.objects.filter(action="ballot.reply_refused", data__why="closed").exists()
    assert Reply.objects.get(proposal=proposal, current=True).choice == "in_favour"


def test_refused_voters_are_recorded_and_nothing_is_counted(ballot, secretariat_user):
    proposal = ballot.proposals.get()
    delegate = factories.delegate("CN")
    with pytest.raises(DomainError) as refused:
        services.cast(proposal, "in_favour", actor=delegate)
    assert refused.value.code == "not_focal_point"
    without_mfa = User.objects.create_user("nomfa@example.org", "a-long-passphrase-for-voting")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="FR"), without_mfa, actor=secretariat_user
    )
    with pytest.raises(DomainError) as refused:
        services.cast(proposal, "in_favour", actor=without_mfa)
    assert refused.value.code == "mfa_required"
    in_arrears = _focal_point_with_totp("vote.py@example.org")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="PY"), in_arrears, actor=secretariat_user
    )
    with pytest.raises(DomainError) as refused:
        services.cast(proposal, "in_favour", actor=in_arrears)
    assert refused.value.code == "no_right_to_vote"
    assert Reply.objects.count() == 0
    assert AuditEvent.objects.filter(action="ballot.reply_refused").count() == 3


EMAIL = b"From: focal.point@example.org\nSubject: Reply to the ballot\n\nIn favour.\n"


def test_email_reply_entered_by_the_secretariat_with_evidence(ballot, secretariat_user):
    proposal = ballot.proposals.get()
    with pytest.raises(DomainError):
        services.enter_email_reply(
            proposal,
            State.objects.get(iso2="KE"),
            "in_favour",
            evidence=None,
            actor=secretariat_user,
        )
    reply = services.enter_email_reply(
        proposal,
        State.objects.get(iso2="KE"),
        "in_favour",
        evidence=SimpleUploadedFile("reply.eml", b"From: focal@kenya.example\n\nIn favour."),
        actor=secretariat_user,
    )
    assert reply.channel == "email" and reply.evidence.name


def test_result_and_its_recomputation_from_the_audit_log(ballot, secretariat_user):
    proposal = ballot.proposals.get()
    states = list(
        State.objects.filter(council_seats__term=ballot.consultation.council_term)
        .exclude(iso2="PY")
        .order_by("iso2")
    )
    for n, state in enumerate(states[:30]):
        services.enter_email_reply(
            proposal,
            state,
            "in_favour" if n < 25 else "against",
            evidence=SimpleUploadedFile("r.eml", EMAIL),
            actor=secretariat_user,
        )
    with pytest.raises(DomainError):
        services.close(ballot, actor=secretariat_user)
    outcome = services.close(
        ballot, actor=secretariat_user, now=ballot.deadline + datetime.timedelta(minutes=1)
    )
    ((_proposal, result),) = outcome
    assert (result.in_favour, result.against, result.electorate, result.threshold) == (
        25,
        5,
        47,
        24,
    )
    assert result.adopted
    assert services.tally_from_audit(ballot)[proposal.pk] == result


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_duplicate_replies_leave_exactly_one(vcc2, secretariat_user, chair):
    consultation = vcc2.consultation
    ballot = services.launch(
        consultation,
        title="T",
        question="Q",
        proposals=[(None, "P")],
        deadline=timezone.now() + datetime.timedelta(days=1),
        actor=secretariat_user,
        approved_by=chair,
    )
    voter = _focal_point_with_totp("vote.ru@example.org")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="RU"), voter, actor=secretariat_user
    )
    proposal = ballot.proposals.get()
    errors = []

    def vote():
        try:
            services.cast(proposal, "in_favour", actor=voter)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(100)]
    for batch in range(0, 100, 25):
        for thread in threads[batch : batch + 25]:
            thread.start()
        for thread in threads[batch : batch + 25]:
            thread.join()
    assert errors == []
    assert Reply.objects.filter(proposal=proposal, current=True).count() == 1
    assert Reply.objects.filter(proposal=proposal).count() == 100  # the history


def test_reminders_go_to_the_focal_points_of_states_that_have_not_replied(ballot, secretariat_user):
    from plenary.core.models import OutboxMessage

    replied = _focal_point_with_totp("vote.de@example.org")
    silent = _focal_point_with_totp("vote.it@example.org")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="DE"), replied, actor=secretariat_user
    )
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="IT"), silent, actor=secretariat_user
    )
    services.cast(ballot.proposals.get(), "abstain", actor=replied)
    invitations = OutboxMessage.objects.count()
    assert services.remind(ballot.pk) == 1
    reminders = OutboxMessage.objects.order_by("pk")[invitations:]
    assert [m.to for m in reminders] == [["vote.it@example.org"]]


def test_the_result_is_announced_by_email(ballot, secretariat_user):
    from plenary.core.models import OutboxMessage

    services.close(
        ballot, actor=secretariat_user, now=ballot.deadline + datetime.timedelta(minutes=1)
    )
    announcement = OutboxMessage.objects.filter(to=["focal.point.ch@example.org"]).get()
    assert announcement.language == "fr"  # the Swiss focal point reads French
    assert "Non adoptée." in announcement.body


# --- pages -----------------------------------------------------------------------------------


def test_focal_point_votes_through_the_page_and_a_replayed_form_is_refused(
    client, ballot, secretariat_user
):
    import re

    voter = _focal_point_with_totp("vote.ca@example.org")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="CA"), voter, actor=secretariat_user
    )
    client.force_login(voter)
    page = client.get(f"/fr/c/vcc-2/ballots/{ballot.pk}/").content.decode()
    proposal = ballot.proposals.get()
    token = re.search(rf'name="{proposal.pk}-token" value="([^"]+)"', page).group(1)
    data = {f"{proposal.pk}-choice": "in_favour", f"{proposal.pk}-token": token}
    url = f"/fr/c/vcc-2/ballots/{ballot.pk}/proposals/{proposal.pk}/reply/"
    assert client.post(url, data).status_code == 302
    replay = client.post(
        url,
        {**data, f"{proposal.pk}-choice": "against"},
        HTTP_REFERER=f"http://testserver/fr/c/vcc-2/ballots/{ballot.pk}/",
    )
    assert replay.status_code == 302
    assert Reply.objects.get(proposal=proposal, current=True).choice == "in_favour"
    assert Reply.objects.filter(proposal=proposal).count() == 1


def test_result_page_is_public_after_closing(client, ballot, secretariat_user):
    services.enter_email_reply(
        ballot.proposals.get(),
        State.objects.get(iso2="KE"),
        "in_favour",
        evidence=SimpleUploadedFile("r.eml", EMAIL),
        actor=secretariat_user,
    )
    assert (
        "Kenya"
        not in client.get(f"/en/c/vcc-2/ballots/{ballot.pk}/")
        .content.decode()
        .split("Electorate")[0]
    )
    services.close(
        ballot, actor=secretariat_user, now=ballot.deadline + datetime.timedelta(minutes=1)
    )
    html = client.get(f"/en/c/vcc-2/ballots/{ballot.pk}/").content.decode()
    assert "Record of the replies" in html and "Not adopted." in html


def test_audit_verify_recounts_closed_ballots(ballot, secretariat_user, capsys):
    from plenary import cli

    services.enter_email_reply(
        ballot.proposals.get(),
        State.objects.get(iso2="KE"),
        "in_favour",
        evidence=SimpleUploadedFile("r.eml", EMAIL),
        actor=secretariat_user,
    )
    services.close(
        ballot, actor=secretariat_user, now=ballot.deadline + datetime.timedelta(minutes=1)
    )
    assert cli.main(["audit", "verify"]) == 0
    assert "confirmed by the audit log" in capsys.readouterr().out
    Reply.objects.filter(current=True).update(choice="against")  # tampering with the table
    assert cli.main(["audit", "verify"]) == 1


def test_voting_focal_point_is_invited_in_their_language(ballot, secretariat_user):
    from plenary.core.models import OutboxMessage

    voter = _focal_point_with_totp("vote.mx@example.org")
    voter.language = "es"
    voter.save()
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="MX"), voter, actor=secretariat_user
    )
    invitation = OutboxMessage.objects.get(to=["vote.mx@example.org"])
    assert invitation.language == "es"
    assert ballot.title in invitation.subject


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"x", "bad_evidence"),
        (b"<html><script>alert(1)</script></html>", "bad_evidence"),
        (b"PK\x03\x04 not an e-mail", "bad_evidence"),
        (b"%PDF-1.7\n garbage", "corrupt"),
        (b"From: a@example.org\n\n" + b"x" * (10 * 1024 * 1024), "too_large"),
    ],
)
def test_evidence_that_is_not_an_email_or_its_pdf_is_refused(
    ballot, secretariat_user, content, code
):
    with pytest.raises(DomainError) as refused:
        services.enter_email_reply(
            ballot.proposals.get(),
            State.objects.get(iso2="KE"),
            "in_favour",
            evidence=SimpleUploadedFile("reply.eml", content),
            actor=secretariat_user,
        )
    assert refused.value.code == code
    assert not Reply.objects.filter(proposal__ballot=ballot).exists()
