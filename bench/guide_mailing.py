"""The participation guide to 2,300 approved participants: the time to enqueue it (one
service call: a fresh link and one outbox message each, in their language) and to deliver it
through the outbox and its worker to a real local SMTP server (aiosmtpd), against baselines
measured in the same run: rendering the 2,300 messages without the outbox, and sending one
message 2,300 times through smtplib directly (a connection per message, as the outbox's
worker opens one, and all over one connection).

SQLite in a temporary directory by default; --database-url postgres://… runs it on
PostgreSQL (that database is dropped and created)."""

import argparse
import json
import os
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.mailserver import Inbox
from tests.mailserver import free_port as _free_port


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


def _participants(consultation, count: int):
    """`count` approved participants, spread over the delegations and the six languages."""
    from plenary.registration.models import Delegation, Participant

    delegations = list(Delegation.objects.filter(consultation=consultation))
    languages = consultation.languages
    Participant.objects.bulk_create(
        Participant(
            consultation=consultation,
            delegation=delegations[n % len(delegations)],
            email=f"p{n}@example.org",
            name=f"Participant {n}",
            language=languages[n % len(languages)],
            status=Participant.Status.APPROVED,
            role=Participant.Role.VIEWER,
        )
        for n in range(count)
    )
    return list(
        Participant.objects.filter(consultation=consultation, status=Participant.Status.APPROVED)
        .select_related("consultation", "delegation__state", "delegation__sector_member")
        .order_by("pk")
    )


def _baseline_render(consultation, people) -> float:
    """The same 2,300 messages written (text chosen, placeholders filled), nothing stored."""
    from plenary.registration import services

    start = time.perf_counter()
    common, texts = {}, {}
    for person in people:
        values = common.setdefault(
            person.language, services.consultation_guide_values(consultation, person.language)
        )
        if person.language not in texts:
            texts[person.language] = services.guide_text(consultation, person.language)[:2]
        subject, body = texts[person.language]
        filled = services.guide_values(person, link=services.link_url("x" * 43), common=values)
        services.fill_guide(subject, filled, person.language)
        services.fill_guide(body, filled, person.language)
    return time.perf_counter() - start


def _baseline_smtplib(port: int, count: int, body: str, *, reuse: bool) -> float:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "plenary@localhost", "p@example.org", "G"
    message.set_content(body)
    start = time.perf_counter()
    if reuse:
        with smtplib.SMTP("127.0.0.1", port) as server:
            for _n in range(count):
                server.send_message(message)
    else:
        for _n in range(count):
            with smtplib.SMTP("127.0.0.1", port) as server:
                server.send_message(message)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=2300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    os.environ["PLENARY_VAR_DIR"] = tempfile.mkdtemp(prefix="plenary-bench-")
    if args.database_url:
        _recreate(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from plenary.core.models import OutboxMessage, User
    from plenary.registration import services
    from plenary.scenarios.loader import load_scenario

    consultation = load_scenario("vcc2").consultation
    secretariat = User.objects.get(email="secretariat@example.org")
    people = _participants(consultation, args.participants)
    reverse("home")  # the URL configuration loaded, as in a running server

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    try:
        start = time.perf_counter()
        counts = services.send_guide_to_all(consultation, actor=secretariat)
        enqueue = time.perf_counter() - start
        start = time.perf_counter()
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
        deliver = time.perf_counter() - start

        sent = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()
        guides = [e for e in inbox.envelopes if b"/j/" in e.content]
        body = OutboxMessage.objects.order_by("pk").first().body
        render = _baseline_render(consultation, people)
        before = len(inbox.envelopes)
        smtp_each = _baseline_smtplib(controller.port, len(people), body, reuse=False)
        smtp_one = _baseline_smtplib(controller.port, len(people), body, reuse=True)
        assert len(inbox.envelopes) - before == 2 * len(people)
    finally:
        controller.stop()

    ok = sent == len(people) == len(guides) == counts["new_links"]
    total = enqueue + deliver
    result = {
        "database": "postgresql" if args.database_url else "sqlite",
        "participants": len(people),
        "counts": counts,
        "all_delivered": ok,
        "plenary_enqueue_s": round(enqueue, 2),
        "plenary_deliver_s": round(deliver, 2),
        "plenary_total_s": round(total, 2),
        "plenary_per_second": round(len(people) / total, 1),
        "baseline_render_only_s": round(render, 2),
        "baseline_smtplib_connection_per_message_s": round(smtp_each, 2),
        "baseline_smtplib_one_connection_s": round(smtp_one, 2),
        "ratio_total_to_smtplib_connection_per_message": round(total / smtp_each, 1),
    }
    out = Path(__file__).parent / "results" / "guide_mailing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
