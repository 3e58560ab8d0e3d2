"""Reading an agenda from the secretariat's own files: a spreadsheet (XLSX or CSV) or a Word
table shaped like Annex 2 of the letter.

Pure: the bytes of a file and its name in, the agenda rows out, each with the line (the
spreadsheet's row, the CSV's line, the Word table's row) it came from. A file that cannot
be imported raises AgendaFileError with every problem found (up to MAX_PROBLEMS), each
naming its line and column, so that the secretariat can correct them all at once.

Hostile files are considered: at most MAX_BYTES, a workbook or document that would unzip to
more than MAX_UNZIPPED is refused before it is opened, at most MAX_ROWS rows.
"""

import codecs
import csv
import functools
import io
import re
import warnings
import zipfile
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plenary.core.errors import DomainError

from .models import AgendaGroup

MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 20 * 1024 * 1024
MAX_ROWS = 2000
MAX_PROBLEMS = 20
MAX_TEXT = 2000  # as the item form's subject
MAX_SYMBOL = 60  # Document.symbol
MAX_REFERENCE = 50
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
LANGUAGE_NAMES = dict(settings.LANGUAGES)
KIND = AgendaGroup.Kind
# The kind of a group the file does not name: Group 1 urgent, 2 if time allows, 3 deferred.
DEFAULT_KINDS = {1: KIND.URGENT, 2: KIND.IF_TIME, 3: KIND.FOR_INFORMATION}


# --- what a file holds ---------------------------------------------------------------------


@dataclass
class GroupRow:
    """A group heading ("Group 1 — All items requiring a decision…")."""

    line: int
    number: int
    kind: str = ""  # empty: not given in the file
    titles: dict[str, str] = field(default_factory=dict)


@dataclass
class ItemRow:
    """An agenda item. A column the file does not have, or an empty cell, leaves the item's
    current value as it is: None for references and documents, no key for a language."""

    line: int
    group: int
    number: int
    kind: str = ""
    subjects: dict[str, str] = field(default_factory=dict)
    instruments: dict[str, str] = field(default_factory=dict)
    references: list[str] | None = None
    documents: list[list] | None = None  # [symbol, pending], in order

    @property
    def label(self) -> str:
        return f"{self.group}.{self.number}"


def rows_to_data(rows) -> list[dict]:
    """Rows as plain data (for the session between the preview and the import)."""
    return [{"type": type(row).__name__, **asdict(row)} for row in rows]


def rows_from_data(data: list[dict]) -> list:
    types = {"GroupRow": GroupRow, "ItemRow": ItemRow}
    return [
        types[entry["type"]](**{k: v for k, v in entry.items() if k != "type"}) for entry in data
    ]


# --- problems ------------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with the file, said in the reader's language when it is shown."""

    message: str
    params: dict = field(default_factory=dict)
    line: int | None = None
    column: str = ""

    def __str__(self) -> str:
        return str(self.message) % {"line": self.line, "column": self.column, **self.params}

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": str(self)}


