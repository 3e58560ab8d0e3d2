"""The admin is for inspection: what a service changes is read-only there, or goes through
the same service and the audit trail."""

from plenary.consultations.models import Appointment
from plenary.core.models import AuditEvent, User
from plenary.directory.models import State
from plenary.registration.models import FocalPoint


def test_settings_cannot_be_changed_in_the_admin(client, secretariat_user, consultation):
    client.force_login(secretariat_user)
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    assert client.get(url).status_code == 200  # shown for inspection
    response = client.post(url, {"speaker_capacity": "999", "acronym": "X"})
    assert response.status_code == 403
    consultation.refresh_from_db()
    assert consultation.speaker_capacity == 300
    for model in ("registration/capacity", "registration/delegation", "remote/remotesettings"):
        assert client.get(f"/admin/{model}/add/").status_code == 403


def test_a_role_granted_in_the_admin_goes_through_the_service(
    client, secretariat_user, consultation
):
    client.force_login(secretariat_user)
    person = User.objects.create_user("new.focal@example.org", "x-long-password-1")
    kenya = State.objects.get(iso2="KE")
    response = client.post(
        "/admin/consultations/appointment/add/",
        {
            "user": person.pk,
            "role": Appointment.Role.FOCAL_POINT,
            "consultation": consultation.pk,
            "state": kenya.pk,
        },
    )
    assert response.status_code == 302
    assert FocalPoint.objects.filter(user=person, delegation__state=kenya).exists()
    assert AuditEvent.objects.filter(action="registration.focal_point_appointed").exists()


def test_a_state_edited_in_the_admin_is_audited(client, secretariat_user):
    client.force_login(secretariat_user)
    kenya = State.objects.get(iso2="KE")
    page = client.get(f"/admin/directory/state/{kenya.pk}/change/")
    assert page.status_code == 200
    data = {
        "iso2": "KE",
        "iso3": "KEN",
        "region": kenya.region_id,
        "status": kenya.status,
        "status_basis": "",
        "joined_on": "",
        "left_on": "2099-01-01",
        "official_names-TOTAL_FORMS": "0",
        "official_names-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/directory/state/{kenya.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.filter(action="admin.state_changed").get()
    assert event.data["left_on"] == "2099-01-01"
