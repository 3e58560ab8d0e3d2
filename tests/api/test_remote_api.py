"""Remote participation through the API: the same refusals as the pages, LiveKit tokens that
LiveKit's own verifier accepts, help requests that only their owner reads back, and the
interpreter's booth."""

import datetime

from django.test import Client
from livekit.api import TokenVerifier

from plenary.core import tokens as api_tokens
from plenary.registration import services as registration
from plenary.registration.models import AccessLink
from plenary.remote.models import BoothCheckIn, SupportRequest
from tests import factories

from .conftest import activate_totp, bearer, user_token

KEY, SECRET = factories.LIVEKIT_KEY, factories.LIVEKIT_SECRET


def participant_token(person) -> str:
    link = registration.resolve_link(registration.issue_link(person))
    return api_tokens.create_participant_token(link, name="test")[1]


def access(client, consultation, meeting, token, *, publish: bool):
    return client.post(
        f"/api/v1/consultations/{consultation.slug}/meetings/{meeting.pk}/access",
        {"publish": publish},
        content_type="application/json",
        **bearer(token),
    )


def test_a_viewer_asking_to_be_heard_is_refused_for_who_they_are(client, livekit, meeting):
    viewer = factories.participant(livekit, "CN", 1, speaker=False)
    token = participant_token(viewer)
    refused = access(client, livekit, meeting, token, publish=True)
    assert refused.status_code == 403
    assert refused.json()["code"] == "viewer_cannot_publish"
    listening = access(client, livekit, meeting, token, publish=False)
    assert listening.status_code == 200
    assert listening.json()["role"] == "viewer"
    assert [room["can_publish"] for room in listening.json()["rooms"]] == [False]


def test_a_speaker_receives_a_livekit_token_that_livekit_verifies(client, livekit, meeting):
    speaker = factories.participant(livekit, "CH", 1)
    answer = access(client, livekit, meeting, participant_token(speaker), publish=True)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["platform"], body["role"], body["url"]) == (
        "livekit",
        "speaker",
        "wss://livekit.example.org",
    )
    expires_at = datetime.datetime.fromisoformat(body["expires_at"])
    assert abs((expires_at - meeting.ends_at).total_seconds()) < 0.001  # JSON keeps milliseconds
    [room] = body["rooms"]
    assert (room["room"], room["can_publish"]) == ("vcc-2-meeting-1", True)
    claims = TokenVerifier(KEY, SECRET).verify(room["token"])
    assert claims.identity == f"participant-{speaker.pk}"
    assert claims.video.room == "vcc-2-meeting-1"
    assert claims.video.can_publish and claims.video.can_subscribe


def test_the_listening_language_is_a_channel_of_the_consultation(client, livekit, meeting):
    viewer = factories.participant(livekit, "CN", 1, speaker=False)
    token = participant_token(viewer)
    url = f"/api/v1/consultations/{livekit.slug}/listening"
    chosen = client.put(
        url, {"language": "zh-hans"}, content_type="application/json", **bearer(token)
    )
    assert chosen.status_code == 200 and chosen.json() == {"language": "zh-hans"}
    rooms = access(client, livekit, meeting, token, publish=False).json()["rooms"]
    assert [r["room"] for r in rooms] == ["vcc-2-meeting-1", "vcc-2-meeting-1-zh-hans"]
    wrong = client.put(url, {"language": "xx"}, content_type="application/json", **bearer(token))
    assert wrong.status_code == 400 and wrong.json()["code"] == "bad_channel"


def test_the_interpreter_takes_the_french_booth_and_the_secretariat_sees_it_staffed(
    client, livekit, meeting, secretariat_user
):
    interpreter = factories.interpreter()
    base = f"/api/v1/consultations/{livekit.slug}"
    taken = client.post(f"{base}/meetings/{meeting.pk}/booth", **bearer(user_token(interpreter)))
    assert taken.status_code == 200
    rooms = {room["room"]: room for room in taken.json()["rooms"]}
    assert taken.json()["role"] == "interpreter"
    assert {name: room["can_publish"] for name, room in rooms.items()} == {
        "vcc-2-meeting-1": False,
        "vcc-2-meeting-1-fr": True,
        "vcc-2-meeting-1-en": False,
    }
    booth = TokenVerifier(KEY, SECRET).verify(rooms["vcc-2-meeting-1-fr"]["token"]).video
    assert booth.can_publish and booth.can_publish_sources == ["microphone"]
    assert BoothCheckIn.objects.filter(interpreter__user=interpreter, meeting=meeting).exists()

    staffing = client.get(
        f"{base}/remote/meetings/{meeting.pk}/booths",
        **bearer(user_token(activate_totp(secretariat_user))),
    )
    rows = {row["language"]: row for row in staffing.json()}
    assert rows["fr"]["staffed"] and rows["fr"]["interpreters"][0]["email"] == interpreter.email
    assert not rows["ar"]["staffed"]

    speaker_token = participant_token(factories.participant(livekit, "CH", 1))
    refused = client.post(f"{base}/meetings/{meeting.pk}/booth", **bearer(speaker_token))
    assert refused.status_code == 403


