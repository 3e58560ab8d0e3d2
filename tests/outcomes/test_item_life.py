"""The item's life: recording its outcome concludes it on the floor, on the planning desk
and in the plan; objections say who entered them, live and in the report; the chair's
console names the item, opens today's meetings and ends the meeting (R22-R24, R26)."""

import datetime
import io
from zoneinfo import ZoneInfo

import docx
import pytest
from django.test import Client
from django.utils import timezone

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import services as floor
from plenary.floor import snapshot
from plenary.floor.models import FloorRequest
from plenary.outcomes import services
from plenary.outcomes.models import ItemOutcome, Objection
from plenary.planning import services as planning
from plenary.planning.models import ItemProgress
from plenary.registration import services as registration
from tests import factories

CONSOLE = "/en/c/vcc-2/console/"
CONCLUSION = "The Council takes note of the report."


@pytest.fixture
def discussed(consultation, chair):
    """Item 1.2 on the floor of meeting 1, with its conclusion drafted."""
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    services.draft_conclusion(item, texts={"en": CONCLUSION}, original="en", actor=chair)
    return item


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _live_page_of(person, chair) -> Client:
    client = Client()
    assert client.get(f"/j/{registration.send_link(person, actor=chair)}").status_code == 302
    return client


# --- the outcome closes the item -----------------------------------------------------------


def test_recording_the_outcome_closes_the_list_and_withdraws_the_waiting_requests(
    consultation, discussed, chair
):
    waiting = floor.ask_for_floor(factories.participant(consultation, "CH"))
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    state = floor.floor_of(consultation)
    assert state.item_id == discussed.pk and state.list_open is False
    waiting.refresh_from_db()
    assert waiting.status == FloorRequest.Status.WITHDRAWN
    data = snapshot.build(consultation.pk)
    assert data["concluded"] is True and data["open"] is False and data["queue"] == []
    # What was concluded reaches the live pages, although it was never "shown".
    assert data["state"] == "agreed" and data["conclusion"]["en"] == CONCLUSION
    event = AuditEvent.objects.filter(action="floor.list_closed").latest("sequence")
    assert (event.data["item"], event.data["why"], event.data["withdrawn"]) == (
        "1.2",
        "concluded",
        1,
    )


def test_recording_the_outcome_ends_the_speech_under_way_and_the_interrupted_one(
    consultation, discussed, chair
):
    """Nobody goes on speaking on a concluded item: the speech under way (here a point of
    order) and the speech it interrupted end, each with the time it used."""
    speech = floor.ask_for_floor(factories.participant(consultation, "CH"))
    floor.give_floor(consultation, actor=chair)
    point = floor.ask_for_floor(factories.participant(consultation, "BE"), kind="point_of_order")
    floor.give_floor(consultation, point, actor=chair)
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    state = floor.floor_of(consultation)
    assert state.speaking_id is None and state.interrupted_id is None
    for request in (speech, point):
        request.refresh_from_db()
        assert request.status == FloorRequest.Status.DONE and request.ended_at is not None
        assert request.resumed_at is None and request.seconds_spoken() >= 0
    event = AuditEvent.objects.filter(action="floor.list_closed").latest("sequence")
    assert sorted(event.data["ended"]) == sorted([speech.pk, point.pk])
    assert snapshot.build(consultation.pk)["speaking"] is None


def test_a_delegate_cannot_ask_for_the_floor_on_a_concluded_item(consultation, discussed, chair):
    speaker = factories.participant(consultation, "BE")
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    version = floor.floor_of(consultation).version
    with pytest.raises(DomainError) as refused:
        floor.ask_for_floor(speaker)
    assert refused.value.code == "item_concluded"
    assert "nobody may ask for the floor" in refused.value.user_message()
    assert not FloorRequest.objects.filter(participant=speaker).exists()
    assert floor.floor_of(consultation).version == version
    assert AuditEvent.objects.filter(action="floor.refused", data__why="item_concluded").exists()


