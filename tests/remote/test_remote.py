"""Remote participation: platform access by role, interpretation, captions and webcast
(R10, R14, R28, R29). LiveKit tokens are checked with LiveKit's own verifier."""

import datetime

import pytest
from django.utils import timezone
from livekit.api import TokenVerifier

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, User
from plenary.planning.models import Meeting
from plenary.registration import services as registration
from plenary.remote import services
from plenary.remote.adapters import LiveKitPlatform
from plenary.remote.models import BoothCheckIn, RemoteSettings
from tests import factories

KEY, SECRET = factories.LIVEKIT_KEY, factories.LIVEKIT_SECRET


def claims(token: str):
    return TokenVerifier(KEY, SECRET).verify(token)


def grants_of(access):
    return {g.room: claims(g.token).video for g in access.grants}


# --- LiveKit --------------------------------------------------------------------------------


def test_a_speaker_may_publish_in_the_floor_room_and_a_viewer_only_subscribes(livekit, meeting):
    speaker = factories.participant(livekit, "CH")
    viewer = factories.participant(livekit, "CN", speaker=False)
    spoken = grants_of(services.meeting_access(speaker, meeting))
    watched = grants_of(services.meeting_access(viewer, meeting))
    room = "vcc-2-meeting-1"
    assert spoken[room].room_join and spoken[room].can_publish and spoken[room].can_subscribe
    assert watched[room].room_join and watched[room].can_subscribe
    assert watched[room].can_publish is False and watched[room].can_publish_data is False
    assert set(spoken) == set(watched) == {room}


def test_tokens_expire_with_the_meeting_and_carry_the_participant(livekit, meeting):
    speaker = factories.participant(livekit, "CH")
    access = services.meeting_access(speaker, meeting)
    verified = claims(access.grants[0].token)
    assert verified.identity == f"participant-{speaker.pk}"
    assert "CH 1" in verified.name
    import jwt

    expiry = jwt.decode(access.grants[0].token, options={"verify_signature": False})["exp"]
    assert abs(expiry - meeting.ends_at.timestamp()) < 5
    with pytest.raises(Exception):  # noqa: B017 — any verification error: the key is wrong
        TokenVerifier(KEY, "another-secret-of-at-least-thirty-two-chars").verify(
            access.grants[0].token
        )


def test_an_interpreter_is_heard_only_in_the_booth_channel(livekit, meeting, secretariat_user):
    user = User.objects.create_user(email="booth.fr@example.org", password="x-long-password-1")
    interpreter = services.add_interpreter(livekit, user, "fr", "en", actor=secretariat_user)
    grants = grants_of(services.booth_access(interpreter, meeting))
    floor, booth, relay = "vcc-2-meeting-1", "vcc-2-meeting-1-fr", "vcc-2-meeting-1-en"
    assert set(grants) == {floor, booth, relay}
    assert grants[booth].can_publish and grants[booth].can_publish_sources == ["microphone"]
    assert not grants[floor].can_publish and grants[floor].can_subscribe
    assert not grants[relay].can_publish and grants[relay].can_subscribe
    assert BoothCheckIn.objects.filter(interpreter=interpreter, meeting=meeting).exists()
    rows = {row["language"]: row for row in services.booths(meeting)}
    assert rows["fr"]["staffed"] and not rows["ar"]["staffed"]


def test_the_listening_language_adds_its_channel_and_is_remembered(livekit, meeting):
    viewer = factories.participant(livekit, "CN", speaker=False)
    services.choose_listening(viewer, "zh-hans")
    grants = grants_of(services.meeting_access(viewer, meeting))
    assert grants["vcc-2-meeting-1-zh-hans"].can_subscribe
    assert not grants["vcc-2-meeting-1-zh-hans"].can_publish
    assert services.listening_language(viewer) == "zh-hans"
    with pytest.raises(DomainError) as refused:
        services.choose_listening(viewer, "xx")
    assert refused.value.code == "bad_channel"


def test_livekit_without_a_configured_server_says_so(consultation, meeting, settings):
    settings.PLENARY_LIVEKIT_API_SECRET = ""
    speaker = factories.participant(consultation, "CH")
    with pytest.raises(DomainError) as refused:
        LiveKitPlatform(url="wss://x", api_key="k").access(
            meeting, services.Seat("a", "b", "speaker")
        )
    assert refused.value.code == "platform_not_configured"
    assert speaker.pk  # the participant exists; only the platform is missing


# --- through the personal link -----------------------------------------------------------


