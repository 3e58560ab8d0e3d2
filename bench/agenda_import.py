"""How long importing the 66-item VCC-2 agenda from a file takes (XLSX, CSV and an Annex 2
Word table): reading the file, the preview (the plan against the database), and applying it
to an empty consultation. Baselines in the same run: opening the same file with its library
alone (openpyxl, csv, python-docx), and building the same agenda with the scenario loader's
agenda step (`_load_agenda`, from the YAML)."""

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import docx
import openpyxl

ROOT = Path(__file__).resolve().parents[1]


def _timed(function, repeat: int, setup=None, teardown=None) -> dict:
    samples = []
    for _ in range(repeat):
        argument = setup() if setup else None
        start = time.perf_counter()
        if setup:
            function(argument)
        else:
            function()
        samples.append((time.perf_counter() - start) * 1000)
        if teardown:
            teardown(argument)
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(sorted(samples)[int(0.9 * (len(samples) - 1))], 3),
        "min_ms": round(min(samples), 3),
        "runs": repeat,
    }


def _library_only():
    """Reading each file with its library alone, every cell touched."""

    def xlsx(data):
        sheet = openpyxl.load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
        return [[cell.value for cell in row] for row in sheet.iter_rows()]

    def csv_rows(data):
        return list(csv.reader(io.StringIO(data.decode("utf-8"))))

    def word(data):
        table = docx.Document(io.BytesIO(data)).tables[0]
        return [[cell.text for cell in row.cells] for row in table.rows]

    return {"xlsx": xlsx, "csv": csv_rows, "docx": word}


def _setup():
    """A fresh database with VCC-2 loaded (its Council term serves the new consultations)."""
    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    sys.path.insert(0, str(ROOT))  # the test suite's builders of the VCC-2 files
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from plenary.scenarios.loader import load_scenario

    return load_scenario("vcc2").consultation


def _consultations(vcc2):
    from plenary.consultations.models import Consultation

    counter = iter(range(1, 10**6))

    def new_consultation():
        n = next(counter)
        return Consultation.objects.create(
            council_term=vcc2.council_term, slug=f"bench-{n}", acronym=f"B{n}", title="Bench"
        )

    return new_consultation


def _measure_file(shape, data, name, vcc2, new_consultation, repeat) -> dict:
    from plenary.consultations import agenda_files, services

    empty = new_consultation()
    rows = agenda_files.read_agenda(data, name)
    plan = services.import_agenda(empty, rows, actor=None)
    assert plan.counts["items_created"] == 66, plan.counts

    def apply(consultation):
        services.import_agenda(consultation, rows, actor=None, apply=True, source=name)

    baseline = _timed(lambda: _library_only()[shape](data), repeat)
    parse = _timed(lambda: agenda_files.read_agenda(data, name), repeat)
    preview = _timed(lambda: services.import_agenda(empty, rows, actor=None), repeat)
    # The same file against a consultation that already holds the agenda (a re-import).
    against_full = _timed(lambda: services.import_agenda(vcc2, rows, actor=None), repeat)
    applied = _timed(apply, repeat, setup=new_consultation, teardown=lambda c: c.delete())
    return {
        "bytes": len(data),
        "baseline_library_read": baseline,
        "parse": parse,
        "preview": preview,
        "preview_against_the_loaded_vcc2_agenda": against_full,
        "apply_to_empty": applied,
        "parse_and_preview_over_library_read": round(
            (parse["median_ms"] + preview["median_ms"]) / baseline["median_ms"], 2
        ),
    }


def _measure_loader(new_consultation, repeat) -> dict:
    """The scenario loader's agenda step, from the YAML, into an empty consultation."""
    from django.db import transaction

    from plenary.core.yamlfile import load
    from plenary.directory.services import Changes
    from plenary.scenarios.loader import SCENARIOS_DIR, _load_agenda

    scenario_path = SCENARIOS_DIR / "vcc2" / "scenario.yaml"
    agenda_path = SCENARIOS_DIR / "vcc2" / "agenda.yaml"
    scenario, agenda = load(scenario_path), load(agenda_path)

    def load_yaml_agenda(consultation):
        with transaction.atomic():
            _load_agenda(agenda_path, agenda, scenario_path, scenario, consultation, Changes())

    return _timed(load_yaml_agenda, repeat, setup=new_consultation, teardown=lambda c: c.delete())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    vcc2 = _setup()
    from tests.consultations import vcc2_files

    new_consultation = _consultations(vcc2)
    files = {
        "xlsx": (vcc2_files.xlsx_bytes(), "agenda.xlsx"),
        "csv": (vcc2_files.csv_text().encode("utf-8"), "agenda.csv"),
        "docx": (vcc2_files.docx_bytes(), "annex2.docx"),
    }
    result = {"repeat": args.repeat, "files": {}}
    for shape, (data, name) in files.items():
        result["files"][shape] = _measure_file(
            shape, data, name, vcc2, new_consultation, args.repeat
        )
    loader = _measure_loader(new_consultation, args.repeat)
    result["baseline_scenario_loader_agenda"] = loader
    for entry in result["files"].values():
        entry["apply_over_scenario_loader"] = round(
            entry["apply_to_empty"]["median_ms"] / loader["median_ms"], 2
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "agenda_import.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
