"""Co-submission (R19): only the co-submitter's focal point answers, before the consultation's
contribution deadline; a co-submitter without a focal point blocks publication and is shown
to the secretariat with the invitation; the contributions mailbox receives one copy of each
notification, the focal points theirs in their own language — in the services, on the pages,
in the API and over a real SMTP server."""

import datetime

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from plenary.consultations.models import Appointment
from plenary.contributions import queries, services
from plenary.contributions.models import Contribution, ContributionState
from plenary.contributions.rules import BLOCKING, SUBMITTING, Standing, standing
from plenary.core.errors import REFUSALS, DomainError, Kind
from plenary.core.models import AuditEvent, OutboxMessage, User
from plenary.directory.models import State
from plenary.registration import services as registration
from tests import factories
from tests.api.conftest import activate_totp, bearer, user_token
from tests.mailserver import run_worker

UTC = datetime.UTC
BEFORE = datetime.datetime(2020, 11, 1, 12, tzinfo=UTC)
AFTER = datetime.datetime(2020, 11, 2, 23, 0, tzinfo=UTC)  # 00:00 Geneva on 3 November
MAILBOX = "contributions@itu.int"


# --- the rule -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime.datetime(2020, 1, 1), max_value=datetime.datetime(2021, 1, 1)
).map(lambda moment: moment.replace(tzinfo=UTC))


@given(
    lead=st.booleans(),
    answer=st.sampled_from([None, "confirmed", "declined"]),
    has_focal_point=st.booleans(),
    now=moments,
    deadline=moments,
)
def test_a_standing_follows_the_answer_and_the_deadline(
    lead, answer, has_focal_point, now, deadline
):
    found = standing(
        lead=lead,
        confirmed=answer == "confirmed",
        declined=answer == "declined",
        has_focal_point=has_focal_point,
        now=now,
        deadline=deadline,
    )
    if lead:
        assert found is Standing.LEAD
    elif answer is not None:  # an answer given stays, whatever the time
        assert found == answer
    elif now > deadline:  # nobody waits after the deadline
        assert found is Standing.LAPSED
    else:
        assert found is (Standing.AWAITING if has_focal_point else Standing.NO_FOCAL_POINT)
    # Only an unanswered co-submitter before the deadline holds publication back, and only a
    # state that submitted or confirmed is named on the published document.
    assert (found in BLOCKING) == (not lead and answer is None and now <= deadline)
    assert (found in SUBMITTING) == (lead or answer == "confirmed")


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def china():
    return State.objects.get(iso2="CN")


@pytest.fixture
def switzerland():
    return State.objects.get(iso2="CH")


def _cn_focal(consultation, language="es") -> User:
    """China's focal point, appointed by the secretariat as accepting an invitation does."""
    user = User.objects.create_user(
        "focal.cn@example.org", "long-enough-passphrase-1", full_name="Li Wei"
    )
    user.language = language
    user.save()
    registration.grant_role(
        user,
        Appointment.Role.FOCAL_POINT,
        consultation=consultation,
        state=State.objects.get(iso2="CN"),
        actor=factories.secretariat(),
    )
    return user


@pytest.fixture
def cn_focal(consultation):
    return _cn_focal(consultation)


def _joint(consultation, focal_ch, co_states, now=BEFORE) -> Contribution:
    """Switzerland's contribution on item 2.1 naming `co_states` as co-submitters."""
    return services.submit_form(
        consultation,
        item=factories.item(consultation, "2.1"),
        title="Joint views on item 2.1",
        comments="",
        way_forward="",
        lead_state=State.objects.get(iso2="CH"),
        co_states=co_states,
        actor=focal_ch,
        now=now,
    )


def _row(contribution, state) -> ContributionState:
    return ContributionState.objects.get(contribution=contribution, state=state)


def _refusals(code):
    return AuditEvent.objects.filter(
        action="contribution.co_submission_refused", data__why=code
    ).count()


def _refused(code, call):
    before = _refusals(code)
    with pytest.raises(DomainError) as refused:
        call()
    assert refused.value.code == code
    assert _refusals(code) == before + 1, "the refusal is recorded"
    return refused.value


# --- the service ---------------------------------------------------------------------------


