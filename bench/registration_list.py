"""How long the secretariat waits for the registration list with 2,300 registrations (the
default page, a search without case or accents, filters, the last page, the API's page),
and for a bulk approval of 100 registrations of a delegation without a focal point,
against baselines measured in the same run: the bare queryset's COUNT and the first 50
rows read with their delegation, and one approval done alone.

The 2,300 rows are written directly (the list reads them; how they came does not matter
to it); the approvals go through registration.services, as the page's do. Each bulk
approval is rolled back, so every run approves the same 100 anew."""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = 2300
BULK = 100


class Rollback(Exception):
    pass


def _stats(samples: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p90_ms": round(sorted(samples)[int(0.9 * (len(samples) - 1))], 3),
        "min_ms": round(min(samples), 3),
        "runs": len(samples),
    }


def _timed(function, repeat: int, *, rolled_back: bool = False) -> dict:
    # Django is set up by main() before this runs.
    from django.db import transaction

    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        if rolled_back:
            try:
                with transaction.atomic():
                    function()
                    raise Rollback
            except Rollback:
                pass
        else:
            function()
        samples.append((time.perf_counter() - start) * 1000)
    return _stats(samples)


def _fill(consultation) -> dict:
    """2,300 registrations over the delegations: most approved viewers, some speakers,
    pending, rejected and withdrawn ones, names with accents; 100 pending ones in Kenya,
    which has no focal point. The platform's counters follow the rows."""
    from plenary.directory.models import State
    from plenary.registration import services
    from plenary.registration.models import Capacity, Delegation, Participant

    kenya = services.delegation_for_state(consultation, State.objects.get(iso2="KE"))
    others = list(Delegation.objects.filter(consultation=consultation).exclude(pk=kenya.pk))
    names = ["José Müller", "Zoë Ndiaye", "Li Wei", "Ana Sánchez", "Olga Ivanova", "Omar Haddad"]
    statuses = [Participant.Status.APPROVED] * 16 + [
        Participant.Status.PENDING,
        Participant.Status.PENDING,
        Participant.Status.REJECTED,
        Participant.Status.WITHDRAWN,
    ]
    rows = [
        Participant(
            consultation=consultation,
            delegation=kenya,
            name=f"Kenya {n}",
            email=f"kenya{n}@example.org",
        )
        for n in range(BULK)
    ]
    for n in range(ROWS - BULK):
        status = statuses[n % len(statuses)]
        rows.append(
            Participant(
                consultation=consultation,
                delegation=others[n % len(others)],
                name=f"{names[n % len(names)]} {n}",
                email=f"person{n}@example.org",
                function="Counsellor" if n % 3 else "",
                status=status,
                role=Participant.Role.VIEWER,
            )
        )
    Participant.objects.bulk_create(rows, batch_size=500)
    viewers = Participant.objects.filter(
        consultation=consultation, status=Participant.Status.APPROVED
    ).count()
    Capacity.objects.filter(consultation=consultation).update(viewers=viewers)
    return {"kenya": kenya, "viewers_before": viewers}


def _page(client, path: str, repeat: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path)
    counted = len(queries)  # now: the next request empties the log
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code}")
    result = _timed(lambda: client.get(path), repeat)
    result["queries"] = counted
    result["bytes"] = len(answer.content)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--bulk-repeat", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL, e.g. postgres://127.0.0.1/bench")
    args = parser.parse_args()

    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ["PLENARY_DEBUG"] = "0"  # as served: cached templates, no query log
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["PLENARY_ALLOWED_HOSTS"] = "testserver"  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    # One connection kept for the whole run, as a server with persistent connections does
    # (and so that the queries of a page can be counted).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("migrate", verbosity=0)
    from plenary.core.models import User
    from plenary.registration import services
    from plenary.registration.models import Capacity, Participant
    from plenary.scenarios.loader import load_scenario

    consultation = load_scenario("vcc2").consultation
    actor = User.objects.get(email="secretariat@example.org")
    world = _fill(consultation)
    kenya = world["kenya"]
    client = Client()
    client.force_login(actor)
    base = f"/en/c/{consultation.slug}/registration/participants/"
    everyone = Participant.objects.filter(consultation=consultation)

    result = {
        "database": connection.vendor,
        "rows": everyone.count(),
        "baseline_queryset_count": _timed(everyone.count, args.repeat),
        "baseline_first_50_rows": _timed(
            lambda: list(
                everyone.select_related("delegation__state", "delegation__sector_member")[:50]
            ),
            args.repeat,
        ),
        "list_page_1": _page(client, base, args.repeat),
        "list_search_accents": _page(client, base + "?q=jose+muller", args.repeat),
        "list_filtered": _page(client, base + "?status=pending&category=council", args.repeat),
        "list_last_page": _page(client, base + f"?page={ROWS // 50}", args.repeat),
        "dashboard": _page(client, f"/en/c/{consultation.slug}/registration/", args.repeat),
        "api_list_page_1": _page(
            client, f"/api/v1/consultations/{consultation.slug}/participants", args.repeat
        ),
    }
    waiting = list(everyone.filter(delegation=kenya).order_by("pk"))
    result["baseline_one_approval"] = _timed(
        lambda: services.approve(waiting[0], actor=actor), args.repeat, rolled_back=True
    )

    def bulk():
        outcome = services.bulk_decide(waiting, "approve", actor=actor)
        if outcome.done != BULK:
            raise SystemExit(outcome.summary())

    result[f"bulk_approve_{BULK}"] = _timed(bulk, args.bulk_repeat, rolled_back=True)
    # Once for real, to check what it leaves: every row approved, the counter right.
    bulk()
    viewers = Capacity.objects.get(consultation=consultation).viewers
    result["viewers_after_bulk"] = viewers
    result["viewers_expected"] = world["viewers_before"] + BULK
    base_count = result["baseline_queryset_count"]["median_ms"]
    for key in ("list_page_1", "list_search_accents", "list_filtered", "list_last_page"):
        result[f"{key}_over_count"] = round(result[key]["median_ms"] / base_count, 1)
    result[f"bulk_approve_{BULK}_per_row_ms"] = round(
        result[f"bulk_approve_{BULK}"]["median_ms"] / BULK, 3
    )
    result[f"bulk_approve_{BULK}_over_one_approval_x{BULK}"] = round(
        result[f"bulk_approve_{BULK}"]["median_ms"]
        / (BULK * result["baseline_one_approval"]["median_ms"]),
        2,
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "registration_list.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        if isinstance(value, dict):
            extra = f"  ({value['queries']} queries)" if "queries" in value else ""
            print(f"{key:44} {value['median_ms']:>10} ms median{extra}")
        else:
            print(f"{key:44} {value}")
    return 0 if viewers == result["viewers_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