def test_the_live_page_turns_its_buttons_off_once_the_item_is_concluded(
    consultation, discussed, chair
):
    page = _live_page_of(factories.participant(consultation, "CH"), chair)
    before = page.get("/en/c/vcc-2/live/").content.decode()
    assert 'id="ask">' in before  # on while the item is discussed
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    after = page.get("/en/c/vcc-2/live/").content.decode()
    assert 'id="ask" disabled>' in after and 'id="point-of-order" disabled>' in after
    # Posted anyway (a page without JavaScript): refused with the message, nothing queued.
    answer = page.post("/en/c/vcc-2/live/ask/", {"op": "ask"})
    assert answer.status_code == 400
    assert "nobody may ask for the floor" in answer.content.decode()
    assert not FloorRequest.objects.filter(item=discussed).exists()


def test_the_live_page_buttons_are_off_with_no_item_on_the_floor(consultation, chair):
    floor.open_meeting(consultation, factories.meeting(consultation, 1), actor=chair)
    page = _live_page_of(factories.participant(consultation, "CH"), chair)
    html = page.get("/en/c/vcc-2/live/").content.decode()
    assert 'id="ask" disabled>' in html and 'id="object-button" disabled>' in html


def test_recording_an_outcome_twice_is_refused_and_audited(discussed, chair):
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    with pytest.raises(DomainError) as refused:
        services.record_outcome(discussed, ItemOutcome.State.DEFERRED, actor=chair)
    assert refused.value.code == "outcome_recorded"
    outcome = ItemOutcome.objects.get(item=discussed)
    assert (outcome.state, outcome.recorded) == (ItemOutcome.State.AGREED, True)
    refusal = AuditEvent.objects.get(action="outcome.refused")
    assert refusal.data == {"why": "outcome_recorded", "state": "deferred"}


def test_the_planning_desk_does_not_start_a_concluded_item(
    consultation, discussed, chair, secretariat_user
):
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    progress = ItemProgress.objects.get(item=discussed)
    assert progress.concluded and progress.ended_at is not None
    desk = _signed_in(secretariat_user)
    html = desk.get("/en/c/vcc-2/plan/manage/").content.decode()
    row = html[html.index('title="' + discussed.subject[:20]) :]
    row = row[: row.index("</tr>")]
    assert 'value="start"' not in row and "concluded" in row
    with pytest.raises(DomainError) as refused:
        planning.record_item_start(discussed, actor=secretariat_user)
    assert refused.value.code == "item_concluded"
    progress.refresh_from_db()
    assert progress.concluded and progress.ended_at is not None
    assert AuditEvent.objects.filter(action="plan.refused", data__why="item_concluded").exists()
    # Reopened, it may be started again.
    services.reopen(discussed, actor=chair, reason="Taken up again at Egypt's request")
    assert planning.record_item_start(discussed, actor=secretariat_user).ended_at is None


def test_recording_the_outcome_replans_the_rest_from_now(consultation, chair):
    # VCC-2 moved to today, one meeting day that holds the whole day (Geneva time).
    now = timezone.now()
    today = now.astimezone(ZoneInfo(consultation.time_zone)).date()
    consultation.registration_opens_on = today - datetime.timedelta(days=30)
    consultation.rehearsal_on = None
    consultation.starts_on = today
    consultation.meeting_weekdays = list(range(7))
    consultation.daily_start, consultation.daily_end = datetime.time(0, 0), datetime.time(23, 59)
    consultation.save()
    planning.sync_meetings(consultation)
    first = planning.publish_plan(consultation, actor=None)
    item = factories.on_the_floor(consultation, "1.1", actor=chair)
    services.draft_conclusion(item, texts={"en": CONCLUSION}, original="en", actor=chair)
    services.record_outcome(item, ItemOutcome.State.AGREED, actor=chair)
    latest = consultation.plan_versions.order_by("-number").first()
    assert latest.number == first.number + 1
    assert "1.1" in latest.reason and "outcome" in latest.reason
    slots = {slot["label"]: slot for slot in latest.slots}
    assert slots["1.1"]["done"] is True
    rest = [slot for slot in latest.slots if not slot.get("done")]
    assert rest, "the other items are still planned"
    assert all(datetime.datetime.fromisoformat(s["start"]) >= now for s in rest)
    assert "1.1" not in [slot["label"] for slot in rest]


