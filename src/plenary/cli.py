"""The `plenary` command: demo, serve, worker, load-scenario, audit verify, backup, restore,
manage.

The project's modules are imported inside the commands, after `_setup()`: they need the
settings and the app registry, which `django.setup()` brings."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def cmd_manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["plenary manage", *args.rest])
    return 0


def cmd_load_scenario(args) -> int:
    _setup()
    from django.core.management import CommandError

    try:
        _manage("load_scenario", args.name)
    except CommandError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def cmd_audit(args) -> int:
    _setup()
    # Imported after django.setup(): it needs the settings and the app registry.
    from plenary.core.audit import verify_chain

    report = verify_chain()
    if report.intact:
        print(f"Audit log intact: {report.checked} events checked.")
        return _verify_ballots()
    print(
        f"Audit log BROKEN at event #{report.broken_sequence}: {report.reason} "
        f"({report.checked} events before it are intact).",
        file=sys.stderr,
    )
    return 1


def _verify_ballots() -> int:
    """Every closed decision by correspondence recounted from the audit log alone."""
    # Imported here: cmd_audit calls this after django.setup(), which the models need.
    from plenary.ballots.models import Ballot
    from plenary.ballots.services import results, tally_from_audit

    broken = 0
    for ballot in Ballot.objects.filter(status=Ballot.Status.CLOSED):
        recount = tally_from_audit(ballot)
        for proposal, result in results(ballot):
            if recount.get(proposal.pk) != result:
                broken += 1
                print(
                    f"Ballot #{ballot.pk}, proposal #{proposal.pk}: the audit log gives another result.",
                    file=sys.stderr,
                )
            else:
                print(
                    f"Ballot #{ballot.pk}, proposal #{proposal.pk}: result confirmed by the audit log."
                )
    return 1 if broken else 0


def cmd_worker(args) -> int:
    _setup()
    # Imported after django.setup(): it needs the settings and the app registry.
    from plenary.contributions.tasks import schedule_expiry
    from plenary.core.health import WORKER_ID, enqueue_heartbeat, start_heartbeat
    from plenary.registration.tasks import schedule_speaker_reminders
    from plenary.statements.tasks import schedule_withdrawal

    # Drafts past their days are deleted hourly by a task that schedules its next run.
    schedule_expiry()
    # Likewise, hourly, the reminder to delegations short of speakers (R11).
    schedule_speaker_reminders()
    # Statements for interpreters leave them after their meeting (statement_withdraw_hours).
    schedule_withdrawal()
    # The heartbeat shows on /health that a worker takes tasks from the queue.
    if args.batch:
        enqueue_heartbeat()
    else:
        start_heartbeat()
    # One id for the tasks this process takes and its heartbeats: a task left running by an
    # id that no longer beats lost its worker (core.tasks.recover_abandoned_tasks).
    extra = ["--worker-id", WORKER_ID, *(["--batch"] if args.batch else ["--no-reload"])]
    from django.db import InterfaceError, OperationalError, connections

    while True:
        try:
            _manage("db_worker", "--interval", str(args.interval), *extra)
            return 0
        except (OperationalError, InterfaceError) as error:
            # The database restarted or is unreachable for a moment: wait and take tasks
            # again, instead of leaving the outbox undelivered until someone notices.
            print(f"Worker: database unavailable ({error}); trying again.", file=sys.stderr)
            connections.close_all()
            time.sleep(max(args.interval, 1.0))


def cmd_backup(args) -> int:
    _setup()
    # Imported after django.setup(): it needs the settings and the app registry.
    from plenary.core.backup import BackupRefused, create_backup

    try:
        summary = create_backup(args.file, overwrite=args.overwrite)
    except BackupRefused as refused:
        print(f"Backup not made: {refused.message}", file=sys.stderr)
        return 2
    print(
        f"Backup written to {summary.path}: {summary.rows} rows in {summary.tables} tables, "
        f"{summary.files} uploaded files, {summary.size / 1_000_000:.1f} MB."
    )
    return 0


def cmd_restore(args) -> int:
    _setup()
    # Imported after django.setup(): it needs the settings and the app registry.
    from plenary.core.backup import BackupRefused, restore_backup

    try:
        manifest = restore_backup(args.file, force=args.force)
    except BackupRefused as refused:
        print(f"Nothing was restored: {refused.message}", file=sys.stderr)
        return 2
    rows = sum(manifest["tables"].values())
    files = sum(1 for name in manifest["members"] if name.startswith("media/"))
    print(
        f"Restored the backup of {manifest['created_at']} (Plenary {manifest['plenary_version']}, "
        f"{manifest['database_vendor']}): {rows} rows, {files} uploaded files. "
        "Run `plenary audit verify` to check the audit log."
    )
    return 0


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "plenary.asgi:application",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        ws="auto",
        ws_per_message_deflate=os.environ.get("PLENARY_WS_DEFLATE", "0") == "1",
        ws_ping_interval=float(os.environ.get("PLENARY_WS_PING", "20")) or None,
        log_level=os.environ.get("PLENARY_LOG_LEVEL", "info").lower(),
    )


def cmd_serve(args) -> int:
    _setup()
    from django.conf import settings

    if settings.DEBUG:
        print(
            "PLENARY_DEBUG is set: errors show their traceback to whoever asked. "
            "For development only.",
            file=sys.stderr,
        )
    if settings.PRODUCTION:
        _manage("collectstatic", "--noinput", "--verbosity", "0")
    _serve(args.host, args.port, args.workers)
    return 0


# The phases of plenary.scenarios.demo.PHASES (named here for --help, before Django is set
# up; tests/scenarios/test_demo.py checks that both lists agree).
DEMO_PHASES = ("registration", "contributions", "meeting", "ballot", "report")


def cmd_demo(args) -> int:
    """A fresh SQLite database under var/, the scenario loaded with its dates moved around
    today and the data of one phase, a worker, and the site on :8000. The demo alone runs
    with DEBUG on (PLENARY_DEBUG=0 turns it off)."""
    os.environ.setdefault("PLENARY_DEBUG", "1")
    if not os.environ.get("DATABASE_URL"):
        from pathlib import Path

        var = Path(os.environ.get("PLENARY_VAR_DIR", Path.cwd() / "var"))
        var.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (var / f"plenary.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.rmtree(var / "mail", ignore_errors=True)
    _setup()
    _manage("migrate", "--noinput", "--verbosity", "0")
    # Imported after django.setup(): it needs the settings and the app registry.
    from plenary.core.yamlfile import DataFileError
    from plenary.scenarios.demo import key_dates, load_demo, summary

    try:
        demo = load_demo(args.phase, scenario=args.scenario)
    except DataFileError as error:
        print(error, file=sys.stderr)
        return 2
    result = demo.result
    consultation = demo.consultation
    url = f"http://{args.host}:{args.port}/"
    print()
    print(f"Plenary demo: {consultation.title} ({consultation.acronym}) — {url}")
    print(
        f"Phase: {demo.phase}, today {demo.today} ({consultation.time_zone_label}): {summary(demo)}"
    )
    print("Dates: " + "; ".join(f"{label} {value}" for label, value in key_dates(consultation)))
    if not demo.built:
        print(
            "The database already held this consultation's participants: its dates were "
            "moved to today, nothing else was added (use an empty database for a new phase)."
        )
    if demo.link:
        person, token = demo.link
        print(f"Take part as {person.name} ({person.get_role_display().lower()}): {url}j/{token}")
    print("Demo accounts (sign in at /en/accounts/login/):")
    for account in result.credentials:
        state = f" [{account['state']}]" if account["state"] else ""
        print(
            f"  {account['role']:<18} {account['email']:<30} password: {account['password']}{state}"
        )
        if account["totp_secret"]:
            print(
                f"  {'':<18} second factor: TOTP secret {account['totp_secret']} "
                f"(or run: plenary totp-code {account['email']})"
            )
    print("Outgoing mail is written to var/mail/ (set EMAIL_URL for a real SMTP server).")
    print()
    sys.stdout.flush()
    worker = subprocess.Popen(
        [sys.executable, "-m", "plenary.cli", "worker"], env=os.environ.copy()
    )
    try:
        _serve(args.host, args.port, 1)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    return 0


def cmd_totp_code(args) -> int:
    """The current second-factor code of a demo account (refused in production)."""
    _setup()
    from django.conf import settings

    if settings.PRODUCTION:
        print("totp-code is for demo sites only.", file=sys.stderr)
        return 2
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    authenticator = Authenticator.objects.filter(
        user__email=args.email.lower(), type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        print(f"No authenticator for {args.email}.", file=sys.stderr)
        return 2
    from allauth.mfa.adapter import get_adapter

    secret = get_adapter().decrypt(authenticator.data["secret"])
    # What an authenticator app shows now, not the oldest code still accepted: the person has
    # the whole period to type it.
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    print(format_hotp_value(hotp_value(secret, counter)))
    return 0


def _setting_values(pairs: list[str]) -> dict:
    """name=value pairs as the API's schema reads them: a value in JSON ([1, 2], true,
    {"en": "…"}) or a plain string ("2027-03-01", "13:00", "300")."""
    values = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"“{pair}” is not name=value")
        try:
            values[name.strip()] = json.loads(raw)
        except ValueError:
            values[name.strip()] = raw
    return values


def cmd_consultation(args) -> int:
    """Create a consultation, change its settings or show them: the service of the pages and
    the API (setup.services), with the API's reading of the values."""
    _setup()
    # Imported after django.setup(): they need the settings and the app registry.
    from plenary.api.setup import ConsultationSettingsIn, settings_out

    # Imported after django.setup(), as the line above.
    from plenary.consultations.models import Consultation

    # Imported after django.setup(), as the line above.
    from plenary.core.errors import DomainError

    # Imported after django.setup(), as the line above.
    from plenary.setup import services

    try:
        body = ConsultationSettingsIn.model_validate(_setting_values(args.settings))
        if args.action == "new":
            source = (
                Consultation.objects.filter(slug=args.copy_from).first() if args.copy_from else None
            )
            if args.copy_from and source is None:
                print(f"No consultation “{args.copy_from}”.", file=sys.stderr)
                return 2
            consultation = services.create_consultation(
                body.values(), slug=args.slug, actor=None, copy_from=source
            )
            changed = {}
        else:
            consultation = Consultation.objects.filter(slug=args.slug).first()
            if consultation is None:
                print(f"No consultation “{args.slug}”.", file=sys.stderr)
                return 2
            changed = {}
            if args.action == "set":
                changed = services.update_settings(
                    consultation, body.values(), actor=None, reason=args.reason
                )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        print(error, file=sys.stderr)
        return 2
    except DomainError as refusal:
        print(refusal.user_message(), file=sys.stderr)
        if refusal.details:
            print(json.dumps(refusal.details, indent=2, ensure_ascii=False), file=sys.stderr)
        return 2
    out = settings_out(consultation, changed)
    print(
        json.dumps(
            out if args.action == "show" else out["changed"] or out["settings"],
            indent=2,
            default=str,
            ensure_ascii=False,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plenary", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="fresh demo database with VCC-2, its dates moved around today, served on "
        "127.0.0.1:8000",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--scenario", default="vcc2")
    demo.add_argument(
        "--phase",
        choices=DEMO_PHASES,
        default=DEMO_PHASES[0],
        help="where the consultation stands today: registration open (default), "
        "contributions submitted, a meeting under way, a decision by correspondence open, "
        "or everything over with the report",
    )
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve HTTP and WebSocket (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run background tasks (mail outbox)")
    worker.add_argument("--interval", type=float, default=1.0)
    worker.add_argument("--batch", action="store_true", help="run what is queued, then stop")
    worker.set_defaults(func=cmd_worker)

    load = sub.add_parser("load-scenario", help="load a scenario (e.g. vcc2) or a scenario.yaml")
    load.add_argument("name")
    load.set_defaults(func=cmd_load_scenario)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 at the first broken event"
    )
    verify.set_defaults(func=cmd_audit)

    backup = sub.add_parser(
        "backup", help="write the database and the uploaded files to a zip file"
    )
    backup.add_argument("file")
    backup.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="restore a backup into an empty database (checks it first)"
    )
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace the data of a database that is not empty"
    )
    restore.set_defaults(func=cmd_restore)

    consultation = sub.add_parser(
        "consultation",
        help="create a consultation (from the letter's defaults or a copy), change its "
        "settings, or show them",
    )
    consultation.add_argument("action", choices=["new", "set", "show"])
    consultation.add_argument("slug")
    consultation.add_argument("settings", nargs="*", help="name=value, e.g. starts_on=2027-03-01")
    consultation.add_argument("--copy-from", help="the consultation to copy (with new)")
    consultation.add_argument("--reason", default="", help="why (once the agenda is confirmed)")
    consultation.set_defaults(func=cmd_consultation)

    totp = sub.add_parser("totp-code", help="current second-factor code of a demo account")
    totp.add_argument("email")
    totp.set_defaults(func=cmd_totp_code)

    manage = sub.add_parser("manage", help="any Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