def test_a_viewer_asking_for_a_publishing_token_is_refused_and_audited(client, livekit, meeting):
    viewer = factories.participant(livekit, "CN", speaker=False)
    factories.signed_in_by_link(client, viewer)
    url = f"/en/c/{livekit.slug}/meetings/{meeting.pk}/access.json"
    refused = client.post(url, {"publish": "1"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "viewer_cannot_publish"
    assert "only speakers may be heard" in refused.json()["message"]
    assert AuditEvent.objects.filter(
        action="remote.refused", data__code="viewer_cannot_publish"
    ).exists()
    allowed = client.post(url)
    assert allowed.status_code == 200
    assert [r["can_publish"] for r in allowed.json()["rooms"]] == [False]


def test_a_speaker_gets_a_publishing_token_through_the_link_session(client, livekit, meeting):
    speaker = factories.participant(livekit, "CH")
    factories.signed_in_by_link(client, speaker)
    response = client.post(
        f"/en/c/{livekit.slug}/meetings/{meeting.pk}/access.json", {"publish": "1"}
    )
    assert response.status_code == 200
    room = response.json()["rooms"][0]
    assert claims(room["token"]).video.can_publish
    assert response["Cache-Control"].startswith("max-age=0")


def test_no_token_without_a_session_after_the_meeting_or_for_another_consultation(
    client, livekit, meeting
):
    url = f"/en/c/{livekit.slug}/meetings/{meeting.pk}/access.json"
    assert client.post(url).json()["code"] == "no_participant"
    speaker = factories.participant(livekit, "CH")
    factories.signed_in_by_link(client, speaker)
    other = Meeting.objects.create(
        consultation=factories.another_consultation(
            livekit, slug="other-consultation", acronym="OTHER", title="Another consultation"
        ),
        kind="meeting",
        number=1,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
    )
    assert client.post(f"/en/c/{livekit.slug}/meetings/{other.pk}/access.json").status_code == 404
    with pytest.raises(DomainError) as refused:
        services.meeting_access(speaker, other)
    assert refused.value.code == "other_consultation"
    meeting.ends_at = timezone.now() - datetime.timedelta(minutes=1)
    meeting.starts_at = meeting.ends_at - datetime.timedelta(hours=3)
    meeting.save()
    ended = client.post(url)  # not now, rather than not you: the declared kind's 400
    assert ended.status_code == 400 and ended.json()["code"] == "meeting_ended"


def test_a_withdrawn_participant_or_a_replaced_link_gets_nothing(
    client, livekit, meeting, secretariat_user
):
    speaker = factories.participant(livekit, "CH")
    factories.signed_in_by_link(client, speaker)
    url = f"/en/c/{livekit.slug}/meetings/{meeting.pk}/access.json"
    assert client.post(url).status_code == 200
    registration.send_link(speaker, actor=secretariat_user)  # a new link replaces the one used
    replaced = client.post(url)
    assert replaced.status_code == 403 and replaced.json()["code"] == "revoked_link"
    other = factories.participant(livekit, "CH", n=2)
    factories.signed_in_by_link(client, other)
    registration.withdraw(other, actor=secretariat_user)
    withdrawn = client.post(url)
    assert withdrawn.status_code == 403 and withdrawn.json()["code"] == "no_participant"


def test_access_opens_with_the_lobby_not_days_before(client, livekit, meeting):
    speaker = factories.participant(livekit, "CH")
    meeting.starts_at = timezone.now() + datetime.timedelta(days=1)
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=3)
    meeting.save()
    with pytest.raises(DomainError) as refused:
        services.meeting_access(speaker, meeting)
    assert refused.value.code == "not_open_yet"
    assert "60 minutes" in refused.value.user_message()


# --- external platform ----------------------------------------------------------------------


def test_each_role_receives_only_its_own_address(client, consultation, meeting, secretariat_user):
    services.set_meeting_links(
        meeting,
        actor=secretariat_user,
        speaker_url="https://platform.example.org/speak/s3cret",
        viewer_url="https://platform.example.org/watch/open",
        interpreter_url="https://platform.example.org/booth/i",
        webcast_url="https://webcast.example.org/vcc2",
    )
    viewer = factories.participant(consultation, "CN", speaker=False)
    factories.signed_in_by_link(client, viewer)
    page = client.get(f"/en/c/{consultation.slug}/meetings/{meeting.pk}/join/").content.decode()
    assert "https://platform.example.org/watch/open" in page
    assert "s3cret" not in page and "/booth/" not in page
    speaker = factories.participant(consultation, "CH")
    factories.signed_in_by_link(client, speaker)
    page = client.get(f"/en/c/{consultation.slug}/meetings/{meeting.pk}/join/").content.decode()
    assert "https://platform.example.org/speak/s3cret" in page
    assert "watch/open" not in page


def test_an_extra_speaker_grant_for_the_meeting_opens_the_speaker_address(
    consultation, meeting, secretariat_user, focal_ch
):
    services.set_meeting_links(
        meeting, actor=secretariat_user, speaker_url="https://p.example.org/s", viewer_url=""
    )
    viewer = factories.participant(consultation, "CH", speaker=False)
    with pytest.raises(DomainError) as refused:
        services.meeting_access(viewer, meeting)
    assert refused.value.code == "no_address"  # a viewer's address is not set yet
    request = registration.request_extra_speaker(viewer, actor=focal_ch, meeting=meeting)
    registration.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert services.meeting_access(viewer, meeting).url == "https://p.example.org/s"


# --- captions and webcast ---------------------------------------------------------------------


def test_captions_appear_on_the_join_page_in_their_language(
    client, consultation, meeting, secretariat_user
):
    services.set_meeting_links(
        meeting, actor=secretariat_user, viewer_url="https://p.example.org/w"
    )
    services.set_caption_feed(
        meeting, "ar", "https://captions.example.org/ar", actor=secretariat_user
    )
    viewer = factories.participant(consultation, "CN", speaker=False)
    factories.signed_in_by_link(client, viewer)
    page = client.get(f"/en/c/{consultation.slug}/meetings/{meeting.pk}/join/").content.decode()
    assert 'href="https://captions.example.org/ar"' in page and 'lang="ar"' in page
    with pytest.raises(DomainError):
        services.set_caption_feed(meeting, "de", "https://x.example.org", actor=secretariat_user)


def test_the_webcast_page_is_public_only_when_the_consultation_says_so(
    client, consultation, meeting, secretariat_user
):
    services.set_meeting_links(
        meeting, actor=secretariat_user, webcast_url="https://webcast.example.org/v"
    )
    closed = client.get(f"/fr/c/{consultation.slug}/webcast/")
    assert closed.status_code == 403
    assert "réservée aux participants inscrits" in closed.content.decode()
    assert "webcast.example.org" not in closed.content.decode()
    RemoteSettings.objects.update_or_create(
        consultation=consultation, defaults={"webcast_public": True}
    )
    opened = client.get(f"/en/c/{consultation.slug}/webcast/")
    assert opened.status_code == 200 and "https://webcast.example.org/v" in opened.content.decode()


def test_the_secretariat_sets_addresses_and_sees_the_booths(
    client, consultation, meeting, secretariat_user, totp_code
):
    client.force_login(secretariat_user)
    response = client.post(
        f"/en/c/{consultation.slug}/remote/meetings/{meeting.pk}/",
        {"action": "links", "speaker_url": "https://p.example.org/s", "viewer_url": "not a url"},
    )
    assert response.status_code == 200 and "Enter a valid URL." in response.content.decode()
    assert not hasattr(Meeting.objects.get(pk=meeting.pk), "links")
    response = client.post(
        f"/en/c/{consultation.slug}/remote/meetings/{meeting.pk}/",
        {"action": "links", "speaker_url": "https://p.example.org/s", "viewer_url": ""},
    )
    assert response.status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).links.speaker_url == "https://p.example.org/s"
    page = client.get(f"/en/c/{consultation.slug}/remote/")
    assert page.status_code == 200 and 'id="booths"' in page.content.decode()


