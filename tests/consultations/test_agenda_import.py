"""The secretariat builds the agenda from its own documents: groups from the pages, the whole
agenda imported from a workbook, a CSV file or an Annex 2 Word table — previewed first,
applied in one transaction, refused with the line and column of every problem."""

import codecs

import pytest
from django.utils import translation

from plenary.consultations import agenda_files, queries, services
from plenary.consultations.agenda_files import AgendaFileError
from plenary.consultations.models import AgendaGroup, AgendaItem, AgendaVersion, Document
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from tests import factories

from . import vcc2_files

KIND = AgendaGroup.Kind


@pytest.fixture
def empty(consultation):
    """A new consultation in the same term, with no agenda yet."""
    return factories.another_consultation(
        consultation, slug="vcc-3", acronym="VCC-3", title="Third virtual consultation"
    )


def _state(consultation) -> tuple:
    """Everything an import may change, to show that a refusal changed nothing."""
    return (
        queries.agenda_snapshot(consultation),
        sorted(consultation.groups.values_list("number", "kind", "title_en")),
        Document.objects.filter(consultation=consultation).count(),
        AuditEvent.objects.count(),
        AgendaVersion.objects.filter(consultation=consultation).count(),
    )


def _items(consultation) -> dict[str, dict]:
    """Each item by label: its subjects, references and documents ([pending])."""
    found = {}
    for group in queries.agenda_groups(consultation):
        for item in group.ordered_items:
            found[item.label] = {
                "en": item.subject_en,
                "zh": item.subject_zh_hans or "",
                "references": list(item.references),
                "documents": [
                    f"[{link.document.symbol}]" if link.document.pending else link.document.symbol
                    for link in item.document_links
                ],
            }
    return found


def _import(consultation, data: bytes, name: str, user, **kwargs):
    rows = agenda_files.read_agenda(data, name)
    return services.import_agenda(consultation, rows, actor=user, source=name, **kwargs)


FILES = {
    "xlsx": lambda: (vcc2_files.xlsx_bytes(), "agenda.xlsx"),
    "csv": lambda: (vcc2_files.csv_text().encode("utf-8"), "agenda.csv"),
    "docx": lambda: (vcc2_files.docx_bytes(), "annex2.docx"),
}


@pytest.mark.parametrize("shape", sorted(FILES))
def test_the_vcc2_agenda_imports_into_an_empty_consultation(
    shape, empty, consultation, secretariat_user
):
    data, name = FILES[shape]()
    before = _state(empty)
    preview = _import(empty, data, name, secretariat_user)
    assert preview.counts["items_created"] == 66 and preview.counts["groups_created"] == 3
    assert not preview.applied
    assert _state(empty) == before  # the preview changes nothing

    applied = _import(empty, data, name, secretariat_user, apply=True)
    assert applied.applied and applied.version is None  # a draft agenda: no version
    groups = list(empty.groups.order_by("number"))
    assert [(g.number, g.kind) for g in groups] == [
        (1, KIND.URGENT),
        (2, KIND.IF_TIME),
        (3, KIND.FOR_INFORMATION),
    ]
    assert groups[0].title_en == vcc2_files.AGENDA["groups"][0]["title_en"]
    assert AgendaItem.objects.filter(group__consultation=empty).count() == 66
    imported, loaded = _items(empty), _items(consultation)
    assert list(imported) == list(loaded)
    for label, item in loaded.items():
        expected = dict(item, zh=item["zh"] if shape != "docx" else "")
        assert imported[label] == expected, label
    assert Document.objects.get(consultation=empty, symbol="C20/40").pending
    event = AuditEvent.objects.get(action="agenda.imported")
    assert event.data["items_created"] == 66 and event.data["file"] == name

    again = _import(empty, data, name, secretariat_user, apply=True)
    assert not again.has_changes and not again.applied
    assert again.counts["items_unchanged"] == 66
    assert AuditEvent.objects.filter(action="agenda.imported").count() == 1


