"""Everyone joins at 12:00: how long Plenary takes to hand each participant their access to a
meeting on LiveKit (role from the registration, link checked, listening channel, signed
tokens, audit event), against signing a bare LiveKit token with the same library
(baseline: no checks, no database)."""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

KEY, SECRET = "APIbench", "a-bench-secret-of-at-least-thirty-two-characters"


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "count": len(samples),
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 3),
        "per_second": round(len(samples) / (sum(samples) / 1000), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=2300)
    args = parser.parse_args()

    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone
    from livekit.api import AccessToken, TokenVerifier, VideoGrants

    call_command("migrate", verbosity=0)
    settings.PLENARY_LIVEKIT_URL = "wss://livekit.example.org"
    settings.PLENARY_LIVEKIT_API_KEY, settings.PLENARY_LIVEKIT_API_SECRET = KEY, SECRET
    from plenary.core.models import User
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation, Participant
    from plenary.remote import services
    from plenary.remote.models import RemoteSettings
    from plenary.scenarios.loader import load_scenario

    consultation = load_scenario("vcc2").consultation
    RemoteSettings.objects.update_or_create(
        consultation=consultation, defaults={"platform": "livekit"}
    )
    meeting = consultation.meetings.get(kind="meeting", number=1)
    meeting.starts_at = timezone.now()
    meeting.ends_at = meeting.starts_at + datetime.timedelta(hours=3)
    meeting.save()

    # Participants as registration leaves them: three speakers per Council delegation, the
    # rest viewers, some listening to an interpretation channel.
    secretariat = User.objects.get(email="secretariat@example.org")
    opened = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)
    delegations = list(Delegation.objects.filter(consultation=consultation, state__isnull=False))
    consultation.viewer_capacity = args.participants
    consultation.save()
    consultation.capacity.viewer_limit = args.participants
    consultation.capacity.save()
    for n in range(args.participants):
        delegation = delegations[n % len(delegations)]
        person = registration.register(
            consultation,
            delegation=delegation,
            name=f"Participant {n}",
            email=f"p{n}@example.org",
            now=opened,
        )
        registration.approve(person, actor=secretariat)
        if delegation.category == "council" and n < 3 * len(delegations):
            registration.designate_speaker(person, actor=secretariat)
        if n % 3 == 0:
            services.choose_listening(person, consultation.languages[n % 6])
    people = list(Participant.objects.filter(consultation=consultation, status="approved"))

    samples, roles = [], {"speaker": 0, "viewer": 0}
    for person in people:
        start = time.perf_counter()
        access = services.meeting_access(person, meeting)
        samples.append((time.perf_counter() - start) * 1000)
        roles[access.role] += 1
    verifier = TokenVerifier(KEY, SECRET)
    assert all(verifier.verify(g.token).video.room_join for g in access.grants)

    baseline = []
    for person in people:
        start = time.perf_counter()
        (
            AccessToken(KEY, SECRET)
            .with_identity(f"participant-{person.pk}")
            .with_ttl(datetime.timedelta(hours=3))
            .with_grants(VideoGrants(room_join=True, room="bench"))
            .to_jwt()
        )
        baseline.append((time.perf_counter() - start) * 1000)

    result = {
        "participants": len(people),
        "roles": roles,
        "plenary_meeting_access": _summary(samples),
        "baseline_bare_token": _summary(baseline),
    }
    result["p50_ratio"] = round(
        result["plenary_meeting_access"]["p50_ms"] / result["baseline_bare_token"]["p50_ms"], 1
    )
    out = Path(__file__).parent / "results" / "remote_access.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
