"""Statements for interpreters (issue 18, point 8): a speaker or their focal point sends the
text before speaking, through the checked upload of contributions; only the interpreters
of the meeting and the secretariat read it, "check against delivery"; it is withdrawn
after the meeting (statement_withdraw_hours)."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from plenary.core import tokens as api_tokens
from plenary.core.errors import DomainError, Kind
from plenary.core.models import AuditEvent
from plenary.outcomes.models import ItemOutcome
from plenary.registration import services as registration
from plenary.remote.models import Interpreter
from plenary.setup.catalogue import SETTINGS
from plenary.setup.checks import RANGES
from plenary.statements import queries, services
from plenary.statements.models import Statement
from tests import factories
from tests.api.conftest import activate_totp, bearer, user_token
from tests.threads import run_together

API = "/api/v1/consultations/vcc-2"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A storage of its own, so that what is stored can be listed."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _pdf(pages: int = 1, width: float = 595) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


HOSTILE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"
    b"endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def speaker_ch(consultation, meeting):
    return factories.participant(consultation, "CH", 1)


@pytest.fixture
def interpreter(vcc2):
    return factories.interpreter()


def _send(meeting, speaker, *, data=None, label="1.2", language="fr", **who):
    if not who:
        who = {"participant": speaker}
    return services.send_statement(
        meeting,
        item=factories.item(meeting.consultation, label),
        speaker=speaker,
        language=language,
        data=_pdf() if data is None else data,
        **who,
    )


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def _refusals(code: str) -> int:
    return AuditEvent.objects.filter(action="statement.refused", data__code=code).count()


# --- sending --------------------------------------------------------------------------------


def test_a_speaker_sends_the_text_of_their_statement(meeting, speaker_ch, media):
    statement = _send(meeting, speaker_ch)
    assert (statement.delegation.state.iso2, statement.language, statement.file_type) == (
        "CH",
        "fr",
        "pdf",
    )
    assert statement.pages == 1 and statement.uploaded_by_participant == speaker_ch
    assert _stored(media) == [statement.file.name]
    event = AuditEvent.objects.get(action="statement.sent")
    assert event.target_id == str(statement.pk) and event.data["item"] == "1.2"


def test_the_focal_point_sends_for_a_speaker_of_their_delegation_only(
    consultation, meeting, speaker_ch, focal_ch, media
):
    statement = _send(meeting, speaker_ch, user=focal_ch)
    assert statement.uploaded_by == focal_ch and statement.speaker == speaker_ch
    speaker_be = factories.participant(consultation, "BE", 1)
    refused = _refusal(lambda: _send(meeting, speaker_be, user=focal_ch, data=_pdf(2)))
    assert refused.code == "not_focal_point" and refused.kind is Kind.PERMISSION
    assert Statement.objects.count() == 1 and len(_stored(media)) == 1
    assert _refusals("not_focal_point") == 1


def test_a_speaker_may_not_send_for_another_delegate(consultation, meeting, speaker_ch):
    other = factories.participant(consultation, "CH", 2)
    refused = _refusal(lambda: _send(meeting, other, participant=speaker_ch))
    assert refused.code == "not_yours" and Statement.objects.count() == 0
    assert _refusals("not_yours") == 1


def test_a_viewer_sends_nothing(consultation, meeting, focal_ch, media):
    viewer = factories.participant(consultation, "CH", 3, speaker=False)
    assert services.speakers_for(meeting, participant=viewer) == []
    assert _refusal(lambda: _send(meeting, viewer)).code == "not_speaker"
    # nor may their focal point send in their name
    assert _refusal(lambda: _send(meeting, viewer, user=focal_ch)).code == "not_speaker"
    assert Statement.objects.count() == 0 and _stored(media) == []
    assert _refusals("not_speaker") == 2


def test_a_viewer_granted_an_extra_speaker_place_for_the_meeting_sends(
    consultation, meeting, focal_ch, secretariat_user, speaker_ch
):
    viewer = factories.participant(consultation, "CH", 3, speaker=False)
    assert services.speakers_for(meeting, user=focal_ch) == [speaker_ch]
    request = registration.request_extra_speaker(viewer, actor=focal_ch, meeting=meeting)
    registration.decide_extra_speaker(request, grant=True, actor=secretariat_user)
    assert services.speakers_for(meeting, user=focal_ch) == [speaker_ch, viewer]
    assert _send(meeting, viewer).speaker == viewer


def test_after_the_meeting_nothing_is_sent(meeting, speaker_ch, media):
    meeting.ends_at = timezone.now() - datetime.timedelta(minutes=1)
    meeting.starts_at = meeting.ends_at - datetime.timedelta(hours=3)
    meeting.save()
    refused = _refusal(lambda: _send(meeting, speaker_ch))
    assert refused.code == "meeting_ended" and "ended" in refused.user_message()
    assert Statement.objects.count() == 0 and _stored(media) == []
    assert _refusals("meeting_ended") == 1


def test_nothing_is_sent_on_a_concluded_item(meeting, speaker_ch, media):
    item = factories.item(meeting.consultation, "1.2")
    ItemOutcome.objects.update_or_create(item=item, defaults={"recorded": True})
    refused = _refusal(lambda: _send(meeting, speaker_ch))
    assert refused.code == "item_concluded"
    assert Statement.objects.count() == 0 and _stored(media) == []
    assert _refusals("item_concluded") == 1
    assert _send(meeting, speaker_ch, label="1.3").item.label == "1.3"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (HOSTILE_PDF, "pdf_active_content"),
        (b"MZ\x90\x00 a program, not a statement", "not_docx_or_pdf"),
        (b"", "empty"),
        (None, "polyglot"),  # a PDF with a program after its end
    ],
)
def test_a_hostile_file_is_refused_by_the_contributions_check(
    meeting, speaker_ch, media, data, code
):
    data = _pdf() + b"MZ" + bytes(200) if data is None else data
    refused = _refusal(lambda: _send(meeting, speaker_ch, data=data))
    assert refused.code == code
    assert Statement.objects.count() == 0 and _stored(media) == []
    assert _refusals(code) == 1


def test_a_second_click_sends_the_text_once(meeting, speaker_ch, media, settings):
    settings.PLENARY_RATE_LIMITS = {**settings.PLENARY_RATE_LIMITS, "upload": (2, 3600)}
    _send(meeting, speaker_ch)
    _refusal(lambda: _send(meeting, speaker_ch))  # costs no upload of the hour
    refused = _refusal(lambda: _send(meeting, speaker_ch))
    assert refused.code == "duplicate" and "already" in refused.user_message()
    assert Statement.objects.count() == 1 and len(_stored(media)) == 1
    # a revised text is a new statement
    _send(meeting, speaker_ch, data=_pdf(2))
    assert Statement.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_three_clicks_at_once_send_the_text_once(vcc2, media):
    consultation = vcc2.consultation
    meeting = factories.under_way(factories.meeting(consultation, 1))
    speaker = factories.participant(consultation, "CH", 1)
    data = _pdf()
    results = run_together([lambda: _send(meeting, speaker, data=data) for _ in range(3)])
    sent = [r for r in results if isinstance(r, Statement)]
    refused = sorted(r.code for r in results if isinstance(r, DomainError))
    assert len(sent) == 1 and refused == ["duplicate", "duplicate"], results
    assert Statement.objects.count() == 1 and _stored(media) == [sent[0].file.name]
    assert AuditEvent.objects.filter(action="statement.sent").count() == 1


def test_the_language_is_one_of_the_consultations(meeting, speaker_ch):
    assert _refusal(lambda: _send(meeting, speaker_ch, language="de")).code == "unknown_language"


def test_uploads_count_against_the_persons_hourly_limit(meeting, speaker_ch, settings):
    settings.PLENARY_RATE_LIMITS = {**settings.PLENARY_RATE_LIMITS, "upload": (1, 3600)}
    _send(meeting, speaker_ch)
    refused = _refusal(lambda: _send(meeting, speaker_ch, data=_pdf(2)))
    assert refused.code == "rate_limited" and refused.kind is Kind.RATE_LIMIT


# --- reading ----------------------------------------------------------------------------------


def test_the_interpreter_reads_it_checked_against_delivery(meeting, speaker_ch, interpreter):
    statement = _send(meeting, speaker_ch)
    content, name = services.read_statement(statement, user=interpreter)
    assert content == statement.file.open("rb").read()
    assert name == f"VCC-2-M1-1.2-CH-fr-{statement.pk}-check-against-delivery.pdf"
    assert AuditEvent.objects.filter(action="statement.read", actor=interpreter).count() == 1


def test_only_interpreters_and_the_secretariat_read_it(
    consultation, meeting, speaker_ch, focal_ch, secretariat_user, interpreter
):
    statement = _send(meeting, speaker_ch)
    for someone in (focal_ch, factories.delegate("CN"), factories.chair()):
        refused = _refusal(lambda someone=someone: services.read_statement(statement, user=someone))
        assert refused.code == "not_interpreter" and refused.kind is Kind.PERMISSION
    assert _refusals("not_interpreter") == 3
    # an interpreter no longer active reads nothing either
    Interpreter.objects.filter(user=interpreter).update(active=False)
    assert (
        _refusal(lambda: services.read_statement(statement, user=interpreter)).code
        == "not_interpreter"
    )
    assert services.read_statement(statement, user=secretariat_user)[1].endswith(".pdf")
    assert list(queries.readable_by(focal_ch, consultation)) == []


def test_the_interpreters_list_is_newest_first_and_says_when_it_is_read(
    consultation, meeting, speaker_ch, interpreter
):
    first = _send(meeting, speaker_ch, label="1.1")
    second = _send(meeting, speaker_ch, label="1.2")
    rows = queries.with_reading_times(queries.readable_by(interpreter, consultation), consultation)
    assert [row.pk for row in rows] == [second.pk, first.pk]
    # The chair takes up 1.2 in this meeting and gives the floor to Switzerland: speaking now.
    chair = factories.chair()
    factories.on_the_floor(consultation, "1.2", actor=chair)
    from plenary.floor import services as floor

    floor.ask_for_floor(speaker_ch)
    floor.give_floor(consultation, actor=chair)
    rows = queries.with_reading_times(queries.readable_by(interpreter, consultation), consultation)
    assert {row.pk: row.place for row in rows} == {second.pk: 1, first.pk: None}


def test_the_list_gives_the_items_time_in_the_published_plan(
    consultation, meeting, speaker_ch, interpreter, secretariat_user
):
    from plenary.planning import services as planning

    version = planning.publish_plan(consultation, actor=secretariat_user)
    meeting = factories.under_way(meeting)  # the plan puts the meetings back in 2020
    slot = next(s for s in version.slots if s["day"] == meeting.number - 1)
    statement = _send(meeting, speaker_ch, label=_label(consultation, slot["item"]))
    (row,) = queries.with_reading_times([statement], consultation)
    assert row.planned_at == datetime.datetime.fromisoformat(slot["start"])
    assert row.place is None
    page = _signed_in(interpreter).get("/en/c/vcc-2/statements/").content.decode()
    assert "item planned at" in page, page[page.find("<tbody>") : page.find("</tbody>")]


def _label(consultation, item_id) -> str:
    from plenary.consultations.models import AgendaItem

    return AgendaItem.objects.select_related("group").get(pk=item_id).label


# --- withdrawal after the meeting --------------------------------------------------------------


def _ended(meeting, ago: datetime.timedelta):
    meeting.ends_at = timezone.now() - ago
    meeting.starts_at = meeting.ends_at - datetime.timedelta(hours=3)
    meeting.save()


def test_the_setting_is_listed_with_its_range_and_vcc2_default(consultation):
    assert consultation.statement_withdraw_hours == 1
    assert "statement_withdraw_hours" in SETTINGS
    assert RANGES["statement_withdraw_hours"] == (0, 72)


def test_interpreters_lose_it_when_the_setting_says_the_secretariat_keeps_the_row(
    consultation, meeting, speaker_ch, interpreter, secretariat_user
):
    statement = _send(meeting, speaker_ch)
    _ended(meeting, datetime.timedelta(minutes=30))
    assert services.read_statement(statement, user=interpreter)  # within the hour
    consultation.statement_withdraw_hours = 0
    consultation.save()
    statement.refresh_from_db()
    refused = _refusal(lambda: services.read_statement(statement, user=interpreter))
    assert refused.code == "statement_withdrawn" and refused.kind is Kind.GONE
    assert list(queries.readable_by(interpreter, consultation)) == []
    assert [s.pk for s in queries.readable_by(secretariat_user, consultation)] == [statement.pk]


@pytest.mark.django_db(transaction=True)
def test_the_worker_deletes_the_files_of_statements_past_their_meeting(vcc2, media):
    from django_tasks_db.models import DBTaskResult

    from plenary.statements import tasks

    consultation = vcc2.consultation
    consultation.statement_withdraw_hours = 2
    consultation.save()
    early, late = factories.meeting(consultation, 1), factories.meeting(consultation, 2)
    factories.under_way(early)
    factories.under_way(late)
    speaker = factories.participant(consultation, "CH", 1)
    old, fresh = _send(early, speaker), _send(late, speaker)
    _ended(early, datetime.timedelta(hours=2, minutes=1))
    _ended(late, datetime.timedelta(hours=1, minutes=59))
    assert len(_stored(media)) == 2

    assert tasks.schedule_withdrawal() is True
    assert tasks.schedule_withdrawal() is False  # one run waits already
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.withdrawn_at is not None and old.file.name == ""
    assert fresh.withdrawn_at is None
    assert _stored(media) == [fresh.file.name]
    event = AuditEvent.objects.get(action="statement.withdrawn")
    assert event.target_id == str(old.pk) and event.actor is None
    secretariat = factories.secretariat()
    refused = _refusal(lambda: services.read_statement(old, user=secretariat))
    assert refused.code == "statement_withdrawn"
    waiting = DBTaskResult.objects.filter(
        task_path=tasks.withdraw_statements.module_path, status="READY"
    ).get()
    assert waiting.run_after > timezone.now() + datetime.timedelta(minutes=14)


def test_the_command_withdraws_at_once(
    meeting, speaker_ch, media, django_capture_on_commit_callbacks
):
    statement = _send(meeting, speaker_ch)
    out = io.StringIO()
    call_command("withdraw_statements", stdout=out)
    assert "0 statements withdrawn." in out.getvalue()
    _ended(meeting, datetime.timedelta(hours=1, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("withdraw_statements", stdout=out)
    assert "1 statements withdrawn." in out.getvalue()
    statement.refresh_from_db()
    assert statement.withdrawn_at is not None and _stored(media) == []


# --- the pages --------------------------------------------------------------------------------


def _browser_of(person) -> Client:
    browser = Client()
    factories.signed_in_by_link(browser, person)
    return browser


def _signed_in(user) -> Client:
    browser = Client()
    browser.force_login(activate_totp(user))
    return browser


def _form(consultation, label="1.2", language="fr", data=None, **extra):
    return {
        "item": factories.item(consultation, label).pk,
        "language": language,
        "upload": SimpleUploadedFile("speech.pdf", _pdf() if data is None else data),
        **extra,
    }


def test_the_speaker_finds_it_on_their_join_page_and_sends_it(consultation, meeting, speaker_ch):
    browser = _browser_of(speaker_ch)
    join = browser.get(f"/en/c/vcc-2/meetings/{meeting.pk}/join/")
    assert f"/en/c/vcc-2/meetings/{meeting.pk}/statements/" in join.content.decode()
    page = browser.get(f"/en/c/vcc-2/meetings/{meeting.pk}/statements/")
    assert page.status_code == 200 and 'id="statement-form"' in page.content.decode()
    sent = browser.post(
        f"/en/c/vcc-2/meetings/{meeting.pk}/statements/", _form(consultation), follow=True
    )
    assert "Your statement has been sent to the interpreters." in sent.content.decode()
    assert Statement.objects.get().speaker == speaker_ch


def test_a_viewers_page_says_why_and_a_forced_post_changes_nothing(consultation, meeting):
    viewer = factories.participant(consultation, "CH", 3, speaker=False)
    browser = _browser_of(viewer)
    page = browser.get(f"/en/c/vcc-2/meetings/{meeting.pk}/statements/")
    assert "statement-form" not in page.content.decode()
    refused = browser.post(f"/en/c/vcc-2/meetings/{meeting.pk}/statements/", _form(consultation))
    assert refused.status_code == 403
    assert "Only speakers send a statement" in refused.content.decode()
    assert Statement.objects.count() == 0 and _refusals("not_speaker") == 1


def test_a_hostile_file_on_the_page_is_refused_in_the_readers_language(
    consultation, meeting, speaker_ch, media
):
    browser = _browser_of(speaker_ch)
    url = f"/fr/c/vcc-2/meetings/{meeting.pk}/statements/"
    answer = browser.post(
        url,
        _form(consultation, data=HOSTILE_PDF),
        HTTP_REFERER=f"http://testserver{url}",
        follow=True,
    )
    assert "Le PDF contient des scripts" in answer.content.decode()
    assert Statement.objects.count() == 0 and _stored(media) == []


def test_the_focal_point_chooses_among_their_speakers(consultation, meeting, speaker_ch, focal_ch):
    factories.participant(consultation, "BE", 1)
    browser = _signed_in(focal_ch)
    start = browser.get("/en/c/vcc-2/statements/send/")
    assert start.status_code == 302 and start.url.endswith(f"/meetings/{meeting.pk}/statements/")
    page = browser.get(start.url).content.decode()
    assert "CH 1" in page and "BE 1" not in page
    browser.post(start.url, _form(consultation, speaker=speaker_ch.pk))
    assert Statement.objects.get().uploaded_by == focal_ch


def test_the_booth_lists_and_downloads_with_the_banner(
    consultation, meeting, speaker_ch, interpreter
):
    statement = _send(meeting, speaker_ch)
    browser = _signed_in(interpreter)
    assert "/fr/c/vcc-2/statements/" in browser.get("/fr/c/vcc-2/booth/").content.decode()
    page = browser.get("/en/c/vcc-2/statements/").content.decode()
    assert 'id="check-against-delivery"' in page and "Check against delivery" in page
    assert "Switzerland" in page and "1.2" in page
    answer = browser.get(f"/en/c/vcc-2/statements/{statement.pk}/file")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "check-against-delivery.pdf" in answer["Content-Disposition"]


def test_a_forged_link_is_refused_and_recorded(consultation, meeting, speaker_ch, focal_ch):
    statement = _send(meeting, speaker_ch)
    browser = _signed_in(focal_ch)
    assert browser.get("/en/c/vcc-2/statements/").status_code == 403
    assert browser.get(f"/en/c/vcc-2/statements/{statement.pk}/file").status_code == 403
    assert browser.get(f"/en/c/vcc-2/statements/{statement.pk + 1000}/file").status_code == 404
    assert _refusals("not_interpreter") == 1 and _refusals("not_found") == 1
    anonymous = Client().get(f"/en/c/vcc-2/statements/{statement.pk}/file")
    assert anonymous.status_code == 403


# --- the API ----------------------------------------------------------------------------------


def _participant_token(person) -> str:
    link = registration.resolve_link(registration.issue_link(person))
    return api_tokens.create_participant_token(link, name="statements")[1]


def test_the_api_sends_lists_and_downloads_through_the_same_service(
    consultation, meeting, speaker_ch, interpreter, focal_ch
):
    client = Client()
    body = {
        "item": factories.item(consultation, "1.2").pk,
        "language": "fr",
        "upload": SimpleUploadedFile("s.pdf", _pdf()),
    }
    sent = client.post(
        f"{API}/meetings/{meeting.pk}/statements", body, **bearer(_participant_token(speaker_ch))
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["delegation"] == "Switzerland" and sent.json()["check_against_delivery"]
    listed = client.get(f"{API}/statements", **bearer(user_token(interpreter)))
    assert [row["id"] for row in listed.json()] == [sent.json()["id"]]
    answer = client.get(
        f"{API}/statements/{sent.json()['id']}/file", **bearer(user_token(interpreter))
    )
    assert answer.status_code == 200 and "check-against-delivery" in answer["Content-Disposition"]
    # the focal point of Switzerland reads nothing
    refused = client.get(
        f"{API}/statements/{sent.json()['id']}/file", **bearer(user_token(activate_totp(focal_ch)))
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_interpreter"
    assert (
        client.get(f"{API}/statements", **bearer(user_token(activate_totp(focal_ch)))).status_code
        == 403
    )


def test_the_api_refuses_another_delegations_speaker_and_a_second_click(
    consultation, meeting, speaker_ch, focal_ch
):
    client = Client()
    focal_be = activate_totp(factories.focal_point("BE"))
    url = f"{API}/meetings/{meeting.pk}/statements"

    def body():
        return {
            "item": factories.item(consultation, "1.2").pk,
            "language": "fr",
            "speaker": speaker_ch.pk,
            "upload": SimpleUploadedFile("s.pdf", _pdf()),
        }

    refused = client.post(url, body(), HTTP_ACCEPT_LANGUAGE="fr", **bearer(user_token(focal_be)))
    assert refused.status_code == 403 and refused.json()["code"] == "not_focal_point"
    token = user_token(activate_totp(focal_ch))
    assert client.post(url, body(), **bearer(token)).status_code == 201
    again = client.post(url, body(), **bearer(token))
    assert again.status_code == 400 and again.json()["code"] == "duplicate"
    assert Statement.objects.count() == 1