def test_only_the_co_submitters_focal_point_confirms(consultation, focal_ch, china, cn_focal):
    contribution = _joint(consultation, focal_ch, [china])
    delegate = factories.delegate("CN")
    refused = _refused(
        "not_focal_point",
        lambda: services.confirm_co_submission(contribution, china, actor=delegate, now=BEFORE),
    )
    assert "focal point" in refused.user_message() and "{" not in refused.user_message()
    belgium = factories.focal_point("BE")  # another delegation's focal point
    _refused(
        "not_your_state",
        lambda: services.confirm_co_submission(contribution, china, actor=belgium, now=BEFORE),
    )
    assert _row(contribution, china).confirmed_at is None  # nothing changed
    row = services.confirm_co_submission(contribution, china, actor=cn_focal, now=BEFORE)
    assert (row.confirmed_by, row.on_behalf) == (cn_focal, False)
    assert AuditEvent.objects.filter(
        action="contribution.co_submission_confirmed", data__state="CN"
    ).exists()


def test_no_answer_after_the_deadline_which_is_the_consultations_setting(
    consultation, focal_ch, china, cn_focal, secretariat_user
):
    contribution = _joint(consultation, focal_ch, [china])
    _refused(
        "deadline_passed",
        lambda: services.confirm_co_submission(contribution, china, actor=cn_focal, now=AFTER),
    )
    _refused(  # the secretariat cannot record one late either
        "deadline_passed",
        lambda: services.decline_co_submission(
            contribution, china, actor=secretariat_user, now=AFTER
        ),
    )
    # The setting moved: 20 days before the first day (27 October) — 1 November is too late.
    consultation.contribution_days_before = 20
    consultation.save()
    contribution.consultation.refresh_from_db()
    _refused(
        "deadline_passed",
        lambda: services.confirm_co_submission(contribution, china, actor=cn_focal, now=BEFORE),
    )
    assert _row(contribution, china).confirmed_at is None


def test_a_second_click_is_told_already_and_changes_nothing(
    consultation, focal_ch, china, cn_focal
):
    contribution = _joint(consultation, focal_ch, [china])
    first = services.confirm_co_submission(contribution, china, actor=cn_focal, now=BEFORE)
    mails = OutboxMessage.objects.count()
    later = BEFORE + datetime.timedelta(minutes=5)
    _refused(
        "already_confirmed",
        lambda: services.confirm_co_submission(contribution, china, actor=cn_focal, now=later),
    )
    _refused(
        "already_confirmed",
        lambda: services.decline_co_submission(contribution, china, actor=cn_focal, now=later),
    )
    assert _row(contribution, china).confirmed_at == first.confirmed_at
    assert _row(contribution, china).declined_at is None
    assert OutboxMessage.objects.count() == mails  # nobody told twice


def test_a_forged_state_or_contribution_is_refused_and_recorded(
    consultation, focal_ch, china, cn_focal, secretariat_user
):
    contribution = _joint(consultation, focal_ch, [china])
    france = State.objects.get(iso2="FR")
    _refused(
        "not_submitter",
        lambda: services.confirm_co_submission(
            contribution, france, actor=secretariat_user, now=BEFORE
        ),
    )
    _refused(  # the first submitter does not confirm itself
        "not_submitter",
        lambda: services.decline_co_submission(
            contribution, State.objects.get(iso2="CH"), actor=secretariat_user, now=BEFORE
        ),
    )
    _refused(
        "not_submitter",
        lambda: services.confirm_co_submission(contribution, None, actor=cn_focal, now=BEFORE),
    )
    refused = _refused(
        "no_contribution",
        lambda: services.refuse_unknown_contribution(consultation, 987654, actor=cn_focal),
    )
    assert REFUSALS[refused.code] is Kind.NOT_FOUND


def test_a_co_submitter_without_a_focal_point_blocks_until_one_is_appointed(
    consultation, focal_ch, china, secretariat_user
):
    contribution = _joint(consultation, focal_ch, [china])
    [found] = queries.with_standings(Contribution.objects.filter(pk=contribution.pk), now=BEFORE)
    assert [r.standing for r in found.blocking] == [Standing.NO_FOCAL_POINT]
    with pytest.raises(DomainError) as refused:
        services.publish(contribution, actor=secretariat_user, now=BEFORE)
    assert refused.value.code == "no_focal_point"
    assert "China" in refused.value.user_message()
    # The secretariat cannot answer for a state nobody speaks for.
    _refused(
        "no_focal_point",
        lambda: services.confirm_co_submission(
            contribution, china, actor=secretariat_user, now=BEFORE
        ),
    )
    # The mailbox copy of the receipt names the state the secretariat must invite.
    receipt = OutboxMessage.objects.get(to=[MAILBOX])
    assert "no focal point" in receipt.body
    cn_focal = _cn_focal(consultation)
    [found] = queries.with_standings(Contribution.objects.filter(pk=contribution.pk), now=BEFORE)
    assert [r.standing for r in found.blocking] == [Standing.AWAITING]
    assert found.blocking[0].focal_points == [cn_focal]


