"""A Council term entered by the secretariat: 48 seats by region with its dates, through the
service, a file (CSV, XLSX, YAML) previewed first, and the pages; every problem named with
its line, and nothing stored when anything is wrong."""

import datetime
import io

import pytest
from openpyxl import Workbook

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.membership import services
from plenary.registration.models import Delegation

from .conftest import ENDS, SHIPPED, STARTS, as_csv, seats_2023, shipped_seats


def _enter(actor, seats=None, **fields):
    values = {"name": "2023-2026", "starts_on": STARTS, "ends_on": ENDS, **fields}
    return services.enter_term(
        values["name"], values["starts_on"], values["ends_on"], seats or seats_2023(), actor=actor
    )


def _by_region(term) -> dict[str, int]:
    counts = {}
    for code in term.seats.values_list("region__code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    return counts


def test_a_48_member_term_is_entered_with_its_dates_by_region(vcc2, secretariat_user):
    term = _enter(secretariat_user)
    assert (term.name, term.starts_on, term.ends_on, term.seat_count) == (
        "2023-2026",
        STARTS,
        ENDS,
        48,
    )
    assert _by_region(term) == {"A": 9, "B": 8, "C": 5, "D": 13, "E": 13}
    seated = set(term.seats.values_list("state__iso2", flat=True))
    assert {"CO", "ZM", "BD"} <= seated and not {"BS", "BF", "IR"} & seated
    event = AuditEvent.objects.get(action="membership.term_entered")
    assert event.data["seats"]["A"][:3] == ["AR", "BR", "CA"]


@pytest.mark.parametrize("count", [47, 49])
def test_47_or_49_seats_are_refused_and_nothing_is_stored(vcc2, secretariat_user, count):
    seats = seats_2023()
    seats = seats[:47] if count == 47 else [*seats, ("B", "BE")]
    terms, seat_rows = CouncilTerm.objects.count(), CouncilSeat.objects.count()
    with pytest.raises(DomainError) as refused:
        _enter(secretariat_user, seats)
    assert refused.value.code == "seat_count"
    assert f"{count} seats listed; the term has 48" in refused.value.user_message()
    assert (CouncilTerm.objects.count(), CouncilSeat.objects.count()) == (terms, seat_rows)
    assert not AuditEvent.objects.filter(action="membership.term_entered").exists()


def test_every_problem_of_a_list_is_named_together(vcc2, secretariat_user):
    seats = seats_2023()
    seats[0] = ("F", "AR")  # no region F
    seats[1] = ("A", "XX")  # no such state
    seats[2] = ("E", "PW")  # Palau joins in September 2024, after the first day
    seats[3] = ("A", "MX")  # Mexico twice
    seats[4] = ("E", "KE")  # Kenya is in region D
    with pytest.raises(DomainError) as refused:
        _enter(secretariat_user, seats, name="2019-2022", ends_on=datetime.date(2022, 1, 1))
    problems = refused.value.problems
    assert refused.value.code == "name_taken"
    expected = [
        "name: a term named “2019-2022” already exists",
        "dates: the term ends (2022-01-01) before it starts (2023-01-01)",
        "seat 1: unknown region “F” (A to E)",
        "seat 2: unknown state “XX”",
        "seat 3: Palau is not a Member State on 2023-01-01, the term's first day",
        "seat 7: Mexico is listed twice (also seat 4)",
        "seat 5: Kenya is in region D, not E",
    ]
    for text in expected:
        assert any(problem.startswith(text) for problem in problems), (text, problems)
    assert CouncilTerm.objects.filter(name="2023-2026").count() == 0


def test_an_observer_state_cannot_hold_a_seat(vcc2, secretariat_user):
    seats = seats_2023()
    seats[-1] = ("E", "PS")
    with pytest.raises(DomainError) as refused:
        _enter(secretariat_user, seats)
    assert refused.value.code == "not_member"
    assert "seat 48: State of Palestine is not a Member State" in refused.value.user_message()


def test_a_focal_point_cannot_enter_a_term(vcc2, focal_ch):
    with pytest.raises(DomainError) as refused:
        _enter(focal_ch)
    assert refused.value.code == "not_secretariat"
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()


def test_a_term_of_another_size_takes_its_own_number(vcc2, secretariat_user):
    seats = seats_2023()[:46]
    term = services.enter_term(
        "2027-2030",
        datetime.date(2027, 1, 1),
        datetime.date(2030, 12, 31),
        seats,
        actor=secretariat_user,
        seat_count=46,
    )
    assert term.seats.count() == 46 and term.seat_count == 46


def test_changing_the_dates_or_the_number_of_seats_keeps_the_seats_fitting(vcc2, secretariat_user):
    term = _enter(secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.update_term(term, seat_count=47, actor=secretariat_user)
    assert "48 seats listed; the term has 47" in refused.value.user_message()
    with pytest.raises(DomainError) as refused:
        services.update_term(term, ends_on=datetime.date(2022, 6, 1), actor=secretariat_user)
    assert refused.value.code == "bad_dates"
    services.update_term(term, ends_on=datetime.date(2026, 10, 1), actor=secretariat_user)
    term.refresh_from_db()
    assert (term.ends_on, term.seat_count) == (datetime.date(2026, 10, 1), 48)


# --- the consultations of a term follow its seats ----------------------------------------


def test_a_state_given_a_seat_gets_a_council_delegation(consultation, secretariat_user):
    """Zambia takes Switzerland's seat in 2019-2022: VCC-2 has a Council delegation for it."""
    term = consultation.council_term
    seats = [("D", "ZM") if s == "CH" else (r, s) for r, s in shipped_seats()]
    services.replace_seats(term, seats, actor=secretariat_user)
    assert set(term.seats.values_list("state__iso2", flat=True)) == {
        "ZM" if s == "CH" else s for _r, s in shipped_seats()
    }
    zambia = Delegation.objects.get(consultation=consultation, state__iso2="ZM")
    assert zambia.category == Delegation.Category.COUNCIL
    event = AuditEvent.objects.get(action="membership.seats_replaced")
    assert (event.data["added"], event.data["removed"]) == (["ZM"], ["CH"])


def test_a_state_that_loses_its_seat_becomes_an_observer(consultation, secretariat_user):
    """Switzerland, seated in 2019-2022 and with a delegation in VCC-2, gives its seat to
    Belgium, an invited observer: the categories of both follow (setup_delegations)."""
    term = consultation.council_term
    seats = [(region, "BE" if state == "CH" else state) for region, state in shipped_seats()]
    services.replace_seats(term, seats, actor=secretariat_user)
    categories = dict(
        Delegation.objects.filter(
            consultation=consultation, state__iso2__in=["CH", "BE"]
        ).values_list("state__iso2", "category")
    )
    assert categories == {"CH": Delegation.Category.OBSERVER, "BE": Delegation.Category.COUNCIL}


def test_a_refused_change_of_seats_changes_nothing(consultation, secretariat_user):
    term = consultation.council_term
    before = sorted(term.seats.values_list("state__iso2", flat=True))
    with pytest.raises(DomainError):
        services.replace_seats(term, shipped_seats()[:47], actor=secretariat_user)
    assert sorted(term.seats.values_list("state__iso2", flat=True)) == before


# --- files: CSV, XLSX, YAML --------------------------------------------------------------


NAMED = [  # the same seats, some by name in the six languages, some by alpha-3 code
    ("B", "Suisse"),
    ("D", "Kenia"),
    ("B", "Германия"),
    ("E", "日本"),
    ("D", "مصر"),
    ("D", "Cote d'Ivoire"),
    ("A", "USA"),
]


def _named_seats():
    replaced = {"CH": 0, "KE": 1, "DE": 2, "JP": 3, "EG": 4, "CI": 5, "US": 6}
    return [
        NAMED[replaced[state]] if state in replaced else (region, state)
        for region, state in seats_2023()
    ]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16"], ids=["utf8", "utf8-bom", "utf16-bom"]
)
def test_a_csv_is_previewed_then_entered(vcc2, secretariat_user, encoding):
    data = as_csv(_named_seats()).encode(encoding)
    preview = services.import_term(
        data,
        "council.csv",
        name="2023-2026",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
        dry_run=True,
    )
    assert preview.ok, [str(p) for p in preview.problems]
    assert {region.code: len(states) for region, states in preview.by_region()} == {
        "A": 9,
        "B": 8,
        "C": 5,
        "D": 13,
        "E": 13,
    }
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()
    term = services.import_term(
        data,
        "council.csv",
        name="2023-2026",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
    )
    assert set(term.seats.values_list("state__iso2", flat=True)) == {s for _r, s in seats_2023()}


def test_a_csv_in_another_encoding_is_refused_naming_the_line(vcc2, secretariat_user):
    seats = seats_2023()
    seats[9] = ("B", "Suisse, Confédération")
    data = as_csv(seats).encode("latin-1")
    preview = services.import_term(
        data,
        "council.csv",
        name="2023-2026",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
        dry_run=True,
    )
    assert str(preview.problems[0]).startswith("line 11: the file is not UTF-8 text")
    assert preview.problems[0].refusal.code == "bad_file"


def test_the_errors_of_a_csv_are_listed_with_their_lines_and_nothing_is_entered(
    vcc2, secretariat_user
):
    seats = seats_2023()
    seats[4] = ("A", "Atlantis")
    seats[20] = ("Z", "KE")
    text = as_csv(seats).replace("B,CH\n", "B,CH\nB\n")
    with pytest.raises(DomainError) as refused:
        services.import_term(
            text.encode(),
            "council.csv",
            name="2023-2026",
            starts_on=STARTS,
            ends_on=ENDS,
            actor=secretariat_user,
        )
    problems = refused.value.problems
    assert "line 6: unknown state “Atlantis”" in problems
    assert "line 23: unknown region “Z” (A to E)" in problems
    assert any(p.startswith("line ") and "a region and a state are needed" in p for p in problems)
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()


def test_an_xlsx_is_previewed_then_entered(vcc2, secretariat_user):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Region", "State", "Note"])
    for region, state in _named_seats():
        sheet.append([region, state, "elected at PP-22"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = services.import_term(
        buffer.getvalue(),
        "council.xlsx",
        name="2023-2026",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
        dry_run=True,
    )
    assert preview.ok and len(preview.seats) == 48
    term = services.import_term(
        buffer.getvalue(),
        "council.xlsx",
        name="2023-2026",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
    )
    assert term.seats.count() == 48


def test_a_damaged_xlsx_is_refused(vcc2, secretariat_user):
    preview = services.import_term(
        b"PK\x03\x04not really a workbook",
        "council.xlsx",
        name="x",
        starts_on=STARTS,
        ends_on=ENDS,
        actor=secretariat_user,
        dry_run=True,
    )
    assert "cannot be read as an Excel workbook" in str(preview.problems[0])


def _yaml_2023() -> str:
    text = SHIPPED.read_text(encoding="utf-8").replace('term: "2019-2022"', 'term: "2023-2026"')
    for old, new in (("BS: Bahamas", "CO: Colombia"), ("BF: Burkina Faso", "ZM: Zambia")):
        text = text.replace(old, new)
    return text.replace('IR: "Iran (Islamic Republic of)"', "BD: Bangladesh")


def test_the_yaml_of_the_shipped_council_file_is_previewed_then_entered(vcc2, secretariat_user):
    data = _yaml_2023().encode()
    preview = services.import_term(
        data, "council-2023-2026.yaml", actor=secretariat_user, dry_run=True
    )
    assert preview.ok, [str(p) for p in preview.problems]
    assert (preview.name, preview.starts_on, preview.ends_on) == ("2023-2026", STARTS, ENDS)
    term = services.import_term(data, "council-2023-2026.yaml", actor=secretariat_user)
    assert set(term.seats.values_list("state__iso2", flat=True)) == {s for _r, s in seats_2023()}


def test_the_yaml_errors_name_their_lines(vcc2, secretariat_user):
    text = _yaml_2023().replace("CO: Colombia", "CO: Colombia, XK: Kosovo")
    preview = services.import_term(text.encode(), "c.yaml", actor=secretariat_user, dry_run=True)
    problems = [str(p) for p in preview.problems]
    assert "line 7: unknown state “XK”" in problems
    assert "49 seats listed; the term has 48" in problems
    broken = services.import_term(
        b"term: 2023-2026\nregions: [\n", "c.yaml", actor=secretariat_user, dry_run=True
    )
    assert str(broken.problems[0]).startswith("line ")


def test_a_file_that_is_no_list_is_refused(vcc2, secretariat_user):
    preview = services.import_term(
        b"%PDF-1.7", "council.pdf", name="x", actor=secretariat_user, dry_run=True
    )
    assert preview.problems[0].refusal.code == "bad_file"
    big = services.import_term(b"A,CH\n" * 300_000, "c.csv", actor=secretariat_user, dry_run=True)
    assert big.problems[0].refusal.code == "too_large"


# --- the pages ---------------------------------------------------------------------------


def test_the_secretariat_previews_and_saves_a_term_on_the_page(secretariat_client, vcc2):
    page = secretariat_client.get("/en/secretariat/council/")
    assert page.status_code == 200 and "2019-2022" in page.content.decode()
    form = {
        "name": "2023-2026",
        "starts_on": "2023-01-01",
        "ends_on": "2026-12-31",
        "seat_count": "48",
        "members": as_csv(_named_seats(), header=False),
    }
    preview = secretariat_client.post("/en/secretariat/council/", {**form, "action": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="preview"' in html and "Zambia" in html
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()
    saved = secretariat_client.post("/en/secretariat/council/", {**form, "action": "save"})
    term = CouncilTerm.objects.get(name="2023-2026")
    assert saved.status_code == 302 and saved["Location"] == f"/en/secretariat/council/{term.pk}/"
    detail = secretariat_client.get(saved["Location"]).content.decode()
    assert "Zambia" in detail and "Bangladesh" in detail


def test_an_uploaded_file_is_previewed_on_the_page(secretariat_client, vcc2):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.yaml", _yaml_2023().encode(), content_type="application/yaml")
    page = secretariat_client.post(
        "/en/secretariat/council/", {"seat_count": "48", "upload": upload, "action": "preview"}
    )
    html = page.content.decode()
    assert 'id="preview"' in html and 'value="2023-2026"' in html and "D,ZM" in html


def test_the_page_lists_the_problems_and_saves_nothing(secretariat_client, vcc2):
    seats = seats_2023()[:47]
    response = secretariat_client.post(
        "/en/secretariat/council/",
        {
            "name": "2023-2026",
            "starts_on": "2023-01-01",
            "ends_on": "2026-12-31",
            "seat_count": "48",
            "members": as_csv(seats),
            "action": "save",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "47 seats listed; the term has 48" in html
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()


def test_the_members_of_a_term_are_replaced_on_its_page(secretariat_client, consultation):
    term = consultation.council_term
    seats = [(region, "ZM" if state == "KE" else state) for region, state in shipped_seats()]
    response = secretariat_client.post(
        f"/en/secretariat/council/{term.pk}/", {"members": as_csv(seats), "action": "seats"}
    )
    assert response.status_code == 302
    assert (
        term.seats.filter(state__iso2="ZM").exists()
        and not term.seats.filter(state__iso2="KE").exists()
    )


def test_the_council_pages_are_the_secretariats(client, focal_client, consultation):
    term = consultation.council_term
    for path in ("/en/secretariat/council/", f"/en/secretariat/council/{term.pk}/"):
        assert focal_client.get(path).status_code == 403
        anonymous = client.__class__().get(path)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
