"""Reading a list of invitations as the secretariat uploads it: CSV with the columns state,
email, name, language and role (the last three optional), UTF-8 with or without a byte
order mark or UTF-16 with one. Every row keeps its line, so that a problem names it.

Hostile input: the file is limited in size and rows; a file that cannot be read is refused
with what is wrong and where, never a server error."""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plenary.core.errors import DomainError
from plenary.directory.models import State
from plenary.directory.names import cldr_name

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000
LANGUAGES = [code for code, _name in settings.LANGUAGES]
COLUMNS = ("state", "email", "name", "language", "role")
# A column's title as a person may write it, in English; the six languages are added.
TITLES = {
    "state": [gettext_lazy("state"), gettext_lazy("country"), gettext_lazy("Member State")],
    "email": [gettext_lazy("email"), gettext_lazy("e-mail"), gettext_lazy("e-mail address")],
    "name": [gettext_lazy("name"), gettext_lazy("full name")],
    "language": [gettext_lazy("language")],
    "role": [gettext_lazy("role")],
}


@dataclass
class CsvRow:
    line: int
    state: str
    email: str
    name: str = ""
    language: str = ""
    role: str = ""


def normalize(text: str) -> str:
    """A name as compared: compatibility forms, case, apostrophes and spaces folded."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("`", "'")
    return " ".join(text.casefold().split())


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def line(number) -> str:
    return _("line %(line)s") % {"line": number}


def _refused(message, code: str, **params) -> DomainError:
    error = DomainError(message, code=code, params=params)
    error.problems = error.details = [error.user_message()]
    return error


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with its BOM; anything else names the line."""
    if len(data) > MAX_BYTES:
        raise _refused(
            gettext_lazy("The file is larger than %(size)s kB."),
            "too_large",
            size=MAX_BYTES // 1000,
        )
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(encoding, errors="ignore")
        raise _refused(
            gettext_lazy(
                "%(where)s: the file is not UTF-8 text (nor UTF-16 with a byte order mark); save it as “CSV UTF-8”."
            ),
            "bad_file",
            where=line(before.count("\n") + 1),
        ) from None
    if "\x00" in text:
        raise _refused(
            gettext_lazy(
                "%(where)s: the file holds NUL characters: it may be UTF-16 without a byte order mark; save it as “CSV UTF-8”."
            ),
            "bad_file",
            where=line(text[: text.index("\x00")].count("\n") + 1),
        )
    if not text.strip():
        raise _refused(gettext_lazy("The file is empty."), "bad_file")
    return text


def read(data: bytes) -> list[CsvRow]:
    """The rows of an uploaded CSV file; the header row, when there is one, names the
    columns, otherwise they are state, email, name, language, role in that order."""
    text = decode(data)
    first = next((row for row in text.splitlines() if row.strip()), "")
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    cells = []
    try:
        for row in reader:
            if len(cells) >= MAX_ROWS:
                raise _refused(
                    gettext_lazy("The file has more than %(n)s rows."), "too_large", n=MAX_ROWS
                )
            if any(cell.strip() for cell in row) and not row[0].strip().startswith("#"):
                cells.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise _refused(
            "%(where)s: %(why)s", "bad_file", where=line(reader.line_num), why=str(error)
        ) from None
    columns = _header(cells[0][1]) if cells else None
    if columns is not None:
        cells = cells[1:]
    else:
        columns = {name: index for index, name in enumerate(COLUMNS)}
    rows = []
    for number, row in cells:

        def cell(name, row=row):
            index = columns.get(name)
            return row[index] if index is not None and index < len(row) else ""

        rows.append(CsvRow(number, *(cell(name) for name in COLUMNS)))
    if not rows:
        raise _refused(gettext_lazy("The file has no invitation."), "bad_file")
    return rows


def _titles(column: str) -> set[str]:
    found = {column}
    for code in LANGUAGES:
        with translation.override(code):
            found |= {normalize(str(title)) for title in TITLES[column]}
    return found


def _header(row: list[str]) -> dict[str, int] | None:
    """The columns a header row names, or None when the row is not a header."""
    titles = {column: _titles(column) for column in COLUMNS}
    found = {}
    for index, cell in enumerate(row):
        for column, names in titles.items():
            if normalize(cell) in names and column not in found:
                found[column] = index
    if not found:
        return None
    missing = [column for column in ("state", "email") if column not in found]
    if missing:
        raise _refused(
            gettext_lazy("line 1: the column “%(column)s” is missing."),
            "bad_file",
            column=missing[0],
        )
    return found


class StateIndex:
    """Every state by its ISO codes and its names in the six languages (official and
    CLDR's), accents optional."""

    def __init__(self):
        self.by_key: dict[str, set[int]] = {}
        self.states = {s.pk: s for s in State.objects.prefetch_related("official_names")}
        for state in self.states.values():
            names = {state.iso2, state.iso3} | {cldr_name(state.iso2, code) for code in LANGUAGES}
            names |= {official.name for official in state.official_names.all()}
            for name in names:
                for key in {normalize(name), _unaccented(normalize(name))}:
                    self.by_key.setdefault(key, set()).add(state.pk)

    def find(self, text: str) -> State | None:
        key = normalize(text)
        found = self.by_key.get(key) or self.by_key.get(_unaccented(key)) or set()
        return self.states[next(iter(found))] if len(found) == 1 else None


def choice_index(choices) -> dict[str, str]:
    """A choice's value by its code or its label in any of the six languages."""
    index = {}
    for value, label in choices:
        index[normalize(value)] = value
        index[normalize(value.replace("_", " "))] = value
        for code in LANGUAGES:
            with translation.override(code):
                index[normalize(str(label))] = value
    return index


def language_index() -> dict[str, str]:
    index = choice_index(settings.LANGUAGES)
    index["zh"] = "zh-hans"
    return index