def test_a_declined_or_unanswered_co_submitter_is_not_named_on_publication(
    consultation, focal_ch, china, cn_focal, secretariat_user
):
    egypt = State.objects.get(iso2="EG")  # no focal point: unanswered by the deadline
    declined = _joint(consultation, focal_ch, [china])
    services.decline_co_submission(declined, china, actor=cn_focal, now=BEFORE)
    published = services.publish(declined, actor=secretariat_user, now=BEFORE)
    mail = OutboxMessage.objects.filter(to=[focal_ch.email], body__contains="VC/").get()
    assert "Suisse" in mail.body and "Chine" not in mail.body  # focal_ch reads French
    assert published.status == "published"
    lapsed = _joint(consultation, focal_ch, [egypt])
    with pytest.raises(DomainError):
        services.publish(lapsed, actor=secretariat_user, now=BEFORE)
    # After the deadline nobody waits for Egypt any more.
    services.publish(lapsed, actor=secretariat_user, now=AFTER)
    [row] = queries.with_standings(Contribution.objects.filter(pk=lapsed.pk), now=AFTER)[0].rows[1:]
    assert row.standing is Standing.LAPSED


def test_the_mailbox_gets_one_copy_and_each_focal_point_its_own_language(
    consultation, focal_ch, china, cn_focal
):
    contribution = _joint(consultation, focal_ch, [china])
    assert OutboxMessage.objects.filter(to=[MAILBOX]).count() == 1
    assert all(MAILBOX not in m.cc for m in OutboxMessage.objects.all())
    request = OutboxMessage.objects.get(to=[cn_focal.email])
    assert request.language == "es"
    assert f"/es/c/vcc-2/contributions/{contribution.pk}/" in request.body
    assert request.attachments == []  # a form submission has no file
    receipt = OutboxMessage.objects.get(to=[focal_ch.email])
    assert receipt.language == "fr"
    last = OutboxMessage.objects.order_by("-pk").first().pk
    services.confirm_co_submission(contribution, china, actor=cn_focal, now=BEFORE)
    # The first submitter is told, in French; China's focal point gets its receipt in
    # Spanish; the mailbox one copy, naming both.
    told = OutboxMessage.objects.filter(pk__gt=last)
    assert sorted((m.to[0], m.language) for m in told) == sorted(
        [(focal_ch.email, "fr"), (cn_focal.email, "es"), (MAILBOX, "en")]
    )
    copy = told.get(to=[MAILBOX])
    assert focal_ch.email in copy.body and cn_focal.email in copy.body
    assert "Chine" in told.get(to=[focal_ch.email]).subject  # the state in the reader's words


@pytest.mark.django_db(transaction=True)
def test_over_smtp_the_mailbox_receives_each_notification_once(vcc2, smtp_inbox):
    consultation, focal_ch = vcc2.consultation, factories.focal_point("CH")
    china, cn_focal = State.objects.get(iso2="CN"), _cn_focal(vcc2.consultation)
    contribution = _joint(consultation, focal_ch, [china])
    services.confirm_co_submission(contribution, china, actor=cn_focal, now=BEFORE)
    run_worker()
    to_mailbox = [e for e in smtp_inbox.envelopes if MAILBOX in e.rcpt_tos]
    # The receipt and the confirmation: two notifications, one copy each.
    assert len(to_mailbox) == 2
    assert all(e.rcpt_tos == [MAILBOX] for e in to_mailbox)
    to_china = [e for e in smtp_inbox.envelopes if e.rcpt_tos == [cn_focal.email]]
    assert len(to_china) == 2  # the request to confirm, and the receipt of the answer
    assert all(
        f"/es/c/vcc-2/contributions/{contribution.pk}/".encode() in e.content for e in to_china
    )


# --- pages ---------------------------------------------------------------------------------