class AgendaFileError(DomainError):
    """The file cannot be imported; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line or 0)[:MAX_PROBLEMS]
        # Written as every refusal is, so that the scan of refusal codes finds this one.
        refusal = DomainError(
            _("The file cannot be imported. Nothing was changed."), code="bad_agenda_file"
        )
        super().__init__(refusal.message, code=refusal.code)

    def user_message(self) -> str:
        return " ".join([super().user_message(), *(str(p) for p in self.problems)])

    def __str__(self) -> str:
        return self.user_message()


# --- reading a file ------------------------------------------------------------------------


def read_agenda(data: bytes, filename: str) -> list:
    """The agenda rows of a file (XLSX, CSV or DOCX), or AgendaFileError."""
    if not data:
        raise AgendaFileError([Problem(_("The file is empty."))])
    if len(data) > MAX_BYTES:
        raise AgendaFileError(
            [Problem(_("The file is larger than %(mb)s MB."), {"mb": MAX_BYTES // (1024 * 1024)})]
        )
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")):
        table = _xlsx_table(data)
    elif name.endswith(".docx"):
        table = _docx_table(data)
    elif name.endswith((".csv", ".txt", ".tsv")):
        table = _csv_table(data)
    else:
        raise AgendaFileError(
            [
                Problem(
                    _(
                        "Send the agenda as an Excel workbook (.xlsx), a CSV file or a Word document (.docx)."
                    )
                )
            ]
        )
    return _rows(table)


def _unzipped_size_problem(data: bytes) -> Problem | None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return Problem(
            _("The file is damaged or is not what its name says (it is not a zip archive).")
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Problem(
            _("The file is damaged or is not what its name says (it is not a zip archive).")
        )
    if len(infos) > 10_000 or sum(info.file_size for info in infos) > MAX_UNZIPPED:
        return Problem(
            _("The file would unpack to more than %(mb)s MB; it is refused."),
            {"mb": MAX_UNZIPPED // (1024 * 1024)},
        )
    return None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows, numbered as the spreadsheet numbers them."""
    # openpyxl is imported only for a workbook: most pages never need it.
    import openpyxl

    problem = _unzipped_size_problem(data)
    if problem:
        raise AgendaFileError([problem])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        sheet = workbook.worksheets[0]
        rows = [
            (cells[0].row, [_cell_text(cell.value) for cell in cells])
            for cells in sheet.iter_rows()
            if cells
        ]
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise AgendaFileError(
            [Problem(_("The file is not a valid Excel workbook (.xlsx)."))]
        ) from None
    return rows


