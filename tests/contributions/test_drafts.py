"""Nothing refused is kept: an upload is refused before a row or a file is stored; a draft is
deleted by its owner or the secretariat, or by the worker once its days are over; uploads are
limited per person; a draft sent twice is told it is already submitted."""

import datetime
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from docx import Document as DocxDocument
from pypdf import PdfWriter

from plenary.consultations import services as agenda
from plenary.contributions import filecheck, services, template
from plenary.contributions.models import Contribution
from plenary.core.errors import DomainError, Kind
from plenary.core.models import AuditEvent, User
from plenary.directory.models import State
from tests import factories
from tests.api.conftest import bearer, user_token
from tests.threads import run_together

UTC = datetime.UTC
BEFORE = datetime.datetime(2020, 11, 1, 12, tzinfo=UTC)
AFTER = datetime.datetime(2020, 11, 2, 23, 0, tzinfo=UTC)
API = "/api/v1/consultations/vcc-2/contributions"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A storage of its own, so that what is stored can be listed."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _upload(consultation, actor, *, pages=1, now=BEFORE, **extra):
    return services.prepare_upload(
        consultation, data=_pdf(pages), filename="views.pdf", actor=actor, now=now, **extra
    )[0]


def _submit(draft, actor, now=BEFORE, **extra):
    return services.submit(
        draft,
        item=draft.item,
        title="Views of Switzerland",
        comments="",
        way_forward="",
        lead_state=State.objects.get(iso2="CH"),
        actor=actor,
        now=now,
        **extra,
    )


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def _template_referring_to(consultation, symbol: str) -> bytes:
    filled = DocxDocument(io.BytesIO(template.template_docx(consultation, "en")))
    cells = [row.cells[1] for row in filled.tables[0].rows]
    cells[1].text = "Views on a closed item"
    cells[2].text = symbol
    buffer = io.BytesIO()
    filled.save(buffer)
    return buffer.getvalue()


# --- refused at upload ---------------------------------------------------------------------


def test_every_refusal_at_upload_stores_neither_a_row_nor_a_file(
    consultation, focal_ch, secretariat_user, media
):
    nobody = User.objects.create_user("nobody@example.org", "a-long-enough-passphrase")
    closed_item = factories.item(consultation, "3.1")
    agenda.attach_document(
        closed_item, symbol="C20/99", url="https://example.org/c20-99", actor=secretariat_user
    )
    refusals = {
        "deadline_passed": lambda: _upload(consultation, focal_ch, now=AFTER),
        "too_long": lambda: _upload(consultation, focal_ch, pages=3),
        "item_not_open": lambda: _upload(consultation, focal_ch, item=closed_item),
        "not_member_state": lambda: _upload(consultation, nobody),
        # the template names the item through a document of Group 3
        "item_not_open (template)": lambda: services.prepare_upload(
            consultation,
            data=_template_referring_to(consultation, "C20/99"),
            filename="mine.docx",
            actor=focal_ch,
            now=BEFORE,
        ),
    }
    for expected, call in refusals.items():
        refusal = _refusal(call)
        assert refusal.code == expected.split()[0], (expected, refusal.code)
        assert refusal.user_message()
    assert Contribution.objects.count() == 0
    assert _stored(media) == []
    assert (
        "3 pages; at most 2"
        in _refusal(lambda: _upload(consultation, focal_ch, pages=3)).user_message()
    )
    # The refusals that concern a file are audited, as the file checks' are.
    assert AuditEvent.objects.filter(
        action="contribution.file_refused", data__code="too_long"
    ).exists()


def test_no_group_open_refuses_every_upload(consultation, focal_ch, media):
    consultation.contribution_groups = []
    consultation.save()
    refusal = _refusal(lambda: _upload(consultation, focal_ch))
    assert refusal.code == "no_group_open"
    assert Contribution.objects.count() == 0 and _stored(media) == []


def test_the_secretariat_uploads_after_the_deadline_and_accepts_it_late(
    consultation, secretariat_user, media
):
    draft = _upload(consultation, secretariat_user, now=AFTER)
    assert _stored(media) == [draft.file.name]
    assert _refusal(lambda: _submit(draft, secretariat_user, now=AFTER)).code == ("deadline_passed")
    assert _submit(draft, secretariat_user, now=AFTER, accept_late=True).late is True


