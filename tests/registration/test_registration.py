"""Registration, speakers and viewers, capacity, extra speakers and personal links
(R3, R4, R9–R14)."""

import datetime
import threading

import pytest
from django.db import connection

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, OutboxMessage
from plenary.directory.models import State
from plenary.registration import services
from plenary.registration.models import (
    AccessLink,
    Capacity,
    Delegation,
    ExtraSpeakerRequest,
    Participant,
)
from tests import factories

UTC = datetime.UTC


@pytest.fixture
def swiss(consultation):
    return factories.delegation(consultation, "CH")


def test_delegations_for_council_observers_palestine_and_sector_members(consultation):
    delegations = Delegation.objects.filter(consultation=consultation)
    counts = {c: delegations.filter(category=c).count() for c in Delegation.Category.values}
    assert counts == {"council": 48, "observer": 6, "palestine": 1, "sector_member": 9}
    assert all(d.speaker_limit == 3 for d in delegations)
    capacity = Capacity.objects.get(consultation=consultation)
    assert (capacity.speaker_limit, capacity.viewer_limit) == (300, 2000)


def test_any_member_state_may_register_as_observer(consultation):
    delegation = services.delegation_for_state(consultation, State.objects.get(iso2="NZ"))
    assert delegation.category == "observer"
    assert services.delegation_for_state(consultation, State.objects.get(iso2="NZ")) == delegation
    with pytest.raises(DomainError):  # Palau joined in 2024
        services.delegation_for_state(consultation, State.objects.get(iso2="PW"))


def test_registration_window(consultation, swiss):
    before = datetime.datetime(2020, 10, 14, 21, 59, tzinfo=UTC)  # 23:59 in Geneva (summer time)
    with pytest.raises(DomainError) as refused:
        services.register(
            consultation, delegation=swiss, name="A", email="a@example.org", now=before
        )
    assert refused.value.code == "not_open"
    first = datetime.datetime(2020, 10, 14, 22, 0, tzinfo=UTC)  # 15 October, 00:00 Geneva
    assert (
        services.register(
            consultation, delegation=swiss, name="A", email="a@example.org", now=first
        ).status
        == "pending"
    )
    with pytest.raises(DomainError) as refused:
        services.register(
            consultation,
            delegation=swiss,
            name="B",
            email="b@example.org",
            now=consultation.opens_at,
        )
    assert refused.value.code == "closed"


def test_registering_twice_is_refused_and_changes_nothing(consultation, swiss):
    factories.registered(consultation, swiss, 1)
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        services.register(
            consultation,
            delegation=swiss,
            name="Again",
            email="CH1@Example.org",
            now=factories.OPEN,
        )
    assert refused.value.code == "already_registered"
    assert Participant.objects.filter(consultation=consultation).count() == 1
    assert AuditEvent.objects.count() == events


def test_focal_point_approves_own_delegation_only(consultation, swiss, focal_ch):
    french = factories.delegation(consultation, "FR")
    stranger = factories.registered(consultation, french, 1)
    with pytest.raises(DomainError) as refused:
        services.approve(stranger, actor=focal_ch)
    assert refused.value.code == "not_focal_point"
    stranger.refresh_from_db()
    assert stranger.status == "pending"
    assert AuditEvent.objects.filter(action="registration.refused").count() == 1
    own = services.approve(factories.registered(consultation, swiss, 2), actor=focal_ch)
    assert (own.status, own.role) == ("approved", "viewer")
    assert Capacity.objects.get(consultation=consultation).viewers == 1
    with pytest.raises(DomainError):
        services.approve(own, actor=focal_ch)


def test_one_to_three_speakers_and_a_fourth_is_refused(consultation, swiss, focal_ch):
    people = [
        factories.participant(consultation, swiss, n, speaker=False, actor=focal_ch)
        for n in range(4)
    ]
    for person in people[:3]:
        services.designate_speaker(person, actor=focal_ch)
    with pytest.raises(DomainError) as refused:
        services.designate_speaker(people[3], actor=focal_ch)
    assert refused.value.code == "speaker_quota"
    assert "3" in refused.value.user_message()
    swiss.refresh_from_db()
    capacity = Capacity.objects.get(consultation=consultation)
    assert (swiss.speakers, capacity.speakers, capacity.viewers) == (3, 3, 1)
    assert Participant.objects.filter(delegation=swiss, role="speaker").count() == 3


def test_speaker_names_go_to_the_registration_mailbox_with_remote_participation_in_copy(
    consultation, swiss, focal_ch
):
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    services.designate_speaker(person, actor=focal_ch)
    notice = OutboxMessage.objects.filter(to=["sg-registration@itu.int"]).get()
    assert notice.cc == ["remote.participation@itu.int"]
    assert person.email in notice.body


