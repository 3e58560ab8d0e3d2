"""The agenda import and its groups through the API: the same services and rules as the
pages (consultations.edit_agenda), the plan as JSON, a dry run by default."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plenary.consultations.models import AgendaGroup, AgendaItem
from plenary.core.models import AuditEvent
from tests import factories
from tests.consultations import vcc2_files

from .conftest import activate_totp, bearer, user_token

URL = "/api/v1/consultations/vcc-3/agenda"


@pytest.fixture
def empty(consultation):
    return factories.another_consultation(consultation, slug="vcc-3", acronym="VCC-3", title="T")


def _post_file(client, token, data: bytes, name: str, **fields):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(f"{URL}/import", {"file": upload, **fields}, **bearer(token))


def test_a_dry_run_by_default_then_the_import_then_nothing(client, empty, secretariat_token):
    data = vcc2_files.docx_bytes()
    preview = _post_file(client, secretariat_token, data, "annex2.docx")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["applied"] is False and body["counts"]["items_created"] == 66
    assert body["entries"][0] == {
        "target": "group",
        "label": "1",
        "line": 2,
        "action": "create",
        "title": vcc2_files.AGENDA["groups"][0]["title_en"],
        "changes": [
            {"field": "kind", "old": "", "new": AgendaGroup.Kind.URGENT},
            {"field": "title_en", "old": "", "new": vcc2_files.AGENDA["groups"][0]["title_en"]},
        ],
    }
    assert not empty.groups.exists()
    applied = _post_file(client, secretariat_token, data, "annex2.docx", dry_run="false")
    assert applied.json()["applied"] is True
    assert AgendaItem.objects.filter(group__consultation=empty).count() == 66
    again = _post_file(client, secretariat_token, data, "annex2.docx", dry_run="false")
    assert again.json()["applied"] is False and again.json()["counts"]["items_unchanged"] == 66
    assert AuditEvent.objects.filter(action="agenda.imported").count() == 1


def test_a_bad_file_gives_every_problem_with_its_line(client, empty, secretariat_token):
    data = b"item,subject_en\n1.1,One\n1.x,Two\n1.1,Again\n"
    response = _post_file(client, secretariat_token, data, "a.csv", dry_run="false")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_agenda_file"
    assert [(p["line"], p["column"]) for p in body["problems"]] == [(3, "item"), (4, "")]
    assert "Lines 2 and 4" in body["detail"]
    assert not empty.groups.exists()


def test_groups_are_added_and_changed(client, empty, secretariat_token):
    response = client.post(
        f"{URL}/groups",
        {"number": 1, "kind": AgendaGroup.Kind.URGENT, "titles": {"en": "Urgent"}},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert response.status_code == 201
    assert response.json() == {"number": 1, "kind": "urgent", "titles": {"en": "Urgent"}}
    again = client.post(
        f"{URL}/groups",
        {"number": 1, "kind": AgendaGroup.Kind.URGENT, "titles": {"en": "Twice"}},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert again.status_code == 400 and again.json()["code"] == "group_exists"
    changed = client.patch(
        f"{URL}/groups/1",
        {"titles": {"fr": "Urgent (fr)"}, "kind": AgendaGroup.Kind.IF_TIME},
        content_type="application/json",
        **bearer(secretariat_token),
    )
    assert changed.status_code == 200
    assert changed.json()["titles"] == {"en": "Urgent", "fr": "Urgent (fr)"}
    assert changed.json()["kind"] == AgendaGroup.Kind.IF_TIME
    assert (
        client.patch(
            f"{URL}/groups/7", {}, content_type="application/json", **bearer(secretariat_token)
        ).status_code
        == 404
    )


def test_a_focal_point_is_refused(client, empty, focal_ch):
    token = user_token(activate_totp(focal_ch))
    response = _post_file(client, token, vcc2_files.xlsx_bytes(), "a.xlsx", dry_run="false")
    assert response.status_code == 403
    response = client.post(
        f"{URL}/groups",
        {"number": 1, "kind": AgendaGroup.Kind.URGENT, "titles": {"en": "Urgent"}},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 403
    assert not empty.groups.exists()
