"""The participation guide through the API: read and write a language's text, send it to
everyone approved, send it again to one person, and the delivery report."""

import re

from django.test import Client

from plenary.core.models import OutboxMessage
from plenary.registration.models import ParticipationGuide
from tests import factories

from .conftest import bearer, user_token

API = "/api/v1/consultations/vcc-2/guide"


def test_read_and_write_the_guide_of_a_language(secretariat_token):
    client, auth = Client(), bearer(secretariat_token)
    default = client.get(f"{API}/texts/fr", **auth).json()
    assert default["saved"] is False and "{link}" in default["body"]
    assert "{" not in default["preview_body"] and "link" in default["placeholders"]

    text = {"subject": "{acronym} : votre guide", "body": "Bonjour {name}, voici {link}."}
    saved = client.put(f"{API}/texts/fr", text, content_type="application/json", **auth)
    assert saved.status_code == 200
    assert saved.json()["saved"] is True
    assert saved.json()["preview_subject"] == "VCC-2 : votre guide"

    broken = {"subject": "S", "body": "Bonjour {nom"}
    refused = client.put(f"{API}/texts/es", broken, content_type="application/json", **auth)
    assert refused.status_code == 400
    assert refused.json()["code"] == "unbalanced_brace" and "Spanish" in refused.json()["detail"]
    unknown = {"subject": "S", "body": "Hola {nombre}"}
    refused = client.put(f"{API}/texts/es", unknown, content_type="application/json", **auth)
    assert refused.json()["code"] == "bad_placeholder" and "{nombre}" in refused.json()["detail"]
    assert list(ParticipationGuide.objects.values_list("language", flat=True)) == ["fr"]
    assert client.get(f"{API}/texts/xx", **auth).status_code == 422


def test_send_to_all_send_again_and_the_delivery_report(consultation, secretariat_token):
    client, auth = Client(), bearer(secretariat_token)
    viewer = factories.participant(consultation, "CH", 1, speaker=False, language="ru")
    factories.registered(consultation, "CH", 2)  # pending: not sent
    sent = client.post(f"{API}/send", **auth)
    assert sent.status_code == 200
    counts = sent.json()
    assert counts["participants"] >= 1 and counts["new_links"] == counts["participants"]

    report = client.get(f"{API}/deliveries", **auth).json()
    assert report["counts"]["queued"] == report["counts"]["total"] == counts["participants"]
    row = next(r for r in report["deliveries"] if r["participant"] == viewer.pk)
    assert (row["state"], row["language"], row["with_new_link"]) == ("queued", "ru", True)

    # The server refused it once: the report shows the failure and the attempts.
    message = OutboxMessage.objects.filter(to=[viewer.email]).order_by("-pk").first()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.FAILED, attempts=1, last_error="SMTPRecipientsRefused"
    )
    failed = client.get(f"{API}/deliveries?state=failed", **auth).json()
    assert [r["participant"] for r in failed["deliveries"]] == [viewer.pk]
    assert failed["deliveries"][0]["last_error"] == "SMTPRecipientsRefused"

    again = client.post(
        f"{API}/deliveries/{viewer.pk}/send", {}, content_type="application/json", **auth
    )
    assert again.status_code == 200
    assert (again.json()["state"], again.json()["attempts"]) == ("queued", 0)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.CANCELLED  # its link never arrived
    latest = OutboxMessage.objects.filter(to=[viewer.email]).order_by("-pk").first()
    assert latest.language == "ru" and re.search(r"/j/[\w-]+", latest.body)


def test_a_focal_point_cannot_use_the_guide_endpoints(consultation, focal_ch):
    client, auth = Client(), bearer(user_token(focal_ch))
    person = factories.participant(consultation, "CH", 1, speaker=False, actor=focal_ch)
    text = {"subject": "S", "body": "B"}
    assert client.get(f"{API}/texts/en", **auth).status_code == 403
    put = client.put(f"{API}/texts/en", text, content_type="application/json", **auth)
    assert put.status_code == 403
    assert client.post(f"{API}/send", **auth).status_code == 403
    assert client.get(f"{API}/deliveries", **auth).status_code == 403
    again = client.post(
        f"{API}/deliveries/{person.pk}/send", {}, content_type="application/json", **auth
    )
    assert again.status_code == 403
    assert not ParticipationGuide.objects.exists()