def test_naming_a_viewer_of_another_delegation_is_refused(consultation, swiss, focal_ch):
    other = factories.participant(consultation, "FR", speaker=False)  # by the secretariat
    with pytest.raises(DomainError) as refused:
        services.designate_speaker(other, actor=focal_ch)
    assert refused.value.code == "not_focal_point"
    other.refresh_from_db()
    assert other.role == "viewer"


def test_platform_capacity_is_enforced_across_delegations(
    consultation, swiss, focal_ch, secretariat_user
):
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=2)
    french = factories.delegation(consultation, "FR")
    factories.participant(consultation, swiss, 1, actor=focal_ch)
    factories.participant(consultation, french, 2, actor=secretariat_user)
    third = factories.participant(consultation, french, 3, speaker=False, actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.designate_speaker(third, actor=secretariat_user)
    assert refused.value.code == "speaker_capacity"
    french.refresh_from_db()
    assert french.speakers == 1  # the delegation's count was rolled back with the refusal


def test_personal_links_are_random_hashed_and_role_specific(consultation, swiss, focal_ch):
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    viewer_token = services.send_link(person, actor=focal_ch)
    assert len(viewer_token) >= 43  # 32 random bytes
    link = AccessLink.objects.get(participant=person, revoked_at__isnull=True)
    assert link.role == "viewer"
    assert link.token_hash != viewer_token and viewer_token not in link.token_hash
    services.designate_speaker(person, actor=focal_ch)
    speaker_link = AccessLink.objects.get(participant=person, revoked_at__isnull=True)
    assert speaker_link.role == "speaker"
    with pytest.raises(DomainError) as refused:
        services.resolve_link(viewer_token)
    assert refused.value.code == "revoked_link"
    with pytest.raises(DomainError) as refused:
        services.resolve_link("forged" + viewer_token[6:])
    assert refused.value.code == "bad_link"


def test_link_exchange_leaves_no_secret_in_the_address_and_shows_the_current_role(
    client, consultation, swiss, focal_ch
):
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    token = services.send_link(person, actor=focal_ch)
    response = client.get(f"/j/{token}")
    assert response.status_code == 302
    assert token not in response["Location"]
    page = client.get(response["Location"])
    assert 'id="role"' in page.content.decode()
    assert "Viewer" in page.content.decode()
    services.designate_speaker(person, actor=focal_ch)
    # The session follows the participant's current role.
    assert "Speaker" in client.get(response["Location"]).content.decode()


def test_forged_and_revoked_links_are_refused_with_a_message(client, consultation, swiss, focal_ch):
    assert client.get("/j/not-a-real-token").status_code == 403
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    old = services.send_link(person, actor=focal_ch)
    services.send_link(person, actor=focal_ch)
    response = client.get(f"/j/{old}")
    assert response.status_code == 403
    assert "most recent link" in response.content.decode()
    assert AuditEvent.objects.filter(action="registration.link_refused").count() == 2


def test_link_endpoint_is_rate_limited(client, consultation, settings):
    settings.PLENARY_RATE_LIMITS = {**settings.PLENARY_RATE_LIMITS, "join": (30, 10**6)}
    statuses = [client.get(f"/j/guess-{n}").status_code for n in range(32)]
    assert statuses[:30] == [403] * 30
    assert statuses[30:] == [429, 429]


def test_link_mail_is_in_the_participants_language(consultation, swiss, focal_ch):
    person = factories.registered(
        consultation, swiss, name="Amélie", email="amelie@example.org", language="fr"
    )
    services.approve(person, actor=focal_ch)
    mail = OutboxMessage.objects.filter(to=["amelie@example.org"]).order_by("-pk").first()
    assert mail.language == "fr"
    assert "/j/" in mail.body
    assert "VCC-2" in mail.subject


def test_extra_speaker_for_one_meeting(consultation, swiss, focal_ch, secretariat_user):
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    meeting = factories.under_way(factories.meeting(consultation, 2))
    request = services.request_extra_speaker(person, meeting=meeting, actor=focal_ch)
    with pytest.raises(DomainError):
        services.request_extra_speaker(person, meeting=meeting, actor=focal_ch)
    with pytest.raises(DomainError):
        services.decide_extra_speaker(request, grant=True, actor=focal_ch)
    services.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert services.holds_extra_grant(person, meeting=meeting)
    assert not services.holds_extra_grant(person, meeting=factories.meeting(consultation, 3))


def test_extra_speaker_refused_when_no_speaker_place_is_left(
    consultation, swiss, focal_ch, secretariat_user
):
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=1)
    factories.participant(consultation, swiss, 1, actor=focal_ch)
    person = factories.participant(consultation, swiss, 2, speaker=False, actor=focal_ch)
    request = services.request_extra_speaker(
        person, meeting=factories.under_way(factories.meeting(consultation, 1)), actor=focal_ch
    )
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert refused.value.code == "speaker_capacity"
    assert ExtraSpeakerRequest.objects.get(pk=request.pk).status == "requested"


