"""The Council's membership through the API: terms (entered, imported with a dry run,
read, changed), the right to vote, Sector Members and a consultation's invitations — the
same services and the same rule as the secretariat's pages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from plenary.directory.models import CouncilTerm, VotingRightSuspension
from plenary.registration.models import Delegation
from tests.membership.conftest import as_csv, seats_2023

from .conftest import bearer, user_token

TERMS = "/api/v1/council/terms"


def _term_body(seats):
    return {
        "name": "2023-2026",
        "starts_on": "2023-01-01",
        "ends_on": "2026-12-31",
        "seats": [{"region": region, "state": state} for region, state in seats],
    }


def _post(client, path, data, token):
    return client.post(path, data, content_type="application/json", **bearer(token))


def test_a_48_member_term_is_entered_and_read(client, secretariat_token):
    response = _post(client, TERMS, _term_body(seats_2023()), secretariat_token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["seat_count"], body["seats_held"]) == ("2023-2026", 48, 48)
    assert {"region": "D", "state": "ZM", "name": "Zambia"} in body["seats"]
    listed = client.get(TERMS, **bearer(secretariat_token)).json()
    assert [(t["name"], t["seats_held"]) for t in listed][:2] == [
        ("2023-2026", 48),
        ("2019-2022", 48),
    ]
    one = client.get(f"{TERMS}/{body['id']}", **bearer(secretariat_token)).json()
    assert len(one["seats"]) == 48


@pytest.mark.parametrize("count", [47, 49])
def test_47_or_49_seats_are_refused_with_nothing_stored(client, secretariat_token, count):
    seats = seats_2023()[:47] if count == 47 else [*seats_2023(), ("B", "BE")]
    response = _post(client, TERMS, _term_body(seats), secretariat_token)
    assert response.status_code == 400
    assert response.json()["code"] == "seat_count"
    assert f"{count} seats listed; the term has 48" in response.json()["detail"]
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()


def _xlsx(seats) -> bytes:
    workbook = Workbook()
    for region, state in seats:
        workbook.active.append([region, state])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_is_previewed_with_a_dry_run_then_imported(client, secretariat_token, kind):
    data = as_csv(seats_2023()).encode() if kind == "csv" else _xlsx(seats_2023())
    form = {"name": "2023-2026", "starts_on": "2023-01-01", "ends_on": "2026-12-31"}

    def send(dry_run):
        upload = SimpleUploadedFile(f"council.{kind}", data)
        return client.post(
            f"{TERMS}/import",
            {**form, "dry_run": dry_run, "upload": upload},
            **bearer(secretariat_token),
        )

    preview = send("true")
    assert preview.status_code == 200, preview.content
    assert preview.json()["ok"] is True and len(preview.json()["seats"]) == 48
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()
    saved = send("false")
    assert saved.status_code == 201 and saved.json()["seats_held"] == 48


def test_a_dry_run_lists_the_problems_with_their_lines(client, secretariat_token):
    seats = seats_2023()
    seats[2] = ("A", "Narnia")
    upload = SimpleUploadedFile("council.csv", as_csv(seats[:47]).encode())
    response = client.post(
        f"{TERMS}/import",
        {
            "name": "2023-2026",
            "starts_on": "2023-01-01",
            "ends_on": "2026-12-31",
            "dry_run": "true",
            "upload": upload,
        },
        **bearer(secretariat_token),
    )
    body = response.json()
    assert body["ok"] is False
    assert body["problems"] == [
        "line 4: unknown state “Narnia”",
        "47 seats listed; the term has 48",
    ]


def test_the_seats_of_a_term_are_replaced_and_its_consultations_follow(
    client, secretariat_token, consultation
):
    term = consultation.council_term
    seats = [
        {"region": seat.region.code, "state": "ZM" if seat.state.iso2 == "KE" else seat.state.iso2}
        for seat in term.seats.select_related("region", "state")
    ]
    response = client.put(
        f"{TERMS}/{term.pk}/seats",
        {"seats": seats},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert response.status_code == 200, response.content
    assert Delegation.objects.get(consultation=consultation, state__iso2="ZM").category == (
        Delegation.Category.COUNCIL
    )
    dates = client.patch(
        f"{TERMS}/{term.pk}",
        {"ends_on": "2018-01-01"},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert dates.status_code == 400 and dates.json()["code"] == "bad_dates"


def test_the_right_to_vote_is_lost_and_restored(client, secretariat_token):
    lost = _post(
        client,
        "/api/v1/voting-rights",
        {"state": "PRY", "since": "2020-01-01", "reason": "arrears", "note": "two years"},
        secretariat_token,
    )
    assert lost.status_code == 201, lost.content
    assert (lost.json()["state"], lost.json()["until"]) == ("PY", None)
    again = _post(
        client, "/api/v1/voting-rights", {"state": "PY", "since": "2020-02-01"}, secretariat_token
    )
    assert again.status_code == 400 and again.json()["code"] == "already_suspended"
    listed = client.get("/api/v1/voting-rights", **bearer(secretariat_token)).json()
    assert [loss["state"] for loss in listed] == ["PY"]
    early = _post(
        client,
        f"/api/v1/voting-rights/{lost.json()['id']}/restore",
        {"until": "2019-01-01"},
        secretariat_token,
    )
    assert early.status_code == 400 and early.json()["code"] == "bad_dates"
    restored = _post(
        client,
        f"/api/v1/voting-rights/{lost.json()['id']}/restore",
        {"until": "2020-11-01"},
        secretariat_token,
    )
    assert restored.status_code == 200 and restored.json()["until"] == "2020-11-01"
    observer = _post(
        client, "/api/v1/voting-rights", {"state": "PS", "since": "2020-01-01"}, secretariat_token
    )
    assert observer.status_code == 400 and observer.json()["code"] == "not_member"
    unknown = _post(
        client, "/api/v1/voting-rights", {"state": "QQ", "since": "2020-01-01"}, secretariat_token
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_state"


def test_sector_members_are_entered_and_invited_within_the_limit(
    client, secretariat_token, consultation
):
    created = _post(
        client,
        "/api/v1/sector-members",
        {"name": "Radio Co (demo)", "sector": "R", "state": "CH"},
        secretariat_token,
    )
    assert created.status_code == 201 and created.json()["state"] == "CH"
    assert any(
        m["name"] == "Radio Co (demo)"
        for m in client.get("/api/v1/sector-members", **bearer(secretariat_token)).json()
    )
    invited_path = f"/api/v1/consultations/{consultation.slug}/sector-members"
    full = _post(client, invited_path, {"sector_member": created.json()["id"]}, secretariat_token)
    assert full.status_code == 400 and full.json()["code"] == "sector_limit"
    assert "ITU-R already has 3 Sector Members invited" in full.json()["detail"]
    first_r = consultation.sector_members.filter(sector="R").first()
    out = _post(client, f"{invited_path}/{first_r.pk}/uninvite", {}, secretariat_token)
    assert out.status_code == 200
    again = _post(client, invited_path, {"sector_member": created.json()["id"]}, secretariat_token)
    assert again.status_code == 201
    names = [m["name"] for m in client.get(invited_path, **bearer(secretariat_token)).json()]
    assert "Radio Co (demo)" in names and first_r.name not in names


def test_a_focal_point_and_an_anonymous_caller_are_refused(client, focal_ch, consultation):
    token = user_token(focal_ch)
    for path, data in [
        (TERMS, _term_body(seats_2023())),
        ("/api/v1/voting-rights", {"state": "PY", "since": "2020-01-01"}),
        ("/api/v1/sector-members", {"name": "X", "sector": "R"}),
        (f"/api/v1/consultations/{consultation.slug}/sector-members", {"sector_member": 1}),
    ]:
        assert _post(client, path, data, token).status_code == 403
        assert client.post(path, data, content_type="application/json").status_code == 401
        assert client.get(path, **bearer(token)).status_code == 403
    assert not CouncilTerm.objects.filter(name="2023-2026").exists()
    assert not VotingRightSuspension.objects.exists()