def test_a_delegate_cannot_open_the_secretariat_pages(client, consultation):
    client.force_login(factories.delegate("CN"))
    assert client.get(f"/en/c/{consultation.slug}/remote/").status_code == 403
    assert client.get(f"/en/c/{consultation.slug}/support/").status_code == 403


def test_the_rehearsal_check_page_tells_the_participant_their_role(client, consultation):
    viewer = factories.participant(consultation, "CN", speaker=False)
    factories.signed_in_by_link(client, viewer)
    page = client.get(f"/zh-hans/c/{consultation.slug}/rehearsal/check/").content.decode()
    assert 'id="link-status"' in page and "CN 1" in page


def test_the_live_page_shows_the_meetings_captions_webcast_and_listening_choice(
    client, consultation, meeting, secretariat_user
):
    services.set_meeting_links(
        meeting, actor=secretariat_user, webcast_url="https://webcast.example.org/l"
    )
    services.set_caption_feed(
        meeting, "fr", "https://captions.example.org/fr", actor=secretariat_user
    )
    viewer = factories.participant(consultation, "CN", speaker=False)
    factories.signed_in_by_link(client, viewer)
    response = client.post(
        f"/en/c/{consultation.slug}/listening/", {"language": "ru", "meeting": meeting.pk}
    )
    assert response.status_code == 302
    page = client.get(f"/en/c/{consultation.slug}/live/").content.decode()
    assert 'id="remote-panel"' in page
    assert "https://captions.example.org/fr" in page and "https://webcast.example.org/l" in page
    assert '<option value="ru" lang="ru" selected>' in page


def test_the_demo_interpreter_takes_the_french_booth_and_the_secretariat_sees_it(
    client, consultation, meeting, secretariat_user
):
    services.set_meeting_links(
        meeting,
        actor=secretariat_user,
        speaker_url="https://p.example.org/speak",
        interpreter_url="https://p.example.org/booth",
    )
    interpreter = factories.interpreter()
    client.force_login(interpreter)
    page = client.get(f"/en/c/{consultation.slug}/booth/?meeting={meeting.pk}").content.decode()
    assert "https://p.example.org/booth" in page and "/speak" not in page
    rows = {row["language"]: row for row in services.booths(meeting)}
    assert rows["fr"]["staffed"] and [i.user for i in rows["fr"]["present"]] == [interpreter]
    assert not rows["es"]["staffed"]
    client.force_login(factories.delegate("CN"))
    assert client.get(f"/en/c/{consultation.slug}/booth/").status_code == 403