def test_recording_without_a_published_plan_publishes_none(consultation, discussed, chair):
    services.record_outcome(discussed, ItemOutcome.State.AGREED, actor=chair)
    assert not consultation.plan_versions.exists()


# --- objections say who entered them -------------------------------------------------------


def test_an_objection_says_whether_the_chair_the_secretariat_or_the_speaker_entered_it(
    consultation, discussed, chair, secretariat_user
):
    egypt = factories.participant(consultation, "EG")
    factories.participant(consultation, "BE")
    factories.participant(consultation, "CH")
    delegation = factories.delegation
    by_chair = services.record_objection(
        discussed, delegation(consultation, "BE"), "object", actor=chair
    )
    by_secretariat = services.record_objection(
        discussed, delegation(consultation, "CH"), "suspend", actor=secretariat_user
    )
    by_speaker = services.record_objection(
        discussed, egypt.delegation, "defer_document", actor=None, participant=egypt
    )
    assert [o.entered_by for o in (by_chair, by_secretariat, by_speaker)] == [
        Objection.EnteredBy.CHAIR,
        Objection.EnteredBy.SECRETARIAT,
        Objection.EnteredBy.SPEAKER,
    ]
    live = {(o["d"], o["k"]): o["by"] for o in snapshot.build(consultation.pk)["objections"]}
    assert live == {
        (by_chair.delegation_id, "object"): "chair",
        (by_secretariat.delegation_id, "suspend"): "secretariat",
        (egypt.delegation_id, "defer_document"): "speaker",
    }
    console = _signed_in(chair).get(CONSOLE).content.decode()
    panel = console[console.index('id="console-objections"') :]
    assert "Objects to the proposed conclusion — entered by the chair" in panel
    assert "Proposes to suspend the discussion — entered by the secretariat" in panel
    assert "entered by the delegation&#x27;s speaker" in panel
    assert "recorded by the secretariat" not in console


