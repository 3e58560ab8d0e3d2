"""Points of order that interrupt a speech, the right of reply, speaking time per category
and the totals of speaking time, through the floor's services, page, socket and API."""

import asyncio
import datetime
import json
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import queries, services, snapshot
from plenary.floor.models import FloorRequest
from plenary.registration import services as registration
from plenary.setup import services as setup
from tests import factories

from .test_floor import _answer, _connect, _session_cookie


@pytest.fixture
def meeting_on_item(consultation, chair):
    factories.on_the_floor(consultation, "1.2", actor=chair)
    return consultation


def _spoken_for(request_pk: int, seconds: int) -> None:
    """The part under way of a speech began `seconds` ago (instead of waiting for it)."""
    request = FloorRequest.objects.get(pk=request_pk)
    FloorRequest.objects.filter(pk=request_pk).update(
        resumed_at=request.resumed_at - datetime.timedelta(seconds=seconds)
    )


def test_a_delegation_in_the_list_raises_a_point_of_order_and_it_goes_to_the_top(
    meeting_on_item,
):
    consultation = meeting_on_item
    switzerland = factories.participant(consultation, "CH")
    belgium = factories.participant(consultation, "BE")
    services.ask_for_floor(switzerland)
    services.ask_for_floor(belgium)
    point = services.ask_for_floor(belgium, kind="point_of_order")
    floor = services.floor_of(consultation)
    assert [(r.delegation.state.iso2, r.kind) for r in queries.waiting_queue(floor)] == [
        ("BE", "point_of_order"),
        ("CH", "speak"),
        ("BE", "speak"),
    ]
    with pytest.raises(DomainError) as refused:  # one point of order at a time
        services.ask_for_floor(belgium, kind="point_of_order")
    assert refused.value.code == "already_waiting"
    assert point.status == "waiting"


def test_a_point_of_order_interrupts_the_speech_which_resumes_with_its_remaining_time(
    meeting_on_item, chair
):
    consultation = meeting_on_item
    switzerland = factories.participant(consultation, "CH")
    belgium = factories.participant(consultation, "BE")
    speech = services.ask_for_floor(switzerland)
    services.give_floor(consultation, actor=chair)
    speech.refresh_from_db()
    assert speech.allowed_seconds == 180  # a Council Member State: 3 minutes
    _spoken_for(speech.pk, 100)
    point = services.ask_for_floor(belgium, kind="point_of_order")
    with pytest.raises(DomainError) as refused:  # a statement does not interrupt
        services.give_floor(
            consultation,
            services.ask_for_floor(factories.participant(consultation, "FR")),
            actor=chair,
        )
    assert refused.value.code == "speech_running"

    floor = services.give_floor(consultation, point, actor=chair)
    speech.refresh_from_db()
    assert (floor.speaking_id, floor.interrupted_id) == (point.pk, speech.pk)
    assert speech.status == "interrupted" and speech.resumed_at is None
    assert 100 <= speech.used_seconds < 105
    data = snapshot.build(consultation.pk)
    assert data["speaking"]["k"] == "point_of_order"
    assert data["speaking"]["left"] == 120  # an observer's point of order: 2 minutes
    assert data["interrupted"]["r"] == speech.pk and 75 < data["interrupted"]["left"] <= 80
    assert data["interrupted"]["since"] is None
    _spoken_for(point.pk, 40)

    floor = services.end_speech(consultation, actor=chair)
    speech.refresh_from_db()
    assert (floor.speaking_id, floor.interrupted_id) == (speech.pk, None)
    assert speech.status == "speaking"
    assert 75 < snapshot.build(consultation.pk)["speaking"]["left"] <= 80  # not 180, not 40 less
    _spoken_for(speech.pk, 20)
    services.end_speech(consultation, actor=chair)

    totals = queries.speaking_totals(consultation, floor.item)
    speech.refresh_from_db()
    point.refresh_from_db()
    assert 120 <= totals.by_delegation[switzerland.delegation_id] < 126  # 100 + 20
    assert 40 <= totals.by_delegation[belgium.delegation_id] < 43
    assert totals.by_category == {
        "council": totals.by_delegation[switzerland.delegation_id],
        "observer": totals.by_delegation[belgium.delegation_id],
    }
    assert totals.total == pytest.approx(speech.used_seconds + point.used_seconds)
    assert AuditEvent.objects.filter(action="floor.speech_ended", data__resumed=speech.pk).exists()


def test_a_point_of_order_does_not_interrupt_another(meeting_on_item, chair):
    consultation = meeting_on_item
    services.ask_for_floor(factories.participant(consultation, "CH"), kind="point_of_order")
    services.give_floor(consultation, actor=chair)
    second = services.ask_for_floor(
        factories.participant(consultation, "BE"), kind="point_of_order"
    )
    with pytest.raises(DomainError) as refused:
        services.give_floor(consultation, second, actor=chair)
    assert refused.value.code == "speech_running"


