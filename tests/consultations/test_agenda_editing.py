"""The secretariat edits the draft agenda; the opening meeting confirms it; later changes
need a reason and make versions whose differences anyone can see (R5–R7, R25)."""

import pytest

from plenary.consultations import queries, services
from plenary.consultations.models import AgendaGroup, AgendaVersion, Document
from plenary.consultations.versions import diff_snapshots
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from tests import factories


def _group(consultation, number):
    return AgendaGroup.objects.get(consultation=consultation, number=number)


def test_draft_changes_need_no_reason_and_make_no_version(consultation, secretariat_user):
    item = services.add_item(
        _group(consultation, 2),
        subjects={"en": "New urgent matter"},
        references="PL 9.9",
        actor=secretariat_user,
    )
    assert item.label == "2.18"
    assert item.references == ["PL 9.9"]
    assert AgendaVersion.objects.count() == 0
    assert AuditEvent.objects.filter(action="agenda.item_added").count() == 1


def test_confirmation_freezes_version_1(consultation, chair):
    version = factories.confirmed_agenda(consultation, actor=chair)
    assert version.number == 1
    assert len([i for g in version.snapshot["groups"] for i in g["items"]]) == 66
    consultation.refresh_from_db()
    assert consultation.agenda_is_final
    with pytest.raises(DomainError) as refused:
        services.confirm_agenda(consultation, actor=chair)
    assert refused.value.code == "already_confirmed"


