"""Backups of a site: the whole database and the uploaded files in one zip file.

A backup holds:

- `database.jsonl` — every row of every table in Django's serialization, one object a line,
  with primary keys kept, so that it loads into SQLite or PostgreSQL alike. Times keep their
  microseconds: the audit chain's hashes cover them.
- `media/…` — the uploaded files under MEDIA_ROOT (contributions, documents, evidence).
- `manifest.json` — the versions of Plenary and Django, the database it came from, the
  applied migrations, the row count of each table, and the SHA-256 and size of every member.
- `manifest.sig` — an HMAC-SHA256 of the manifest under the site's secret key.

A restore checks everything before it changes anything: the signature, every member against
the manifest, that the migrations match this version of Plenary, and that the database and
MEDIA_ROOT are empty (unless forced). It then replaces the data in one transaction, checks
the row counts, and only then puts the files in place.
"""

import datetime
import hashlib
import importlib.metadata
import json
import os
import secrets
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

FORMAT = "plenary-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DATABASE = "database.jsonl"
MEDIA_PREFIX = "media/"
_SIGNATURE_SALT = "plenary.core.backup"
_CHUNK = 1024 * 1024
# Tables that a freshly migrated database fills by itself: they do not make it "not empty".
_FILLED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}


class BackupRefused(Exception):
    """A backup or restore that was not done, with the reason for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    rows: int
    tables: int
    files: int
    size: int


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder rounds times to milliseconds; the audit chain needs them exact."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _plenary_version() -> str:
    try:
        return importlib.metadata.version("plenary")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _sign(manifest: bytes, secret: str | bytes | None = None) -> str:
    return salted_hmac(_SIGNATURE_SALT, manifest, secret=secret, algorithm="sha256").hexdigest()


def _saved_models() -> list:
    """The models whose rows a backup holds (many-to-many links travel with their model)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def _counted_models() -> list:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def table_counts() -> dict[str, int]:
    """Rows per table of the current database, for the manifest and the check after a restore."""
    existing = set(connection.introspection.table_names())
    return {
        model._meta.db_table: model._base_manager.count()
        for model in _counted_models()
        if model._meta.db_table in existing
    }


def _applied_migrations() -> list[str]:
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in applied)


def _media_files() -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        (path, MEDIA_PREFIX + path.relative_to(root).as_posix())
        for path in root.rglob("*")
        if path.is_file()
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_database(target: Path) -> None:
    with target.open("w", encoding="utf-8") as stream:
        for model in _saved_models():
            serializers.serialize(
                "jsonl",
                model._base_manager.order_by("pk").iterator(chunk_size=2000),
                stream=stream,
                cls=_ExactJSONEncoder,
            )


def create_backup(path: str | os.PathLike, *, overwrite: bool = False) -> BackupSummary:
    """Write the database and MEDIA_ROOT to a zip file at `path`, with a signed manifest."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise BackupRefused(_("%(path)s already exists; choose another name.") % {"path": path})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plenary-backup-") as work:
        dump = Path(work) / DATABASE
        # On PostgreSQL the whole dump reads one snapshot; on SQLite the transaction holds
        # the database's write lock for as long as the dump takes.
        outer = connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and not outer:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            _dump_database(dump)
            counts = table_counts()
            migrations = _applied_migrations()
        files = _media_files()
        members = {DATABASE: {"sha256": _sha256_of(dump), "size": dump.stat().st_size}}
        for file, name in files:
            members[name] = {"sha256": _sha256_of(file), "size": file.stat().st_size}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "plenary_version": _plenary_version(),
            "django_version": django.get_version(),
            "python_version": sys.version.split()[0],
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "tables": counts,
            "members": members,
        }
        manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(MANIFEST, manifest_bytes)
                archive.writestr(SIGNATURE, _sign(manifest_bytes))
                archive.write(dump, DATABASE)
                for file, name in files:
                    archive.write(file, name)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return BackupSummary(
        path=path,
        rows=sum(counts.values()),
        tables=len(counts),
        files=len(files),
        size=path.stat().st_size,
    )


# --- Reading and checking a backup ------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    if name in (MANIFEST, SIGNATURE, DATABASE):
        return True
    pure = PurePosixPath(name)
    return (
        name.startswith(MEDIA_PREFIX)
        and "\\" not in name
        and not pure.is_absolute()
        and ".." not in pure.parts
        and len(pure.parts) > 1
    )


def _read_checked(archive: zipfile.ZipFile, name: str, expected: dict, sink=None) -> None:
    """Read one member, refusing it if its size or SHA-256 differs from the manifest."""
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > expected["size"]:
                break
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    if size != expected["size"] or not constant_time_compare(
        digest.hexdigest(), expected["sha256"]
    ):
        raise BackupRefused(
            _("The backup is damaged or was changed: %(member)s does not match its checksum.")
            % {"member": name}
        )


def read_manifest(path: str | os.PathLike) -> dict:
    """The manifest of a backup once its signature and every member have been checked."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupRefused(_("There is no file %(path)s.") % {"path": path}) from None
    except (zipfile.BadZipFile, OSError):
        raise BackupRefused(
            _("%(path)s is not a Plenary backup (it is not a readable zip file).") % {"path": path}
        ) from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names or SIGNATURE not in names:
            raise BackupRefused(
                _("%(path)s is not a Plenary backup (it has no manifest).") % {"path": path}
            )
        try:
            manifest_bytes = archive.read(MANIFEST)
            signature = archive.read(SIGNATURE).decode("ascii").strip()
        except (zipfile.BadZipFile, UnicodeDecodeError, OSError):
            raise BackupRefused(_("The backup is damaged: its manifest cannot be read.")) from None
        secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        if not any(
            constant_time_compare(signature, _sign(manifest_bytes, s)) for s in secrets_to_try
        ):
            raise BackupRefused(
                _(
                    "The backup's signature does not match: it was changed, or it was made by a "
                    "site with another secret key (set PLENARY_SECRET_KEY to that site's key)."
                )
            )
        manifest = json.loads(manifest_bytes)
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupRefused(_("This backup's format is not one this version of Plenary reads."))
        members = manifest["members"]
        listed = set(members) | {MANIFEST, SIGNATURE}
        if set(names) != listed or len(names) != len(listed) or DATABASE not in members:
            raise BackupRefused(
                _("The backup is damaged or was changed: its files differ from its manifest.")
            )
        for name in names:
            if not _safe_member_name(name):
                raise BackupRefused(
                    _("The backup holds a file with a forbidden name: %(member)s")
                    % {"member": name}
                )
        try:
            for name, expected in members.items():
                _read_checked(archive, name, expected)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise BackupRefused(_("The backup is damaged: a file in it cannot be read.")) from None
    return manifest