def test_a_changed_file_changes_only_what_differs_field_by_field(empty, secretariat_user):
    _import(empty, vcc2_files.xlsx_bytes(), "a.xlsx", secretariat_user, apply=True)
    rows = vcc2_files.sheet_rows()
    rows[2][3] = "World Telecommunication Day (Resolution 68)"  # item 1.2's English subject
    rows[3][7] = "C20/50, C20/50(Rev.1)"  # item 1.3's documents
    rows.append(["2", "2.18", "", "A new matter", "", "PL 9.9", "", "VC/1"])
    plan = _import(empty, vcc2_files.xlsx_bytes(rows), "b.xlsx", secretariat_user)
    changed = {e.label: e.changes for e in plan.entries if e.action == "change"}
    assert changed == {
        "1.2": [
            {
                "field": "subject_en",
                "old": "World Telecommunication and Information Society Day (Resolution 68)",
                "new": "World Telecommunication Day (Resolution 68)",
            }
        ],
        "1.3": [{"field": "documents", "old": "C20/50", "new": "C20/50, C20/50(Rev.1)"}],
    }
    assert plan.counts["items_created"] == 1 and plan.counts["documents_created"] == 2
    _import(empty, vcc2_files.xlsx_bytes(rows), "b.xlsx", secretariat_user, apply=True)
    assert factories.item(empty, "1.2").subject_en == "World Telecommunication Day (Resolution 68)"
    new = factories.item(empty, "2.18")
    assert new.position == 18 and new.references == ["PL 9.9"]
    assert new.documents.get().kind == Document.Kind.CONTRIBUTION


def test_a_confirmed_agenda_needs_a_reason_and_makes_one_version(
    consultation, chair, secretariat_user
):
    factories.confirmed_agenda(consultation, actor=chair)
    rows = vcc2_files.sheet_rows()
    rows[1][3] = "List of candidates (revised)"
    data = vcc2_files.xlsx_bytes(rows)
    assert _import(consultation, data, "a.xlsx", secretariat_user).has_changes  # preview: free
    before = _state(consultation)
    with pytest.raises(DomainError) as refused:
        _import(consultation, data, "a.xlsx", secretariat_user, apply=True)
    assert refused.value.code == "reason_required"
    assert _state(consultation) == before
    plan = _import(
        consultation, data, "a.xlsx", secretariat_user, apply=True, reason="Revised list"
    )
    assert plan.version == 2
    assert AgendaVersion.objects.get(consultation=consultation, number=2).reason == "Revised list"
    assert factories.item(consultation, "1.1").subject_en == "List of candidates (revised)"


# --- bad input: refused with its line and column, nothing changed ------------------------------


def _problems(data: bytes, name: str) -> list[dict]:
    with pytest.raises(AgendaFileError) as refused:
        agenda_files.read_agenda(data, name)
    assert refused.value.code == "bad_agenda_file"
    return [problem.as_dict() for problem in refused.value.problems]


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_missing_required_column_is_named():
    problems = _problems(_csv("item,subject_fr", "1.1,Liste"), "a.csv")
    assert problems[0]["line"] == 1 and problems[0]["column"] == "subject_en"
    assert "subject_en" in problems[0]["message"]


def test_a_duplicated_item_names_both_lines():
    problems = _problems(_csv("item,subject_en", "1.1,One", "1.2,Two", "1.1,Again"), "a.csv")
    assert problems == [
        {"line": 4, "column": "", "message": "Lines 2 and 4: item 1.1 appears twice."}
    ]


def test_a_subject_in_the_wrong_language_column_is_refused():
    problems = _problems(
        _csv(
            "item,subject_en,subject_zh,subject_ar,subject_ru,subject_fr",
            "1.1,Budget,Budget,الميزانية,Бюджет,Budget",  # English in the Chinese column
            "1.2,Audit,审计,Audit,Аудит,Audit",  # English in the Arabic column
            "1.3,Plan,计划,خطة,Plan,Plan",  # English in the Russian column
            "1.4,Report,报告,تقرير,Отчёт,Отчёт о работе",  # Russian in the French column
            "1.5,Работа,工作,عمل,Работа,Travail",  # Russian in the English column
        ),
        "a.csv",
    )
    assert [(p["line"], p["column"]) for p in problems] == [
        (2, "subject_zh"),
        (3, "subject_ar"),
        (4, "subject_ru"),
        (5, "subject_fr"),
        (6, "subject_en"),
    ]
    assert "Chinese" in problems[0]["message"] and "Cyrillic" in problems[3]["message"]


