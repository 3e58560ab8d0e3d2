"""Sector Members entered per Sector, and invited to a consultation within its number per
Sector (three in VCC-2, Council Decision 519): each invitation makes its delegation; an
invitation is withdrawn only while nobody is registered in it."""

import pytest

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.directory.models import SectorMember
from plenary.membership import services
from plenary.registration.models import Delegation
from tests import factories


def _member(actor, name="Radio Company (demo)", sector=SectorMember.Sector.R):
    return services.create_sector_member(name, sector, actor=actor)


def test_a_sector_member_is_entered_once_per_sector(vcc2, secretariat_user):
    member = _member(secretariat_user)
    assert (member.name, member.sector) == ("Radio Company (demo)", "R")
    with pytest.raises(DomainError) as refused:
        _member(secretariat_user, name="radio company  (demo)")
    assert refused.value.code == "name_taken"
    assert "ITU-R already has a Sector Member named" in refused.value.user_message()
    other = _member(secretariat_user, sector=SectorMember.Sector.T)
    assert other.sector == "T"
    with pytest.raises(DomainError) as refused:
        services.create_sector_member("X", "Q", actor=secretariat_user)
    assert refused.value.code == "unknown_sector"
    with pytest.raises(DomainError) as refused:
        services.create_sector_member("  ", "R", actor=secretariat_user)
    assert refused.value.code == "no_name"


def test_the_limit_holds_per_sector(consultation, secretariat_user):
    radio = _member(secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.invite_sector_member(consultation, radio, actor=secretariat_user)
    assert refused.value.code == "sector_limit"
    assert "ITU-R already has 3 Sector Members invited" in refused.value.user_message()
    assert not consultation.sector_members.filter(pk=radio.pk).exists()
    # Withdrawing an ITU-R invitation makes room in ITU-R, not in ITU-T.
    first_r = consultation.sector_members.filter(sector="R").first()
    services.uninvite_sector_member(consultation, first_r, actor=secretariat_user)
    assert not Delegation.objects.filter(consultation=consultation, sector_member=first_r).exists()
    standards = _member(secretariat_user, name="Standards Body (demo)", sector="T")
    with pytest.raises(DomainError) as refused:
        services.invite_sector_member(consultation, standards, actor=secretariat_user)
    assert "ITU-T already has 3 Sector Members invited" in refused.value.user_message()
    delegation = services.invite_sector_member(consultation, radio, actor=secretariat_user)
    assert (delegation.category, delegation.speaker_limit) == (
        Delegation.Category.SECTOR_MEMBER,
        consultation.speakers_per_delegation_max,
    )
    assert consultation.sector_members.filter(sector="R").count() == 3
    assert AuditEvent.objects.filter(action="membership.sector_member_invited").count() == 1


def test_inviting_twice_or_withdrawing_what_was_not_invited_is_refused(
    consultation, secretariat_user
):
    invited = consultation.sector_members.first()
    with pytest.raises(DomainError) as refused:
        services.invite_sector_member(consultation, invited, actor=secretariat_user)
    assert refused.value.code == "already_invited"
    with pytest.raises(DomainError) as refused:
        services.uninvite_sector_member(
            consultation, _member(secretariat_user), actor=secretariat_user
        )
    assert refused.value.code == "not_invited"


def test_an_invitation_with_registered_participants_stays(consultation, secretariat_user):
    member = consultation.sector_members.filter(sector="D").first()
    delegation = Delegation.objects.get(consultation=consultation, sector_member=member)
    factories.registered(consultation, delegation, 1)
    factories.registered(consultation, delegation, 2)
    with pytest.raises(DomainError) as refused:
        services.uninvite_sector_member(consultation, member, actor=secretariat_user)
    assert refused.value.code == "has_participants"
    assert "has 2 registered participants" in refused.value.user_message()
    assert consultation.sector_members.filter(pk=member.pk).exists()


def test_a_focal_point_cannot_withdraw_an_invitation_or_enter_a_member(
    consultation, focal_ch, secretariat_user
):
    member = consultation.sector_members.first()
    with pytest.raises(DomainError) as refused:
        services.uninvite_sector_member(consultation, member, actor=focal_ch)
    assert refused.value.code == "not_secretariat"
    with pytest.raises(DomainError):
        services.create_sector_member("X", "R", actor=focal_ch)


def test_the_pages_enter_invite_and_withdraw(secretariat_client, consultation):
    response = secretariat_client.post(
        "/en/secretariat/sector-members/", {"name": "Development Bank (demo)", "sector": "D"}
    )
    assert response.status_code == 302
    member = SectorMember.objects.get(name="Development Bank (demo)")
    assert (
        "Development Bank (demo)"
        in secretariat_client.get("/en/secretariat/sector-members/").content.decode()
    )
    page = f"/en/c/{consultation.slug}/sector-members/"
    full = secretariat_client.post(page, {"action": "invite", "sector_member": member.pk})
    assert full.status_code == 400
    assert "ITU-D already has 3 Sector Members invited" in full.content.decode()
    first_d = consultation.sector_members.filter(sector="D").first()
    withdrawn = secretariat_client.post(page, {"action": "uninvite", "sector_member": first_d.pk})
    assert withdrawn.status_code == 302
    invited = secretariat_client.post(page, {"action": "invite", "sector_member": member.pk})
    assert invited.status_code == 302
    html = secretariat_client.get(page).content.decode()
    assert "Development Bank (demo)" in html and "3 / 3" in html


def test_the_sector_member_pages_are_the_secretariats(client, focal_client, consultation):
    for path in ("/en/secretariat/sector-members/", f"/en/c/{consultation.slug}/sector-members/"):
        assert focal_client.get(path).status_code == 403
        anonymous = client.__class__().get(path)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
