"""Inviting the people who staff a consultation: one invitation, its mail in the invitee's
language, its link accepted into the appointment; the refusals; the link's misuses."""

import re

import pytest
from django.conf import settings
from django.utils import timezone

from plenary.ballots.models import Elector
from plenary.consultations.models import Appointment
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, OutboxMessage, User
from plenary.directory.models import State
from plenary.people import services
from plenary.people.models import Invitation, VotingFocalPoint
from plenary.registration.models import FocalPoint, Participant
from tests import factories
from tests.api.conftest import activate_totp

ROLE = Invitation.Role
PASSWORD = "a-long-passphrase-for-anna"


def mail_to(email: str) -> OutboxMessage:
    return OutboxMessage.objects.filter(to=[email]).order_by("-pk").first()


def link_in(message: OutboxMessage) -> str:
    """The path of the accept link in a mail, checked against the site's base URL."""
    match = re.search(r"(\S+)/(\w{2}(?:-\w+)?)/invitation/([\w-]+)/", message.body)
    assert match and match[1] == settings.PLENARY_BASE_URL
    return f"/{match[2]}/invitation/{match[3]}/"


def invite(consultation, email="anna@example.de", iso2="DE", **fields):
    fields.setdefault("role", ROLE.FOCAL_POINT)
    state = State.objects.get(iso2=iso2) if iso2 else None
    return services.invite(
        consultation, email=email, state=state, actor=factories.secretariat(), **fields
    )


def test_invite_accept_then_act_for_the_state(client, consultation):
    invitation = invite(consultation, name="Anna Weber", language="fr")
    message = mail_to("anna@example.de")
    assert OutboxMessage.objects.filter(to=["anna@example.de"]).count() == 1
    assert message.language == "fr"
    # The state, the dates and the consultation's name as a French reader reads them.
    assert "Allemagne" in message.body and "novembre 2020" in message.body
    assert consultation.registration_email in message.body
    assert invitation.token_hash not in message.body  # the mail holds the token, not its hash
    path = link_in(message)
    assert path.startswith("/fr/invitation/")

    page = client.get(path)
    assert page.status_code == 200
    assert b"anna@example.de" in page.content and b"password1" in page.content
    answer = client.post(path, {"name": "Anna Weber", "password1": PASSWORD, "password2": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/fr/c/vcc-2/delegation/"

    anna = User.objects.get(email="anna@example.de")
    assert anna.full_name == "Anna Weber" and anna.language == "fr"
    assert anna.check_password(PASSWORD)
    assert FocalPoint.objects.filter(user=anna, delegation__state__iso2="DE").exists()
    assert Appointment.objects.filter(
        user=anna, role=Appointment.Role.FOCAL_POINT, consultation=consultation, state__iso2="DE"
    ).exists()
    assert client.get("/fr/c/vcc-2/delegation/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_by == anna and invitation.status == Invitation.Status.ACCEPTED
    assert AuditEvent.objects.filter(action="people.invitation_accepted", actor=anna).exists()

    # The new focal point approves a registration of Germany…
    person = factories.registered(consultation, "DE")
    client.post(f"/fr/c/vcc-2/delegation/participants/{person.pk}/", {"action": "approve"})
    person.refresh_from_db()
    assert person.status == Participant.Status.APPROVED
    # …and not one of Switzerland.
    swiss = factories.registered(consultation, "CH")
    client.post(f"/fr/c/vcc-2/delegation/participants/{swiss.pk}/", {"action": "approve"})
    swiss.refresh_from_db()
    assert swiss.status == Participant.Status.PENDING


def test_the_focal_point_of_switzerland_cannot_act_for_germany(client, consultation, focal_ch):
    german = factories.registered(consultation, "DE")
    client.force_login(focal_ch)
    client.post(f"/en/c/vcc-2/delegation/participants/{german.pk}/", {"action": "approve"})
    german.refresh_from_db()
    assert german.status == Participant.Status.PENDING
    # Nor invite anyone.
    answer = client.post(
        "/en/c/vcc-2/people/invite/",
        {"email": "x@example.de", "role": ROLE.FOCAL_POINT, "delegation": "state:DE"},
    )
    assert answer.status_code == 403
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"email": "anna@@example"}, "bad_email", "E-mail address"),
        ({"email": "focal.point.ch@example.org", "iso2": "CH"}, "already_appointed", "E-mail"),
        ({"iso2": "PW"}, "not_member", "State"),  # Palau joined in 2024
        ({"iso2": None}, "state_required", "State"),
        ({"iso2": "NZ", "role": ROLE.VOTING_FOCAL_POINT}, "not_council_member", "State"),
        ({"role": "emperor"}, "unknown_role", "Role"),
        ({"language": "de"}, "unknown_language", "Language"),
    ],
)
def test_refusals_name_the_field_and_change_nothing(consultation, fields, code, field):
    with pytest.raises(DomainError) as refused:
        invite(consultation, **fields)
    assert refused.value.code == code
    assert refused.value.user_message().startswith(field)
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.filter(to=[fields.get("email", "anna@example.de")]).exists()