def test_a_non_numeric_item_number_is_refused_and_several_problems_are_listed_together():
    problems = _problems(
        _csv("group,item,subject_en", "1,1,One", "1,a,Two", "x,3,Three", "1,2.b,Four"), "a.csv"
    )
    assert [(p["line"], p["column"]) for p in problems] == [
        (3, "item"),
        (4, "group"),
        (5, "item"),
    ]
    assert "“a”" in problems[0]["message"]


def test_encodings_utf8_with_bom_and_utf16_are_read_others_refused_with_the_line():
    text = "item,subject_en,subject_fr\n1.1,Budget,Budget de l'Union\n1.2,Fees,Redevances\n"
    for data in (
        text.encode("utf-8"),
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),  # with its BOM
    ):
        rows = agenda_files.read_agenda(data, "a.csv")
        assert [row.subjects["fr"] for row in rows] == ["Budget de l'Union", "Redevances"]
    latin = "item,subject_en,subject_fr\n1.1,Budget,Budget\n1.2,Fees,Redevances payées\n"
    problems = _problems(latin.encode("cp1252"), "a.csv")
    assert problems[0]["line"] == 3 and "UTF-8" in problems[0]["message"]
    assert "CSV UTF-8" in problems[0]["message"]
    problems = _problems(text.encode("utf-16-le"), "a.csv")  # UTF-16 without its BOM
    assert problems[0]["line"] == 1


def test_an_empty_a_too_large_and_a_damaged_file_are_refused():
    assert "empty" in _problems(b"", "a.csv")[0]["message"]
    assert "empty" in _problems(b"\n , ,\n", "a.csv")[0]["message"]
    big = b"item,subject_en\n" + b"1.1," + b"x" * (5 * 1024 * 1024)
    assert "5 MB" in _problems(big, "a.csv")[0]["message"]
    assert "zip" in _problems(b"PK\x03\x04 not really", "a.xlsx")[0]["message"]
    assert "zip" in _problems(b"item,subject_en\n", "a.xlsx")[0]["message"]
    assert "Excel" in _problems(vcc2_files.docx_bytes(), "a.xlsx")[0]["message"]
    assert "no table" in _problems(vcc2_files.docx_bytes(with_table=False), "a.docx")[0]["message"]
    assert "Word" in _problems(vcc2_files.xlsx_bytes(), "a.docx")[0]["message"]


def test_a_workbook_that_would_unzip_too_large_is_refused_before_it_is_opened():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < agenda_files.MAX_BYTES
    assert "unpack" in _problems(buffer.getvalue(), "bomb.xlsx")[0]["message"]


def test_refused_files_change_nothing(empty, secretariat_user):
    before = _state(empty)
    for data, name in (
        (_csv("item,subject_en", "1.1,One", "1.1,Again"), "a.csv"),
        (_csv("item,subject_en", "4.1,A group without a kind"), "a.csv"),
        (b"", "a.csv"),
    ):
        with pytest.raises(AgendaFileError):
            _import(empty, data, name, secretariat_user, apply=True)
    assert _state(empty) == before


def test_a_new_group_beyond_3_needs_its_kind_naming_the_line(empty, secretariat_user):
    with pytest.raises(AgendaFileError) as refused:
        _import(empty, _csv("item,subject_en", "1.1,One", "4.1,Other"), "a.csv", secretariat_user)
    assert [p.line for p in refused.value.problems] == [3]
    plan = _import(
        empty,
        _csv("item,kind,subject_en", "4.1,if_time,Other"),
        "a.csv",
        secretariat_user,
        apply=True,
    )
    assert plan.applied and empty.groups.get(number=4).kind == KIND.IF_TIME


