"""How long planning the VCC-2 agenda takes, against reading the same items (baseline)."""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _timed(function, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(sorted(samples)[int(0.9 * (len(samples) - 1))], 3),
        "min_ms": round(min(samples), 3),
        "runs": repeat,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from plenary.consultations.models import AgendaItem
    from plenary.directory.models import State
    from plenary.planning import planner, services
    from plenary.scenarios.loader import load_scenario

    consultation = load_scenario("vcc2").consultation
    # Realistic replies: every Council Member State speaks on the first three Group 1 items.
    council = State.objects.filter(council_seats__term=consultation.council_term)
    for item in AgendaItem.objects.filter(group__consultation=consultation, group__number=1)[:3]:
        for state in council:
            services.reply_on_item(item, state, will_speak=True, actor=None)

    days = services.meeting_days(consultation)
    minutes = services.item_minutes(consultation)
    items = [
        planner.PlanItem(key, 1 if n < 17 else 2, n, m)
        for n, (key, m) in enumerate(sorted(minutes.items()))
    ]

    baseline = _timed(
        lambda: list(
            AgendaItem.objects.filter(group__consultation=consultation).select_related("group")
        ),
        args.repeat,
    )
    pure = _timed(lambda: planner.plan_items(days, items), args.repeat)
    full = _timed(lambda: services.compute_plan(consultation), args.repeat)
    plan = services.compute_plan(consultation)
    result = {
        "items_in_agenda": AgendaItem.objects.filter(group__consultation=consultation).count(),
        "items_planned": len(plan.slots),
        "items_unscheduled": len(plan.unscheduled),
        "baseline_read_items": baseline,
        "planner_pure": pure,
        "compute_plan_with_database": full,
        "compute_plan_over_baseline": round(full["median_ms"] / baseline["median_ms"], 2),
    }
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "plan_vcc2.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