def test_a_point_of_order_from_a_viewer_is_refused_in_their_language_and_audited(
    meeting_on_item,
):
    viewer = factories.participant(meeting_on_item, "CH", speaker=False)
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(viewer, kind="point_of_order")
    assert refused.value.code == "not_speaker"
    with translation.override("fr"):
        assert "orateur" in refused.value.user_message()
    assert not FloorRequest.objects.exists()
    assert AuditEvent.objects.filter(action="floor.refused", data__why="not_speaker").exists()


def test_the_right_of_reply_is_heard_after_the_list_once_the_chair_grants_it(
    meeting_on_item, chair
):
    consultation = meeting_on_item
    switzerland = factories.participant(consultation, "CH")
    belgium = factories.participant(consultation, "BE")
    reply = services.ask_for_floor(switzerland, kind="reply")
    services.ask_for_floor(belgium)
    floor = services.floor_of(consultation)
    assert [r.kind for r in queries.waiting_queue(floor)] == ["speak"]
    assert queries.replies_asked(floor) == [reply]
    assert snapshot.build(consultation.pk)["replies"] == [switzerland.delegation_id]
    version = floor.version

    with pytest.raises(DomainError) as refused:
        services.give_floor(consultation, reply, actor=chair)
    assert refused.value.code == "reply_not_granted"
    reply.refresh_from_db()
    assert reply.status == "waiting"
    assert services.floor_of(consultation).version == version  # nothing changed
    assert AuditEvent.objects.filter(action="floor.refused", data__why="reply_not_granted").exists()

    services.run_chair_action(consultation, "grant", {"request": reply.pk}, actor=chair)
    assert [r.kind for r in queries.waiting_queue(floor)] == ["speak", "reply"]
    services.give_floor(consultation, actor=chair)  # Belgium's statement first
    services.end_speech(consultation, actor=chair)
    floor = services.give_floor(consultation, actor=chair)
    assert floor.speaking_id == reply.pk


def test_the_right_of_reply_is_a_setting(meeting_on_item):
    consultation = meeting_on_item
    consultation.right_of_reply = False
    consultation.save()
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(factories.participant(consultation, "CH"), kind="reply")
    assert refused.value.code == "reply_not_allowed"


def test_the_speaking_time_is_the_categorys_setting_and_the_chair_extends_one_speech(
    meeting_on_item, chair
):
    consultation = meeting_on_item
    setup.update_settings(
        consultation,
        {"speaking_seconds_council": 240, "speaking_seconds_observer": 90},
        actor=factories.secretariat(),
    )
    observer = services.ask_for_floor(factories.participant(consultation, "BE"))
    services.give_floor(consultation, actor=chair)
    observer.refresh_from_db()
    assert observer.allowed_seconds == 90
    with pytest.raises(DomainError) as refused:
        services.run_chair_action(
            consultation, "extend", {"seconds": 60}, actor=factories.focal_point("CH")
        )
    assert refused.value.code == "not_chair"
    observer.refresh_from_db()
    assert observer.extra_seconds == 0
    assert AuditEvent.objects.filter(action="floor.refused", data__why="not_chair").exists()
    with pytest.raises(DomainError) as refused:
        services.extend_speech(consultation, 0, actor=chair)
    assert refused.value.code == "bad_seconds"
    services.extend_speech(consultation, 60, actor=chair)
    assert snapshot.build(consultation.pk)["speaking"]["left"] == 150
    services.end_speech(consultation, actor=chair)
    council = services.ask_for_floor(factories.participant(consultation, "FR"))
    services.give_floor(consultation, actor=chair)
    council.refresh_from_db()
    assert (council.allowed_seconds, council.extra_seconds) == (240, 0)  # one speech only


@pytest.mark.parametrize("seconds", [0, 24 * 3600])
def test_a_speaking_time_of_zero_or_of_a_day_is_refused_and_audited(consultation, seconds):
    with translation.override("fr"), pytest.raises(DomainError) as refused:
        setup.update_settings(
            consultation, {"speaking_seconds_observer": seconds}, actor=factories.secretariat()
        )
    assert "Saisissez un nombre compris entre 15 et 3600" in refused.value.user_message()
    assert refused.value.code == "invalid_settings"
    with translation.override("fr"):
        assert "15" in refused.value.user_message() and "Enter" not in refused.value.user_message()
    assert "speaking_seconds_observer" in refused.value.details
    consultation.refresh_from_db()
    assert consultation.speaking_seconds_observer == 120
    assert AuditEvent.objects.filter(
        action="consultation.settings_refused", data__settings=["speaking_seconds_observer"]
    ).exists()


