"""The secretariat's list of registrations: search and filters, decisions on one row and in
bulk (capacity, double submission, bad input), who may, and the registrations that wait
for a delegation without a focal point."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, OutboxMessage
from plenary.registration import services
from plenary.registration.models import Capacity, Delegation, Participant
from tests import factories

LIST = "/en/c/vcc-2/registration/participants/"
BULK = "/en/c/vcc-2/registration/participants/bulk/"
MAILBOX = "sg-registration@itu.int"


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


def _rows(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr id="participant-(\d+)"', html)}


def _many(consultation, who, count, start=0):
    return [factories.registered(consultation, who, n) for n in range(start, start + count)]


def _state(person) -> tuple:
    person.refresh_from_db()
    return person.status, person.role


# --- the list ---------------------------------------------------------------------------------


def test_search_ignores_case_and_accents_and_filters_combine(consultation, secretariat_client):
    zoe = factories.registered(consultation, "CH", 1, name="Zoë Martín", email="zoe@example.org")
    fr_viewer = factories.participant(consultation, "FR", 1, speaker=False)
    fr_speaker = factories.participant(consultation, "FR", 2)
    member = factories.registered(consultation, factories.delegation(consultation), 1)
    french = factories.delegation(consultation, "FR")

    def shown(query):
        return _rows(secretariat_client.get(LIST + query).content.decode())

    assert shown("") == {zoe.pk, fr_viewer.pk, fr_speaker.pk, member.pk}
    assert shown("?q=ZOE+MARTIN") == {zoe.pk}
    assert shown("?q=martín") == {zoe.pk}
    assert shown("?q=ZOE%40EXAMPLE") == {zoe.pk}
    assert shown(f"?delegation={french.pk}") == {fr_viewer.pk, fr_speaker.pk}
    assert shown("?category=sector_member") == {member.pk}
    assert shown("?status=pending") == {zoe.pk, member.pk}
    assert shown(f"?delegation={french.pk}&role=speaker") == {fr_speaker.pk}
    assert shown("?q=fr&status=approved&role=viewer") == {fr_viewer.pk}


def test_a_bad_filter_is_named_and_not_applied(consultation, secretariat_client):
    person = factories.registered(consultation, "CH", 1)
    html = secretariat_client.get(LIST + "?status=lost&delegation=abc").content.decode()
    assert "Status: Select a valid choice." in html
    assert "Delegation: Select a valid choice." in html
    assert _rows(html) == {person.pk}


def test_columns_in_the_readers_language_and_the_consultations_zone(
    consultation, secretariat_client
):
    person = factories.registered(consultation, "CH", 1, function="Counsellor")
    # Registered on 20 October 2020 at 09:00 UTC: 11:00 in Geneva (summer time).
    Participant.objects.filter(pk=person.pk).update(registered_at=factories.OPEN)

    def row(language):
        html = secretariat_client.get(f"/{language}/c/vcc-2/registration/participants/")
        html = html.content.decode()
        start = html.index(f'<tr id="participant-{person.pk}"')
        return html[start : html.index("</tr>", start)]

    english = row("en")
    for shown in ("CH 1", "ch1@example.org", "Switzerland", "Council Member State"):
        assert shown in english, shown
    for shown in ("Counsellor", "Pending approval", "Oct 20, 2020, 11:00"):
        assert shown in english, shown
    french = row("fr")
    assert "Suisse" in french and "20 oct. 2020, 11:00" in french


def test_fifty_a_page_in_as_many_queries_as_one_row(consultation, secretariat_client):
    first = _many(consultation, "KE", 1)  # with a delegation waiting for nobody already
    with CaptureQueriesContext(connection) as one_row:
        assert secretariat_client.get(LIST).status_code == 200
    people = first + _many(consultation, "FR", 54) + _many(consultation, "CH", 5)
    with CaptureQueriesContext(connection) as full_page:
        page1 = secretariat_client.get(LIST).content.decode()
    assert len(full_page) == len(one_row)
    assert _rows(page1) == {p.pk for p in people[:50]}  # oldest first
    assert "60 registrations" in page1 and "Page 1 of 2" in page1
    page2 = secretariat_client.get(LIST + "?status=pending&page=2").content.decode()
    assert _rows(page2) == {p.pk for p in people[50:]}
    assert 'href="?status=pending&amp;page=1"' in page2  # the filters kept from page to page


# --- one row ----------------------------------------------------------------------------------


def test_approve_one_row_and_refuse_another_with_a_note(consultation, secretariat_client):
    one, other = _many(consultation, "CH", 2)
    answer = secretariat_client.post(BULK, {"row": f"{one.pk}:approve", "next": LIST})
    assert answer.status_code == 302 and answer["Location"] == LIST
    secretariat_client.post(BULK, {"row": f"{other.pk}:reject", "note": "Not a delegate"})
    assert _state(one) == ("approved", "viewer")
    assert _state(other) == ("rejected", "viewer")
    rejected = AuditEvent.objects.get(action="registration.rejected", target_id=str(other.pk))
    assert rejected.data == {"note": "Not a delegate"}
    assert OutboxMessage.objects.filter(to=[one.email], subject__contains="personal link").exists()
    html = secretariat_client.get(LIST).content.decode()
    assert "1 rejected" in html and f'id="outcome-{other.pk}"' in html


def test_name_a_speaker_make_a_viewer_and_withdraw_from_the_list(consultation, secretariat_client):
    person = factories.participant(consultation, "KE", 1, speaker=False)
    secretariat_client.post(BULK, {"row": f"{person.pk}:speaker"})
    assert _state(person) == ("approved", "speaker")
    secretariat_client.post(BULK, {"row": f"{person.pk}:viewer"})
    assert _state(person) == ("approved", "viewer")
    secretariat_client.post(BULK, {"row": f"{person.pk}:withdraw"})
    assert _state(person) == ("withdrawn", "viewer")
    capacity = Capacity.objects.get(consultation=consultation)
    assert (capacity.speakers, capacity.viewers) == (0, 0)


# --- in bulk ----------------------------------------------------------------------------------


def test_bulk_approval_of_100_registrations_whose_focal_point_never_answered(
    consultation, secretariat_client
):
    people = _many(consultation, "CH", 100)  # Switzerland's focal point was told, and waits
    approved_before = AuditEvent.objects.filter(action="registration.approved").count()
    answer = secretariat_client.post(
        BULK, {"participant": [p.pk for p in people], "action": "approve"}
    )
    assert answer.status_code == 302
    assert (
        Participant.objects.filter(
            consultation=consultation, status="approved", role="viewer"
        ).count()
        == 100
    )
    capacity = Capacity.objects.get(consultation=consultation)
    assert (capacity.viewers, capacity.speakers) == (100, 0)
    assert (
        AuditEvent.objects.filter(action="registration.approved").count() == approved_before + 100
    )
    assert OutboxMessage.objects.filter(subject__contains="personal link").count() == 100
    html = secretariat_client.get(LIST).content.decode()
    assert "100 approved" in html and "refused:" not in html
    assert html.count('id="outcome-') == 100


def test_bulk_approval_stops_at_the_viewer_capacity_and_says_so(consultation, secretariat_client):
    Capacity.objects.filter(consultation=consultation).update(viewer_limit=37)
    people = _many(consultation, "FR", 100)
    secretariat_client.post(BULK, {"participant": [p.pk for p in people], "action": "approve"})
    capacity = Capacity.objects.get(consultation=consultation)
    assert capacity.viewers == 37
    approved = set(
        Participant.objects.filter(consultation=consultation, status="approved").values_list(
            "pk", flat=True
        )
    )
    assert approved == {p.pk for p in people[:37]}  # in the order selected
    html = secretariat_client.get(LIST).content.decode()
    assert (
        "37 approved; 63 refused: The platform has no viewer place left (capacity: 37 viewers)."
        in html
    )


def test_a_second_click_changes_nothing_more(consultation, secretariat_client):
    people = _many(consultation, "CH", 5)
    selection = {"participant": [p.pk for p in people], "action": "approve"}
    secretariat_client.post(BULK, selection)
    counts = (AuditEvent.objects.count(), OutboxMessage.objects.count())
    secretariat_client.post(BULK, selection)
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == counts
    assert Capacity.objects.get(consultation=consultation).viewers == 5
    html = secretariat_client.get(LIST).content.decode()
    assert "0 approved; 5 refused: This registration has already been decided." in html


def test_a_refused_row_does_not_undo_the_others(consultation, secretariat_client):
    decided = factories.participant(consultation, "CH", 1, speaker=False)
    waiting = _many(consultation, "CH", 2, start=2)
    secretariat_client.post(
        BULK, {"participant": [waiting[0].pk, decided.pk, waiting[1].pk], "action": "reject"}
    )
    assert [_state(p)[0] for p in waiting] == ["rejected", "rejected"]
    assert _state(decided) == ("approved", "viewer")
    html = secretariat_client.get(LIST).content.decode()
    assert "2 rejected; 1 refused: This registration has already been decided." in html


def test_refuse_the_selected_records_the_note_on_each(consultation, secretariat_client):
    people = _many(consultation, "FR", 3)
    secretariat_client.post(
        BULK, {"participant": [p.pk for p in people], "action": "reject", "note": "Duplicate"}
    )
    events = AuditEvent.objects.filter(action="registration.rejected")
    assert sorted(int(e.target_id) for e in events) == sorted(p.pk for p in people)
    assert {e.data["note"] for e in events} == {"Duplicate"}


# --- bad input: a clear message, nothing changed -----------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "approve"}, "Select at least one registration."),
        ({"participant": ["{mine}"], "action": "promote"}, "Unknown action &#x27;promote&#x27;"),
        (
            {"participant": ["{mine}", "{theirs}"], "action": "approve"},
            "No registration of this consultation has the number {theirs}; nothing was changed.",
        ),
        ({"participant": ["{mine}", "x1"], "action": "approve"}, "Selection: x1 is not"),
        (
            {"participant": ["{mine}"], "action": "reject", "note": "n" * 301},
            "Note for a refusal: Ensure this value has at most 300 characters",
        ),
    ],
    ids=["empty", "unknown action", "another consultation", "not a number", "note too long"],
)
def test_bad_input_is_named_and_changes_nothing(consultation, secretariat_client, data, message):
    mine = factories.registered(consultation, "CH", 1)
    other = factories.open_registration(
        factories.another_consultation(consultation, slug="vcc-3", acronym="VCC-3")
    )
    services.setup_delegations(other)
    theirs = factories.registered(other, factories.delegation(other, "CH"), 1, now=None)
    ids = {"mine": mine.pk, "theirs": theirs.pk}
    data = {
        key: [v.format(**ids) for v in value] if isinstance(value, list) else value
        for key, value in data.items()
    }
    events = AuditEvent.objects.count()
    answer = secretariat_client.post(BULK, data, follow=True)
    assert message.format(**ids) in answer.content.decode()
    assert AuditEvent.objects.count() == events
    assert _state(mine)[0] == _state(theirs)[0] == "pending"


def test_more_than_500_selected_is_refused(consultation):
    with pytest.raises(DomainError) as refused:
        services.selected_participants(consultation, range(1, 502))
    assert refused.value.code == "too_large"
    assert "500" in refused.value.user_message()


# --- who may ----------------------------------------------------------------------------------


def test_a_focal_point_cannot_see_the_list_nor_decide_from_it(client, consultation, focal_ch):
    french = factories.registered(consultation, "FR", 1)
    client.force_login(focal_ch)
    assert client.get(LIST).status_code == 403
    assert client.post(BULK, {"participant": [french.pk], "action": "approve"}).status_code == 403
    assert _state(french)[0] == "pending"


def test_the_service_refuses_a_focal_point_the_rows_of_another_state(consultation, focal_ch):
    swiss = factories.registered(consultation, "CH", 1)
    french = factories.registered(consultation, "FR", 1)
    outcome = services.bulk_decide([swiss, french], "approve", actor=focal_ch)
    assert [(row.done, row.code) for row in outcome.rows] == [
        (True, ""),
        (False, "not_focal_point"),
    ]
    assert _state(french)[0] == "pending"
    refused = AuditEvent.objects.get(action="registration.refused")
    assert refused.data == {"action": "approve", "why": "not_focal_point"}


def test_the_list_needs_a_sign_in(client, consultation):
    answer = client.get(LIST)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


# --- registrations that wait for nobody ---------------------------------------------------------


def test_stranded_registrations_come_first_with_what_unblocks_them(
    consultation, secretariat_client
):
    kenyans = _many(consultation, "KE", 3)
    factories.registered(consultation, "CH", 1)  # Switzerland has a focal point
    kenya = factories.delegation(consultation, "KE")
    for page in (LIST, "/en/c/vcc-2/registration/"):
        html = secretariat_client.get(page).content.decode()
        assert "Kenya: 3 registrations wait and Kenya has no focal point" in html
        assert "Switzerland: 1" not in html
        assert 'href="/en/c/vcc-2/people/"' in html
        assert html.index("Kenya: 3 registrations wait") < html.index("<table")
    secretariat_client.post(
        BULK,
        {
            "participant": [p.pk for p in kenyans],
            "action": "approve",
            "next": f"{LIST}?delegation={kenya.pk}",
        },
    )
    assert [_state(p)[0] for p in kenyans] == ["approved"] * 3
    assert "has no focal point" not in secretariat_client.get(LIST).content.decode()


def test_the_registration_mailbox_is_told_once_a_day_per_delegation(consultation):
    for n in range(3):
        factories.registered(consultation, "KE", n)
    factories.registered(consultation, "NG", 1)
    factories.registered(consultation, "CH", 1)  # its focal point is told instead
    notices = OutboxMessage.objects.filter(to=[MAILBOX]).order_by("pk")
    assert [m.subject for m in notices] == [
        "Kenya has no focal point: registrations wait for VCC-2",
        "Nigeria has no focal point: registrations wait for VCC-2",
    ]
    kenya = factories.delegation(consultation, "KE")
    assert f"/en/c/vcc-2/registration/participants/?delegation={kenya.pk}" in notices[0].body
    assert "/en/c/vcc-2/people/" in notices[0].body
    nigeria = factories.delegation(consultation, "NG")
    told = AuditEvent.objects.filter(action="registration.stranded_notice").order_by("sequence")
    assert [(e.target_id, e.data["waiting"]) for e in told] == [
        (str(kenya.pk), 1),
        (str(nigeria.pk), 1),
    ]
    # A day later (the notice moved back a day: the only way to pass a day in a test that
    # no service offers), Kenya's next registration tells the mailbox again.
    told.filter(target_id=str(kenya.pk)).update(
        occurred_at=told.get(target_id=str(kenya.pk)).occurred_at - datetime.timedelta(days=1)
    )
    factories.registered(consultation, "KE", 9)
    again = OutboxMessage.objects.filter(to=[MAILBOX]).order_by("pk").last()
    assert again.subject.startswith("Kenya") and "4 registrations of Kenya wait" in again.body


def test_a_committed_notice_is_remembered_without_searching_the_log(
    consultation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        factories.registered(consultation, "KE", 1)
    with CaptureQueriesContext(connection) as second:
        factories.registered(consultation, "KE", 2)
    assert not [q for q in second.captured_queries if "stranded_notice" in q["sql"]]
    assert OutboxMessage.objects.filter(to=[MAILBOX]).count() == 1


def test_no_notice_once_the_delegation_has_a_focal_point(consultation, secretariat_user):
    kenya = factories.delegation(consultation, "KE")
    services.appoint_focal_point(kenya, factories.delegate("EG"), actor=secretariat_user)
    factories.registered(consultation, "KE", 1)
    assert not OutboxMessage.objects.filter(to=[MAILBOX]).exists()
    assert not Delegation.objects.filter(pk=kenya.pk, focal_points__isnull=True).exists()


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_lists_the_ten_oldest_waiting_and_links_to_the_list(
    consultation, secretariat_client
):
    people = _many(consultation, "CH", 12)
    factories.participant(consultation, "FR", 1, speaker=False)
    html = secretariat_client.get("/en/c/vcc-2/registration/").content.decode()
    shown = {int(pk) for pk in re.findall(r'<tr id="pending-(\d+)"', html)}
    assert shown == {p.pk for p in people[:10]}
    assert "12 registrations wait for approval" in html
    assert f'href="{LIST}?status=pending"' in html
    assert "The full list (1 participant approved)" in html