def test_a_pending_invitation_is_not_sent_twice(consultation):
    invite(consultation)
    with pytest.raises(DomainError) as refused:
        invite(consultation, email=" Anna@Example.DE ")
    assert refused.value.code == "already_invited"
    assert Invitation.objects.count() == 1
    # Another state, or another role, is another invitation.
    invite(consultation, role=ROLE.DELEGATE)
    assert Invitation.objects.count() == 2


def test_refusal_in_the_readers_language_through_the_page(client, consultation, secretariat_user):
    client.force_login(secretariat_user)
    activate_totp(secretariat_user)
    answer = client.post(
        "/fr/c/vcc-2/people/invite/",
        {
            "email": "pas-une-adresse",
            "role": ROLE.FOCAL_POINT,
            "delegation": "state:DE",
            "language": "fr",
        },
    )
    assert answer.status_code == 400
    assert "pas-une-adresse" in answer.content.decode()
    assert not Invitation.objects.exists()


# --- the link's misuses ---------------------------------------------------------------------


def _accept_form(name="Anna Weber"):
    return {"name": name, "password1": PASSWORD, "password2": PASSWORD}


def test_an_expired_link(client, consultation, settings):
    settings.PLENARY_INVITATION_DAYS = 0  # expires as it is sent
    invite(consultation, language="es")
    path = link_in(mail_to("anna@example.de"))
    for answer in (client.get(path), client.post(path, _accept_form())):
        assert answer.status_code == 410
        assert consultation.registration_email in answer.content.decode()
    assert not User.objects.filter(email="anna@example.de").exists()


def test_a_used_link_works_once(client, consultation):
    invite(consultation)
    path = link_in(mail_to("anna@example.de"))
    assert client.post(path, _accept_form()).status_code == 302
    client.logout()
    again = client.post(path, _accept_form("Someone Else"))
    assert again.status_code == 410
    assert User.objects.get(email="anna@example.de").full_name == "Anna Weber"
    assert FocalPoint.objects.filter(user__email="anna@example.de").count() == 1


def test_a_withdrawn_invitation(client, consultation, secretariat_user):
    invitation = invite(consultation)
    path = link_in(mail_to("anna@example.de"))
    services.withdraw_invitation(invitation, actor=secretariat_user)
    assert client.get(path).status_code == 410
    assert client.post(path, _accept_form()).status_code == 410
    assert not User.objects.filter(email="anna@example.de").exists()
    assert AuditEvent.objects.filter(action="people.invitation_withdrawn").exists()
    with pytest.raises(DomainError):  # nor sent again
        services.resend(invitation, actor=secretariat_user)


@pytest.mark.parametrize("token", ["forged-token-" + "x" * 30, "x" * 300, "a%20b"])
def test_a_forged_link(client, consultation, token):
    invite(consultation)
    answer = client.get(f"/en/invitation/{token}/")
    assert answer.status_code == 404
    assert client.post(f"/en/invitation/{token}/", _accept_form()).status_code == 404
    assert not User.objects.filter(email="anna@example.de").exists()


def test_a_resent_invitation_replaces_the_link(client, consultation, secretariat_user):
    invitation = invite(consultation)
    old = link_in(mail_to("anna@example.de"))
    services.resend(invitation, actor=secretariat_user)
    new = link_in(mail_to("anna@example.de"))
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_accepting_as_another_account_is_refused(client, consultation, focal_ch):
    invitation = invite(consultation)
    path = link_in(mail_to("anna@example.de"))
    client.force_login(focal_ch)
    assert client.get(path).status_code == 403
    assert client.post(path, _accept_form()).status_code == 403
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not FocalPoint.objects.filter(user=focal_ch, delegation__state__iso2="DE").exists()
    with pytest.raises(DomainError) as refused:  # the service says so too
        services.accept(path.split("/")[3], user=focal_ch)
    assert refused.value.code == "wrong_account"


def test_a_weak_password_is_refused_beside_its_field(client, consultation):
    invite(consultation)
    path = link_in(mail_to("anna@example.de"))
    answer = client.post(path, {"name": "Anna", "password1": "123", "password2": "123"})
    assert answer.status_code == 400
    assert answer.context["form"].errors["password1"]
    assert not User.objects.filter(email="anna@example.de").exists()
    assert client.get(path).status_code == 200  # the link still works


# --- an existing account, a voting focal point, a second factor -------------------------------


