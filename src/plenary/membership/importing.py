"""Reading a list of Council seats as the secretariat uploads or pastes it: CSV (UTF-8 with
or without a byte order mark, UTF-16 with one), XLSX, or YAML in the format of the shipped
council file (itu-council-2019-2022.yaml). Every row keeps its line, so that a problem names
it; the problems of a list are gathered and refused together (`refusal`).

Hostile input: the upload is limited in size, rows and unpacked size (XLSX is a ZIP file),
and a file that cannot be read is refused with what is wrong, never a server error."""

import csv
import datetime
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plenary.core import translated
from plenary.core.errors import DomainError
from plenary.core.yamlfile import DataFileError, line_of, loads
from plenary.directory.models import Region, State
from plenary.directory.names import cldr_name

MAX_BYTES = 1_000_000  # a seat list is a few kilobytes
MAX_ROWS = 1_000
MAX_UNPACKED = 20_000_000  # an XLSX's unpacked parts, against a ZIP bomb
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@dataclass
class SeatRow:
    """One seat as written: the region and the state as the person gave them."""

    where: str  # "line 4", "seat 4": what a problem names
    region: str
    state: str


@dataclass
class Problem:
    where: str
    refusal: DomainError

    def __str__(self) -> str:
        message = self.refusal.user_message()
        return f"{self.where}: {message}" if self.where else message


@dataclass
class SeatList:
    """What a file holds: its rows, and the term's name and dates where the file gives them."""

    rows: list[SeatRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


def _problem(where: str, message, code: str, **params) -> Problem:
    return Problem(where, DomainError(message, code=code, params=params))


def refusal(first: DomainError, problems: list[Problem]) -> DomainError:
    """One refusal for all the problems of a list (its code the first one's); `problems`
    keeps them one by one for a page to list."""
    if len(problems) == 1:
        error = DomainError(
            gettext_lazy("%(problems)s"), code=first.code, params={"problems": str(problems[0])}
        )
    else:
        error = DomainError(
            gettext_lazy("%(count)s problems: %(problems)s"),
            code=first.code,
            params={"count": len(problems), "problems": "; ".join(str(p) for p in problems)},
        )
    error.problems = [str(p) for p in problems]
    return error


def line(number) -> str:
    return _("line %(line)s") % {"line": number}


# --- reading the file ------------------------------------------------------------------------


def read(data: bytes, filename: str = "") -> SeatList:
    """The rows of an uploaded file, by its extension (or its first bytes)."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        return _failed(
            _("The file is larger than %(size)s kB.") % {"size": MAX_BYTES // 1000}, "too_large"
        )
    if not data.strip():
        return _failed(_("The file is empty."), "empty")
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if name.endswith((".csv", ".txt", ".tsv", ".yaml", ".yml")) or not name:
        text, failure = decode(data)
        if failure:
            return SeatList(problems=[failure])
        if name.endswith((".yaml", ".yml")):
            return read_yaml(text, filename)
        return read_text(text)
    return _failed(
        _("“%(name)s” is not a CSV, XLSX or YAML file.") % {"name": filename[:100]}, "bad_file"
    )


def _failed(message: str, code: str) -> SeatList:
    return SeatList(problems=[_problem("", "%(why)s", code, why=message)])


def decode(data: bytes) -> tuple[str, Problem | None]:
    """UTF-8 (with or without BOM) or UTF-16 with its BOM; anything else names the line."""
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start].decode(encoding, errors="ignore")
        return "", _problem(
            line(before.count("\n") + 1),
            gettext_lazy(
                "the file is not UTF-8 text (nor UTF-16 with a byte order mark); save it as “CSV UTF-8”"
            ),
            "bad_file",
        )
    if "\x00" in text:
        return "", _problem(
            line(text[: text.index("\x00")].count("\n") + 1),
            gettext_lazy(
                "the file holds NUL characters: it may be UTF-16 without a byte order mark; save it as “CSV UTF-8”"
            ),
            "bad_file",
        )
    return text, None


def read_text(text: str) -> SeatList:
    """CSV or pasted text: a region and a state per line, separated by a comma, a semicolon
    or a tab; YAML when it reads like the shipped council file."""
    if text.lstrip().startswith(("term:", "regions:", "#")) and "regions:" in text:
        return read_yaml(text, "")
    first = next((row for row in text.splitlines() if row.strip()), "")
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    cells = []
    try:
        for row in reader:
            if len(cells) > MAX_ROWS:
                return _failed(
                    _("The list has more than %(n)s rows.") % {"n": MAX_ROWS}, "too_large"
                )
            cells.append((reader.line_num, row))
    except csv.Error as error:
        return SeatList(
            problems=[_problem(line(reader.line_num), "%(why)s", "bad_file", why=str(error))]
        )
    return _rows(cells)


def read_xlsx(data: bytes) -> SeatList:
    """The first sheet of a workbook: region and state in its first two columns."""
    # openpyxl is needed only here, for an upload.
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED:
            return _failed(_("The workbook unpacks to more than 20 MB."), "too_large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        cells = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                return _failed(
                    _("The list has more than %(n)s rows.") % {"n": MAX_ROWS}, "too_large"
                )
            cells.append((number, ["" if v is None else str(v) for v in values]))
        workbook.close()
    except Exception:  # any damaged workbook is a refusal, not a server error
        return _failed(_("The file cannot be read as an Excel workbook (XLSX)."), "bad_file")
    return _rows(cells)


def _rows(cells: list[tuple[int, list[str]]]) -> SeatList:
    """Rows of cells -> seat rows: blank and comment lines skipped, a header row recognised
    (its "region" and "state" columns used), otherwise region then state."""
    result = SeatList()
    cells = [
        (number, [cell.strip() for cell in row])
        for number, row in cells
        if any(cell.strip() for cell in row) and not row[0].strip().startswith("#")
    ]
    columns = (0, 1)
    if cells and _is_header(cells[0][1]):
        header = [normalize(cell) for cell in cells[0][1]]
        regions, states = _column_titles("region"), _column_titles("state")
        at_region = [i for i, title in enumerate(header) if title in regions]
        at_state = [i for i, title in enumerate(header) if title in states]
        if at_region and at_state:
            columns = (at_region[0], at_state[0])
        cells = cells[1:]
    for number, row in cells:
        if len(row) <= max(columns) or not row[columns[1]]:
            result.problems.append(
                _problem(
                    line(number),
                    gettext_lazy("a region and a state are needed, separated by a comma"),
                    "bad_file",
                )
            )
            continue
        result.rows.append(SeatRow(line(number), row[columns[0]], row[columns[1]]))
    return result


def _column_titles(msgid: str) -> set[str]:
    """A column's title in the six languages ("region", "région"…)."""
    titles = {msgid}
    for code in LANGUAGES:
        with translation.override(code):
            titles.add(normalize(_(msgid)))
    return titles


def _is_header(row: list[str]) -> bool:
    first = normalize(row[0]) if row else ""
    return first in _column_titles("region") or first in _column_titles("state")


def read_yaml(text: str, filename: str) -> SeatList:
    """The format of the shipped council file: `term`, optional dates, `regions` with their
    `members` (a mapping of codes to names, or a list of codes)."""
    result = SeatList()
    try:
        data = loads(text, filename or "council.yaml")
        result.name = str(data.get("term") or "")
        for key in ("starts_on", "ends_on"):
            value = data.get(key)
            if value is not None and not isinstance(value, datetime.date):
                raise DataFileError(
                    filename,
                    line_of(data, key),
                    _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value},
                )
            setattr(result, key, value)
        regions = data.get("regions")
        if not isinstance(regions, dict):
            raise DataFileError(
                filename,
                line_of(data),
                _("the field “%(field)s” is missing") % {"field": "regions"},
            )
        for region_code, region_data in regions.items():
            members = region_data.get("members") if isinstance(region_data, dict) else None
            if not isinstance(members, dict | list):
                raise DataFileError(
                    filename,
                    line_of(regions, region_code),
                    _("the field “%(field)s” is missing") % {"field": "members"},
                )
            for index, member in enumerate(members):
                where = line_of(members, member if isinstance(members, dict) else index)
                result.rows.append(SeatRow(line(where), str(region_code), str(member)))
                if len(result.rows) > MAX_ROWS:
                    return _failed(
                        _("The list has more than %(n)s rows.") % {"n": MAX_ROWS}, "too_large"
                    )
    except DataFileError as error:
        where = line(error.line) if error.line else ""
        result.problems.append(_problem(where, "%(why)s", "bad_file", why=error.message))
    return result