def test_the_french_interface_gives_the_message_with_its_line_and_column():
    with translation.override("fr"):
        problems = _problems(_csv("item,subject_en,subject_zh", "1.1,Budget,Budget"), "a.csv")
    assert problems[0]["line"] == 2 and problems[0]["column"] == "subject_zh"
    assert "2" in problems[0]["message"] and "subject_zh" in problems[0]["message"]


# --- groups from the pages and the services ---------------------------------------------------


def test_add_and_update_a_group(empty, secretariat_user):
    group = services.add_group(
        empty,
        number=1,
        kind=KIND.URGENT,
        titles={"en": "Urgent items", "fr": "Questions urgentes"},
        actor=secretariat_user,
    )
    assert group.title_fr == "Questions urgentes"
    for bad in (
        {"number": 1, "kind": KIND.URGENT, "titles": {"en": "Again"}},
        {"number": 2, "kind": "sometimes", "titles": {"en": "X"}},
        {"number": 0, "kind": KIND.URGENT, "titles": {"en": "X"}},
        {"number": 2, "kind": KIND.URGENT, "titles": {"fr": "Sans anglais"}},
        {"number": 2, "kind": KIND.URGENT, "titles": {"de": "X", "en": "X"}},
    ):
        with pytest.raises(DomainError) as refused:
            services.add_group(empty, **bad, actor=secretariat_user)
        assert refused.value.code in {
            "group_exists",
            "bad_kind",
            "bad_group_number",
            "title_required",
            "unknown_language",
        }
    assert empty.groups.count() == 1
    services.update_group(
        group, kind=KIND.IF_TIME, titles={"en": "If time allows"}, actor=secretariat_user
    )
    group.refresh_from_db()
    assert (group.kind, group.title_en, group.title_fr) == (
        KIND.IF_TIME,
        "If time allows",
        "Questions urgentes",
    )
    with pytest.raises(DomainError):
        services.update_group(group, titles={"en": " "}, actor=secretariat_user)
    assert AuditEvent.objects.filter(action__startswith="agenda.group_").count() == 2


def test_a_group_change_after_confirmation_needs_a_reason_and_makes_a_version(
    consultation, chair, secretariat_user
):
    factories.confirmed_agenda(consultation, actor=chair)
    group = consultation.groups.get(number=2)
    with pytest.raises(DomainError) as refused:
        services.update_group(group, titles={"fr": "Si le temps le permet"}, actor=secretariat_user)
    assert refused.value.code == "reason_required"
    services.update_group(
        group, titles={"fr": "Si le temps le permet"}, actor=secretariat_user, reason="French"
    )
    services.add_group(
        consultation,
        number=4,
        kind=KIND.IF_TIME,
        titles={"en": "Late items"},
        actor=secretariat_user,
        reason="Late items",
    )
    assert consultation.agenda_versions.count() == 3


# --- through the pages -----------------------------------------------------------------------


@pytest.fixture
def secretariat_client(client, secretariat_user):
    client.force_login(secretariat_user)
    return client


def _upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_an_empty_agenda_shows_how_to_start(secretariat_client, empty):
    html = secretariat_client.get("/en/c/vcc-3/agenda/edit/").content.decode()
    assert "Add the first group" in html and "Import the agenda from a file" in html
    assert 'href="/en/c/vcc-3/agenda/import/"' in html


