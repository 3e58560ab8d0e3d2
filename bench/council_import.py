"""How long the secretariat waits to preview and to enter a 48-member Council term from a
CSV, an XLSX and a YAML file (membership.services.import_term), against the loader of the
shipped council file (directory.services.load_council_term) on the same term, measured in
the same run. Each run is rolled back, so every one enters the term anew."""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src/plenary/scenarios/vcc2/council-2019-2022.yaml"
SWAPS = {"BS": "CO", "BF": "ZM", "IR": "BD"}


class Rollback(Exception):
    pass


def _timed(function, repeat: int) -> dict:
    # Django is set up by main() before this runs.
    from django.db import transaction

    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            with transaction.atomic():
                function()
                raise Rollback
        except Rollback:
            pass
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(sorted(samples)[int(0.9 * (len(samples) - 1))], 3),
        "min_ms": round(min(samples), 3),
        "runs": repeat,
    }


def _files() -> dict[str, tuple[str, bytes]]:
    """The 2023-2026-like term (three states swapped) as CSV, XLSX and YAML."""
    import yaml
    from openpyxl import Workbook

    text = SHIPPED.read_text(encoding="utf-8").replace('term: "2019-2022"', 'term: "2023-2026"')
    for old, new in SWAPS.items():
        text = text.replace(f"{old}: ", f"{new}: ")
    data = yaml.safe_load(text)
    seats = [(r, s) for r, block in data["regions"].items() for s in block["members"]]
    csv = "region,state\n" + "".join(f"{r},{s}\n" for r, s in seats)
    workbook = Workbook()
    workbook.active.append(["region", "state"])
    for seat in seats:
        workbook.active.append(list(seat))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return {
        "csv": ("council.csv", csv.encode()),
        "xlsx": ("council.xlsx", buffer.getvalue()),
        "yaml": ("council-2023-2026.yaml", text.encode()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    import datetime

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from plenary.core.models import User
    from plenary.directory.services import load_council_term
    from plenary.membership import services
    from plenary.scenarios.loader import load_scenario

    load_scenario("vcc2")
    actor = User.objects.get(email="secretariat@example.org")
    files = _files()
    yaml_path = Path(tempfile.mkdtemp(prefix="plenary-bench-")) / "council-2023-2026.yaml"
    yaml_path.write_bytes(files["yaml"][1])
    dates = {"starts_on": datetime.date(2023, 1, 1), "ends_on": datetime.date(2026, 12, 31)}

    def run(kind, dry_run):
        filename, data = files[kind]
        outcome = services.import_term(
            data, filename, actor=actor, name="2023-2026", dry_run=dry_run, **dates
        )
        if dry_run and not outcome.ok:
            raise SystemExit(f"{kind}: {[str(p) for p in outcome.problems]}")

    result = {
        "baseline_load_council_term_yaml": _timed(lambda: load_council_term(yaml_path), args.repeat)
    }
    for kind in files:
        result[f"preview_{kind}"] = _timed(lambda kind=kind: run(kind, True), args.repeat)
        result[f"enter_{kind}"] = _timed(lambda kind=kind: run(kind, False), args.repeat)
    base = result["baseline_load_council_term_yaml"]["median_ms"]
    for kind in files:
        result[f"enter_{kind}_over_baseline"] = round(
            result[f"enter_{kind}"]["median_ms"] / base, 2
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "council_import.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:40} {value['median_ms'] if isinstance(value, dict) else value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
