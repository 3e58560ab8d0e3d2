"""The people of a consultation through the API: the same services and rule as the pages."""

from django.core.files.uploadedfile import SimpleUploadedFile

from plenary.consultations.models import Appointment
from plenary.core.models import OutboxMessage
from plenary.people.models import Invitation
from plenary.registration.models import FocalPoint
from tests import factories

from .conftest import activate_totp, bearer, user_token

C = "/api/v1/consultations/vcc-2"


def _invite(client, token, **body):
    return client.post(C + "/invitations", body, content_type="application/json", **bearer(token))


def test_invite_list_resend_withdraw(client, consultation, secretariat_token):
    answer = _invite(
        client, secretariat_token, email="Anna@Example.de", state="Allemagne", language="ru"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["email"], body["state"], body["role"], body["status"]) == (
        "anna@example.de",
        "DE",
        Invitation.Role.FOCAL_POINT,
        Invitation.Status.PENDING,
    )
    assert OutboxMessage.objects.get(to=["anna@example.de"]).language == "ru"
    listed = client.get(C + "/people", **bearer(secretariat_token)).json()
    assert [i["email"] for i in listed["invitations"]] == ["anna@example.de"]
    assert "focal.point.ch@example.org" in {a["email"] for a in listed["appointments"]}

    resent = client.post(C + f"/invitations/{body['id']}/resend", **bearer(secretariat_token))
    assert resent.status_code == 200
    assert OutboxMessage.objects.filter(to=["anna@example.de"]).count() == 2
    withdrawn = client.post(C + f"/invitations/{body['id']}/withdraw", **bearer(secretariat_token))
    assert withdrawn.json()["status"] == Invitation.Status.WITHDRAWN
    again = client.post(C + f"/invitations/{body['id']}/withdraw", **bearer(secretariat_token))
    assert (again.status_code, again.json()["code"]) == (400, "not_pending")


def test_refusals_with_their_codes(client, consultation, secretariat_token):
    cases = [
        ({"email": "nope", "state": "DE"}, "bad_email"),
        ({"email": "a@example.org", "state": "Atlantis"}, "unknown_state"),
        ({"email": "a@example.org"}, "state_required"),
        ({"email": "focal.point.ch@example.org", "state": "CHE"}, "already_appointed"),
    ]
    for body, code in cases:
        answer = _invite(client, secretariat_token, **body)
        assert (answer.status_code, answer.json()["code"]) == (400, code), body
    assert not Invitation.objects.exists()


def test_import_is_a_dry_run_unless_said_otherwise(client, consultation, secretariat_token):
    csv = b"state,email,role\nCH,new.ch@example.org,delegate\nFrance,fr@example.org,\n"

    def send(**fields):
        upload = SimpleUploadedFile("people.csv", csv, "text/csv")
        return client.post(
            C + "/invitations/import", {"file": upload, **fields}, **bearer(secretariat_token)
        )

    dry = send()
    assert dry.status_code == 200 and dry.json()["applied"] is False
    assert [r["state"] for r in dry.json()["rows"]] == ["Switzerland", "France"]
    assert not Invitation.objects.exists()
    done = send(dry_run="false")
    assert done.json()["applied"] is True
    assert Invitation.objects.count() == 2
    twice = send(dry_run="false")
    assert twice.status_code == 400
    assert twice.json()["details"][0].startswith("line 2:")
    assert Invitation.objects.count() == 2


def test_withdraw_an_appointment(client, consultation, secretariat_token):
    appointment = Appointment.objects.get(
        user=factories.focal_point("CH"), role=Appointment.Role.FOCAL_POINT
    )
    answer = client.post(
        C + f"/appointments/{appointment.pk}/withdraw", **bearer(secretariat_token)
    )
    assert answer.status_code == 200 and answer.json() == {"withdrawn": True}
    assert not FocalPoint.objects.filter(user__email="focal.point.ch@example.org").exists()


def test_a_focal_point_may_not(client, consultation):
    token = user_token(activate_totp(factories.focal_point("CH")))
    assert client.get(C + "/people", **bearer(token)).status_code == 403
    assert _invite(client, token, email="x@example.org", state="DE").status_code == 403
    assert not Invitation.objects.exists()
