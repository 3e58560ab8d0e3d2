"""The registration list through the API: the same filters and search as the page, 50 a
page, and decisions on many registrations at once with the outcome of each row."""

import pytest

from plenary.core.models import AuditEvent
from plenary.registration import services
from plenary.registration.models import Capacity, Participant
from tests import factories

from .conftest import activate_totp, bearer, user_token

LIST = "/api/v1/consultations/vcc-2/participants"
BULK = "/api/v1/consultations/vcc-2/participants/bulk"


@pytest.fixture
def focal_token(focal_ch):
    return user_token(activate_totp(focal_ch))


def _ids(answer) -> list[int]:
    return [row["id"] for row in answer.json()["results"]]


def test_the_list_with_search_and_filters(client, consultation, secretariat_token):
    zoe = factories.registered(consultation, "CH", 1, name="Zoë Müller", email="zm@example.org")
    speaker = factories.participant(consultation, "FR", 1)
    member = factories.registered(consultation, factories.delegation(consultation), 1)
    french = factories.delegation(consultation, "FR")
    auth = bearer(secretariat_token)

    def ids(query=""):
        answer = client.get(LIST + query, **auth)
        assert answer.status_code == 200, answer.content
        return _ids(answer)

    assert ids() == [zoe.pk, speaker.pk, member.pk]
    assert ids("?q=zoe%20MULLER") == [zoe.pk]
    assert ids("?state=fr") == [speaker.pk]
    assert ids(f"?delegation={french.pk}&role=speaker") == [speaker.pk]
    assert ids("?category=sector_member&status=pending") == [member.pk]
    assert ids("?status=approved&role=viewer") == []
    row = client.get(LIST + "?q=zoe", HTTP_ACCEPT_LANGUAGE="fr", **auth).json()["results"][0]
    assert row | {"registered_at": None} == {
        "id": zoe.pk,
        "name": "Zoë Müller",
        "email": "zm@example.org",
        "delegation": "Suisse",
        "delegation_id": zoe.delegation_id,
        "state": "CH",
        "category": "council",
        "function": "",
        "status": "pending",
        "role": "viewer",
        "registered_at": None,
    }


def test_fifty_a_page(client, consultation, secretariat_token):
    people = [factories.registered(consultation, "KE", n) for n in range(53)]
    first = client.get(LIST, **bearer(secretariat_token)).json()
    assert (first["count"], first["page"], first["pages"], first["per_page"]) == (53, 1, 2, 50)
    assert [row["id"] for row in first["results"]] == [p.pk for p in people[:50]]
    second = client.get(LIST + "?page=2", **bearer(secretariat_token)).json()
    assert [row["id"] for row in second["results"]] == [p.pk for p in people[50:]]


def test_a_bad_filter_is_a_422_naming_it(client, consultation, secretariat_token):
    answer = client.get(LIST + "?status=lost", **bearer(secretariat_token))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "status"


def test_bulk_approval_with_each_rows_outcome(client, consultation, secretariat_token):
    Capacity.objects.filter(consultation=consultation).update(viewer_limit=3)
    people = [factories.registered(consultation, "CH", n) for n in range(5)]
    answer = client.post(
        BULK,
        {"ids": [p.pk for p in people], "action": "approve"},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["action"], body["done"], body["refused"]) == ("approve", 3, 2)
    assert body["summary"] == (
        "3 approved; 2 refused: The platform has no viewer place left (capacity: 3 viewers)."
    )
    assert [(row["id"], row["done"], row["code"]) for row in body["rows"]] == [
        *[(p.pk, True, "") for p in people[:3]],
        *[(p.pk, False, "viewer_capacity") for p in people[3:]],
    ]
    assert Capacity.objects.get(consultation=consultation).viewers == 3


def test_bulk_refusal_with_a_note_and_a_second_call_changes_nothing(
    client, consultation, secretariat_token
):
    people = [factories.registered(consultation, "FR", n) for n in range(3)]
    call = {"ids": [p.pk for p in people], "action": "reject", "note": "Not accredited"}

    def post():
        return client.post(
            BULK, call, content_type="application/json", **bearer(secretariat_token)
        ).json()

    assert post()["done"] == 3
    events = AuditEvent.objects.count()
    again = post()
    assert (again["done"], again["refused"]) == (0, 3)
    assert {row["code"] for row in again["rows"]} == {"already_decided"}
    assert AuditEvent.objects.count() == events
    notes = AuditEvent.objects.filter(action="registration.rejected").values_list("data", flat=True)
    assert list(notes) == [{"note": "Not accredited"}] * 3


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"ids": [], "action": "approve"}, 400, "empty_selection"),
        ({"ids": ["{mine}", "{theirs}"], "action": "approve"}, 400, "wrong_consultation"),
        ({"ids": ["{mine}"], "action": "promote"}, 422, None),
        ({"ids": ["{mine}"], "action": "reject", "note": "n" * 301}, 422, None),
        ({"ids": list(range(1, 502)), "action": "approve"}, 422, None),
    ],
    ids=["empty", "another consultation", "unknown action", "note too long", "too many"],
)
def test_bad_input_is_refused_and_changes_nothing(
    client, consultation, secretariat_token, body, status, code
):
    mine = factories.registered(consultation, "CH", 1)
    other = factories.open_registration(
        factories.another_consultation(consultation, slug="vcc-3", acronym="VCC-3")
    )
    services.setup_delegations(other)
    theirs = factories.registered(other, factories.delegation(other, "CH"), 1, now=None)
    ids = {"{mine}": mine.pk, "{theirs}": theirs.pk}
    body = {**body, "ids": [ids.get(i, i) for i in body["ids"]]}
    events = AuditEvent.objects.count()
    answer = client.post(BULK, body, content_type="application/json", **bearer(secretariat_token))
    assert answer.status_code == status, answer.content
    if code:
        assert answer.json()["code"] == code
    if code == "wrong_consultation":
        assert str(theirs.pk) in answer.json()["detail"]
    assert AuditEvent.objects.count() == events
    assert Participant.objects.filter(pk__in=[mine.pk, theirs.pk], status="pending").count() == 2


def test_a_focal_point_may_neither_list_nor_decide_in_bulk(client, consultation, focal_token):
    french = factories.registered(consultation, "FR", 1)
    assert client.get(LIST, **bearer(focal_token)).status_code == 403
    answer = client.post(
        BULK,
        {"ids": [french.pk], "action": "approve"},
        content_type="application/json",
        **bearer(focal_token),
    )
    assert answer.status_code == 403
    french.refresh_from_db()
    assert french.status == "pending"
    # Through the focal point's own endpoint, another state's registration is refused too.
    answer = client.post(
        f"/api/v1/consultations/vcc-2/participants/{french.pk}/approve", **bearer(focal_token)
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "not_focal_point")


def test_anonymous_is_asked_to_sign_in(client, consultation):
    assert client.get(LIST).status_code == 401
