"""The administration shows the Council's membership for inspection only; its state search
finds a state by its name, not only by its code."""

import pytest

from plenary.directory.models import CouncilTerm, SectorMember, VotingRightSuspension


@pytest.mark.parametrize("model", [CouncilTerm, VotingRightSuspension, SectorMember])
def test_membership_is_read_only_in_the_admin(secretariat_client, model, vcc2):
    base = f"/admin/directory/{model._meta.model_name}/"
    listing = secretariat_client.get(base)
    assert listing.status_code == 200
    assert "for inspection" in listing.content.decode()
    assert secretariat_client.get(base + "add/").status_code == 403


def test_a_terms_page_in_the_admin_cannot_be_changed(secretariat_client, consultation):
    term = consultation.council_term
    page = secretariat_client.get(f"/admin/directory/councilterm/{term.pk}/change/")
    assert page.status_code == 200
    before = term.name
    secretariat_client.post(f"/admin/directory/councilterm/{term.pk}/change/", {"name": "X"})
    term.refresh_from_db()
    assert term.name == before


@pytest.mark.parametrize("words", ["Kenya", "kenia", "KEN"])
def test_the_state_search_finds_a_state_by_its_name(secretariat_client, vcc2, words):
    html = secretariat_client.get("/admin/directory/state/", {"q": words}).content.decode()
    assert "/admin/directory/state/" in html and ">KE<" in html
    assert ">CH<" not in html


def test_the_seat_search_finds_kenya_by_name(secretariat_client, vcc2):
    html = secretariat_client.get("/admin/directory/councilseat/", {"q": "Kenya"}).content.decode()
    assert "1 result" in html and ">Kenya</td>" in html and "Switzerland" not in html