def test_withdrawing_frees_the_place_and_the_link(consultation, swiss, focal_ch):
    person = factories.participant(consultation, swiss, 1, speaker=False, actor=focal_ch)
    token = services.send_link(person, actor=focal_ch)
    services.designate_speaker(person, actor=focal_ch)
    services.withdraw(person, actor=focal_ch)
    swiss.refresh_from_db()
    capacity = Capacity.objects.get(consultation=consultation)
    assert (swiss.speakers, capacity.speakers, capacity.viewers) == (0, 0, 0)
    with pytest.raises(DomainError):
        services.resolve_link(token)


# --- pages -----------------------------------------------------------------------------------


def test_register_page_says_when_registration_opened_and_closed(client, consultation):
    html = client.get("/fr/c/vcc-2/register/").content.decode()
    assert 'role="status"' in html  # VCC-2 is in the past: closed
    assert "<form" not in html.split('id="main"')[1].split("</main>")[0].replace(
        'action="/i18n/setlang/"', ""
    )


def test_register_page_form_when_open(client, consultation):
    factories.open_registration(consultation)
    response = client.post(
        "/en/c/vcc-2/register/",
        {
            "name": "Ana",
            "email": "ana@example.org",
            "delegation": "state:ES",
            "function": "Counsellor",
            "language": "es",
        },
    )
    assert response.status_code == 200
    participant = Participant.objects.get(email="ana@example.org")
    assert (participant.delegation.state.iso2, participant.language, participant.status) == (
        "ES",
        "es",
        "pending",
    )
    bad = client.post(
        "/en/c/vcc-2/register/",
        {"name": "X", "email": "x@example.org", "delegation": "state:ZZ", "language": "en"},
    )
    assert bad.status_code == 200
    assert not Participant.objects.filter(email="x@example.org").exists()


def test_focal_point_page_approves_and_names_speakers(client, consultation, swiss, focal_ch):
    person = factories.registered(consultation, swiss, 1)
    client.force_login(focal_ch)
    page = client.get("/en/c/vcc-2/delegation/").content.decode()
    assert f'id="participant-{person.pk}"' in page
    client.post(f"/en/c/vcc-2/delegation/participants/{person.pk}/", {"action": "approve"})
    client.post(f"/en/c/vcc-2/delegation/participants/{person.pk}/", {"action": "speaker"})
    person.refresh_from_db()
    assert person.is_speaker


def test_dashboard_and_exports_for_the_secretariat(
    client, consultation, swiss, focal_ch, secretariat_user
):
    factories.participant(consultation, swiss, 1, actor=focal_ch)
    factories.participant(consultation, swiss, 2, speaker=False, actor=focal_ch)
    client.force_login(secretariat_user)
    html = client.get("/en/c/vcc-2/registration/").content.decode()
    assert "1 / 300" in html and "1 / 2000" in html
    csv_text = client.get("/en/c/vcc-2/registration/participants.csv").content.decode("utf-8-sig")
    assert csv_text.count("\n") == 3
    assert "Switzerland" in csv_text
    speakers = client.get("/en/c/vcc-2/registration/speakers.txt").content.decode()
    assert "CH 1" in speakers and "CH 2" not in speakers
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(
        BytesIO(client.get("/en/c/vcc-2/registration/participants.xlsx").content)
    ).active
    assert sheet.max_row == 3
    client.force_login(focal_ch)
    assert client.get("/en/c/vcc-2/registration/").status_code == 403


# --- concurrency -----------------------------------------------------------------------------


def _in_threads(function, arguments, workers=20):
    results = []
    lock = threading.Lock()

    def run(argument):
        try:
            outcome = function(argument)
        except DomainError as refusal:
            outcome = refusal.code
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for start in range(0, len(threads), workers):
        batch = threads[start : start + workers]
        for thread in batch:
            thread.start()
        for thread in batch:
            thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_designations_never_pass_the_delegation_quota(vcc2, swiss, focal_ch):
    consultation = vcc2.consultation
    people = [
        factories.participant(consultation, swiss, n, speaker=False, actor=focal_ch)
        for n in range(40)
    ]
    results = _in_threads(lambda person: services.designate_speaker(person, actor=focal_ch), people)
    assert sum(isinstance(r, Participant) for r in results) == 3
    assert results.count("speaker_quota") == 37
    swiss.refresh_from_db()
    assert (
        swiss.speakers == 3 == Participant.objects.filter(delegation=swiss, role="speaker").count()
    )


def test_a_refused_fourth_speaker_is_recorded(consultation, swiss, focal_ch):
    people = [
        factories.participant(consultation, swiss, n, speaker=False, actor=focal_ch)
        for n in range(4)
    ]
    for person in people[:3]:
        services.designate_speaker(person, actor=focal_ch)
    with pytest.raises(DomainError):
        services.designate_speaker(people[3], actor=focal_ch)
    refusal = AuditEvent.objects.filter(action="registration.refused").get()
    assert refusal.data == {"action": "designate_speaker", "why": "speaker_quota"}