def test_the_report_lists_the_objections_by_delegation(consultation, discussed, chair):
    for iso2 in ("CH", "BE"):
        factories.participant(consultation, iso2)
    switzerland = factories.delegation(consultation, "CH")
    belgium = factories.delegation(consultation, "BE")
    services.record_objection(discussed, switzerland, "object", actor=chair)
    services.record_objection(discussed, belgium, "suspend", actor=chair)
    withdrawn = services.record_objection(discussed, belgium, "defer_document", actor=chair)
    services.withdraw_objection(withdrawn, actor=chair)
    services.record_outcome(discussed, ItemOutcome.State.DEFERRED, actor=chair)
    officer = _signed_in(factories.secretariat())
    html = officer.get("/en/c/vcc-2/report/").content.decode()
    block = html[html.index('class="mt-3 report-objections"') :]
    block = block[: block.index("</ul>")]
    assert block.index(str(belgium)) < block.index(str(switzerland))
    assert "Proposes to suspend the discussion — entered by the chair" in block
    assert "<s>Wishes the document deferred — entered by the chair</s> (withdrawn)" in block
    word = officer.get("/en/c/vcc-2/report.docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert f"{switzerland} (Council Member State): Objects to the proposed conclusion" in text


# --- the console ---------------------------------------------------------------------------


def test_the_console_names_the_current_item_and_drafts_in_the_working_language(consultation, chair):
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    html = _signed_in(chair).get(CONSOLE).content.decode()
    header = html[html.index('id="current-item"') :]
    header = header[: header.index("</p>")]
    assert f"<strong>{item.label}</strong>" in header
    assert '<option value="en" selected>' in html  # English, not Arabic, the first listed
    consultation.working_language = "fr"
    consultation.save()
    html = _signed_in(chair).get(CONSOLE).content.decode()
    assert '<option value="fr" selected>' in html


def test_the_console_opens_only_todays_meetings_unless_the_secretariat_overrides(
    consultation, chair, secretariat_user
):
    past = factories.meeting(consultation, 2)
    console = _signed_in(chair)
    html = console.get(CONSOLE).content.decode()
    assert f'<option value="{past.pk}"' not in html  # not offered to the chair
    refused = console.post(f"{CONSOLE}action/", {"action": "open_meeting", "meeting": past.pk})
    assert refused.status_code == 400
    assert "This meeting is not today" in refused.content.decode()
    assert floor.floor_of(consultation).meeting_id is None
    assert AuditEvent.objects.filter(action="floor.refused", data__why="not_today").exists()
    # The chair's override counts for nothing; the secretariat's opens it.
    console.post(
        f"{CONSOLE}action/", {"action": "open_meeting", "meeting": past.pk, "override": "on"}
    )
    assert floor.floor_of(consultation).meeting_id is None
    desk = _signed_in(secretariat_user)
    assert 'name="override"' in desk.get(CONSOLE).content.decode()
    desk.post(f"{CONSOLE}action/", {"action": "open_meeting", "meeting": past.pk, "override": "on"})
    assert floor.floor_of(consultation).meeting_id == past.pk
    # Today's meeting and the rehearsal open without it.
    today = factories.under_way(factories.meeting(consultation, 3))
    console.post(f"{CONSOLE}action/", {"action": "open_meeting", "meeting": today.pk})
    assert floor.floor_of(consultation).meeting_id == today.pk
    rehearsal = factories.meeting(consultation, kind="rehearsal")
    console.post(f"{CONSOLE}action/", {"action": "open_meeting", "meeting": rehearsal.pk})
    assert floor.floor_of(consultation).meeting_id == rehearsal.pk


def test_the_chair_ends_the_meeting(consultation, chair):
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    floor.ask_for_floor(speaker)
    floor.give_floor(consultation, actor=chair)
    console = _signed_in(chair)
    assert "End the meeting" in console.get(CONSOLE).content.decode()
    running = console.post(f"{CONSOLE}action/", {"action": "end_meeting"})
    assert running.status_code == 400 and floor.floor_of(consultation).meeting_id is not None
    floor.end_speech(consultation, actor=chair)
    assert console.post(f"{CONSOLE}action/", {"action": "end_meeting"}).status_code == 302
    state = floor.floor_of(consultation)
    assert (state.meeting_id, state.item_id) == (None, None)
    assert AuditEvent.objects.filter(action="floor.meeting_closed").exists()
    with pytest.raises(DomainError) as refused:
        floor.close_meeting(consultation, actor=chair)
    assert refused.value.code == "no_meeting"


def test_the_working_language_is_a_setting_among_the_consultations_languages(
    consultation, secretariat_user
):
    from plenary.consultations.models import Consultation
    from plenary.setup import services as setup

    assert consultation.working_language == "en"  # VCC-2's, from its scenario
    before = Consultation.objects.filter(pk=consultation.pk).values().get()
    with pytest.raises(DomainError) as refused:
        setup.update_settings(
            consultation,
            {"languages": ["en", "fr"], "working_language": "ru"},
            actor=secretariat_user,
        )
    assert "working_language" in refused.value.details
    assert Consultation.objects.filter(pk=consultation.pk).values().get() == before
    setup.update_settings(consultation, {"working_language": "es"}, actor=secretariat_user)
    consultation.refresh_from_db()
    assert consultation.working_language == "es"
