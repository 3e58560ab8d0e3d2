"""R3: the directory of Member States, regions, Council seats and the right to vote."""

import datetime

import pytest

from plenary.directory import queries, services
from plenary.directory.models import (
    CouncilSeat,
    OfficialName,
    RegionalOrganization,
    SectorMember,
    State,
)
from plenary.directory.names import state_name

VCC2_DAY = datetime.date(2020, 11, 16)


def test_193_member_states_in_november_2020(vcc2):
    assert queries.member_states_on(VCC2_DAY).count() == 193


def test_palau_is_the_194th_member_from_2024(vcc2):
    assert not queries.member_states_on(VCC2_DAY).filter(iso2="PW").exists()
    assert queries.member_states_on(datetime.date(2024, 9, 19)).count() == 194


def test_south_sudan_was_not_a_member_before_october_2011(vcc2):
    assert queries.member_states_on(datetime.date(2011, 10, 2)).count() == 192
    assert queries.member_states_on(datetime.date(2011, 10, 3)).filter(iso2="SS").exists()


def test_vatican_is_a_member_and_palestine_an_observer(vcc2):
    members = queries.member_states_on(VCC2_DAY)
    assert members.filter(iso2="VA").exists()
    assert not members.filter(iso2="PS").exists()
    palestine = State.objects.get(iso2="PS")
    assert palestine.status == State.Status.OBSERVER
    assert "Resolution 99" in palestine.status_basis


def test_every_member_state_has_one_of_the_five_regions(vcc2):
    members = queries.member_states_on(VCC2_DAY)
    counts = {code: members.filter(region__code=code).count() for code in "ABCDE"}
    assert counts == {"A": 35, "B": 33, "C": 21, "D": 54, "E": 50}
    assert not members.filter(region__isnull=True).exists()


def test_council_2019_2022_has_48_member_states_by_region(vcc2):
    term = queries.term_on(VCC2_DAY)
    assert term.name == "2019-2022"
    seats = CouncilSeat.objects.filter(term=term)
    assert seats.count() == 48
    by_region = {code: seats.filter(region__code=code).count() for code in "ABCDE"}
    assert by_region == {"A": 9, "B": 8, "C": 5, "D": 13, "E": 13}
    # The seat's region is the state's own region.
    assert all(seat.region_id == seat.state.region_id for seat in seats.select_related("state"))


@pytest.mark.parametrize(
    ("iso2", "language", "expected"),
    [
        ("PS", "en", "State of Palestine"),
        ("PS", "fr", "État de Palestine"),
        ("PS", "ar", "دولة فلسطين"),
        ("IR", "en", "Iran (Islamic Republic of)"),
        ("IR", "zh-hans", "伊朗伊斯兰共和国"),
        ("TR", "en", "Türkiye"),
        ("TR", "es", "Türkiye"),
        ("TR", "ru", "Турция"),
    ],
)
def test_official_names_override_cldr(vcc2, iso2, language, expected):
    assert state_name(State.objects.get(iso2=iso2), language) == expected


def test_overrides_exist_in_all_six_languages(vcc2):
    for iso2 in ("PS", "IR", "TR"):
        assert OfficialName.objects.filter(state__iso2=iso2).count() == 6


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "France"),
        ("fr", "France"),
        ("zh-hans", "法国"),
        ("ru", "Франция"),
        ("ar", "فرنسا"),
        ("es", "Francia"),
    ],
)
def test_other_names_come_from_cldr(vcc2, language, expected):
    assert state_name(State.objects.get(iso2="FR"), language) == expected


def test_secretariat_edit_of_a_name_survives_reloading(vcc2, secretariat_user):
    from plenary.scenarios.loader import load_scenario

    kenya = State.objects.get(iso2="KE")
    services.set_official_name(kenya, "en", "Kenya (Republic of)", actor=secretariat_user)
    load_scenario("vcc2")
    assert state_name(State.objects.get(iso2="KE"), "en") == "Kenya (Republic of)"


def test_an_empty_official_name_restores_cldr(vcc2, secretariat_user):
    iran = State.objects.get(iso2="IR")
    services.set_official_name(iran, "en", "  ", actor=secretariat_user)
    assert state_name(State.objects.get(iso2="IR"), "en") == "Iran"


def test_arrears_remove_the_vote_unless_the_schedule_is_kept(vcc2, secretariat_user):
    state = State.objects.get(iso2="PY")
    assert queries.has_right_to_vote(state, VCC2_DAY)
    suspension = services.suspend_voting_right(
        state, since=datetime.date(2020, 1, 1), note="two years of arrears", actor=secretariat_user
    )
    assert not queries.has_right_to_vote(state, VCC2_DAY)
    assert queries.states_without_vote_on(VCC2_DAY)[state.pk].reason == "arrears"
    suspension.schedule_kept = True
    suspension.save()
    assert queries.has_right_to_vote(state, VCC2_DAY)


def test_restoring_the_vote_before_it_was_lost_is_refused(vcc2, secretariat_user):
    from plenary.core.errors import DomainError

    suspension = services.suspend_voting_right(
        State.objects.get(iso2="PY"), since=datetime.date(2020, 6, 1), actor=secretariat_user
    )
    with pytest.raises(DomainError):
        services.restore_voting_right(
            suspension, until=datetime.date(2020, 5, 1), actor=secretariat_user
        )
    suspension.refresh_from_db()
    assert suspension.until is None


def test_observer_cannot_lose_a_vote_it_never_had(vcc2, secretariat_user):
    from plenary.core.errors import DomainError

    with pytest.raises(DomainError):
        services.suspend_voting_right(
            State.objects.get(iso2="PS"), since=VCC2_DAY, actor=secretariat_user
        )


def test_sector_members_three_per_sector_and_the_six_rtos(vcc2):
    consultation = vcc2.consultation
    assert consultation.sector_members.count() == 9
    for sector in SectorMember.Sector.values:
        assert consultation.sector_members.filter(sector=sector).count() == 3
    assert set(RegionalOrganization.objects.values_list("acronym", flat=True)) == {
        "APT",
        "ASMG",
        "ATU",
        "CEPT",
        "CITEL",
        "RCC",
    }


def test_directory_rows_sorted_by_name_in_the_language(vcc2):
    rows = queries.directory_rows(VCC2_DAY, "fr")
    names = [row["name"] for row in rows]
    assert names == sorted(names, key=str.casefold)
    assert len(rows) == 194  # 193 Member States and the State of Palestine
    assert sum(row["council"] for row in rows) == 48