def _check_migrations(manifest: dict) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    recorded = set(manifest["migrations"])
    newer = sorted(recorded - known)
    if newer:
        raise BackupRefused(
            _(
                "This backup was made by a newer version of Plenary (it has migrations this "
                "version does not know, e.g. %(migration)s). Install that version to restore it."
            )
            % {"migration": newer[0]}
        )
    missing = sorted(
        f"{app}.{name}"
        for app, name in loader.graph.leaf_nodes()
        if f"{app}.{name}" not in recorded
    )
    if missing:
        raise BackupRefused(
            _(
                "This backup was made by an older version of Plenary (it lacks the migration "
                "%(migration)s). Restore it with the version that made it, then upgrade."
            )
            % {"migration": missing[0]}
        )


def _tables_with_data() -> list[str]:
    existing = set(connection.introspection.table_names())
    return [
        model._meta.db_table
        for model in _counted_models()
        if model._meta.db_table in existing
        and model._meta.label_lower not in _FILLED_BY_MIGRATE
        and model._base_manager.exists()
    ]


# --- Restoring --------------------------------------------------------------------------


def _load_database(fixture: Path, expected_counts: dict[str, int]) -> None:
    """Replace every row in one transaction; any difference from the manifest undoes it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Within a caller's transaction, checks deferred from its earlier writes must run
            # now: PostgreSQL refuses to TRUNCATE a table with pending checks.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.ops.execute_sql_flush(sql_flush(no_style(), connection, allow_cascade=False))
        if connection.vendor == "postgresql":
            # Rows load in any order; their references are checked at the end, as usual.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        call_command("loaddata", str(fixture), verbosity=0)
        counts = table_counts()
        wrong = sorted(
            table for table, rows in expected_counts.items() if counts.get(table, 0) != rows
        )
        if wrong:
            raise BackupRefused(
                _("After loading, the table %(table)s does not have the rows of the backup.")
                % {"table": wrong[0]}
            )
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def _extract_media(path: Path, manifest: dict, staging: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name, expected in manifest["members"].items():
            if not name.startswith(MEDIA_PREFIX):
                continue
            target = staging / PurePosixPath(name).relative_to(MEDIA_PREFIX.rstrip("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as sink:
                _read_checked(archive, name, expected, sink)


def restore_backup(path: str | os.PathLike, *, force: bool = False) -> dict:
    """Replace the database and MEDIA_ROOT with a backup's. Checks, in order: the file is a
    backup whose signature and checksums hold; its migrations are this version's; the
    database and MEDIA_ROOT are empty, unless `force`. Nothing changes when one fails."""
    path = Path(path)
    manifest = read_manifest(path)
    _check_migrations(manifest)
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        filled = _tables_with_data()
        if filled:
            raise BackupRefused(
                _(
                    "The database is not empty (%(tables)s hold data). Restore into an empty "
                    "database, or use --force to replace everything in it."
                )
                % {"tables": ", ".join(filled[:3]) + (", …" if len(filled) > 3 else "")}
            )
        if media_root.is_dir() and any(media_root.iterdir()):
            raise BackupRefused(
                _(
                    "%(media)s is not empty. Restore into an empty site, or use --force to "
                    "replace its files."
                )
                % {"media": media_root}
            )
    call_command("migrate", interactive=False, verbosity=0)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{media_root.name}-restoring-", dir=media_root.parent))
    try:
        _extract_media(path, manifest, staging)
        with tempfile.TemporaryDirectory(prefix="plenary-restore-") as work:
            fixture = Path(work) / DATABASE
            with zipfile.ZipFile(path) as archive, fixture.open("wb") as sink:
                _read_checked(archive, DATABASE, manifest["members"][DATABASE], sink)
            _load_database(fixture, manifest["tables"])
        # The database holds the backup now: its files take the place of the old ones.
        previous = None
        if media_root.exists():
            previous = media_root.with_name(f".{media_root.name}-replaced-{secrets.token_hex(4)}")
            media_root.rename(previous)
        staging.rename(media_root)
        staging = None
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return manifest
