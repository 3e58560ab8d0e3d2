"""Extra speakers (R12): for one meeting or one agenda item, at most the consultation's number
per delegation, and within the platform's speakers counted per meeting — the named
speakers and the grants already given — whatever designation or grant comes next."""

import datetime

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.planning.models import ItemProgress
from plenary.registration import services
from plenary.registration.models import Capacity, Delegation, ExtraSpeakerRequest, Participant
from tests import factories
from tests.threads import run_together

DAY = datetime.timedelta(days=1)


@pytest.fixture
def swiss(consultation):
    return factories.delegation(consultation, "CH")


@pytest.fixture
def meetings(consultation):
    """Meeting 1 under way, meeting 2 tomorrow; the others (in 2020) are over."""
    first = factories.under_way(factories.meeting(consultation, 1))
    second = factories.under_way(factories.meeting(consultation, 2), since=-DAY, until=DAY * 1.1)
    return first, second


def _viewer(consultation, who, n):
    return factories.participant(consultation, who, n, speaker=False)


def _granted(person, *, meeting=None, item=None, focal=None, secretariat=None):
    # The delegation's focal point, or for the delegations without one the secretariat.
    focal = focal or factories.secretariat()
    request = services.request_extra_speaker(person, meeting=meeting, item=item, actor=focal)
    return services.decide_extra_speaker(
        request, grant=True, actor=secretariat or factories.secretariat()
    )


def _refusals(action):
    return AuditEvent.objects.filter(action="registration.refused", data__action=action)


# --- the consultation's number per request (extra_speakers_per_request) ------------------------


def test_one_extra_speaker_per_delegation_and_meeting_as_the_letter_says(
    consultation, swiss, meetings, focal_ch
):
    first, second = meetings
    one, two = _viewer(consultation, swiss, 1), _viewer(consultation, swiss, 2)
    services.request_extra_speaker(one, meeting=first, actor=focal_ch)
    with pytest.raises(DomainError) as refused:
        services.request_extra_speaker(two, meeting=first, actor=focal_ch)
    assert refused.value.code == "extra_speaker_limit"
    assert "at most 1 extra speaker" in refused.value.user_message()
    assert ExtraSpeakerRequest.objects.filter(delegation=swiss).count() == 1
    assert _refusals("request_extra_speaker").get().data["why"] == "extra_speaker_limit"
    # Another meeting, or another delegation for the same meeting: a request of its own.
    services.request_extra_speaker(two, meeting=second, actor=focal_ch)
    french = _viewer(consultation, "FR", 1)
    services.request_extra_speaker(french, meeting=first, actor=factories.secretariat())


def test_the_setting_is_read_two_then_none(consultation, swiss, meetings, focal_ch):
    first, _second = meetings
    people = [_viewer(consultation, swiss, n) for n in range(1, 4)]
    consultation.extra_speakers_per_request = 2
    consultation.save(update_fields=["extra_speakers_per_request"])
    for person in people[:2]:
        _granted(person, meeting=first, focal=focal_ch)
    with pytest.raises(DomainError) as refused:
        services.request_extra_speaker(people[2], meeting=first, actor=focal_ch)
    assert refused.value.code == "extra_speaker_limit"
    consultation.extra_speakers_per_request = 0
    consultation.save(update_fields=["extra_speakers_per_request"])
    item = factories.item(consultation, "1.2")
    with pytest.raises(DomainError) as refused:
        services.request_extra_speaker(people[2], item=item, actor=focal_ch)
    assert refused.value.code == "extra_speaker_limit"


