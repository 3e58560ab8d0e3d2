"""Contributions on the Annex 3 template: submission by form or file, the checks (R16–R18),
co-submission (R19), publication as VC/n and revision (R15–R20)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document as DocxDocument
from pypdf import PdfWriter

from plenary.consultations.models import AgendaItemDocument, Appointment
from plenary.contributions import services, template
from plenary.contributions.models import Contribution
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent, OutboxMessage, User
from plenary.directory.models import State
from tests import factories

UTC = datetime.UTC
BEFORE = datetime.datetime(2020, 11, 1, 12, tzinfo=UTC)
LAST_MINUTE = datetime.datetime(2020, 11, 2, 22, 59, tzinfo=UTC)  # 23:59 Geneva on 2 November
AFTER = datetime.datetime(2020, 11, 2, 23, 0, tzinfo=UTC)


@pytest.fixture
def switzerland():
    return State.objects.get(iso2="CH")


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _form(consultation, focal, state, label="1.2", now=BEFORE, **extra):
    return services.submit_form(
        consultation,
        item=factories.item(consultation, label),
        title="Views of Switzerland",
        comments="We support the draft resolution.",
        way_forward="Adopt as proposed.",
        lead_state=state,
        actor=focal,
        now=now,
        **extra,
    )


def test_template_exists_in_six_languages_and_is_read_back(consultation):
    for language in ["ar", "zh-hans", "en", "fr", "ru", "es"]:
        data = template.template_docx(consultation, language)
        document = DocxDocument(io.BytesIO(data))
        assert len(document.tables[0].rows) == 5
        assert "VCC-2" in document.paragraphs[0].text
    filled = DocxDocument(io.BytesIO(template.template_docx(consultation, "fr")))
    cells = [row.cells[1] for row in filled.tables[0].rows]
    cells[0].text = "Suisse"
    cells[1].text = "Position de la Suisse"
    cells[2].text = "C20/17"
    cells[3].text = "Nous appuyons le projet."
    cells[4].text = "Adopter tel quel."
    buffer = io.BytesIO()
    filled.save(buffer)
    fields = template.read_template(buffer.getvalue())
    assert fields["title"] == "Position de la Suisse"
    assert (
        fields["way_forward"] == "Adopt tel quel."
        if False
        else fields["way_forward"] == "Adopter tel quel."
    )
    assert fields["reference_symbols"] == ["C20/17"]
    assert fields["consultation_slug"] == "vcc-2"


def test_form_submission_before_the_deadline(consultation, focal_ch, switzerland):
    contribution = _form(consultation, focal_ch, switzerland, now=LAST_MINUTE)
    assert contribution.status == "submitted"
    assert not contribution.late
    assert contribution.pages == 1 and contribution.pages_estimated
    assert OutboxMessage.objects.filter(to=["focal.point.ch@example.org"], cc=[]).exists()
    assert OutboxMessage.objects.filter(to=["contributions@itu.int"]).count() == 1


def test_after_the_deadline_is_refused_unless_the_secretariat_accepts_it_late(
    consultation, focal_ch, switzerland, secretariat_user
):
    with pytest.raises(DomainError) as refused:
        _form(consultation, focal_ch, switzerland, now=AFTER)
    assert refused.value.code == "deadline_passed"
    assert not Contribution.objects.exclude(status="draft").exists()
    late = _form(consultation, secretariat_user, switzerland, now=AFTER, accept_late=True)
    assert late.late is True
    with pytest.raises(DomainError):  # a focal point cannot accept itself late
        _form(consultation, focal_ch, switzerland, now=AFTER, accept_late=True)


def test_group_3_items_are_refused(consultation, focal_ch, switzerland):
    with pytest.raises(DomainError) as refused:
        _form(consultation, focal_ch, switzerland, label="3.1")
    assert refused.value.code == "item_not_open"


def test_only_the_represented_state_may_be_the_submitter(consultation, focal_ch):
    with pytest.raises(DomainError) as refused:
        _form(consultation, focal_ch, State.objects.get(iso2="FR"))
    assert refused.value.code == "not_your_state"


def test_a_three_page_pdf_is_refused_at_upload_and_a_two_page_pdf_accepted(
    consultation, focal_ch, switzerland
):
    with pytest.raises(DomainError) as refused:
        services.prepare_upload(
            consultation, data=_pdf(3), filename="long.pdf", actor=focal_ch, now=BEFORE
        )
    assert refused.value.code == "too_long"
    assert "3 pages" in refused.value.user_message()
    assert Contribution.objects.count() == 0
    short, _fields = services.prepare_upload(
        consultation, data=_pdf(2), filename="short.pdf", actor=focal_ch, now=BEFORE
    )
    assert (short.pages, short.pages_estimated) == (2, False)
    services.submit(
        short,
        item=factories.item(consultation, "1.2"),
        title="Short",
        comments="",
        way_forward="",
        lead_state=switzerland,
        actor=focal_ch,
        now=BEFORE,
    )
    assert Contribution.objects.get(pk=short.pk).status == "submitted"


def test_a_hostile_file_is_refused_and_nothing_is_stored(consultation, focal_ch):
    with pytest.raises(DomainError) as refused:
        services.prepare_upload(
            consultation,
            data=b"MZ\x90\x00" + b"\x00" * 200,
            filename="report.pdf",
            actor=focal_ch,
            now=BEFORE,
        )
    assert refused.value.code == "not_docx_or_pdf"
    assert Contribution.objects.count() == 0
    assert AuditEvent.objects.filter(action="contribution.file_refused").count() == 1


def _joint(consultation, focal, lead, co_state):
    """A contribution of `lead` with `co_state` as co-submitter, on item 2.1."""
    return services.submit_form(
        consultation,
        item=factories.item(consultation, "2.1"),
        title="Joint views",
        comments="",
        way_forward="",
        lead_state=lead,
        co_states=[co_state],
        actor=focal,
        now=BEFORE,
    )


def test_co_submission_needs_each_states_confirmation_before_publication(
    consultation, focal_ch, switzerland, secretariat_user
):
    france = State.objects.get(iso2="FR")
    contribution = _joint(consultation, focal_ch, switzerland, france)
    with pytest.raises(DomainError) as refused:
        services.publish(contribution, actor=secretariat_user, now=BEFORE)
    assert refused.value.code == "no_focal_point"  # nobody can answer for France yet
    with pytest.raises(DomainError):  # Switzerland's focal point cannot confirm for France
        services.confirm_co_submission(contribution, france, actor=focal_ch, now=BEFORE)
    french_focal = User.objects.create_user("focal.fr@example.org", "long-enough-passphrase-1")
    Appointment.objects.create(
        user=french_focal, role="focal_point", consultation=consultation, state=france
    )
    with pytest.raises(DomainError) as refused:
        services.publish(contribution, actor=secretariat_user, now=BEFORE)
    assert refused.value.code == "unconfirmed"
    services.confirm_co_submission(contribution, france, actor=french_focal, now=BEFORE)
    published = services.publish(contribution, actor=secretariat_user, now=BEFORE)
    assert published.symbol == "VC/15"  # VC/2–VC/14 are in the agenda of the letter
    assert AgendaItemDocument.objects.filter(
        item=contribution.item, document__symbol="VC/15"
    ).exists()


def test_secretariat_records_a_confirmation_on_behalf(
    consultation, focal_ch, switzerland, secretariat_user
):
    france = State.objects.get(iso2="FR")
    contribution = _joint(consultation, focal_ch, switzerland, france)
    french_focal = User.objects.create_user("focal.fr@example.org", "long-enough-passphrase-1")
    Appointment.objects.create(
        user=french_focal, role="focal_point", consultation=consultation, state=france
    )
    row = services.confirm_co_submission(contribution, france, actor=secretariat_user, now=BEFORE)
    assert row.on_behalf


def test_publication_numbers_follow_and_revisions_are_marked(
    consultation, focal_ch, switzerland, secretariat_user
):
    first = services.publish(_form(consultation, focal_ch, switzerland), actor=secretariat_user)
    second = services.publish(
        _form(consultation, focal_ch, switzerland, label="1.3"), actor=secretariat_user
    )
    assert (first.symbol, second.symbol) == ("VC/15", "VC/16")
    revised = services.revise(first, data=_pdf(1), actor=secretariat_user)
    assert revised.symbol == "VC/15(Rev.1)"
    documents = set(first.item.documents.values_list("symbol", flat=True))
    assert "VC/15(Rev.1)" in documents and "VC/15" not in documents
    with pytest.raises(DomainError):
        services.publish(second, actor=secretariat_user)


def test_publication_is_announced_to_every_delegation(
    consultation, focal_ch, switzerland, secretariat_user
):
    belgian_focal = factories.focal_point("BE")
    services.publish(_form(consultation, focal_ch, switzerland), actor=secretariat_user)
    announcement = OutboxMessage.objects.filter(to=[belgian_focal.email]).get()
    assert "VC/15" in announcement.body
    assert announcement.language == belgian_focal.language


def test_published_contribution_appears_in_the_public_agenda(
    client, consultation, focal_ch, switzerland, secretariat_user
):
    services.publish(_form(consultation, focal_ch, switzerland), actor=secretariat_user)
    html = client.get("/en/c/vcc-2/agenda/").content.decode()
    assert "VC/15" in html


def test_withdrawal_removes_it_from_the_agenda(
    consultation, focal_ch, switzerland, secretariat_user
):
    published = services.publish(_form(consultation, focal_ch, switzerland), actor=secretariat_user)
    services.withdraw(published, actor=focal_ch)
    assert not AgendaItemDocument.objects.filter(document__symbol="VC/15").exists()


# --- pages -----------------------------------------------------------------------------------


def test_upload_then_confirm_through_the_pages(client, consultation, focal_ch):
    consultation.starts_on = datetime.date(2099, 1, 5)  # the deadline is ahead
    consultation.save()
    client.force_login(focal_ch)
    filled = DocxDocument(io.BytesIO(template.template_docx(consultation, "en")))
    cells = [row.cells[1] for row in filled.tables[0].rows]
    cells[1].text = "Swiss views on WTISD"
    cells[2].text = "C20/68"
    cells[3].text = "Comments."
    cells[4].text = "Way forward."
    buffer = io.BytesIO()
    filled.save(buffer)
    response = client.post(
        "/en/c/vcc-2/contributions/upload/",
        {"upload": SimpleUploadedFile("mine.docx", buffer.getvalue())},
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.title == "Swiss views on WTISD"
    assert contribution.item.label == "1.2"  # found from C20/68
    page = client.get(response["Location"]).content.decode()
    assert 'id="page-count"' in page
    response = client.post(
        response["Location"],
        {
            "item": contribution.item.pk,
            "title": contribution.title,
            "comments": "Comments.",
            "way_forward": "Way forward.",
            "lead_state": State.objects.get(iso2="CH").pk,
        },
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == "submitted"
    mail = OutboxMessage.objects.get(to=["contributions@itu.int"])
    assert mail.attachments == [contribution.file.name]


def test_oversized_upload_is_refused_before_it_is_read(client, consultation, focal_ch):
    client.force_login(focal_ch)
    response = client.post(
        "/en/c/vcc-2/contributions/upload/",
        {"upload": SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024))},
        follow=True,
    )
    assert "larger than 10 MB" in response.content.decode()
    assert Contribution.objects.count() == 0


def test_template_download_and_list_for_anyone(client, consultation):
    response = client.get("/ar/c/vcc-2/contributions/template.docx")
    assert response.status_code == 200
    assert DocxDocument(io.BytesIO(response.content)).tables
    assert client.get("/en/c/vcc-2/contributions/").status_code == 200
    assert client.get("/en/c/vcc-2/contributions/new/").status_code == 302  # sign in first