def _ahead(consultation):
    """The deadline far ahead, so that the pages (which act now) are before it."""
    return factories.open_registration(consultation)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_focal_point_confirms_from_the_contributions_page(
    consultation, focal_ch, china, cn_focal
):
    _ahead(consultation)
    contribution = _joint(consultation, focal_ch, [china], now=None)
    client = _client(cn_focal)
    page = client.get("/es/c/vcc-2/contributions/").content.decode()
    assert 'id="awaiting"' in page and contribution.title in page
    answer = client.post(
        f"/es/c/vcc-2/contributions/{contribution.pk}/action/",
        {"action": "confirm", "state": china.pk, "next": "list"},
    )
    assert answer.status_code == 302 and answer["Location"].endswith("/es/c/vcc-2/contributions/")
    assert _row(contribution, china).confirmed_by == cn_focal
    assert 'id="awaiting"' not in client.get("/es/c/vcc-2/contributions/").content.decode()
    detail = _client(focal_ch).get(f"/en/c/vcc-2/contributions/{contribution.pk}/")
    html = detail.content.decode()
    assert 'data-state="CN" data-standing="confirmed"' in html and "Li Wei" in html


def test_a_delegate_is_shown_who_answers_and_refused_on_the_page(
    consultation, focal_ch, china, cn_focal
):
    _ahead(consultation)
    contribution = _joint(consultation, focal_ch, [china], now=None)
    client = _client(factories.delegate("CN"))
    url = f"/en/c/vcc-2/contributions/{contribution.pk}/"
    html = client.get(url).content.decode()
    assert 'data-standing="awaiting"' in html and "Li Wei" in html
    assert 'value="confirm"' not in html
    refused = client.post(
        url + "action/",
        {"action": "confirm", "state": china.pk},
        HTTP_REFERER=f"http://testserver{url}",
    )
    assert refused.status_code == 403
    assert "Only the focal point of China" in refused.content.decode()
    forged = _client(cn_focal).post(
        "/en/c/vcc-2/contributions/987654/action/", {"action": "confirm", "state": china.pk}
    )
    assert forged.status_code == 404
    assert _row(contribution, china).confirmed_at is None
    assert _refusals("not_focal_point") == 1 and _refusals("no_contribution") == 1


def test_the_secretariat_sees_the_blocking_co_submitter_and_the_invitation(
    consultation, focal_ch, china, secretariat_user
):
    _ahead(consultation)
    contribution = _joint(consultation, focal_ch, [china], now=None)
    client = _client(activate_totp(secretariat_user))
    invite = "/en/c/vcc-2/people/?delegation=state:CN&amp;role=focal_point#invite"
    listing = client.get("/en/c/vcc-2/contributions/").content.decode()
    assert 'id="blocked"' in listing and invite in listing
    detail = client.get(f"/en/c/vcc-2/contributions/{contribution.pk}/").content.decode()
    assert 'data-state="CN" data-standing="no_focal_point"' in detail and invite in detail
    people = client.get(invite.replace("&amp;", "&")).content.decode()
    assert '<option value="state:CN" selected>' in people
    # The invitation accepted, the state is awaited instead.
    _cn_focal(consultation)
    listing = client.get("/en/c/vcc-2/contributions/").content.decode()
    assert 'id="blocked"' not in listing


# --- API -----------------------------------------------------------------------------------


def _api(user, path, data):
    return Client().post(
        f"/api/v1/consultations/vcc-2{path}",
        data,
        content_type="application/json",
        **bearer(user_token(user)),
    )


def test_the_api_takes_the_focal_points_answer_and_refuses_the_others(
    consultation, focal_ch, china, cn_focal
):
    _ahead(consultation)
    contribution = _joint(consultation, focal_ch, [china], now=None)
    path = f"/contributions/{contribution.pk}/co-submission"
    refused = _api(factories.delegate("CN"), path, {"state": "CN"})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_focal_point")
    forged = _api(cn_focal, "/contributions/987654/co-submission", {"state": "CN"})
    assert (forged.status_code, forged.json()["code"]) == (404, "no_contribution")
    answer = _api(cn_focal, path, {"state": "CN", "answer": "decline"})
    assert answer.status_code == 200, answer.content
    assert [(s["state"], s["standing"]) for s in answer.json()["submitters"]] == [
        ("CH", "lead"),
        ("CN", "declined"),
    ]
    again = _api(cn_focal, path, {"state": "CN", "answer": "confirm"})
    assert (again.status_code, again.json()["code"]) == (400, "already_declined")
    other = _joint(consultation, focal_ch, [china], now=None)
    consultation.contribution_days_before = 30000  # the setting moves the deadline past
    consultation.save()
    late = _api(cn_focal, f"/contributions/{other.pk}/co-submission", {"state": "CN"})
    assert (late.status_code, late.json()["code"]) == (400, "deadline_passed")
    assert _row(other, china).confirmed_at is None