def test_a_grant_past_the_setting_is_refused_even_for_requests_made_before_it_changed(
    consultation, swiss, meetings, focal_ch, secretariat_user
):
    first, _second = meetings
    consultation.extra_speakers_per_request = 2
    consultation.save(update_fields=["extra_speakers_per_request"])
    one, two = (
        services.request_extra_speaker(
            _viewer(consultation, swiss, n), meeting=first, actor=focal_ch
        )
        for n in (1, 2)
    )
    services.decide_extra_speaker(one, grant=True, actor=secretariat_user)
    consultation.extra_speakers_per_request = 1
    consultation.save(update_fields=["extra_speakers_per_request"])
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(two, grant=True, actor=secretariat_user)
    assert refused.value.code == "extra_speaker_limit"
    assert ExtraSpeakerRequest.objects.get(pk=two.pk).status == "requested"
    assert _refusals("grant_extra_speaker").get().data["why"] == "extra_speaker_limit"


# --- capacity, counted per meeting --------------------------------------------------------------


def test_a_meeting_full_with_a_grant_refuses_the_next_designation_and_grant(
    consultation, swiss, meetings, focal_ch, secretariat_user
):
    first, second = meetings
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=3)
    for n in (1, 2):
        factories.participant(consultation, swiss, n, actor=focal_ch)  # named speakers
    extra = _viewer(consultation, "FR", 1)
    _granted(extra, meeting=first)
    assert services.speakers_by_meeting(consultation) == {first.pk: 3, second.pk: 2}
    # A third named speaker would make meeting 1 hold 4: refused, and nothing changed.
    third = _viewer(consultation, swiss, 3)
    with pytest.raises(DomainError) as refused:
        services.designate_speaker(third, actor=focal_ch)
    assert refused.value.code == "speaker_capacity"
    assert "Meeting 1" in refused.value.user_message()
    third.refresh_from_db()
    swiss.refresh_from_db()
    capacity = Capacity.objects.get(consultation=consultation)
    assert (third.role, swiss.speakers, capacity.speakers) == ("viewer", 2, 2)
    assert _refusals("designate_speaker").get().data["why"] == "speaker_capacity"
    # Another grant for meeting 1 is refused; one for meeting 2 has its place.
    german = _viewer(consultation, "DE", 1)
    request = services.request_extra_speaker(german, meeting=first, actor=factories.secretariat())
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert refused.value.code == "speaker_capacity"
    assert ExtraSpeakerRequest.objects.get(pk=request.pk).status == "requested"
    _granted(german, meeting=second)
    assert services.speakers_by_meeting(consultation) == {first.pk: 3, second.pk: 3}


def test_the_dashboard_shows_the_speakers_of_each_meeting_ahead_against_the_capacity(
    client, consultation, swiss, meetings, focal_ch, secretariat_user
):
    first, _second = meetings
    factories.participant(consultation, swiss, 1, actor=focal_ch)
    _granted(_viewer(consultation, "FR", 1), meeting=first)
    client.force_login(secretariat_user)
    page = client.get("/en/c/vcc-2/registration/").content.decode()
    line = page.split('id="meeting-speakers"')[1].split("</p>")[0]
    assert "Meeting 1: 2 / 300" in line and "Meeting 2: 1 / 300" in line
    assert "Meeting 3" not in line  # over


def test_an_item_grant_holds_a_place_in_every_meeting_that_may_take_the_item_up(
    consultation, swiss, meetings, focal_ch, secretariat_user
):
    first, second = meetings
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=2)
    factories.participant(consultation, swiss, 1, actor=focal_ch)
    other = factories.item(consultation, "1.3")
    _granted(_viewer(consultation, "IT", 1), item=other)
    assert services.speakers_by_meeting(consultation) == {first.pk: 2, second.pk: 2}
    french = services.request_extra_speaker(
        _viewer(consultation, "FR", 1), meeting=second, actor=secretariat_user
    )
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(french, grant=True, actor=secretariat_user)
    assert refused.value.code == "speaker_capacity"
    # Once its item is concluded, a grant for it holds no place anywhere.
    ItemProgress.objects.create(
        item=other, started_at=first.starts_at, ended_at=first.starts_at + DAY / 24
    )
    assert services.speakers_by_meeting(consultation) == {first.pk: 1, second.pk: 1}
    services.decide_extra_speaker(french, grant=True, actor=secretariat_user)
    # Meeting 2 is full now: an item grant is refused, the plan may move its item there.
    request = services.request_extra_speaker(
        _viewer(consultation, "DE", 1),
        item=factories.item(consultation, "1.2"),
        actor=secretariat_user,
    )
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert refused.value.code == "speaker_capacity"
    assert "Meeting 2" in refused.value.user_message()


