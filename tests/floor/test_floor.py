"""The live floor: chair actions, requests for the floor, snapshots, the WebSocket
(R2, R12, R20, R21)."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import services, snapshot
from plenary.floor.models import FloorRequest
from plenary.registration import services as registration
from tests import factories


@pytest.fixture
def meeting_on_item(consultation, chair):
    """Meeting 1 open, item 1.2 taken up."""
    factories.on_the_floor(consultation, "1.2", actor=chair)
    return consultation


def test_council_member_state_goes_before_an_observer_that_asked_first(meeting_on_item, chair):
    consultation = meeting_on_item
    observer = factories.participant(consultation, "BE")
    council = factories.participant(consultation, "CH")
    services.ask_for_floor(observer)
    services.ask_for_floor(council)
    floor = services.floor_of(consultation)
    assert [r.delegation.state.iso2 for r in services.waiting_queue(floor)] == ["CH", "BE"]
    services.give_floor(consultation, actor=chair)
    floor.refresh_from_db()
    assert floor.speaking.delegation.state.iso2 == "CH"


def test_viewer_cannot_ask_for_the_floor(meeting_on_item):
    viewer = factories.participant(meeting_on_item, "CH", speaker=False)
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(viewer)
    assert refused.value.code == "not_speaker"
    assert AuditEvent.objects.filter(action="floor.refused").exists()


def test_extra_speaker_grant_allows_asking_for_that_meeting_only(meeting_on_item, chair):
    consultation = meeting_on_item
    viewer = factories.participant(consultation, "CH", speaker=False)
    meeting = factories.under_way(factories.meeting(consultation, 1))
    request = registration.request_extra_speaker(
        viewer, meeting=meeting, actor=factories.focal_point("CH")
    )
    registration.decide_extra_speaker(request, grant=True, actor=factories.secretariat())
    assert services.ask_for_floor(viewer).status == "waiting"


def test_one_waiting_request_per_delegation_and_item(meeting_on_item):
    consultation = meeting_on_item
    first = factories.participant(consultation, "CH", 1)
    second = factories.participant(consultation, "CH", 2)
    services.ask_for_floor(first)
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(second)
    assert refused.value.code == "already_waiting"


def test_observer_speaks_once_per_item(meeting_on_item, chair):
    consultation = meeting_on_item
    observer = factories.participant(consultation, "BE")
    services.ask_for_floor(observer)
    services.give_floor(consultation, actor=chair)
    services.end_speech(consultation, actor=chair)
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(observer)
    assert refused.value.code == "once_per_item"
    council = factories.participant(consultation, "CH")
    services.ask_for_floor(council)
    services.give_floor(consultation, actor=chair)
    services.end_speech(consultation, actor=chair)
    assert (
        services.ask_for_floor(council).status == "waiting"
    )  # Council Member States may come back


def test_point_of_order_goes_to_the_top_even_when_the_list_is_closed(meeting_on_item, chair):
    consultation = meeting_on_item
    swiss = factories.participant(consultation, "CH")
    belgian = factories.participant(consultation, "BE")
    services.ask_for_floor(swiss)
    services.set_list_open(consultation, False, actor=chair)
    with pytest.raises(DomainError):
        services.ask_for_floor(factories.participant(consultation, "FR"))
    services.ask_for_floor(belgian, kind="point_of_order")
    assert [r.kind for r in services.waiting_queue(services.floor_of(consultation))] == [
        "point_of_order",
        "speak",
    ]


def test_a_member_state_without_contribution_may_speak(meeting_on_item):
    from plenary.contributions.models import Contribution

    assert not Contribution.objects.exists()
    assert (
        services.ask_for_floor(factories.participant(meeting_on_item, "KE")).status == "waiting"
    )  # R20


def test_group_3_item_cannot_be_taken_up(consultation, chair):
    with pytest.raises(DomainError):
        services.set_item(consultation, factories.item(consultation, "3.1"), actor=chair)


def test_only_the_chair_runs_the_meeting(consultation):
    delegate = factories.delegate("CN")
    with pytest.raises(DomainError) as refused:
        services.set_item(consultation, factories.item(consultation, "1.1"), actor=delegate)
    assert refused.value.code == "not_chair"


def test_each_change_raises_the_version_and_is_audited(meeting_on_item, chair):
    consultation = meeting_on_item
    before = services.floor_of(consultation).version
    services.ask_for_floor(factories.participant(consultation, "CH"))
    services.give_floor(consultation, actor=chair)
    services.end_speech(consultation, actor=chair)
    assert services.floor_of(consultation).version == before + 3
    actions = set(
        AuditEvent.objects.filter(action__startswith="floor.").values_list("action", flat=True)
    )
    assert {
        "floor.floor_requested",
        "floor.floor_given",
        "floor.speech_ended",
        "floor.item_taken_up",
    } <= actions


def test_snapshot_is_small_and_language_neutral(meeting_on_item):
    consultation = meeting_on_item
    for iso2 in ["CH", "FR", "CN", "RU", "BR", "EG", "BE"]:
        services.ask_for_floor(factories.participant(consultation, iso2))
    text = snapshot.encode(snapshot.build(consultation.pk))
    data = json.loads(text)
    assert len(data["queue"]) == 7
    assert data["item"] == factories.item(consultation, "1.2").pk
    assert len(text.encode()) < 2048
    assert "Switzerland" not in text


def test_chair_console_and_live_page(client, meeting_on_item, chair):
    consultation = meeting_on_item
    speaker = factories.participant(consultation, "CH")
    client.force_login(chair)
    html = client.get("/en/c/vcc-2/console/").content.decode()
    assert "Chair" in html
    token = registration.send_link(speaker, actor=chair)
    other = client.__class__()
    other.get(f"/j/{token}")
    live = other.get("/en/c/vcc-2/live/")
    assert live.status_code == 200
    assert 'id="ask"' in live.content.decode()
    other.post("/en/c/vcc-2/live/ask/", {"op": "ask"})
    assert FloorRequest.objects.filter(participant=speaker, status="waiting").exists()
    client.post("/en/c/vcc-2/console/action/", {"action": "give"})
    assert FloorRequest.objects.get(participant=speaker).status == "speaking"


def test_viewer_live_page_has_no_button_and_anonymous_is_refused(client, meeting_on_item, chair):
    viewer = factories.participant(meeting_on_item, "CH", speaker=False)
    token = registration.send_link(viewer, actor=chair)
    client.get(f"/j/{token}")
    html = client.get("/en/c/vcc-2/live/").content.decode()
    assert 'id="ask"' not in html
    assert client.__class__().get("/en/c/vcc-2/live/").status_code == 403


# --- WebSocket -------------------------------------------------------------------------------


def _session_cookie(client, user=None, token=None):
    if user is not None:
        client.force_login(user)
    if token is not None:
        client.get(f"/j/{token}")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connect(cookie, path="/ws/consultations/vcc-2/floor/"):
    from plenary.asgi import application

    communicator = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"cookie", cookie),
            (b"origin", b"http://127.0.0.1:8000"),
            (b"host", b"127.0.0.1"),
        ],
    )
    connected, _code = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
def test_websocket_snapshot_on_connect_and_after_each_change(client, vcc2, chair):
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    viewer = factories.participant(consultation, "FR", speaker=False)
    speaker_cookie = _session_cookie(
        client.__class__(), token=registration.send_link(speaker, actor=chair)
    )
    viewer_cookie = _session_cookie(
        client.__class__(), token=registration.send_link(viewer, actor=chair)
    )

    async def scenario():
        speaking, ok1 = await _connect(speaker_cookie)
        watching, ok2 = await _connect(viewer_cookie)
        assert ok1 and ok2
        first = json.loads(await speaking.receive_from())
        assert first["type"] == "snapshot" and first["queue"] == []
        await watching.receive_from()
        await speaking.send_to(text_data=json.dumps({"op": "ask"}))
        update = json.loads(await watching.receive_from(timeout=5))
        assert [entry["d"] for entry in update["queue"]] == [speaker.delegation_id]
        assert update["v"] == first["v"] + 1
        await watching.send_to(text_data=json.dumps({"op": "ask"}))
        refused = json.loads(await watching.receive_from())
        assert (refused["type"], refused["code"]) == ("refused", "not_speaker")
        await watching.send_to(text_data="{not json")
        assert json.loads(await watching.receive_from())["code"] == "bad_message"
        await watching.send_to(
            text_data=json.dumps({"op": "sync", "v": 0, "c": "another-consultation"})
        )
        assert json.loads(await watching.receive_from())["code"] == "wrong_consultation"
        await watching.send_to(text_data=json.dumps({"op": "sync", "v": 0}))
        resync = json.loads(await watching.receive_from())
        assert resync["v"] == update["v"]
        await speaking.disconnect()
        await watching.disconnect()

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_websocket_refuses_strangers_and_floods(client, vcc2, chair):
    consultation = vcc2.consultation
    viewer = factories.participant(consultation, "FR", speaker=False)
    cookie = _session_cookie(client.__class__(), token=registration.send_link(viewer, actor=chair))

    async def scenario():
        _stranger, connected = await _connect(b"sessionid=forged")
        assert not connected
        flooding, connected = await _connect(cookie)
        assert connected
        await flooding.receive_from()
        for _ in range(8):
            await flooding.send_to(text_data=json.dumps({"op": "sync", "v": 10**9}))
        answers = []
        while not await flooding.receive_nothing(timeout=0.3):
            answers.append(json.loads(await flooding.receive_from()))
        assert any(a.get("code") == "rate_limited" for a in answers)
        await flooding.disconnect()

    asyncio.run(scenario())


def test_the_queue_rules_are_settings_of_the_consultation(meeting_on_item, chair):
    consultation = meeting_on_item
    consultation.queue_classes = [
        ["council", "observer", "palestine", "sector_member"]
    ]  # one class
    consultation.once_per_item = []
    consultation.save()
    observer = factories.participant(consultation, "BE")
    council = factories.participant(consultation, "CH")
    services.ask_for_floor(observer)
    services.ask_for_floor(council)
    floor = services.floor_of(consultation)
    assert [r.delegation.state.iso2 for r in services.waiting_queue(floor)] == [
        "BE",
        "CH",
    ]  # first come
    services.give_floor(consultation, actor=chair)
    services.end_speech(consultation, actor=chair)
    assert services.ask_for_floor(observer).status == "waiting"  # no once-per-item limit now


# --- The chair's console over its socket --------------------------------------------------------


async def _answer(communicator, kind):
    """The next message of a type, skipping the snapshots that arrive meanwhile."""
    while True:
        message = json.loads(await communicator.receive_from(timeout=5))
        if message["type"] == kind:
            return message


@pytest.mark.django_db(transaction=True)
def test_chair_gives_the_floor_over_the_socket_and_it_is_audited(client, vcc2, chair):
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    services.ask_for_floor(speaker)
    viewer = factories.participant(consultation, "FR", speaker=False)
    chair_cookie = _session_cookie(client.__class__(), user=chair)
    viewer_cookie = _session_cookie(
        client.__class__(), token=registration.send_link(viewer, actor=chair)
    )

    async def scenario():
        console, ok1 = await _connect(chair_cookie)
        watching, ok2 = await _connect(viewer_cookie)
        assert ok1 and ok2
        first = json.loads(await watching.receive_from())
        await console.send_to(text_data=json.dumps({"op": "chair", "action": "give"}))
        assert (await _answer(console, "done"))["action"] == "give"
        update = json.loads(await watching.receive_from(timeout=5))
        assert update["v"] == first["v"] + 1
        assert update["speaking"]["p"] == speaker.pk
        await console.send_to(text_data=json.dumps({"op": "chair", "action": "end"}))
        await _answer(console, "done")
        assert json.loads(await watching.receive_from(timeout=5))["speaking"] is None
        await console.disconnect()
        await watching.disconnect()

    asyncio.run(scenario())
    given = AuditEvent.objects.get(action="floor.floor_given")
    assert given.actor == chair
    assert given.data["delegation"] == str(speaker.delegation)
    assert AuditEvent.objects.filter(action="floor.speech_ended", actor=chair).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_speaker_or_a_viewer_cannot_chair_over_the_socket(client, vcc2, chair):
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    viewer = factories.participant(consultation, "FR", speaker=False)
    cookies = [
        _session_cookie(client.__class__(), token=registration.send_link(person, actor=chair))
        for person in (speaker, viewer)
    ]
    version = services.floor_of(consultation).version

    async def scenario():
        for cookie in cookies:
            connection, connected = await _connect(cookie)
            assert connected
            await connection.receive_from()
            await connection.send_to(text_data=json.dumps({"op": "chair", "action": "close_list"}))
            refused = json.loads(await connection.receive_from(timeout=5))
            assert (refused["type"], refused["code"]) == ("refused", "not_chair")
            assert "presiding officer" in refused["message"]
            await connection.disconnect()

    asyncio.run(scenario())
    floor = services.floor_of(consultation)
    assert (floor.list_open, floor.version) == (True, version)
    assert AuditEvent.objects.filter(action="floor.refused", data__why="not_chair").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_chairs_socket_refuses_what_the_console_would(client, vcc2, chair):
    consultation = vcc2.consultation
    cookie = _session_cookie(client.__class__(), user=chair)
    information_item = factories.item(consultation, "3.1")

    async def scenario():
        console, connected = await _connect(cookie)
        assert connected
        await console.receive_from()
        answers = []
        for message in (
            {"op": "chair", "action": "take_up", "item": information_item.pk},
            {"op": "chair", "action": "take_up", "item": "not a number"},
            {"op": "chair", "action": "dissolve"},
            {"op": "chair", "action": "end"},
            {"op": "chair", "action": "open_list", "c": "another-consultation"},
        ):
            await console.send_to(text_data=json.dumps(message))
            answers.append(json.loads(await console.receive_from(timeout=5))["code"])
        await console.disconnect()
        return answers

    assert asyncio.run(scenario()) == [
        "for_information",
        "bad_value",
        "unknown_action",
        "nobody_speaking",
        "wrong_consultation",
    ]


def test_the_consoles_form_and_socket_run_the_same_actions(client, meeting_on_item, chair):
    consultation = meeting_on_item
    client.force_login(chair)
    services.ask_for_floor(factories.participant(consultation, "CH"))
    services.give_floor(consultation, actor=chair)
    client.post("/en/c/vcc-2/console/action/", {"action": "extend", "seconds": "90"})
    assert services.floor_of(consultation).speaking.extra_seconds == 90
    services.run_chair_action(consultation, "extend", {"seconds": 30}, actor=chair)
    assert services.floor_of(consultation).speaking.extra_seconds == 120
    with pytest.raises(DomainError) as refused:
        services.run_chair_action(consultation, "remove", {"request": 10**9}, actor=chair)
    assert refused.value.code == "not_waiting"


def test_a_slow_socket_gets_the_newest_snapshot_and_holds_up_no_one():
    """The hub offers each snapshot to every connection; a connection whose socket is full
    waits alone, then gets the newest snapshot only (it holds the whole state)."""
    from plenary.floor.consumers import FloorConsumer

    async def scenario():
        room = asyncio.Event()
        written = {"slow": [], "fast": []}

        def socket(name, full):
            async def send(message):
                if full and not room.is_set():
                    await room.wait()
                written[name].append(message["text"])

            return send

        scope = {"url_route": {"kwargs": {"slug": "vcc-2"}}}
        slow = FloorConsumer(scope, socket("slow", full=True))
        fast = FloorConsumer(scope, socket("fast", full=False))
        for version in (1, 2, 3):
            for connection in (slow, fast):
                connection.offer(f'{{"v":{version}}}')
        assert written == {"slow": [], "fast": ['{"v":1}', '{"v":2}', '{"v":3}']}
        room.set()
        for _ in range(10):
            await asyncio.sleep(0)
        assert written["slow"] == ['{"v":1}', '{"v":3}']

    asyncio.run(scenario())