def test_the_item_named_by_the_form_or_the_first_open_one(consultation, focal_ch):
    named = _upload(consultation, focal_ch, item=factories.item(consultation, "2.1"))
    assert named.item.label == "2.1"
    first = _upload(consultation, focal_ch)
    assert first.item.group.number == min(consultation.contribution_groups)


def test_a_revision_too_long_is_refused_and_the_published_file_kept(
    consultation, focal_ch, secretariat_user, media
):
    published = services.publish(
        _submit(_upload(consultation, focal_ch), focal_ch), actor=secretariat_user
    )
    before = _stored(media)
    refusal = _refusal(lambda: services.revise(published, data=_pdf(3), actor=secretariat_user))
    assert refusal.code == "too_long"
    assert _stored(media) == before
    published.refresh_from_db()
    assert published.revision == 0


# --- deleting a draft ----------------------------------------------------------------------


def test_the_owner_deletes_a_draft_and_its_file(
    consultation, focal_ch, media, django_capture_on_commit_callbacks
):
    draft = _upload(consultation, focal_ch)
    assert _stored(media) == [draft.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_draft(draft, actor=focal_ch)
    assert not Contribution.objects.filter(pk=draft.pk).exists()
    assert _stored(media) == []
    event = AuditEvent.objects.get(action="contribution.draft_deleted")
    assert (event.actor, event.target_id) == (focal_ch, str(draft.pk))


def test_someone_else_may_not_delete_a_draft_and_a_submitted_one_is_kept(
    consultation, focal_ch, secretariat_user, media, django_capture_on_commit_callbacks
):
    draft = _upload(consultation, focal_ch)
    refusal = _refusal(lambda: services.delete_draft(draft, actor=factories.focal_point("BE")))
    assert (refusal.code, refusal.kind) == ("not_yours", Kind.PERMISSION)
    submitted = _submit(_upload(consultation, focal_ch), focal_ch)
    refusal = _refusal(lambda: services.delete_draft(submitted, actor=focal_ch))
    assert refusal.code == "already_submitted"
    assert Contribution.objects.filter(pk=submitted.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_draft(draft, actor=secretariat_user)  # the secretariat may
    assert _stored(media) == [submitted.file.name]


def test_delete_through_the_api(consultation, focal_ch, media, django_capture_on_commit_callbacks):
    draft = _upload(consultation, focal_ch)
    submitted = _submit(_upload(consultation, focal_ch), focal_ch)
    other = bearer(user_token(factories.focal_point("BE")))
    mine = bearer(user_token(focal_ch))
    response = Client().delete(f"{API}/{draft.pk}", **other)
    assert (response.status_code, response.json()["code"]) == (403, "not_yours")
    response = Client().delete(f"{API}/{submitted.pk}", **mine)
    assert (response.status_code, response.json()["code"]) == (400, "already_submitted")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().delete(f"{API}/{draft.pk}", **mine)
    assert response.status_code == 204
    assert not Contribution.objects.filter(pk=draft.pk).exists()
    assert _stored(media) == [submitted.file.name]
    assert Client().delete(f"{API}/{draft.pk}", **mine).status_code == 404


def test_delete_from_the_confirmation_page(
    client, consultation, focal_ch, media, django_capture_on_commit_callbacks
):
    draft = _upload(consultation, focal_ch)
    client.force_login(focal_ch)
    page = client.get(f"/en/c/vcc-2/contributions/{draft.pk}/confirm/").content.decode()
    assert 'id="delete-draft"' in page and 'value="delete"' in page
    assert 'id="draft-expiry"' in page
    detail = client.get(f"/en/c/vcc-2/contributions/{draft.pk}/").content.decode()
    assert 'id="delete-draft"' in detail
    listing = client.get("/en/c/vcc-2/contributions/new/").content.decode()
    assert f"/contributions/{draft.pk}/confirm/" in listing  # the drafts, each with its button
    notice = getattr(filecheck, "QUEUE_NOTICE", "")
    assert ('id="queue-notice"' in listing) == bool(notice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/c/vcc-2/contributions/{draft.pk}/action/", {"action": "delete"}
        )
    assert response.status_code == 302 and response["Location"].endswith("/contributions/new/")
    assert not Contribution.objects.filter(pk=draft.pk).exists()
    assert _stored(media) == []


# --- expiry --------------------------------------------------------------------------------


def _aged(contribution, days: float):
    Contribution.objects.filter(pk=contribution.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_deletes_drafts_past_their_days_with_their_files(vcc2, media):
    from django_tasks_db.models import DBTaskResult

    from plenary.contributions import tasks

    consultation, focal_ch = vcc2.consultation, factories.focal_point("CH")
    assert consultation.contribution_draft_days == 7
    old, fresh = _upload(consultation, focal_ch), _upload(consultation, focal_ch)
    old_submitted = _submit(_upload(consultation, focal_ch), focal_ch)
    _aged(old, 7.1)
    _aged(fresh, 6.9)
    _aged(old_submitted, 30)
    assert len(_stored(media)) == 3

    assert tasks.schedule_expiry() is True
    assert tasks.schedule_expiry() is False  # one run waits already
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    assert set(Contribution.objects.values_list("pk", flat=True)) == {fresh.pk, old_submitted.pk}
    assert _stored(media) == sorted([fresh.file.name, old_submitted.file.name])
    event = AuditEvent.objects.get(action="contribution.draft_expired")
    assert event.target_id == str(old.pk) and event.actor is None
    # The run scheduled the next one, an hour later.
    waiting = DBTaskResult.objects.filter(
        task_path=tasks.expire_drafts.module_path, status="READY"
    ).get()
    assert waiting.run_after > timezone.now() + datetime.timedelta(minutes=55)


def test_the_expiry_follows_the_consultations_days_and_the_command_runs_it(
    consultation, focal_ch, media, django_capture_on_commit_callbacks
):
    consultation.contribution_draft_days = 2
    consultation.save()
    three_days, one_day = _upload(consultation, focal_ch), _upload(consultation, focal_ch)
    _aged(three_days, 3)
    _aged(one_day, 1)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_drafts", stdout=out)
    assert "1 drafts deleted" in out.getvalue()
    assert list(Contribution.objects.values_list("pk", flat=True)) == [one_day.pk]
    assert _stored(media) == [one_day.file.name]


# --- limits per person ---------------------------------------------------------------------


def test_uploads_per_hour_are_limited_per_person(consultation, focal_ch, settings):
    settings.PLENARY_RATE_LIMITS = {**settings.PLENARY_RATE_LIMITS, "upload": (3, 3600)}
    consultation.starts_on = datetime.date(2099, 1, 5)  # the deadline is ahead, for the API
    consultation.save()
    for _ in range(3):
        _upload(consultation, focal_ch)
    refusal = _refusal(lambda: _upload(consultation, focal_ch))
    assert (refusal.code, refusal.status) == ("rate_limited", 429)
    assert "try again in" in refusal.user_message() and "minutes" in refusal.user_message()
    assert Contribution.objects.count() == 3
    # Another person is not held back by it.
    _upload(consultation, factories.delegate("CN"))
    # The API answers 429 with the code.
    response = Client().post(
        f"{API}/upload",
        {"upload": SimpleUploadedFile("v.pdf", _pdf(), content_type="application/pdf")},
        **bearer(user_token(focal_ch)),
    )
    assert (response.status_code, response.json()["code"]) == (429, "rate_limited")


def test_open_drafts_per_person_are_capped(
    consultation, focal_ch, media, django_capture_on_commit_callbacks
):
    drafts = [_upload(consultation, focal_ch) for _ in range(services.MAX_OPEN_DRAFTS)]
    refusal = _refusal(lambda: _upload(consultation, focal_ch))
    assert refusal.code == "too_many_drafts"
    assert "delete a draft first" in refusal.user_message()
    assert len(_stored(media)) == services.MAX_OPEN_DRAFTS
    # Submitting one, or deleting one, makes room.
    _submit(drafts[0], focal_ch)
    _upload(consultation, focal_ch)
    assert _refusal(lambda: _upload(consultation, focal_ch)).code == "too_many_drafts"
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_draft(drafts[1], actor=focal_ch)
    _upload(consultation, focal_ch)


# --- submitting twice ----------------------------------------------------------------------


def _submit_body(draft) -> dict:
    return {"item": draft.item_id, "title": "Views", "lead_state": "CH"}


def test_a_second_submission_is_already_submitted_not_not_found(client, consultation, focal_ch):
    consultation.starts_on = datetime.date(2099, 1, 5)  # the deadline is ahead
    consultation.save()
    draft = _upload(consultation, focal_ch, now=timezone.now())
    token = bearer(user_token(focal_ch))
    url = f"{API}/{draft.pk}/submit"
    first = Client().post(url, _submit_body(draft), content_type="application/json", **token)
    assert first.status_code == 200, first.content
    again = Client().post(url, _submit_body(draft), content_type="application/json", **token)
    assert (again.status_code, again.json()["code"]) == (400, "already_submitted")
    # The page: the confirmation page of a submitted draft leads to the contribution, and a
    # form sent again is refused for that reason.
    client.force_login(focal_ch)
    page = f"/en/c/vcc-2/contributions/{draft.pk}/confirm/"
    assert client.get(page)["Location"].endswith(f"/contributions/{draft.pk}/")
    response = client.post(
        page,
        {"item": draft.item_id, "title": "Views", "lead_state": State.objects.get(iso2="CH").pk},
    )
    assert response.status_code == 400
    assert "already been submitted" in response.content.decode()


def _api_sender(draft, focal):
    token = bearer(user_token(focal))
    url, body = f"{API}/{draft.pk}/submit", _submit_body(draft)

    def send():
        response = Client().post(url, body, content_type="application/json", **token)
        return response.status_code, response.json().get("code")

    return send


def _page_sender(draft, focal):
    url = f"/en/c/vcc-2/contributions/{draft.pk}/confirm/"
    body = {"item": draft.item_id, "title": "Views", "lead_state": State.objects.get(iso2="CH").pk}

    def send():
        browser = Client()
        browser.force_login(focal)
        response = browser.post(url, body)
        if response.status_code == 302:
            return 200, None
        text = response.content.decode()
        return (
            response.status_code,
            "already_submitted" if "already been submitted" in text else text,
        )

    return send


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", [_api_sender, _page_sender], ids=["api", "page"])
def test_simultaneous_submissions_of_one_draft_give_one_submission(vcc2, entry):
    """19 requests from threads (on PostgreSQL they truly overlap): one submits, every other
    one is told it was already submitted — none is "not found"."""
    consultation, focal_ch = vcc2.consultation, factories.focal_point("CH")
    consultation.starts_on = datetime.date(2099, 1, 5)
    consultation.save()
    draft = _upload(consultation, focal_ch, now=timezone.now())
    send = entry(draft, focal_ch)

    def sent(after_the_first: bool):
        # Ten at once; nine more at once as soon as one of them committed, as double clicks
        # and retries arrive (these met "not found" when the draft was looked up as a draft).
        give_up = time.monotonic() + 60
        while after_the_first and time.monotonic() < give_up:
            if Contribution.objects.filter(pk=draft.pk, status="submitted").exists():
                break
            time.sleep(0.01)
        return send()

    results = run_together([(lambda i=i: sent(i >= 10)) for i in range(19)])
    assert [r for r in results if r[0] == 200] == [(200, None)], results
    assert sorted(r for r in results if r[0] != 200) == [(400, "already_submitted")] * 18
    assert Contribution.objects.get(pk=draft.pk).status == "submitted"
    assert AuditEvent.objects.filter(action="contribution.submitted").count() == 1


def test_the_api_upload_names_its_item_and_a_closed_one_is_refused(consultation, focal_ch, media):
    consultation.starts_on = datetime.date(2099, 1, 5)  # the deadline is ahead
    consultation.save()
    token = bearer(user_token(focal_ch))

    def send(item):
        upload = SimpleUploadedFile("v.pdf", _pdf(), content_type="application/pdf")
        return Client().post(f"{API}/upload", {"upload": upload, "item": item.pk}, **token)

    refused = send(factories.item(consultation, "3.1"))
    assert (refused.status_code, refused.json()["code"]) == (400, "item_not_open")
    assert Contribution.objects.count() == 0 and _stored(media) == []
    accepted = send(factories.item(consultation, "2.1"))
    assert accepted.status_code == 201
    assert Contribution.objects.get(pk=accepted.json()["id"]).item.label == "2.1"
