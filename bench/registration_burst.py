"""Registrations and speaker designations fired concurrently against PostgreSQL: do the
quotas and the platform's capacity hold, and is anything lost?

Phase A: N registrations (default 2,300) spread over every delegation, each registered,
approved and then put forward as a speaker, W at a time (default 50). Phase B: 1,000
participants of one delegation all asking at once to be named speaker; exactly the quota
may succeed. Baseline: phase A's work done one at a time, on a sample, in the same run.

Needs a PostgreSQL server: --database-url (default postgres://postgres@127.0.0.1:5432/plenary_bench;
the database is dropped and created).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/plenary_bench"
    )
    parser.add_argument("--registrations", type=int, default=2300)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--quota-attempts", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=200)
    args = parser.parse_args()

    _recreate(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from plenary.consultations.models import Consultation
    from plenary.core.errors import DomainError
    from plenary.core.models import User
    from plenary.registration import services
    from plenary.registration.models import Capacity, Delegation, Participant
    from plenary.scenarios.loader import load_scenario

    consultation = load_scenario("vcc2").consultation
    # Registration is open during the run.
    Consultation.objects.filter(pk=consultation.pk).update(
        starts_on="2099-01-05", registration_opens_on="2020-01-01"
    )
    consultation.refresh_from_db()
    secretariat = User.objects.get(email="secretariat@example.org")
    delegations = list(Delegation.objects.filter(consultation=consultation))

    def lifecycle(n: int, tag: str) -> dict:
        outcome = {"registered": False, "approved": False, "speaker": False, "refusals": []}
        try:
            delegation = delegations[n % len(delegations)]
            participant = services.register(
                consultation,
                delegation=delegation,
                name=f"P{n}",
                email=f"{tag}{n}@bench.example.org",
            )
            outcome["registered"] = True
            try:
                services.approve(participant, actor=secretariat)
                outcome["approved"] = True
                services.designate_speaker(participant, actor=secretariat)
                outcome["speaker"] = True
            except DomainError as refusal:
                outcome["refusals"].append(refusal.code)
        finally:
            connection.close()
        return outcome

    # Baseline: one at a time.
    start = time.perf_counter()
    for n in range(args.baseline_sample):
        lifecycle(n, "base")
    baseline_seconds = time.perf_counter() - start
    # Remove the baseline's people so that phase A starts from empty counters.
    Participant.objects.filter(email__startswith="base").delete()
    Delegation.objects.filter(consultation=consultation).update(speakers=0)
    Capacity.objects.filter(consultation=consultation).update(speakers=0, viewers=0)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        outcomes = list(pool.map(lambda n: lifecycle(n, "a"), range(args.registrations)))
    phase_a_seconds = time.perf_counter() - start

    stored = Participant.objects.filter(consultation=consultation, email__startswith="a").count()
    capacity = Capacity.objects.get(consultation=consultation)
    quota_violations = 0
    counter_mismatches = 0
    for delegation in Delegation.objects.filter(consultation=consultation):
        actual = delegation.participants.filter(status="approved", role="speaker").count()
        quota_violations += actual > delegation.speaker_limit
        counter_mismatches += actual != delegation.speakers
    actual_speakers = Participant.objects.filter(
        consultation=consultation, status="approved", role="speaker"
    ).count()
    actual_viewers = Participant.objects.filter(
        consultation=consultation, status="approved", role="viewer"
    ).count()
    refusals: dict[str, int] = {}
    for outcome in outcomes:
        for code in outcome["refusals"]:
            refusals[code] = refusals.get(code, 0) + 1

    # Phase B: one delegation, many approved viewers, all asking at once.
    target = Delegation.objects.get(consultation=consultation, state__iso2="CH")
    Participant.objects.filter(consultation=consultation).delete()
    Delegation.objects.filter(consultation=consultation).update(speakers=0)
    Capacity.objects.filter(consultation=consultation).update(speakers=0, viewers=0)
    people = []
    for n in range(args.quota_attempts):
        people.append(
            services.approve(
                services.register(
                    consultation, delegation=target, name=f"Q{n}", email=f"q{n}@bench.example.org"
                ),
                actor=secretariat,
            )
        )

    def designate(person):
        try:
            services.designate_speaker(person, actor=secretariat)
            return "named"
        except DomainError as refusal:
            return refusal.code
        finally:
            connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        attempts = list(pool.map(designate, people))
    phase_b_seconds = time.perf_counter() - start
    target.refresh_from_db()

    result = {
        "database": connection.vendor,
        "workers": args.workers,
        "phase_a": {
            "registrations_fired": args.registrations,
            "registrations_stored": stored,
            "registered_ok": sum(o["registered"] for o in outcomes),
            "approved": sum(o["approved"] for o in outcomes),
            "named_speakers": sum(o["speaker"] for o in outcomes),
            "refusals": refusals,
            "speakers_counter": capacity.speakers,
            "speakers_actual": actual_speakers,
            "viewers_counter": capacity.viewers,
            "viewers_actual": actual_viewers,
            "speaker_limit": capacity.speaker_limit,
            "viewer_limit": capacity.viewer_limit,
            "delegations_over_quota": quota_violations,
            "delegation_counter_mismatches": counter_mismatches,
            "seconds": round(phase_a_seconds, 2),
            "lifecycles_per_second": round(args.registrations / phase_a_seconds, 1),
        },
        "baseline_one_at_a_time": {
            "lifecycles": args.baseline_sample,
            "seconds": round(baseline_seconds, 2),
            "lifecycles_per_second": round(args.baseline_sample / baseline_seconds, 1),
        },
        "phase_b": {
            "attempts": args.quota_attempts,
            "named": attempts.count("named"),
            "refused_quota": attempts.count("speaker_quota"),
            "quota": target.speaker_limit,
            "delegation_counter": target.speakers,
            "seconds": round(phase_b_seconds, 2),
        },
    }
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "registration_burst.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    ok = (
        result["phase_a"]["registrations_stored"] == args.registrations
        and quota_violations == 0
        and counter_mismatches == 0
        and capacity.speakers == actual_speakers <= capacity.speaker_limit
        and capacity.viewers == actual_viewers <= capacity.viewer_limit
        and result["phase_b"]["named"] == target.speaker_limit == target.speakers
    )
    print("invariants hold" if ok else "INVARIANTS BROKEN")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