# --- naming regions and states ---------------------------------------------------------------


def normalize(text: str) -> str:
    """A name as compared: compatibility forms, case, apostrophes and spaces folded."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("`", "'")
    return " ".join(text.casefold().split())


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find_region(text: str, regions: list[Region]) -> Region | None:
    """A region by its code (A–E) or its name in one of the six languages."""
    wanted = normalize(text)
    for region in regions:
        names = {region.code.casefold()} | {
            normalize(translated.text(region, "name", code) or "") for code in LANGUAGES
        }
        if wanted in names:
            return region
    return None


class StateIndex:
    """Every state by its ISO codes and its names in the six languages (the organisation's
    official names and CLDR's, as plenary.directory.names gives them), accents optional."""

    def __init__(self):
        self.by_key: dict[str, set[int]] = {}
        self.states = {s.pk: s for s in State.objects.prefetch_related("official_names")}
        for state in self.states.values():
            self._add(state.iso2, state)
            self._add(state.iso3, state)
            names = {cldr_name(state.iso2, code) for code in LANGUAGES}
            names |= {official.name for official in state.official_names.all()}
            for name in names:
                self._add(name, state)

    def _add(self, text: str, state: State) -> None:
        for key in {normalize(text), _unaccented(normalize(text))}:
            self.by_key.setdefault(key, set()).add(state.pk)

    def find(self, text: str) -> tuple[State | None, bool]:
        """(the state, whether the text named several states)."""
        key = normalize(text)
        found = self.by_key.get(key) or self.by_key.get(_unaccented(key)) or set()
        if len(found) == 1:
            return self.states[next(iter(found))], False
        return None, len(found) > 1
