"""`plenary backup` and `plenary restore`: the whole site in one checked file, restored into an
empty database on SQLite or PostgreSQL with the same rows, files and intact audit chain."""

import datetime
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils.crypto import salted_hmac
from pypdf import PdfWriter

from plenary.cli import main as plenary
from plenary.contributions import services as contributions
from plenary.core.audit import verify_chain
from plenary.core.backup import (
    BackupRefused,
    create_backup,
    read_manifest,
    restore_backup,
    table_counts,
)
from plenary.registration.models import Participant
from tests import factories


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def busy_site(consultation, focal_ch):
    """VCC-2 with an uploaded contribution and two approved participants of Switzerland."""
    contribution, _fields = contributions.prepare_upload(
        consultation,
        data=_pdf(2),
        filename="views.pdf",
        actor=focal_ch,
        now=consultation.contribution_deadline - datetime.timedelta(days=1),
    )
    for n in (1, 2):
        factories.participant(consultation, "CH", n, speaker=False, actor=focal_ch)
    return contribution


def _run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plenary.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def empty_site(tmp_path):
    """The environment of a fresh site: its own var directory and an empty database."""
    env = {**os.environ, "PLENARY_VAR_DIR": str(tmp_path / "restored")}
    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        yield env
        return
    name = f"{database['NAME']}_restore"
    server = {
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = url._replace(path=f"/{name}").geturl()
    yield env
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_an_empty_database_with_its_rows_files_and_audit_chain(
    busy_site, empty_site, tmp_path
):
    counts = table_counts()
    chain = verify_chain()
    assert chain.intact
    backup = tmp_path / "vcc-2.zip"

    summary = create_backup(backup)

    manifest = read_manifest(backup)
    assert manifest["tables"] == counts
    assert manifest["tables"]["registration_participant"] == Participant.objects.count() >= 2
    assert summary.rows == sum(counts.values())
    contribution_member = f"media/{busy_site.file.name}"
    assert contribution_member in manifest["members"]
    assert manifest["database_vendor"] == connection.vendor

    restored = _run("restore", str(backup), env=empty_site)
    assert restored.returncode == 0, restored.stderr
    assert f"{sum(counts.values())} rows" in restored.stdout

    verified = _run("audit", "verify", env=empty_site)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit log intact: {chain.checked} events checked." in verified.stdout

    # The restored site's own backup counts the same rows in every table.
    again = tmp_path / "again.zip"
    copied = _run("backup", str(again), env=empty_site)
    assert copied.returncode == 0, copied.stderr
    assert read_manifest(again)["tables"] == counts

    restored_file = Path(empty_site["PLENARY_VAR_DIR"]) / "media" / busy_site.file.name
    assert restored_file.read_bytes() == Path(busy_site.file.path).read_bytes()


def _rewrite(backup: Path, target: Path, *, manifest=None, members=None, sign=True) -> None:
    """A copy of a backup with some members or the manifest changed, re-signed if asked."""
    with zipfile.ZipFile(backup) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    if manifest:
        data = json.loads(contents["manifest.json"])
        manifest(data)
        contents["manifest.json"] = json.dumps(data).encode()
    if sign:
        contents["manifest.sig"] = (
            salted_hmac(
                "plenary.core.backup",
                contents["manifest.json"],
                algorithm="sha256",
            )
            .hexdigest()
            .encode()
        )
    contents.update(members or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)


@pytest.fixture
def backup(vcc2, tmp_path):
    path = tmp_path / "site.zip"
    create_backup(path)
    return path


def _refused(path, **options) -> str:
    counts = table_counts()
    media = sorted(p for p in Path(django_settings.MEDIA_ROOT).rglob("*"))
    with pytest.raises(BackupRefused) as refused:
        restore_backup(path, **options)
    assert table_counts() == counts
    assert sorted(p for p in Path(django_settings.MEDIA_ROOT).rglob("*")) == media
    return refused.value.message


def test_a_changed_row_in_the_database_member_is_refused_and_nothing_changes(backup, tmp_path):
    with zipfile.ZipFile(backup) as source:
        dump = source.read("database.jsonl")
    tampered = tmp_path / "tampered.zip"
    _rewrite(
        backup,
        tampered,
        members={"database.jsonl": dump.replace(b"Switzerland", b"Swaziland", 1)},
        sign=False,
    )

    message = _refused(tampered, force=True)

    assert message == (
        "The backup is damaged or was changed: database.jsonl does not match its checksum."
    )


def test_a_manifest_changed_without_the_secret_key_is_refused(backup, tmp_path):
    tampered = tmp_path / "tampered.zip"

    def fewer_users(manifest):
        manifest["tables"]["core_user"] -= 1

    _rewrite(backup, tampered, manifest=fewer_users, sign=False)

    message = _refused(tampered, force=True)

    assert message.startswith("The backup's signature does not match")


def test_a_backup_of_another_site_is_refused(backup, settings):
    settings.SECRET_KEY = "another-site-" + "x" * 50

    assert _refused(backup, force=True).startswith("The backup's signature does not match")


def test_an_added_file_is_refused(backup, tmp_path):
    tampered = tmp_path / "tampered.zip"
    _rewrite(backup, tampered, members={"media/extra.pdf": b"%PDF-1.4"})

    assert _refused(tampered, force=True) == (
        "The backup is damaged or was changed: its files differ from its manifest."
    )


def test_a_truncated_file_is_refused(backup, tmp_path):
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])

    assert _refused(truncated, force=True) == (
        f"{truncated} is not a Plenary backup (it is not a readable zip file)."
    )


def test_a_backup_from_a_newer_version_is_refused(backup, tmp_path):
    newer = tmp_path / "newer.zip"
    _rewrite(
        backup,
        newer,
        manifest=lambda m: m["migrations"].append("core.9999_from_the_future"),
    )

    message = _refused(newer, force=True)

    assert message.startswith("This backup was made by a newer version of Plenary")
    assert "core.9999_from_the_future" in message


def test_a_backup_from_an_older_version_is_refused(backup, tmp_path):
    older = tmp_path / "older.zip"
    latest = max(
        m
        for m in json.loads(_member(backup, "manifest.json"))["migrations"]
        if m.startswith("core.")
    )
    _rewrite(backup, older, manifest=lambda m: m["migrations"].remove(latest))

    message = _refused(older, force=True)

    assert message.startswith("This backup was made by an older version of Plenary")
    assert latest in message


def _member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def test_a_database_that_is_not_empty_is_refused_without_force(backup, capsys):
    counts = table_counts()

    assert plenary(["restore", str(backup)]) == 2

    error = capsys.readouterr().err
    assert error.startswith("Nothing was restored: The database is not empty (")
    assert "use --force to replace everything in it" in error
    assert table_counts() == counts


def test_force_replaces_everything_with_the_backup(backup, consultation):
    counts = table_counts()
    late = factories.registered(
        consultation, "CH", name="After the backup", email="late@example.ch"
    )

    restore_backup(backup, force=True)

    assert table_counts() == counts
    assert not Participant.objects.filter(pk=late.pk).exists()
    assert verify_chain().intact


def test_an_existing_file_is_not_overwritten(backup):
    with pytest.raises(BackupRefused) as refused:
        create_backup(backup)

    assert refused.value.message == f"{backup} already exists; choose another name."