def test_a_help_request_opened_anonymously_is_read_back_by_its_session_only(consultation):
    asker, stranger = Client(), Client()
    base = f"/api/v1/consultations/{consultation.slug}/support-requests"
    opened = asker.post(
        base,
        {"subject": "My link fails", "name": "Jeanne Martin", "email": "jeanne@example.org"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert opened.status_code == 201
    number = opened.json()["id"]
    assert SupportRequest.objects.get(pk=number).language == "fr"

    read = asker.get(f"{base}/{number}")
    assert read.status_code == 200 and read.json()["subject"] == "My link fails"
    written = asker.post(
        f"{base}/{number}/messages", {"text": "Still blank"}, content_type="application/json"
    )
    assert written.status_code == 201
    assert [m["body"] for m in asker.get(f"{base}/{number}").json()["messages"]] == ["Still blank"]

    assert stranger.get(f"{base}/{number}").status_code == 401
    someone = participant_token(factories.participant(consultation, "CH", 1))
    assert stranger.get(f"{base}/{number}", **bearer(someone)).status_code == 404


def test_a_participant_reads_their_request_with_their_token_and_nobody_else_does(
    client, consultation
):
    base = f"/api/v1/consultations/{consultation.slug}/support-requests"
    mine = participant_token(factories.participant(consultation, "CH", 1))
    theirs = participant_token(factories.participant(consultation, "EG", 1))
    opened = Client().post(
        base, {"subject": "No sound"}, content_type="application/json", **bearer(mine)
    )
    assert opened.status_code == 201
    number = opened.json()["id"]
    assert SupportRequest.objects.get(pk=number).email == "ch1@example.org"
    assert Client().get(f"{base}/{number}", **bearer(mine)).status_code == 200
    assert Client().get(f"{base}/{number}", **bearer(theirs)).status_code == 404


def test_a_call_back_to_an_invalid_number_is_refused_in_the_readers_language(client, consultation):
    refused = client.post(
        f"/api/v1/consultations/{consultation.slug}/support-requests",
        {
            "channel": "callback",
            "subject": "Appelez-moi",
            "name": "Jeanne Martin",
            "email": "jeanne@example.org",
            "phone": "12",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "bad_phone"
    assert SupportRequest.objects.count() == 0


def test_the_desk_shows_the_link_status_and_never_the_link(client, consultation, vcc2):
    speaker = factories.participant(consultation, "CH", 1)
    it_support = user_token(factories.it_support())
    base = f"/api/v1/consultations/{consultation.slug}"
    number = (
        Client()
        .post(
            f"{base}/support-requests",
            {"subject": "My link fails"},
            content_type="application/json",
            **bearer(participant_token(speaker)),
        )
        .json()["id"]
    )
    queue = client.get(f"{base}/support-desk?status=open", **bearer(it_support))
    assert [row["id"] for row in queue.json()] == [number]

    detail = client.get(f"{base}/support-desk/{number}", **bearer(it_support))
    assert detail.status_code == 200
    person = detail.json()["person"]
    assert person["links_issued"] == AccessLink.objects.filter(participant=speaker).count()
    assert person["link"]["revoked_at"] is None and person["role"] == "Speaker"
    for link in AccessLink.objects.filter(participant=speaker):
        assert link.token_hash not in detail.content.decode()
    assert "token" not in person["link"]

    taken = client.post(
        f"{base}/support-desk/{number}/assign",
        {},
        content_type="application/json",
        **bearer(it_support),
    )
    assert (taken.json()["status"], taken.json()["assignee"]) == (
        "assigned",
        "it.support@example.org",
    )
    answered = client.post(
        f"{base}/support-desk/{number}/replies",
        {"text": "Use the new link."},
        content_type="application/json",
        **bearer(it_support),
    )
    assert answered.status_code == 201 and answered.json()["from_support"] is True
    resolved = client.post(
        f"{base}/support-desk/{number}/status",
        {"status": "resolved"},
        content_type="application/json",
        **bearer(it_support),
    )
    assert resolved.json()["status"] == "resolved"
    assert client.get(f"{base}/support-desk?status=open", **bearer(it_support)).json() == []


def test_the_webcast_opens_to_everyone_once_the_secretariat_makes_it_public(
    client, consultation, meeting, secretariat_user
):
    base = f"/api/v1/consultations/{consultation.slug}"
    secretariat = bearer(user_token(activate_totp(secretariat_user)))
    assert client.get(f"{base}/webcast").status_code == 401
    links = client.put(
        f"{base}/remote/meetings/{meeting.pk}/links",
        {"webcast_url": "https://webcast.example.org/vcc-2"},
        content_type="application/json",
        **secretariat,
    )
    assert links.status_code == 200
    made_public = client.patch(
        f"{base}/remote/settings",
        {"webcast_public": True},
        content_type="application/json",
        **secretariat,
    )
    assert made_public.json() == {
        "platform": "external",
        "webcast_public": True,
        "lobby_minutes": 60,
    }
    watched = Client().get(f"{base}/webcast")
    assert watched.status_code == 200
    assert watched.json()["webcast_url"] == "https://webcast.example.org/vcc-2"
    assert watched.json()["meeting"]["id"] == meeting.pk