def test_change_to_a_confirmed_agenda_without_reason_is_refused_and_changes_nothing(
    consultation, chair, secretariat_user
):
    factories.confirmed_agenda(consultation, actor=chair)
    item = factories.item(consultation, "1.2")
    before = queries.agenda_snapshot(consultation)
    for attempt in (
        lambda: services.update_item(item, subjects={"en": "Changed"}, actor=secretariat_user),
        lambda: services.move_item(item, step=1, actor=secretariat_user, reason="  "),
        lambda: services.add_item(
            _group(consultation, 1), subjects={"en": "X"}, actor=secretariat_user
        ),
        lambda: services.attach_document(item, symbol="C20/99", actor=secretariat_user),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "reason_required"
    assert queries.agenda_snapshot(consultation) == before
    assert AgendaVersion.objects.filter(consultation=consultation).count() == 1


def test_each_reasoned_change_makes_a_version_and_the_diff_shows_it(
    consultation, chair, secretariat_user
):
    factories.confirmed_agenda(consultation, actor=chair)
    item = factories.item(consultation, "2.3")
    services.move_item(
        item, group=_group(consultation, 1), actor=secretariat_user, reason="Urgent after all"
    )
    services.update_item(
        item, subjects={"fr": "Sujet en français"}, actor=secretariat_user, reason="Translation"
    )
    versions = list(AgendaVersion.objects.filter(consultation=consultation).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].reason == "Urgent after all"
    moved = diff_snapshots(versions[0].snapshot, versions[1].snapshot)
    assert [(c.kind, c.before, c.after) for c in moved] == [("moved", "2.3", "1.18")]
    translated = diff_snapshots(versions[1].snapshot, versions[2].snapshot)
    assert [(c.kind, c.label, c.after) for c in translated] == [
        ("subject", "1.18", "[fr] Sujet en français")
    ]


def test_reorder_within_a_group_renumbers(consultation, secretariat_user):
    first = factories.item(consultation, "1.1")
    services.move_item(first, step=1, actor=secretariat_user)
    first.refresh_from_db()
    assert first.label == "1.2"
    assert factories.item(consultation, "1.1").subject_en.startswith("World Telecommunication")
    with pytest.raises(DomainError):
        services.move_item(factories.item(consultation, "1.1"), step=-1, actor=secretariat_user)


def test_attach_and_detach_documents(consultation, secretariat_user):
    item = factories.item(consultation, "1.7")
    document = services.attach_document(
        item,
        symbol="C20/40(Rev.1)",
        title="External Auditor",
        languages=["en", "fr"],
        actor=secretariat_user,
    )
    assert document.revision == 1
    assert document.kind == Document.Kind.COUNCIL
    assert [d.symbol for d in item.documents.order_by("agendaitemdocument__position")] == [
        "C20/40",
        "C20/40(Rev.1)",
    ]
    services.detach_document(item, document, actor=secretariat_user)
    assert not item.documents.filter(symbol="C20/40(Rev.1)").exists()
    with pytest.raises(DomainError):
        services.detach_document(item, document, actor=secretariat_user)


def test_bad_document_input_is_refused(consultation, secretariat_user):
    item = factories.item(consultation, "1.7")
    with pytest.raises(DomainError):
        services.attach_document(item, symbol="  ", actor=secretariat_user)
    with pytest.raises(DomainError):
        services.attach_document(item, symbol="C20/1", languages=["de"], actor=secretariat_user)


def test_english_subject_cannot_be_emptied(consultation, secretariat_user):
    with pytest.raises(DomainError):
        services.update_item(
            factories.item(consultation, "1.1"), subjects={"en": " "}, actor=secretariat_user
        )


def test_translation_matrix_counts_missing_subjects(consultation, secretariat_user):
    matrix = queries.translation_matrix(consultation)
    missing = dict(zip(matrix["languages"], matrix["missing"], strict=True))
    assert missing == {"ar": 66, "zh-hans": 0, "en": 0, "fr": 66, "ru": 66, "es": 66}
    services.update_item(
        factories.item(consultation, "1.1"),
        subjects={"ar": "قائمة المرشحين"},
        actor=secretariat_user,
    )
    matrix = queries.translation_matrix(consultation)
    assert dict(zip(matrix["languages"], matrix["missing"], strict=True))["ar"] == 65


# --- through the pages -----------------------------------------------------------------------


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


def test_editor_page_lists_all_items_and_refuses_a_delegate(
    client, secretariat_client, consultation
):
    html = secretariat_client.get("/fr/c/vcc-2/agenda/edit/").content.decode()
    assert html.count('<tr id="item-') == 66
    other = client.__class__()
    other.force_login(factories.delegate("CN"))
    assert other.get("/en/c/vcc-2/agenda/edit/").status_code == 403
    anonymous = client.__class__()
    assert anonymous.get("/en/c/vcc-2/agenda/edit/").status_code == 302


def test_edit_an_item_in_six_languages_through_the_form(secretariat_client, consultation):
    item = factories.item(consultation, "1.2")
    data = {
        "subject_en": item.subject_en,
        "subject_zh-hans": item.subject_zh_hans,
        "subject_fr": "Journée mondiale des télécommunications et de la société de l'information",
        "subject_ar": "",
        "subject_ru": "",
        "subject_es": "",
        "references": "PL 2.2",
        "base_minutes": "20",
        "reason": "",
    }
    response = secretariat_client.post(f"/en/c/vcc-2/agenda/items/{item.pk}/", data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.subject_fr.startswith("Journée mondiale")
    assert item.base_minutes == 20


def test_confirmed_agenda_refusal_is_shown_to_the_person(secretariat_client, consultation, chair):
    factories.confirmed_agenda(consultation, actor=chair)
    item = factories.item(consultation, "1.3")
    response = secretariat_client.post(
        f"/fr/c/vcc-2/agenda/items/{item.pk}/move/",
        {"step": "1", "reason": ""},
        HTTP_REFERER="http://testserver/fr/c/vcc-2/agenda/edit/",
        follow=True,
    )
    assert response.status_code == 200
    assert "raison" in response.content.decode().lower()  # French: give the reason
    item.refresh_from_db()
    assert item.label == "1.3"


def test_upload_that_is_not_pdf_or_docx_is_refused(secretariat_client, consultation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    item = factories.item(consultation, "1.1")
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = secretariat_client.post(
        f"/en/c/vcc-2/agenda/items/{item.pk}/documents/",
        {"symbol": "C20/500", "upload": fake},
        follow=True,
    )
    assert "Only PDF and DOCX files are accepted." in response.content.decode()
    assert not Document.objects.filter(symbol="C20/500").exists()


def test_chair_confirms_through_the_page_and_versions_are_public(client, consultation, chair):
    factories.opening_meeting(consultation, actor=chair)
    client.force_login(chair)
    response = client.post("/en/c/vcc-2/agenda/confirm/", {"confirm": "on"})
    assert response.status_code == 302
    anonymous = client.__class__()
    page = anonymous.get("/en/c/vcc-2/agenda/versions/").content.decode()
    assert "Version 1" in page
    assert anonymous.get("/en/c/vcc-2/agenda/versions/1/").status_code == 200
