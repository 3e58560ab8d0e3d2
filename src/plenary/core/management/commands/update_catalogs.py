"""Bring the six catalogs up to date with the source: `plenary manage update_catalogs`.

Django's makemessages extracts the strings (Python and templates) into a scratch copy of the
package; the catalogs under src/plenary/locale then gain the new strings (empty, to be
translated), lose those no longer used, keep every translation, and are compiled. Unlike
msgmerge, nothing is guessed: no fuzzy entries, which tests/core/test_catalogs.py refuses.
`--check` only reports how many strings are untranslated per language."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.core.management.base import BaseCommand

PACKAGE = Path(__file__).resolve().parents[3]
LOCALE = PACKAGE / "locale"


def _extract() -> object:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "plenary"
        shutil.copytree(
            PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "static", "__pycache__")
        )
        # makemessages writes into LOCALE_PATHS: point them at the scratch copy.
        (Path(scratch) / "scratch_settings.py").write_text(
            f"from plenary.settings import *  # noqa\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
        )
        (copy / "locale").mkdir()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "django",
                "makemessages",
                "--locale=en",
                "--no-location",
                "--no-obsolete",
                "--ignore=migrations/*",
            ],
            cwd=copy,
            check=True,
            capture_output=True,
            env={
                "DJANGO_SETTINGS_MODULE": "scratch_settings",
                "PYTHONPATH": scratch,
                "PATH": "/usr/bin:/bin",
            },
        )
        with open(copy / "locale" / "en" / "LC_MESSAGES" / "django.po", "rb") as po:
            return read_po(po)


class Command(BaseCommand):
    help = "Update the catalogs from the source (new strings added empty, unused ones removed)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only count what is missing")

    def handle(self, *args, check=False, **options):
        source = _extract()
        # A message is its text and its context (pgettext): "Open" the button and "Open"
        # the state of a ballot are two messages.
        wanted = {(message.id, message.context): message for message in source if message.id}
        for folder in sorted(path for path in LOCALE.iterdir() if path.is_dir()):
            path = folder / "LC_MESSAGES" / "django.po"
            with open(path, "rb") as po:
                catalog = read_po(po, locale=folder.name)
            present = {(message.id, message.context) for message in catalog if message.id}
            for message_id, context in present - set(wanted):
                catalog.delete(message_id, context=context)
            for key in set(wanted) - present:
                new = wanted[key]
                catalog.add(
                    new.id,
                    string=("",) * catalog.num_plurals if new.pluralizable else "",
                    flags=[flag for flag in new.flags if flag != "fuzzy"],
                    context=new.context,
                )
            missing = sum(
                1
                for message in catalog
                if message.id
                and folder.name != "en"
                and not all(message.string if new_plural(message) else [message.string])
            )
            self.stdout.write(f"{folder.name}: {len(catalog)} strings, {missing} untranslated")
            if check:
                continue
            with open(path, "wb") as po:
                write_po(po, catalog, width=76)
            with open(folder / "LC_MESSAGES" / "django.mo", "wb") as mo:
                write_mo(mo, catalog)


def new_plural(message) -> bool:
    return isinstance(message.string, tuple | list)