def test_the_console_shows_the_interruption_the_replies_and_the_totals(
    client, meeting_on_item, chair
):
    consultation = meeting_on_item
    speech = services.ask_for_floor(factories.participant(consultation, "CH"))
    services.give_floor(consultation, actor=chair)
    _spoken_for(speech.pk, 30)
    belgium = factories.participant(consultation, "BE")
    services.ask_for_floor(belgium, kind="point_of_order")
    services.ask_for_floor(factories.participant(consultation, "FR"), kind="reply")
    client.force_login(chair)
    html = client.get("/en/c/vcc-2/console/").content.decode()
    assert "Interrupt for the point of order" in html
    assert "Grant the right of reply" in html
    client.post(
        "/en/c/vcc-2/console/action/", {"action": "give", "request": belgium_point(belgium)}
    )
    html = client.get("/en/c/vcc-2/console/").content.decode()
    assert 'id="console-interrupted"' in html
    assert "End the point of order and resume the speech" in html
    assert 'id="speaking-totals"' in html
    assert re.search(r'<td class="font-monospace">0:3[0-3]</td>', html)  # Switzerland's 30 s


def belgium_point(participant) -> int:
    return FloorRequest.objects.get(delegation=participant.delegation, kind="point_of_order").pk


@pytest.mark.django_db(transaction=True)
def test_a_speaker_in_the_list_raises_a_point_of_order_over_the_socket(client, vcc2, chair):
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    services.ask_for_floor(speaker)
    cookie = _session_cookie(client.__class__(), token=registration.send_link(speaker, actor=chair))

    async def scenario():
        socket, connected = await _connect(cookie)
        assert connected
        await socket.receive_from()
        await socket.send_to(text_data=json.dumps({"op": "point_of_order"}))
        assert (await _answer(socket, "done"))["op"] == "point_of_order"
        await socket.send_to(text_data=json.dumps({"op": "reply"}))
        assert (await _answer(socket, "done"))["op"] == "reply"
        await socket.disconnect()

    asyncio.run(scenario())
    kinds = sorted(FloorRequest.objects.filter(status="waiting").values_list("kind", flat=True))
    assert kinds == ["point_of_order", "reply", "speak"]


def test_the_api_extends_grants_and_asks_for_the_right_of_reply(client, meeting_on_item, chair):
    consultation = meeting_on_item
    speaker = factories.participant(consultation, "CH")
    reply = services.ask_for_floor(speaker, kind="reply")
    client.force_login(chair)
    granted = client.post(
        f"/api/v1/consultations/vcc-2/floor/requests/{reply.pk}/grant",
        content_type="application/json",
    )
    assert granted.status_code == 200 and granted.json()["granted"] is True
    client.post("/api/v1/consultations/vcc-2/floor/give", {}, content_type="application/json")
    extended = client.post(
        "/api/v1/consultations/vcc-2/floor/extend",
        {"seconds": 30},
        content_type="application/json",
    )
    assert extended.status_code == 200
    reply.refresh_from_db()
    assert reply.extra_seconds == 30
    refused = client.post(
        "/api/v1/consultations/vcc-2/floor/extend",
        {"seconds": 86400},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "bad_seconds"


@pytest.mark.django_db(transaction=True)
def test_a_refusal_over_the_socket_reads_in_the_language_of_the_page(client, vcc2, chair):
    """The console in Russian opens its socket with ?lang=ru: the chair's refusals come back
    in Russian whatever the account's own language; an unknown language is ignored."""
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    services.ask_for_floor(factories.participant(consultation, "CH"))
    services.give_floor(consultation, actor=chair)
    cookie = _session_cookie(client.__class__(), user=chair)
    base = "/ws/consultations/vcc-2/floor/"

    async def refusal(query):
        socket, connected = await _connect(cookie, base + query)
        assert connected
        await socket.receive_from()
        await socket.send_to(
            text_data=json.dumps({"op": "chair", "action": "extend", "seconds": 0})
        )
        answer = await _answer(socket, "refused")
        await socket.disconnect()
        return answer

    russian = asyncio.run(refusal("?lang=ru"))
    assert russian["code"] == "bad_seconds"
    with translation.override("ru"):
        assert russian["message"] == str(_("Give a speaking time between 15 seconds and one hour."))
    assert russian["message"] != "Give a speaking time between 15 seconds and one hour."
    unknown = asyncio.run(refusal("?lang=xx"))
    with translation.override(chair.language or "en"):
        assert unknown["message"] == str(_("Give a speaking time between 15 seconds and one hour."))