def _docx_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of the document's agenda table (the first whose header has a subject
    column), numbered from 1 for the header row. Merged cells count once."""
    # python-docx is imported only for a Word file.
    import docx

    problem = _unzipped_size_problem(data)
    if problem:
        raise AgendaFileError([problem])
    try:
        tables = docx.Document(io.BytesIO(data)).tables
        grids = [_docx_rows(table) for table in tables]
    except Exception:  # python-docx raises many kinds for a damaged document
        raise AgendaFileError(
            [Problem(_("The file is not a valid Word document (.docx)."))]
        ) from None
    if not grids:
        raise AgendaFileError(
            [
                Problem(
                    _(
                        "The Word document has no table. Put the agenda in a table as in Annex 2 of the letter: item, subject, references, resolutions and decisions, documents."
                    )
                )
            ]
        )
    for grid in grids:
        header = next((cells for _line, cells in grid if any(cells)), [])
        if any(_column_key(cell).startswith("subject:") for cell in header):
            return grid
    return grids[0]


def _docx_rows(table) -> list[tuple[int, list[str]]]:
    rows = []
    for number, row in enumerate(table.rows, start=1):
        seen, cells = set(), []
        for cell in row.cells:
            # A merged cell is repeated for every grid column it spans: keep it once.
            cells.append("" if id(cell._tc) in seen else cell.text.strip())
            seen.add(id(cell._tc))
        rows.append((number, cells))
        if number > MAX_ROWS + 1:
            break
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without its BOM) or UTF-16 with its BOM; anything else is refused,
    naming the first line that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise AgendaFileError(
                [Problem(_("The file says it is UTF-16 but is not. Save it as “CSV UTF-8”."))]
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        bad = data.index(b"\x00")
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = error.start
    raise AgendaFileError(
        [
            Problem(
                _(
                    "Line %(line)s: the file is not in UTF-8. In your spreadsheet, save it as “CSV UTF-8” and send it again."
                ),
                line=data.count(b"\n", 0, bad) + 1,
            )
        ]
    )


def _csv_table(data: bytes) -> list[tuple[int, list[str]]]:
    """The CSV's records, each numbered by the line it starts on. Comma, semicolon (Excel
    in many languages) or tab, whichever the header line uses."""
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for cells in reader:
            rows.append((start, [cell.strip() for cell in cells]))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error:
        raise AgendaFileError(
            [Problem(_("Line %(line)s: this line is not valid CSV."), line=start)]
        ) from None
    return rows


# --- the columns ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", (text or "").replace("\ufeff", "").strip().lower()).strip(" :")


_LANGUAGE_VARIANTS = {
    "ar": ["ar", "arabic"],
    "zh-hans": ["zh", "zh hans", "chinese", "cn"],
    "en": ["en", "english"],
    "fr": ["fr", "french"],
    "ru": ["ru", "russian"],
    "es": ["es", "spanish"],
}
_ENGLISH_NAMES = {
    "group": ["group", "group number", "group no", "group no."],
    "item": [
        "item",
        "item number",
        "item no",
        "item no.",
        "no",
        "no.",
        "number",
        "agenda item",
        "#",
    ],
    "kind": ["kind", "type"],
    "references": ["references", "reference", "ref", "ref.", "refs"],
    "documents": ["documents", "document", "docs", "document symbols"],
    "instruments:en": [
        "instruments",
        "resolutions/decisions",
        "resolutions / decisions",
        "resolutions and decisions",
        "res./dec.",
        "res/dec",
    ],
    "subject:en": ["subject", "title"],
    "title:en": ["group title"],
}
# Column names as the interface says them, in each of its languages (the catalogs have them).
_TRANSLATED_NAMES = [
    ("Item", "item"),
    ("Agenda item", "item"),
    ("Subject", "subject:{code}"),
    ("Reference", "references"),
    ("References", "references"),
    ("Documents", "documents"),
    ("Document", "documents"),
    ("Res./Dec.", "instruments:{code}"),
    ("Group", "group"),
    ("Kind", "kind"),
]


@functools.cache
def _column_names() -> dict[str, str]:
    """Every accepted column name (normalised) -> its key: "item", "subject:fr"…"""
    names = {_norm(name): key for key, spelled in _ENGLISH_NAMES.items() for name in spelled}
    for code, variants in _LANGUAGE_VARIANTS.items():
        for prefix in ("subject", "instruments", "group title"):
            key = f"{'title' if prefix == 'group title' else prefix}:{code}"
            for variant in variants:
                names[_norm(f"{prefix} {variant}")] = key
                names[_norm(f"{prefix} ({variant})")] = key
    for code in LANGUAGE_CODES:
        with translation.override(code):
            for english, key in _TRANSLATED_NAMES:
                names.setdefault(_norm(gettext(english)), key.format(code=code))
    return names


def _column_key(header: str) -> str:
    return _column_names().get(_norm(header), "")


def _map_header(line: int, header: list[str]) -> dict[str, int]:
    """The key of each known column -> its index; a column named twice is refused."""
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        key = _column_key(name)
        if not key:
            continue
        if key in columns:
            problems.append(
                Problem(
                    _(
                        "Line %(line)s: the columns “%(first)s” and “%(column)s” say the same thing; keep one."
                    ),
                    {"first": header[columns[key]]},
                    line=line,
                    column=name,
                )
            )
        columns[key] = index
    if "subject:en" not in columns:
        problems.append(
            Problem(
                _(
                    "Line %(line)s: the file has no column “subject_en” (the English subject), which is required. Columns found: %(found)s."
                ),
                {"found": ", ".join(h for h in header if h) or "-"},
                line=line,
                column="subject_en",
            )
        )
    if "item" not in columns:
        problems.append(
            Problem(
                _(
                    "Line %(line)s: the file has no column “item” (the item number, such as 1.1), which is required."
                ),
                line=line,
                column="item",
            )
        )
    if problems:
        raise AgendaFileError(problems)
    return columns


# --- the rows ------------------------------------------------------------------------------

_HEADING = re.compile(
    r"^\s*(?:group|groupe|grupo|группа|المجموعة)\s*(\d+)\s*[:.\-–—)]*\s*(.*)$", re.I | re.S
)
_HEADING_ZH = re.compile(r"^\s*第\s*(\d+)\s*组\s*[:：.\-–—]*\s*(.*)$", re.S)
_LABEL = re.compile(r"^(\d+)\.(\d+)\.?$")
_NUMBER = re.compile(r"^\d+$")
_SPLIT = re.compile(r"\s*[,;\n]\s*")
_KINDS = {
    "urgent": KIND.URGENT,
    "if time": KIND.IF_TIME,
    "if time allows": KIND.IF_TIME,
    "information": KIND.FOR_INFORMATION,
    "for information": KIND.FOR_INFORMATION,
}
_SCRIPTS = {
    "cjk": lambda ch: "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf",
    "arabic": lambda ch: (
        "\u0600" <= ch <= "\u06ff"
        or "\u0750" <= ch <= "\u077f"
        or "\ufb50" <= ch <= "\ufdff"
        or "\ufe70" <= ch <= "\ufefc"
    ),
    "cyrillic": lambda ch: "\u0400" <= ch <= "\u052f",
}
_SCRIPT_NAMES = {"cjk": _("Chinese"), "arabic": _("Arabic"), "cyrillic": _("Cyrillic")}
_OWN_SCRIPT = {"zh-hans": "cjk", "ar": "arabic", "ru": "cyrillic"}


def _heading(text: str) -> tuple[int, str] | None:
    """("Group 2 — Documents…") -> (2, "Documents…"); None for anything else."""
    match = _HEADING.match(text or "") or _HEADING_ZH.match(text or "")
    return (int(match[1]), match[2].strip()) if match else None


def _script_problem(code: str, text: str, line: int, column: str) -> Problem | None:
    """A text in the wrong language column, told by its letters: a Chinese, Arabic or
    Russian text without a letter of its script, or an English, French or Spanish one
    mostly in Chinese, Arabic or Cyrillic letters."""
    counts = {name: sum(1 for ch in text if test(ch)) for name, test in _SCRIPTS.items()}
    language = LANGUAGE_NAMES[code]
    own = _OWN_SCRIPT.get(code)
    if own and not counts[own]:
        return Problem(
            _(
                "Line %(line)s, column “%(column)s”: this text has no %(script)s letters, so it is not in %(language)s. Is it in the right column?"
            ),
            {"script": _SCRIPT_NAMES[own], "language": language},
            line=line,
            column=column,
        )
    letters = sum(1 for ch in text if ch.isalpha())
    foreign = {name: n for name, n in counts.items() if name != own}
    if not own and letters and 2 * sum(foreign.values()) > letters:
        script = max(foreign, key=foreign.get)
        return Problem(
            _(
                "Line %(line)s, column “%(column)s”: this text is mostly in %(script)s letters, not in %(language)s. Is it in the right column?"
            ),
            {"script": _SCRIPT_NAMES[script], "language": language},
            line=line,
            column=column,
        )
    return None


class _Reader:
    """Turns the data rows of a table into GroupRow and ItemRow, noting problems."""

    def __init__(self, columns: dict[str, int], header: list[str]):
        self.columns = columns
        self.header = header
        self.problems: list[Problem] = []
        self.group_titles: dict[int, dict] = {}  # group titles given on item rows

    def name(self, key: str) -> str:
        return self.header[self.columns[key]] if key in self.columns else key

    def cell(self, cells: list[str], key: str) -> str:
        index = self.columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def problem(self, message, line, key="", **params) -> None:
        self.problems.append(
            Problem(message, params, line=line, column=self.name(key) if key else "")
        )

    def texts(self, cells, prefix: str, line: int) -> dict[str, str]:
        """The non-empty texts of a translated field, by language, each checked."""
        texts = {}
        for code in LANGUAGE_CODES:
            text = self.cell(cells, f"{prefix}:{code}")
            if not text:
                continue
            column = self.name(f"{prefix}:{code}")
            if len(text) > MAX_TEXT:
                self.problem(
                    _("Line %(line)s, column “%(column)s”: at most %(n)s characters."),
                    line,
                    f"{prefix}:{code}",
                    n=MAX_TEXT,
                )
            elif problem := _script_problem(code, text, line, column):
                self.problems.append(problem)
            texts[code] = text
        return texts

    def kind(self, cells, line: int) -> str:
        text = self.cell(cells, "kind")
        if not text:
            return ""
        kind = _KINDS.get(_norm(text))
        if kind is None:
            self.problem(
                _(
                    "Line %(line)s, column “%(column)s”: “%(value)s” is not a kind of group; write urgent, if_time or information."
                ),
                line,
                "kind",
                value=text,
            )
            return ""
        return str(kind)

    def group_number(self, text: str, line: int) -> int | None:
        heading = _heading(text)
        if heading:
            return heading[0]
        if _NUMBER.match(text) and 1 <= int(text) <= 99:
            return int(text)
        self.problem(
            _(
                "Line %(line)s, column “%(column)s”: “%(value)s” is not a group number such as 1, 2 or 3."
            ),
            line,
            "group",
            value=text,
        )
        return None

    def read(self, line: int, cells: list[str]):
        """One data row: a group heading, an item, or None (with a problem noted)."""
        item_text, group_text = self.cell(cells, "item"), self.cell(cells, "group")
        filled = [text for text in cells if text.strip()]
        heading = _heading(item_text) or (
            _heading(filled[0]) if len(filled) == 1 and not item_text else None
        )
        if heading or (not item_text and group_text):
            return self.group_row(line, cells, heading or _heading(group_text), group_text)
        position = self.position(line, item_text, group_text)
        if position is None:
            return None
        group, number = position
        if not 1 <= group <= 99 or not 1 <= number <= 999:
            self.problem(
                _(
                    "Line %(line)s, column “%(column)s”: group numbers go from 1 to 99 and item numbers from 1 to 999."
                ),
                line,
                "item",
            )
            return None
        return self.item_row(line, cells, group, number)

    def position(self, line: int, item_text: str, group_text: str) -> tuple[int, int] | None:
        """(group, item number) from "1.1", or from "1" and the group column."""
        if not item_text:
            self.problem(
                _("Line %(line)s, column “%(column)s”: the item number is missing."), line, "item"
            )
            return None
        label = _LABEL.match(item_text)
        if label:
            group = int(label[1])
            if group_text and self.group_number(group_text, line) not in (None, group):
                self.problem(
                    _(
                        "Line %(line)s: item %(value)s is not in group %(group)s of column “%(column)s”."
                    ),
                    line,
                    "group",
                    value=item_text,
                    group=group_text,
                )
            return group, int(label[2])
        if not _NUMBER.match(item_text):
            self.problem(
                _(
                    "Line %(line)s, column “%(column)s”: “%(value)s” is not an item number such as 1.1 or 3."
                ),
                line,
                "item",
                value=item_text,
            )
            return None
        if not group_text:
            self.problem(
                _(
                    "Line %(line)s, column “%(column)s”: give the item as group.number (such as 1.%(value)s), or add a “group” column."
                ),
                line,
                "item",
                value=item_text,
            )
            return None
        group = self.group_number(group_text, line)
        return None if group is None else (group, int(item_text))

    def group_row(self, line, cells, heading, group_text) -> GroupRow | None:
        number = heading[0] if heading else self.group_number(group_text, line)
        if number is None:
            return None
        titles = self.texts(cells, "title", line) or self.texts(cells, "subject", line)
        if heading and heading[1] and not titles:
            titles = {"en": heading[1]}
        return GroupRow(line, number, self.kind(cells, line), titles)

    def item_row(self, line, cells, group, number) -> ItemRow:
        subjects = self.texts(cells, "subject", line)
        if "en" not in subjects:
            self.problem(
                _("Line %(line)s, column “%(column)s”: the English subject is required."),
                line,
                "subject:en",
            )
        row = ItemRow(
            line,
            group,
            number,
            kind=self.kind(cells, line),
            subjects=subjects,
            instruments=self.texts(cells, "instruments", line),
        )
        if titles := self.texts(cells, "title", line):
            self.group_titles.setdefault(group, titles)
        if references := self.cell(cells, "references"):
            row.references = self.references(references, line)
        if documents := self.cell(cells, "documents"):
            row.documents = self.documents(documents, line)
        return row

    def references(self, text: str, line: int) -> list[str]:
        references = [ref for ref in _SPLIT.split(text) if ref]
        if any(len(ref) > MAX_REFERENCE for ref in references) or len(references) > 20:
            self.problem(
                _(
                    "Line %(line)s, column “%(column)s”: at most 20 references of %(n)s characters each, separated by commas."
                ),
                line,
                "references",
                n=MAX_REFERENCE,
            )
        return references

    def documents(self, text: str, line: int) -> list[list]:
        """Symbols separated by commas; one in square brackets is not yet available."""
        documents = []
        for symbol in (s for s in _SPLIT.split(text) if s):
            pending = symbol.startswith("[") and symbol.endswith("]")
            symbol = re.sub(r"\s+(?=\()", "", symbol.strip("[] "))
            if not symbol or len(symbol) > MAX_SYMBOL or re.search(r"\s", symbol):
                self.problem(
                    _(
                        "Line %(line)s, column “%(column)s”: “%(value)s” is not a document symbol such as C20/21(Rev.3); separate symbols with commas."
                    ),
                    line,
                    "documents",
                    value=symbol[:80],
                )
                continue
            documents.append([symbol, pending])
        return documents


def _rows(table: list[tuple[int, list[str]]]) -> list:
    """The rows of a table whose first non-empty row is the header."""
    table = [(line, cells) for line, cells in table if any(cell.strip() for cell in cells)]
    if not table:
        raise AgendaFileError([Problem(_("The file is empty."))])
    if len(table) > MAX_ROWS + 1:
        raise AgendaFileError(
            [
                Problem(
                    _("The file has more than %(n)s rows; an agenda has far fewer."),
                    {"n": MAX_ROWS},
                )
            ]
        )
    header_line, header = table[0]
    reader = _Reader(_map_header(header_line, header), header)
    rows = []
    for line, cells in table[1:]:
        row = reader.read(line, cells)
        if row is not None:
            rows.append(row)
        if len(reader.problems) >= MAX_PROBLEMS:
            break
    rows = _merge_groups(rows, reader)
    if not reader.problems and not any(isinstance(row, ItemRow) for row in rows):
        reader.problems.append(
            Problem(_("Line %(line)s: the file has a header but no agenda item."), line=header_line)
        )
    if reader.problems:
        raise AgendaFileError(reader.problems)
    return rows


def _merge_groups(rows: list, reader: _Reader) -> list:
    """One GroupRow per group that the file describes (a heading, a kind or a title on
    its items), placed before the group's first item; a group or item given twice, or a
    group given two kinds, is a problem naming both lines."""
    groups: dict[int, GroupRow] = {}
    kind_lines: dict[int, int] = {}
    items: dict[tuple[int, int], ItemRow] = {}
    merged = []
    for row in rows:
        if isinstance(row, GroupRow):
            if row.number in groups:
                reader.problem(
                    _("Lines %(first)s and %(line)s: group %(number)s appears twice."),
                    row.line,
                    first=groups[row.number].line,
                    number=row.number,
                )
                continue
            groups[row.number] = row
            kind_lines[row.number] = row.line
            merged.append(row)
            continue
        key = (row.group, row.number)
        if key in items:
            reader.problem(
                _("Lines %(first)s and %(line)s: item %(label)s appears twice."),
                row.line,
                first=items[key].line,
                label=row.label,
            )
            continue
        items[key] = row
        group = groups.get(row.group)
        if group is None and (row.kind or row.group in reader.group_titles):
            group = groups[row.group] = GroupRow(row.line, row.group)
            merged.append(group)
        if group is not None:
            _merge_kind(group, row, kind_lines, reader)
            for code, title in reader.group_titles.get(row.group, {}).items():
                group.titles.setdefault(code, title)
        merged.append(row)
    return merged


def _merge_kind(group: GroupRow, row: ItemRow, kind_lines: dict, reader: _Reader) -> None:
    if not row.kind:
        return
    if not group.kind:
        group.kind = row.kind
        kind_lines[group.number] = row.line
    elif group.kind != row.kind:
        reader.problem(
            _(
                "Line %(line)s, column “%(column)s”: group %(number)s is “%(kind)s” here but “%(other)s” on line %(first)s."
            ),
            row.line,
            "kind",
            number=group.number,
            kind=row.kind,
            other=group.kind,
            first=kind_lines[group.number],
        )