def test_the_capacity_setting_cannot_go_below_a_meeting_already_planned_with_its_grants(
    consultation, swiss, meetings, focal_ch, secretariat_user
):
    from plenary.setup import services as setup

    first, _second = meetings
    for n in (1, 2, 3):
        factories.participant(consultation, swiss, n, actor=focal_ch)
    _granted(_viewer(consultation, "FR", 1), meeting=first)
    with pytest.raises(DomainError) as refused:
        setup.update_settings(
            consultation, {"speaker_capacity": 3}, actor=secretariat_user, reason="Smaller room"
        )
    assert refused.value.code == "settings_blocked"
    assert "4 people may already speak at one meeting ahead" in refused.value.user_message()
    assert Capacity.objects.get(consultation=consultation).speaker_limit == 300


@pytest.mark.django_db(transaction=True)
def test_a_designation_and_grants_at_the_same_moment_take_the_last_place_once(vcc2):
    consultation = vcc2.consultation
    first = factories.under_way(factories.meeting(consultation, 1))
    focal, secretariat = factories.focal_point("CH"), factories.secretariat()
    swiss = factories.delegation(consultation, "CH")
    factories.participant(consultation, swiss, 1, actor=focal)
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=2)
    candidate = _viewer(consultation, swiss, 2)
    requests = [
        services.request_extra_speaker(
            _viewer(consultation, iso2, 1), meeting=first, actor=factories.secretariat()
        )
        for iso2 in ("FR", "DE", "IT", "EG")
    ]
    calls = [lambda: services.designate_speaker(candidate, actor=focal)] + [
        (lambda r=r: services.decide_extra_speaker(r, grant=True, actor=secretariat))
        for r in requests
    ]
    results = run_together(calls)
    taken = [r for r in results if not isinstance(r, Exception)]
    assert len(taken) == 1, results
    assert all(r.code == "speaker_capacity" for r in results if isinstance(r, DomainError))
    assert services.speakers_by_meeting(consultation)[first.pk] == 2


# --- bad input: a meeting already over ----------------------------------------------------------


def test_an_extra_speaker_for_a_meeting_already_over_is_refused_in_the_users_language(
    consultation, swiss, focal_ch
):
    over = factories.meeting(consultation, 3)  # 18 November 2020
    person = _viewer(consultation, swiss, 1)
    with pytest.raises(DomainError) as refused:
        services.request_extra_speaker(person, meeting=over, actor=focal_ch)
    assert refused.value.code == "meeting_over"
    with translation.override("fr"):
        # The message is the catalogue's, read in the reader's language when it is shown.
        assert refused.value.user_message() == _(
            "This meeting is already over: no extra speaker can be granted for it."
        )
    assert not ExtraSpeakerRequest.objects.filter(participant=person).exists()
    assert _refusals("request_extra_speaker").get().data["why"] == "meeting_over"


def test_a_request_whose_meeting_ended_before_the_decision_cannot_be_granted(
    consultation, swiss, meetings, focal_ch, secretariat_user
):
    first, _second = meetings
    person = _viewer(consultation, swiss, 1)
    request = services.request_extra_speaker(person, meeting=first, actor=focal_ch)
    factories.under_way(first, since=DAY / 4, until=-DAY / 8)  # it has just ended
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert refused.value.code == "meeting_over"
    assert ExtraSpeakerRequest.objects.get(pk=request.pk).status == "requested"
    assert _refusals("grant_extra_speaker").get().data["why"] == "meeting_over"
    # Refusing it is still possible.
    services.decide_extra_speaker(request, grant=False, actor=secretariat_user)