def test_an_existing_account_signs_in_first_then_votes_on_every_ballot(client, consultation):
    secretariat = factories.secretariat()
    open_ballot = factories.ballot(consultation, actor=secretariat)
    delegate = factories.delegate("CN")
    invite(consultation, email=delegate.email, iso2="CN", role=ROLE.VOTING_FOCAL_POINT)
    path = link_in(mail_to(delegate.email))
    page = client.get(path)
    assert page.status_code == 200 and b"/accounts/login/?next=" in page.content
    assert "/accounts/login/" in client.post(path)["Location"]
    client.force_login(delegate)
    answer = client.post(path)
    assert answer.status_code == 302 and answer["Location"] == "/en/c/vcc-2/ballots/"
    assert (
        VotingFocalPoint.objects.get(consultation=consultation, state__iso2="CN").user == delegate
    )
    assert Elector.objects.get(ballot=open_ballot, state__iso2="CN").focal_point == delegate
    # A ballot launched later names them too, with its invitation.
    later = factories.ballot(consultation, actor=secretariat, title="Later")
    assert Elector.objects.get(ballot=later, state__iso2="CN").focal_point == delegate
    assert OutboxMessage.objects.filter(to=[delegate.email], subject__contains="Later").exists()
    # Withdrawn: the open ballots lose them.
    services.withdraw_voting_focal_point(
        VotingFocalPoint.objects.get(state__iso2="CN"), actor=secretariat
    )
    assert Elector.objects.get(ballot=later, state__iso2="CN").focal_point is None


def test_a_role_with_a_second_factor_is_sent_to_set_it_up(client, consultation, settings):
    settings.PLENARY_MFA_REQUIRED_ROLES = ["secretariat", ROLE.FOCAL_POINT]
    invite(consultation)
    answer = client.post(link_in(mail_to("anna@example.de")), _accept_form())
    assert answer["Location"] == "/en/accounts/2fa/totp/activate/"
    # and the middleware holds them there
    assert client.get("/en/c/vcc-2/delegation/")["Location"] == answer["Location"]


def test_other_roles_without_a_state(client, consultation):
    invite(consultation, email="it@example.org", iso2=None, role=ROLE.IT_SUPPORT)
    assert client.post(link_in(mail_to("it@example.org")), _accept_form("Ira")).status_code == 302
    assert Appointment.objects.filter(
        user__email="it@example.org",
        role=Appointment.Role.IT_SUPPORT,
        consultation=consultation,
        state=None,
    ).exists()


def test_withdraw_an_appointment_through_the_page(client, consultation, secretariat_user):
    activate_totp(secretariat_user)
    client.force_login(secretariat_user)
    appointment = Appointment.objects.get(
        user__email="focal.point.ch@example.org", role=Appointment.Role.FOCAL_POINT
    )
    page = client.get("/en/c/vcc-2/people/")
    assert page.status_code == 200 and b"focal.point.ch@example.org" in page.content
    answer = client.post(f"/en/c/vcc-2/people/appointments/{appointment.pk}/withdraw/")
    assert answer.status_code == 302
    assert not Appointment.objects.filter(pk=appointment.pk).exists()
    assert not FocalPoint.objects.filter(user__email="focal.point.ch@example.org").exists()
    assert AuditEvent.objects.filter(action="role.withdrawn").exists()


def test_the_page_shows_each_status(client, consultation, secretariat_user, settings):
    activate_totp(secretariat_user)
    client.force_login(secretariat_user)
    invite(consultation)  # Germany: invited
    invitation = invite(consultation, email="old@example.fr", iso2="FR")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())  # France: expired
    page = client.get("/en/c/vcc-2/people/")
    lines = {
        str(line.delegation): line.status
        for _label, lines in page.context["sections"]
        for line in lines
    }
    assert lines["Germany"] == "invited" and lines["France"] == "expired"
    assert lines["Switzerland"] == "appointed" and lines["Italy"] == "none"
    labels = [str(label) for label, _lines in page.context["sections"]]
    assert labels == ["Council Member States", "Observers", "Sector Members"]


def test_a_sector_members_focal_point(client, consultation):
    member = consultation.sector_members.order_by("pk").first()
    services.invite(
        consultation, email="sm@example.org", sector_member=member, actor=factories.secretariat()
    )
    assert client.post(link_in(mail_to("sm@example.org")), _accept_form("Sam")).status_code == 302
    assert FocalPoint.objects.filter(
        user__email="sm@example.org", delegation__sector_member=member
    ).exists()
    assert client.get("/en/c/vcc-2/delegation/").status_code == 200


@pytest.mark.parametrize("language", ["ar", "zh-hans", "ru"])
def test_the_pages_in_each_script(client, consultation, secretariat_user, language):
    invite(consultation, language=language)
    path = link_in(mail_to("anna@example.de"))
    assert path.startswith(f"/{language}/")
    page = client.get(path)
    assert page.status_code == 200
    assert page.context["LANGUAGE_CODE"] == language
    activate_totp(secretariat_user)
    client.force_login(secretariat_user)
    assert client.get(f"/{language}/c/vcc-2/people/").status_code == 200
