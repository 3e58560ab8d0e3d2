"""The VCC-2 scenario and the refusal of bad scenario files (R5, R6)."""

import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core import serializers

from plenary.consultations.models import AgendaGroup, AgendaItem, Consultation, Document
from plenary.core.models import AuditEvent
from plenary.core.yamlfile import DataFileError
from plenary.directory.models import CouncilSeat, CouncilTerm
from plenary.directory.services import load_council_term
from plenary.scenarios.loader import SCENARIOS_DIR, load_scenario


def _dump() -> str:
    models = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"core", "directory", "consultations", "mfa"}
    ]
    return serializers.serialize(
        "json", [obj for model in models for obj in model.objects.order_by("pk")]
    )


def test_vcc2_agenda_has_17_17_32_items(vcc2):
    counts = {
        group.number: group.items.count()
        for group in AgendaGroup.objects.filter(consultation=vcc2.consultation)
    }
    assert counts == {1: 17, 2: 17, 3: 32}
    assert AgendaItem.objects.count() == 66


def test_vcc2_group_meanings(vcc2):
    kinds = dict(AgendaGroup.objects.values_list("number", "kind"))
    assert kinds == {1: "urgent", 2: "if_time", 3: "information"}


def test_items_keep_subjects_references_and_documents(vcc2):
    item = AgendaItem.objects.get(group__number=1, number=1)
    assert item.subject_en.startswith("List of candidates for Chairmen")
    assert item.subject_zh_hans.startswith("理事会工作组")
    assert item.references == ["PL 1.8"]
    assert [d.symbol for d in item.documents.all()] == ["C20/21(Rev.3)"]


def test_pending_documents_are_flagged(vcc2):
    assert set(Document.objects.filter(pending=True).values_list("symbol", flat=True)) == {
        "C20/40",
        "C20/64",
        "C20/73",
    }
    assert Document.objects.get(symbol="C20/INF/2").kind == Document.Kind.INFORMATION
    assert Document.objects.get(symbol="VC/2").kind == Document.Kind.CONTRIBUTION


def test_loading_twice_changes_nothing(vcc2):
    before = _dump()
    events = AuditEvent.objects.count()
    again = load_scenario("vcc2")
    assert again.changes.count == 0
    assert again.credentials == []
    assert AuditEvent.objects.count() == events
    assert _dump() == before


def _copy_scenario(tmp_path: Path) -> Path:
    """VCC-2 under another name, so that loading it would create a new consultation."""
    target = tmp_path / "scenario"
    shutil.copytree(SCENARIOS_DIR / "vcc2", target)
    _edit(target / "scenario.yaml", "slug: vcc-2", "slug: vcc-test")
    return target


def _edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace text in a copied file; returns the 1-based line of the first change."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


@pytest.fixture
def before(vcc2):
    return _dump()


def _assert_nothing_loaded(before: str):
    assert not Consultation.objects.filter(slug="vcc-test").exists()
    assert _dump() == before


def test_missing_field_is_refused_with_its_line(tmp_path, before):
    folder = _copy_scenario(tmp_path)
    line = _edit(
        folder / "agenda.yaml",
        '        subject_en: "World Telecommunication and Information Society Day (Resolution 68)"\n',
        "",
    )
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert refused.value.path == "agenda.yaml"
    assert "subject_en" in str(refused.value)
    # The item that lacks the field starts two lines above where the field was.
    assert refused.value.line == line - 2
    _assert_nothing_loaded(before)


def test_unknown_country_code_is_refused_with_its_line(tmp_path, before):
    folder = _copy_scenario(tmp_path)
    line = _edit(
        folder / "scenario.yaml",
        'observer_states: [BE, SE, "NO", LB, BD, PE]',
        "observer_states: [BE, SE, XX, LB]",
    )
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert (refused.value.path, refused.value.line) == ("scenario.yaml", line)
    assert "XX" in str(refused.value)
    _assert_nothing_loaded(before)