def test_the_focal_points_page_refuses_a_meeting_over_with_a_message_and_offers_only_those_ahead(
    client, consultation, swiss, meetings, focal_ch
):
    first, _second = meetings
    over = factories.meeting(consultation, 3)
    person = _viewer(consultation, swiss, 1)
    client.force_login(focal_ch)
    page = client.get("/fr/c/vcc-2/delegation/").content.decode()
    assert f'value="meeting:{first.pk}"' in page and f'value="meeting:{over.pk}"' not in page
    before = ExtraSpeakerRequest.objects.count()
    response = client.post(
        "/fr/c/vcc-2/delegation/extra-speaker/",
        {"participant": person.pk, "target": f"meeting:{over.pk}"},
        follow=True,
    )
    with translation.override("fr"):
        said = _("This meeting is already over: no extra speaker can be granted for it.")
    assert said.replace(":", "") in response.content.decode().replace(":", "")
    assert ExtraSpeakerRequest.objects.count() == before
    assert _refusals("request_extra_speaker").get().data["why"] == "meeting_over"


def test_an_item_already_concluded_is_refused(consultation, swiss, meetings, focal_ch):
    item = factories.item(consultation, "1.2")
    first, _second = meetings
    ItemProgress.objects.create(item=item, started_at=first.starts_at, ended_at=first.starts_at)
    with pytest.raises(DomainError) as refused:
        services.request_extra_speaker(_viewer(consultation, swiss, 1), item=item, actor=focal_ch)
    assert refused.value.code == "item_over"


def test_only_the_secretariat_decides_and_the_attempt_is_recorded(
    consultation, swiss, meetings, focal_ch
):
    first, _second = meetings
    request = services.request_extra_speaker(
        _viewer(consultation, swiss, 1), meeting=first, actor=focal_ch
    )
    with pytest.raises(DomainError) as refused:
        services.decide_extra_speaker(request, grant=True, actor=focal_ch)
    assert refused.value.code == "not_secretariat"
    assert _refusals("decide_extra_speaker").get().data["why"] == "not_secretariat"
    assert Delegation.objects.get(pk=swiss.pk).speakers == 0
    assert Participant.objects.get(pk=request.participant_id).role == "viewer"


# --- the same through the API -------------------------------------------------------------------


def test_the_api_refuses_a_meeting_over_and_a_full_meeting_with_their_codes(
    client, consultation, swiss, meetings, focal_ch, secretariat_user
):
    from tests.api.conftest import activate_totp, bearer, user_token

    first, _second = meetings
    focal = bearer(user_token(activate_totp(focal_ch)))
    secretariat = bearer(user_token(activate_totp(secretariat_user)))
    person = _viewer(consultation, swiss, 1)
    path = "/api/v1/consultations/vcc-2/extra-speakers"
    over = factories.meeting(consultation, 4)
    answer = client.post(
        path,
        {"participant": person.pk, "meeting": over.pk},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
        **focal,
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "meeting_over")
    with translation.override("fr"):
        said = _("This meeting is already over: no extra speaker can be granted for it.")
    assert answer.json()["detail"] == said
    assert not ExtraSpeakerRequest.objects.filter(participant=person).exists()
    answer = client.post(
        path,
        {"participant": person.pk, "meeting": first.pk},
        content_type="application/json",
        **focal,
    )
    assert answer.status_code == 201
    Capacity.objects.filter(consultation=consultation).update(speaker_limit=0)
    answer = client.post(
        f"{path}/{answer.json()['id']}/decision",
        {"grant": True},
        content_type="application/json",
        **secretariat,
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "speaker_capacity")
    assert ExtraSpeakerRequest.objects.get(participant=person).status == "requested"