def test_a_group_is_added_and_edited_through_the_pages(secretariat_client, empty):
    response = secretariat_client.post(
        "/en/c/vcc-3/agenda/groups/add/",
        {"number": "1", "kind": KIND.URGENT, "title_en": "Urgent items"},
    )
    assert response.status_code == 302
    group = empty.groups.get(number=1)
    html = secretariat_client.get("/en/c/vcc-3/agenda/edit/").content.decode()
    assert "Edit group 1" in html and "Add a group" in html
    page = secretariat_client.get("/en/c/vcc-3/agenda/groups/1/edit/")
    assert page.status_code == 200 and "Urgent items" in page.content.decode()
    data = {f"title_{code}": "" for code in ("ar", "zh-hans", "fr", "ru", "es")}
    response = secretariat_client.post(
        "/en/c/vcc-3/agenda/groups/1/edit/",
        {**data, "kind": KIND.IF_TIME, "title_en": "Urgent items", "title_fr": "Urgences"},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.kind, group.title_fr) == (KIND.IF_TIME, "Urgences")


def test_upload_preview_apply_and_a_second_click_imports_nothing(secretariat_client, empty):
    preview = secretariat_client.post(
        "/en/c/vcc-3/agenda/import/", {"file": _upload(vcc2_files.xlsx_bytes(), "agenda.xlsx")}
    )
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Apply the import" in html and html.count("badge text-bg-success") == 69
    assert not empty.groups.exists()  # the preview changes nothing
    digest = preview.context["digest"]
    done = secretariat_client.post(
        "/en/c/vcc-3/agenda/import/apply/", {"digest": digest}, follow=True
    )
    assert "66 items created" in done.content.decode()
    assert AgendaItem.objects.filter(group__consultation=empty).count() == 66
    again = secretariat_client.post(
        "/en/c/vcc-3/agenda/import/apply/", {"digest": digest}, follow=True
    )
    assert "Nothing to change" in again.content.decode()
    assert AuditEvent.objects.filter(action="agenda.imported").count() == 1


def test_a_forged_digest_imports_nothing(secretariat_client, empty):
    secretariat_client.post(
        "/en/c/vcc-3/agenda/import/", {"file": _upload(vcc2_files.xlsx_bytes(), "agenda.xlsx")}
    )
    response = secretariat_client.post(
        "/en/c/vcc-3/agenda/import/apply/", {"digest": "0" * 64}, follow=True
    )
    assert "no longer available" in response.content.decode()
    assert not empty.groups.exists()


def test_a_bad_file_is_shown_with_its_lines_in_the_french_interface(secretariat_client, empty):
    response = secretariat_client.post(
        "/fr/c/vcc-3/agenda/import/",
        {"file": _upload(_csv("item,subject_en,subject_zh", "1.1,Budget,Budget"), "a.csv")},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "subject_zh" in html and [p.line for p in response.context["problems"]] == [2]
    assert not empty.groups.exists()


def test_a_confirmed_agenda_asks_the_reason_on_the_preview(secretariat_client, consultation, chair):
    factories.confirmed_agenda(consultation, actor=chair)
    rows = vcc2_files.sheet_rows()
    rows[1][3] = "List of candidates (revised)"
    preview = secretariat_client.post(
        "/en/c/vcc-2/agenda/import/", {"file": _upload(vcc2_files.xlsx_bytes(rows), "a.xlsx")}
    )
    assert 'name="reason"' in preview.content.decode()
    refused = secretariat_client.post(
        "/en/c/vcc-2/agenda/import/apply/", {"digest": preview.context["digest"]}
    )
    assert "give the reason" in refused.content.decode()
    assert factories.item(consultation, "1.1").subject_en.startswith("List of candidates for")
    secretariat_client.post(
        "/en/c/vcc-2/agenda/import/apply/",
        {"digest": preview.context["digest"], "reason": "Revised list"},
    )
    assert factories.item(consultation, "1.1").subject_en == "List of candidates (revised)"


def test_a_focal_point_may_not_import(client, focal_ch, empty):
    client.force_login(focal_ch)
    assert client.get("/en/c/vcc-3/agenda/import/").status_code == 403
    response = client.post(
        "/en/c/vcc-3/agenda/import/", {"file": _upload(vcc2_files.xlsx_bytes(), "a.xlsx")}
    )
    assert response.status_code == 403
    assert client.post("/en/c/vcc-3/agenda/import/apply/", {"digest": "x"}).status_code == 403
    assert not empty.groups.exists()