def test_unknown_country_code_in_the_council_file_is_refused(tmp_path, before):
    folder = _copy_scenario(tmp_path)
    line = _edit(folder / "council-2019-2022.yaml", "PY: Paraguay", "QQ: Nowhere")
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert (refused.value.path, refused.value.line) == ("council-2019-2022.yaml", line)
    _assert_nothing_loaded(before)


def test_duplicate_item_number_is_refused_with_its_line(tmp_path, before):
    folder = _copy_scenario(tmp_path)
    agenda = folder / "agenda.yaml"
    text = agenda.read_text(encoding="utf-8")
    # Item 3 of group 1 renumbered as 2.
    marker = '      - number: 3\n        subject_zh: "理事会财务和人力资源工作组'
    line = text[: text.index(marker)].count("\n") + 1
    agenda.write_text(
        text.replace(marker, marker.replace("number: 3", "number: 2")), encoding="utf-8"
    )
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert (refused.value.path, refused.value.line) == ("agenda.yaml", line)
    assert "appears twice" in str(refused.value)
    _assert_nothing_loaded(before)


def test_duplicate_yaml_key_is_refused(tmp_path, before):
    folder = _copy_scenario(tmp_path)
    line = _edit(folder / "scenario.yaml", "  max_days: 5 ", "  max_days: 5\n  max_days: 4 ")
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert refused.value.line == line + 1
    _assert_nothing_loaded(before)


def test_failure_after_partial_work_keeps_nothing(tmp_path, before):
    # The bad value is in the last section read (demo accounts), after a new consultation
    # and its 66 items were written inside the transaction.
    folder = _copy_scenario(tmp_path)
    _edit(folder / "scenario.yaml", "role: it_support", "role: janitor")
    with pytest.raises(DataFileError, match="janitor"):
        load_scenario(str(folder))
    _assert_nothing_loaded(before)


@pytest.mark.django_db
def test_unknown_scenario_names_the_available_ones():
    with pytest.raises(DataFileError, match="vcc2"):
        load_scenario("vcc9")


def test_a_new_council_term_loads_as_data(vcc2, tmp_path):
    term_file = tmp_path / "council-2023-2026.yaml"
    term_file.write_text(
        '# Source: test data\nterm: "2023-2026"\nregions:\n  A:\n    members: {BR: Brazil, US: United States}\n'
        "  B:\n    members: {FR: France}\n",
        encoding="utf-8",
    )
    term, changes = load_council_term(term_file)
    assert changes.count == 4
    assert CouncilTerm.objects.count() == 2
    assert set(CouncilSeat.objects.filter(term=term).values_list("state__iso2", flat=True)) == {
        "BR",
        "US",
        "FR",
    }


def test_reloading_with_a_capacity_below_what_is_used_is_refused(vcc2, tmp_path):
    """A scenario file loaded again is a change of settings: refused with what stands in
    the way, and nothing changed."""
    import shutil

    from plenary.core.yamlfile import DataFileError
    from plenary.registration.models import Capacity
    from plenary.scenarios.loader import SCENARIOS_DIR, load_scenario
    from tests import factories

    factories.open_registration(vcc2.consultation)
    factories.participant(vcc2.consultation, "CH")
    factories.participant(vcc2.consultation, "CN")
    folder = tmp_path / "vcc2"
    shutil.copytree(SCENARIOS_DIR / "vcc2", folder)
    scenario = folder / "scenario.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("speaker_capacity: 300", "speaker_capacity: 1")
        .replace('registration_opens_on: "2020-10-15"', 'registration_opens_on: "2020-01-01"')
        .replace('starts_on: "2020-11-16"', 'starts_on: "2099-01-05"')
        .replace('rehearsal_on: "2020-11-10"', 'rehearsal_on: "2098-12-30"'),
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as refused:
        load_scenario(str(folder))
    assert "speakers are already named" in str(refused.value)
    assert Capacity.objects.get(consultation=vcc2.consultation).speaker_limit == 300
