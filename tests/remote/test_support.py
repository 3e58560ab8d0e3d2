"""IT support (R30): the help form, call-backs with checked telephone numbers, e-mailed
requests, the live chat over the WebSocket, and the desk of IT staff."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.core.management import call_command

from plenary.core.errors import DomainError
from plenary.core.models import OutboxMessage
from plenary.registration import services as registration
from plenary.remote import services
from plenary.remote.models import SupportMessage, SupportRequest
from tests import factories


def test_anyone_can_ask_for_help_by_the_form_and_gets_an_acknowledgement(client, consultation):
    response = client.post(
        f"/fr/c/{consultation.slug}/help/",
        {
            "channel": "form",
            "subject": "Mon lien ne fonctionne pas",
            "body": "Page blanche.",
            "name": "Jeanne Martin",
            "email": "jeanne@example.org",
        },
    )
    assert response.status_code == 302
    request = SupportRequest.objects.get(email="jeanne@example.org")
    assert (request.channel, request.status, request.language) == ("form", "new", "fr")
    assert request.messages.get().body == "Page blanche."
    mail = OutboxMessage.objects.filter(to=["jeanne@example.org"]).get()
    assert mail.language == "fr" and f"#{request.pk}" in mail.subject
    desk = OutboxMessage.objects.filter(to=[consultation.remote_participation_email]).get()
    assert f"/en/c/{consultation.slug}/support/{request.pk}/" in desk.body
    assert "Mon lien ne fonctionne pas" in desk.subject
    # The person sees their own request, and only theirs.
    assert client.get(response["Location"]).status_code == 200
    stranger = client.__class__()
    assert stranger.get(response["Location"]).status_code == 404


def test_bad_input_on_the_help_form_changes_nothing(client, consultation):
    before = SupportRequest.objects.count()
    response = client.post(
        f"/es/c/{consultation.slug}/help/",
        {"channel": "form", "subject": "Ayuda", "name": "Ana", "email": "not-an-address"},
    )
    assert response.status_code == 200
    assert "en la que el soporte informático pueda responderle" in response.content.decode()
    response = client.post(
        f"/es/c/{consultation.slug}/help/",
        {"channel": "callback", "subject": "Ayuda", "name": "Ana", "phone": "12345"},
    )
    assert "número de teléfono no es válido" in response.content.decode()
    assert SupportRequest.objects.count() == before


def test_a_call_back_number_is_checked_and_stored_in_international_form(client, consultation):
    participant = factories.participant(consultation, "CH")
    factories.signed_in_by_link(client, participant)
    # A Swiss delegate may write the number as dialled in Switzerland.
    response = client.post(
        f"/en/c/{consultation.slug}/help/",
        {"channel": "callback", "subject": "No sound", "phone": "022 730 51 11"},
    )
    assert response.status_code == 302
    request = SupportRequest.objects.get(participant=participant)
    assert request.phone == "+41227305111" and request.channel == "callback"
    assert services.normalise_phone("+86 10 6851 1234") == "+861068511234"
    for bad in ["", "+1", "+41 22", "hello", "+999 123 456 789", "0" * 40]:
        with pytest.raises(DomainError) as refused:
            services.normalise_phone(bad)
        assert refused.value.code == "bad_phone"


def test_html_in_a_message_is_shown_as_text(client, consultation, it_support):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    request = services.open_request(
        consultation,
        channel="form",
        subject=hostile[:100],
        body=hostile,
        name="<b>Mallory</b>",
        email="mallory@example.org",
    )
    client.force_login(it_support)
    page = client.get(f"/en/c/{consultation.slug}/support/{request.pk}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in page
    assert services.clean_text("a\x00b\x1bc\nd") == "abc\nd"
    with pytest.raises(DomainError):
        services.clean_text("x" * (services.MAX_MESSAGE + 1))


def test_the_desk_shows_the_queue_with_the_participants_link_status_and_assigns(
    client, consultation, secretariat_user, it_support
):
    participant = factories.participant(consultation, "CN", speaker=False)
    registration.send_link(participant, actor=secretariat_user)
    request = services.open_request(
        consultation, channel="chat", subject="Cannot hear", participant=participant
    )
    client.force_login(it_support)
    desk = client.get(f"/en/c/{consultation.slug}/support/").content.decode()
    assert "Cannot hear" in desk and "China" in desk and "Viewer" in desk
    page = client.get(f"/en/c/{consultation.slug}/support/{request.pk}/").content.decode()
    assert "in force, never opened" in page
    assert (
        client.post(
            f"/en/c/{consultation.slug}/support/{request.pk}/", {"action": "take"}
        ).status_code
        == 302
    )
    request.refresh_from_db()
    assert (request.assignee, request.status) == (it_support, "assigned")
    delegate = factories.delegate("CN")
    refused = client.post(
        f"/en/c/{consultation.slug}/support/{request.pk}/",
        {"action": "assign", "to": delegate.pk},
        follow=True,
    )
    assert "only be assigned to IT support staff" in refused.content.decode()
    request.refresh_from_db()
    assert request.assignee == it_support
    client.post(
        f"/en/c/{consultation.slug}/support/{request.pk}/", {"text": "Please reload the page."}
    )
    answer = OutboxMessage.objects.filter(to=[participant.email], subject__contains="answer")
    assert answer.count() == 1 and "Please reload the page." in answer.get().body
    client.post(
        f"/en/c/{consultation.slug}/support/{request.pk}/",
        {"action": "status", "status": "resolved"},
    )
    request.refresh_from_db()
    assert request.status == "resolved"
    open_desk = client.get(f"/en/c/{consultation.slug}/support/").content.decode()
    assert "Cannot hear" not in open_desk


def test_an_email_to_the_mailbox_becomes_a_request_of_the_known_participant(consultation, tmp_path):
    participant = factories.participant(consultation, "FR", speaker=False)
    message = tmp_path / "message.eml"
    message.write_bytes(
        (
            f"From: Someone <{participant.email.upper()}>\r\n"
            "To: remote.participation@itu.int\r\n"
            "Subject: =?utf-8?q?Probl=C3=A8me_de_son?=\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n\r\n'
            "Je n'entends rien.\r\n"
        ).encode()
    )
    call_command("support_mail", consultation.slug, str(message))
    request = SupportRequest.objects.get(channel="email")
    assert request.participant == participant and request.subject == "Problème de son"
    assert request.messages.get().body == "Je n'entends rien."
    assert request.language == participant.language
    big = tmp_path / "big.eml"
    big.write_bytes(b"From: a@example.org\r\nSubject: x\r\n\r\n" + b"x" * 300_000)
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("support_mail", consultation.slug, str(big))
    assert SupportRequest.objects.filter(channel="email").count() == 1


def _cookie(client):
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _chat(cookie, slug, request_id):
    from plenary.asgi import application

    communicator = WebsocketCommunicator(
        application,
        f"/ws/consultations/{slug}/support/{request_id}/",
        headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_live_chat_between_the_participant_and_it_support(client, vcc2, it_support):
    consultation = vcc2.consultation
    participant = factories.participant(consultation, "EG", speaker=False)
    participant_client = client.__class__()
    factories.signed_in_by_link(participant_client, participant)
    request = services.open_request(
        consultation, channel="chat", subject="Video frozen", participant=participant
    )
    staff_client = client.__class__()
    staff_client.force_login(it_support)
    stranger_client = client.__class__()
    other = factories.participant(consultation, "CH", speaker=False)
    factories.signed_in_by_link(stranger_client, other)

    answers = []

    async def scenario():
        mine, ok1, _ = await _chat(_cookie(participant_client), consultation.slug, request.pk)
        staff, ok2, _ = await _chat(_cookie(staff_client), consultation.slug, request.pk)
        _, ok3, code = await _chat(_cookie(stranger_client), consultation.slug, request.pk)
        assert ok1 and ok2 and not ok3 and code == 4403
        await mine.send_to(text_data=json.dumps({"op": "say", "text": "<b>help</b>"}))
        heard = json.loads(await staff.receive_from(timeout=5))
        echoed = json.loads(await mine.receive_from(timeout=5))
        assert heard == echoed
        assert (heard["text"], heard["from_support"]) == ("<b>help</b>", False)
        await staff.send_to(text_data=json.dumps({"op": "say", "text": "Reload, please."}))
        answer = json.loads(await mine.receive_from(timeout=5))
        assert answer["from_support"] is True and answer["text"] == "Reload, please."
        await staff.receive_from(timeout=5)
        await mine.send_to(text_data="not json")
        assert json.loads(await mine.receive_from())["code"] == "bad_message"
        await mine.send_to(text_data=json.dumps({"op": "say", "text": "   "}))
        refused = json.loads(await mine.receive_from())
        assert refused["code"] == "empty_message" and refused["message"]
        for n in range(6):
            await mine.send_to(text_data=json.dumps({"op": "say", "text": f"again {n}"}))
        while not await mine.receive_nothing(timeout=0.5):
            answers.append(json.loads(await mine.receive_from()))
        assert any(a.get("code") == "rate_limited" for a in answers)
        await mine.disconnect()
        await staff.disconnect()

    asyncio.run(scenario())
    bodies = list(SupportMessage.objects.filter(request=request).values_list("body", flat=True))
    assert bodies[:2] == ["<b>help</b>", "Reload, please."]
    accepted = [a["text"] for a in answers if a["type"] == "message"]
    assert 0 < len(accepted) < 6  # some went through before the rate limit, not all
    assert bodies[2:] == accepted


def test_help_requests_from_one_connection_are_rate_limited(client, consultation, settings):
    settings.PLENARY_RATE_LIMITS = {**settings.PLENARY_RATE_LIMITS, "support": (3, 600)}
    form = {"channel": "form", "subject": "Help", "name": "A", "email": "a@example.org"}
    statuses = [client.post(f"/en/c/{consultation.slug}/help/", form).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 200]
    assert SupportRequest.objects.filter(email="a@example.org").count() == 3
    assert OutboxMessage.objects.filter(to=["a@example.org"]).count() == 3
    refused = client.post(f"/en/c/{consultation.slug}/help/", form).content.decode()
    assert "Too many requests from this connection" in refused
