"""Checks of an uploaded contribution (R17) before anything is stored.

Only DOCX and PDF are accepted, recognised by their content. A DOCX is a zip: its entries
are counted and measured before anything is decompressed, every part is read with a cap
(so a lying header cannot inflate it), and every part a library later opens is parsed
first. Macros, embedded objects and programs, DOCTYPE/entity declarations, anything that
would fetch a resource (an external relationship other than a hyperlink of the text, a
fetching field code, a URL or UNC path as an attribute) and pages larger than allowed are
refused. A PDF is opened with pypdf: encrypted, corrupt, carrying JavaScript, launch or
remote actions, embedded files or programs, data hidden after its end, links to UNC or
file: paths, or pages larger than allowed, it is refused.

`check_upload` is what an upload goes through: the same check in a child process limited
in memory, CPU and time, run in the box of plenary.core.sandbox, then, for a DOCX, the
exact page count by LibreOffice in that box. The whole check takes one of the server's few
render slots, so that many uploads at once wait their turn instead of exhausting memory.
When the pages cannot be counted exactly, the DOCX is refused: it is never accepted on an
estimate.

Every refusal is a FileRefused with a code and a message in the reader's language; no
other exception leaves `check_file` or `check_upload` for any input.
"""

import io
import json
import os
import re
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from plenary.core import sandbox

MAX_BYTES = 10 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_PART_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
LIBREOFFICE_SECONDS = 30
WORDS_PER_PAGE = 500  # the estimate of `check_file` without LibreOffice: a dense page of prose
QUEUE_SECONDS = 60  # how long an upload waits for a render slot before it is refused

QUEUE_NOTICE = _(
    "Files are checked one or two at a time; if others are being checked, yours waits its "
    "turn — this can take a minute."
)

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF8_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.-]+)[\"']")

# ISO 216 sizes in millimetres (short side, long side); a page may exceed by the tolerance.
PAGE_SIZES_MM = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
    "A5": (148, 210),
}
PAGE_TOLERANCE_MM = 6  # US Letter (215.9 mm wide) passes as A4


class FileRefused(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = message
        super().__init__(code)

    def user_message(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # "pdf" or "docx"
    pages: int
    estimated: bool  # only `check_file` without LibreOffice estimates; uploads never do
    size: int
    text: str = ""  # the words of a DOCX
    fields: dict = field(default_factory=dict)  # a filled template's fields, {} otherwise


CORRUPT = _("The file is damaged and cannot be read.")
NOT_COUNTED = _(
    "The number of pages could not be counted; send the document as PDF, or try again later."
)
EXTERNAL = _("The file refers to external content; remove linked pictures, templates or fields.")
PROGRAM = _("The file contains a program or an archive; send the document alone.")
EMBEDDED = _("The file contains embedded objects or macros; save it as a plain .docx document.")


def _formatted(text, values: dict):
    """`text % values`, done when the message is shown rather than here: the checking child
    raises refusals without Django's settings, where translating would fail (and the reason
    be lost as "corrupt")."""
    return lazy(lambda: str(text) % values, str)()


def _too_large(max_bytes: int) -> FileRefused:
    return FileRefused(
        "too_large",
        _formatted(
            _("The file is larger than %(mb)s MB."), {"mb": round(max_bytes / (1024 * 1024), 1)}
        ),
    )


def _page_too_large(max_page_size: str) -> FileRefused:
    return FileRefused(
        "page_too_large",
        _formatted(
            _("A page of the file is larger than %(size)s, the largest size allowed."),
            {"size": max_page_size},
        ),
    )


def _page_limit(max_page_size: str) -> tuple[float, float]:
    if max_page_size not in PAGE_SIZES_MM:
        raise ValueError(f"unknown page size {max_page_size!r}; one of {sorted(PAGE_SIZES_MM)}")
    short, long = PAGE_SIZES_MM[max_page_size]
    return short + PAGE_TOLERANCE_MM, long + PAGE_TOLERANCE_MM


def _refuse_large_page(width_mm: float, height_mm: float, max_page_size: str) -> None:
    short, long = _page_limit(max_page_size)
    width_mm, height_mm = abs(width_mm), abs(height_mm)
    if min(width_mm, height_mm) > short or max(width_mm, height_mm) > long:
        raise _page_too_large(max_page_size)


def check_file(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    libreoffice: str | None = None,
    max_page_size: str = "A3",
) -> CheckedFile:
    """Check a file in this process. A DOCX's pages are estimated, unless `libreoffice`
    names the soffice command: then they are counted in the box, or the file is refused."""
    _page_limit(max_page_size)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if len(data) == 0:
        raise FileRefused("empty", _("The file is empty."))
    try:
        if data.startswith(b"%PDF-"):
            return _check_pdf(data, max_page_size)
        if data.startswith(b"PK\x03\x04"):
            checked = _check_docx(data, max_page_size)
            if libreoffice:
                pages = _docx_pages_in_box(data, max_page_size, office=libreoffice)
                return CheckedFile("docx", pages, False, len(data), checked.text, checked.fields)
            return checked
    except FileRefused:
        raise
    except RecursionError:
        raise FileRefused("corrupt", CORRUPT) from None
    except Exception:  # any parser failure on hostile input is a refusal, never a crash
        raise FileRefused("corrupt", CORRUPT) from None
    raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))


# --- programs and archives hidden in a file ------------------------------------------------------

PROGRAM_NAMES = (".exe", ".dll", ".bat", ".cmd", ".ps1", ".js", ".vbs", ".jar", ".msi", ".scr")
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_FAT_MACHO = b"\xca\xfe\xba\xbe"
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b\x08")


def _is_program(head: bytes) -> bool:
    """Whether bytes begin a Windows, Linux or macOS program, or a script with a #! line."""
    return head.startswith((b"MZ", b"\x7fELF", b"#!", _FAT_MACHO, *_MACHO))


def _holds_program_or_archive(data: bytes) -> bool:
    """Signatures that random or compressed bytes practically never show: a zip entry's
    local header, a Linux program, a Windows program whose PE header is where it says."""
    if re.search(rb"PK\x03\x04[\x00-\x3f]\x00|\x7fELF[\x01\x02][\x01\x02]\x01", data):
        return True
    for match in re.finditer(rb"MZ", data):
        start = match.start()
        offset = int.from_bytes(data[start + 0x3C : start + 0x40] or b"\0", "little")
        if 0x40 <= offset < 4096 and data[start + offset : start + offset + 4] == b"PE\x00\x00":
            return True
    return False


def _refuse_program(name: str, content: bytes, depth: int = 0) -> None:
    """A program by name or by its first bytes; inside an archive held in the file (an
    embedded workbook is a zip), one level down, by the names and first bytes of its entries."""
    if name.lower().endswith(PROGRAM_NAMES) or _is_program(content[:8]):
        raise FileRefused("executable", PROGRAM)
    if depth == 0 and content.startswith(b"PK\x03\x04"):
        try:
            inner = zipfile.ZipFile(io.BytesIO(content))
            entries = inner.infolist()[: MAX_ZIP_ENTRIES + 1]
            if len(entries) > MAX_ZIP_ENTRIES:
                raise FileRefused(
                    "zip_bomb", _("The file has too many parts to be a short document.")
                )
            for entry in entries:
                with inner.open(entry) as stream:
                    _refuse_program(entry.filename, stream.read(8), depth + 1)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, zlib.error):
            raise FileRefused("corrupt", CORRUPT) from None


# --- DOCX -------------------------------------------------------------------------------------

TEXT_PARTS = re.compile(r"^word/(document|footnotes|endnotes|comments|header\d*|footer\d*)\.xml$")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
EXTENDED = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
# The schemes of a resource fetched by address, a UNC path, a protocol-relative address.
_ADDRESS = re.compile(
    r"^\s*(?:(?:https?|ftps?|file|smb|cifs|nfs|webdavs?|dav|ldaps?|gopher|jar|mhtml|"
    r"ms-\w+|res|its|vnd\.[\w.-]+):|\\\\|//)",
    re.IGNORECASE,
)
# The namespaces and schema identifiers Word writes as attribute values (a:graphicData/@uri).
_SCHEMA_ROOTS = re.compile(
    r"^\s*https?://(?:schemas\.openxmlformats\.org|schemas\.microsoft\.com|purl\.org|"
    r"purl\.oclc\.org|www\.w3\.org|schemas\.libreoffice\.org|openoffice\.org)/",
    re.IGNORECASE,
)
_HYPERLINK_TARGET = re.compile(r"^\s*(?:https?://|mailto:)", re.IGNORECASE)
_FETCHING_FIELD = re.compile(
    r"\b(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|LINK|DDE|DDEAUTO|IMPORT|EMBED)\b", re.IGNORECASE
)


def _check_docx(data: bytes, max_page_size: str) -> CheckedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileRefused("corrupt", CORRUPT) from None
    _check_zip_frame(data, archive, entries)
    names = {entry.filename for entry in entries}
    if any(name.lower().endswith(("vbaproject.bin", "vbadata.xml")) for name in names):
        raise FileRefused(
            "macros", _("The file contains macros; save it as a plain .docx document.")
        )
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))
    contents = _read_entries(archive, entries)
    xml_names = _xml_part_names(contents)
    trees = {name: _check_xml_part(name, contents[name]) for name in xml_names}
    _check_content_types(trees["[Content_Types].xml"])
    _check_references(trees)
    _check_docx_pages(trees["word/document.xml"], max_page_size)
    text = _docx_text(trees["word/document.xml"])
    parts = {name: contents[name] for name in xml_names}
    marked = any(
        MARKER in "".join(root.itertext())
        for name, root in trees.items()
        if not name.startswith("word/") and not name.endswith(".rels")
    )
    fields = _template_fields(data) if marked else {}
    return CheckedFile("docx", _estimate_pages(parts, text), True, len(data), text, fields)


def _check_zip_frame(data: bytes, archive: zipfile.ZipFile, entries) -> None:
    """Nothing before the first entry, nothing after the end of the central directory."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRefused("zip_bomb", _("The file has too many parts to be a short document."))
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_BYTES:
        raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 + len(archive.comment) != len(data):
        raise FileRefused("polyglot", PROGRAM)
    if entries and min(entry.header_offset for entry in entries) != 0:
        raise FileRefused("polyglot", PROGRAM)
    if archive.comment and (_is_program(archive.comment) or b"PK" in archive.comment):
        raise FileRefused("polyglot", PROGRAM)
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRefused("encrypted", _("The file is encrypted; send it without a password."))
        if (
            entry.compress_size
            and entry.file_size / entry.compress_size > MAX_RATIO
            and entry.file_size > 1024 * 1024
        ):
            raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))


def _read_entries(archive: zipfile.ZipFile, entries) -> dict[str, bytes]:
    read_total = 0
    contents: dict[str, bytes] = {}
    for entry in entries:
        if entry.is_dir():
            continue
        with archive.open(entry) as stream:
            content = stream.read(MAX_PART_BYTES + 1)
        if len(content) > MAX_PART_BYTES or len(content) > entry.file_size:
            raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))
        read_total += len(content)
        if read_total > MAX_UNZIPPED_BYTES:
            raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))
        if content.startswith(OLE2_MAGIC):
            raise FileRefused("embedded_objects", EMBEDDED)
        _refuse_program(entry.filename, content)
        contents[entry.filename] = content
    return contents


def _xml_part_names(contents: dict[str, bytes]) -> list[str]:
    """Every part a library may parse as XML, whatever its name: a library opens a part by
    its declared type, so a styles part called styles.bin is XML too. Those are the parts
    named .xml or .rels, those whose type ([Content_Types].xml) is XML, and those without
    a type; pictures, fonts and embedded workbooks are not."""
    types = _xml_or_none(contents.get("[Content_Types].xml", b""))
    defaults, overrides = {}, {}
    for node in types if types is not None else []:
        kind = (node.get("ContentType") or "").strip().lower()
        if node.get("Extension") is not None:
            defaults[node.get("Extension").lower()] = kind
        elif node.get("PartName") is not None:
            overrides[node.get("PartName").lower()] = kind
    names = []
    for name in contents:
        kind = overrides.get("/" + name.lower(), defaults.get(name.rsplit(".", 1)[-1].lower(), ""))
        if name.endswith((".xml", ".rels")) or "xml" in kind or not kind:
            names.append(name)
    return names


def _xml(content: bytes):
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    return etree.fromstring(content, parser=parser)


def _xml_or_none(content: bytes):
    try:
        return _xml(content)
    except Exception:  # it is parsed again, and refused, with the other parts
        return None


def _check_xml_part(name: str, content: bytes):
    """Word writes UTF-8 XML without a DOCTYPE: anything else is refused, and attributes are
    read from the parsed tree, so that character references cannot hide a value."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if b"\x00" in content[:4096]:
        raise FileRefused("corrupt", CORRUPT)
    declared = _UTF8_DECLARATION.match(content)
    if declared and declared[1].lower().replace(b"-", b"") != b"utf8":
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if _DECLARATION.search(content):
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    try:
        root = _xml(content)
    except Exception:
        raise FileRefused("corrupt", CORRUPT) from None
    if root.getroottree().docinfo.doctype:
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if name.endswith(".rels"):
        for relationship in root:
            kind = (relationship.get("Type") or "").lower()
            external = (relationship.get("TargetMode") or "").strip().lower() == "external"
            if not external and ("vbaproject" in kind or "oleobject" in kind):
                raise FileRefused("embedded_objects", EMBEDDED)
    return root


def _check_content_types(root) -> None:
    types = [(node.get("PartName") or "", (node.get("ContentType") or "").strip()) for node in root]
    if any("macroenabled" in kind.lower() or "vbaproject" in kind.lower() for _part, kind in types):
        raise FileRefused(
            "macros", _("The file contains macros; save it as a plain .docx document.")
        )
    main = [kind for part, kind in types if part.lower() == "/word/document.xml"]
    if main != [DOCX_MAIN]:
        raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))


def _source_of(rels_name: str) -> str:
    """word/_rels/document.xml.rels -> word/document.xml; _rels/.rels -> the package."""
    folder, _sep, file = rels_name.rpartition("_rels/")
    return folder + file[: -len(".rels")]


def _check_references(trees: dict) -> None:
    """Nothing that a program opening the file would fetch: an external relationship must be
    a hyperlink (http, https or mailto) of a text part used only by w:hyperlink elements;
    no field fetches, and no attribute anywhere is an address or a UNC path."""
    allowed_targets: set[int] = set()
    for name, root in trees.items():
        if not name.endswith(".rels"):
            continue
        external = {
            node.get("Id"): node
            for node in root
            if (node.get("TargetMode") or "").strip().lower() == "external"
        }
        source = trees.get(_source_of(name))
        for rid, node in external.items():
            if not (
                (node.get("Type") or "").strip() == HYPERLINK_TYPE
                and TEXT_PARTS.match(_source_of(name))
                and source is not None
                and _HYPERLINK_TARGET.match(node.get("Target") or "")
                and _used_only_by_hyperlinks(source, rid)
            ):
                raise FileRefused("external_reference", EXTERNAL)
            allowed_targets.add(id(node))
    for name, root in trees.items():
        _refuse_addresses(root, allowed_targets, rels=name.endswith(".rels"))
        _refuse_fetching_fields(root)


def _used_only_by_hyperlinks(source, rid: str) -> bool:
    for element in source.iter():
        for attribute, value in element.attrib.items():
            if value.strip() == rid and (element.tag, attribute) != (f"{W}hyperlink", f"{R}id"):
                return False
    return True


# Attributes that describe (alternative text, a tooltip, a name): never fetched.
DESCRIPTIVE = {"descr", "title", "tooltip", "name", "alias", "tag", "author", "initials", "val"}


def _refuse_addresses(root, allowed_targets: set[int], *, rels: bool) -> None:
    for element in root.iter():
        if element.tag == f"{EXTENDED}HyperlinkBase" and _ADDRESS.match(element.text or ""):
            raise FileRefused("external_reference", EXTERNAL)  # the base of relative links
        for attribute, value in element.attrib.items():
            if attribute.rpartition("}")[2] in DESCRIPTIVE:
                continue
            if rels and attribute == "Type":
                continue  # a relationship type is an identifier, never fetched
            if rels and attribute == "Target" and id(element) in allowed_targets:
                continue
            if _ADDRESS.match(value) and not _SCHEMA_ROOTS.match(value):
                raise FileRefused("external_reference", EXTERNAL)


def _refuse_fetching_fields(root) -> None:
    instructions = [
        node.text or ""
        for node in root.iter(f"{W}instrText", f"{W}delInstrText")
        if isinstance(node.tag, str)
    ]
    instructions += [node.get(f"{W}instr") or "" for node in root.iter(f"{W}fldSimple")]
    joined = "".join(instructions)  # a field's instruction may be split over many runs
    if _FETCHING_FIELD.search(joined) or re.search(r"\\\\|file:", joined, re.IGNORECASE):
        raise FileRefused("external_reference", EXTERNAL)


def _check_docx_pages(document, max_page_size: str) -> None:
    """Every section's page size (w:pgSz, in twentieths of a point)."""
    for size in document.iter(f"{W}pgSz"):
        try:
            width = float(size.get(f"{W}w") or 0) / 20 * 25.4 / 72
            height = float(size.get(f"{W}h") or 0) / 20 * 25.4 / 72
        except ValueError:
            raise FileRefused("corrupt", CORRUPT) from None
        _refuse_large_page(width, height, max_page_size)


def _docx_text(root) -> str:
    paragraphs = []
    for paragraph in root.iter(f"{W}p"):
        paragraphs.append("".join(node.text or "" for node in paragraph.iter(f"{W}t")))
    return "\n".join(paragraphs)


MARKER = "plenary:annex3:v1"  # template.MARKER, in the keywords of our template


def _template_fields(data: bytes) -> dict:
    """The fields of a filled template (python-docx, only for a file that carries the
    template's mark); a file it cannot read is refused."""
    # Imported here: python-docx is loaded only in the checking child, and only for a template.
    from . import template

    try:
        return template.read_template(data) or {}
    except Exception:
        raise FileRefused("corrupt", CORRUPT) from None


def _estimate_pages(parts: dict[str, bytes], text: str) -> int:
    """The largest of: the count the editor saved (docProps/app.xml, which can be stale),
    one page per WORDS_PER_PAGE words (CJK characters count as words), and the explicit
    page breaks plus one."""
    app = parts.get("docProps/app.xml", b"")
    match = re.search(rb"<Pages>(\d{1,5})</Pages>", app)
    saved = int(match[1]) if match else 0
    words = len(re.findall(r"\w+", text)) + len(re.findall(r"[\u3400-\u9fff]", text))
    breaks = len(
        re.findall(
            rb"<(?:\w+:)?br\b[^>]*(?:\w+:)?type\s*=\s*[\"']page[\"']",
            parts.get("word/document.xml", b""),
        )
    )
    return max(1, saved, -(-words // WORDS_PER_PAGE), breaks + 1)


# --- PDF --------------------------------------------------------------------------------------

_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


def _check_pdf(data: bytes, max_page_size: str) -> CheckedFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    _check_pdf_frame(data)
    if _PDF_ACTIVE.search(data):
        raise FileRefused(
            "pdf_active_content",
            _("The PDF contains scripts, actions or attached files; print it to a plain PDF."),
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRefused("encrypted", _("The file is encrypted; send it without a password."))
        root = reader.trailer["/Root"]
        pages = len(reader.pages)
        _refuse_active_pdf(reader, root.get_object() if hasattr(root, "get_object") else root)
        _check_pdf_pages(reader, max_page_size)
    except FileRefused:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError):
        raise FileRefused("corrupt", CORRUPT) from None
    if pages < 1:
        raise FileRefused("corrupt", CORRUPT)
    return CheckedFile("pdf", pages, False, len(data))


def _check_pdf_frame(data: bytes) -> None:
    """Nothing but white space after the last %%EOF, and no program or archive inside."""
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise FileRefused("corrupt", CORRUPT)
    tail = data[end + 5 :].strip(b" \t\r\n\f\x00")
    if tail:
        raise FileRefused("polyglot", PROGRAM)
    if _holds_program_or_archive(data):
        raise FileRefused("polyglot", PROGRAM)


def _check_pdf_pages(reader, max_page_size: str) -> None:
    """Every page's MediaBox and CropBox, in points times its UserUnit."""
    for page in reader.pages:
        unit = float(page.get("/UserUnit", 1) or 1)
        for box in (page.mediabox, page.cropbox):
            width = float(box.width) * unit * 25.4 / 72
            height = float(box.height) * unit * 25.4 / 72
            _refuse_large_page(width, height, max_page_size)


ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/EmbeddedFiles",
    "/EmbeddedFile",
    "/EF",
    "/RichMedia",
    "/XFA",
    "/Launch",
}
ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToE",
    "/RichMediaExecute",
    "/Rendition",
}
REMOTE_ACTIONS = {"/GoToR", "/GoToE", "/Thread"}  # they open another file
FILE_KEYS = {"/F", "/UF", "/DOS", "/Unix", "/Mac", "/URI", "/Base", "/FS"}
_LOCAL_PATH = re.compile(r"^\s*(?:\\\\|//|file:|smb:|[a-z]:[\\/])", re.IGNORECASE)
MAX_PDF_OBJECTS = 20_000


def _refuse_active_pdf(reader, root) -> None:
    """Every object of the file, wherever it is stored (object streams included), is
    looked at: names are compared decoded, so #-escapes cannot hide them."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    numbers = set()
    for generation, objects in reader.xref.items():
        numbers.update((number, generation) for number in objects)
    numbers.update((number, 0) for number in getattr(reader, "xref_objStm", {}))
    if len(numbers) > MAX_PDF_OBJECTS:
        raise FileRefused("corrupt", CORRUPT)
    pending = [IndirectObject(number, generation, reader) for number, generation in numbers]
    pending.append(root)
    seen = 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            node = node.get_object()
        seen += 1
        if seen > MAX_PDF_OBJECTS * 10:
            raise FileRefused("corrupt", CORRUPT)
        if isinstance(node, DictionaryObject):
            _refuse_active_dictionary(node)
            pending.extend(
                value
                for key, value in node.items()
                if not isinstance(value, IndirectObject) and key != "/Parent"
            )
        elif isinstance(node, ArrayObject):
            pending.extend(value for value in node if not isinstance(value, IndirectObject))


def _refuse_active_dictionary(node) -> None:
    if (
        ACTIVE_KEYS & set(node.keys())
        or node.get("/S") in ACTIVE_ACTIONS
        or node.get("/Subtype") == "/FileAttachment"
    ):
        raise FileRefused(
            "pdf_active_content",
            _("The PDF contains scripts, actions or attached files; print it to a plain PDF."),
        )
    if node.get("/S") in REMOTE_ACTIONS:
        raise FileRefused("external_reference", EXTERNAL)
    for key in FILE_KEYS & set(node.keys()):
        value = node[key]
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if isinstance(text, str) and _LOCAL_PATH.match(text):
            raise FileRefused("external_reference", EXTERNAL)
    from pypdf.generic import StreamObject

    if isinstance(node, StreamObject):
        _refuse_program_stream(node)


def _refuse_program_stream(node) -> None:
    """A stream whose content, decoded, begins as a program (only unfiltered and Flate
    streams are decoded, and only their first bytes)."""
    raw = getattr(node, "_data", None)
    if not isinstance(raw, bytes):
        return
    filters = node.get("/Filter")
    if filters is None:
        head = raw[:16]
    elif filters == "/FlateDecode" or list(filters if isinstance(filters, list) else []) == [
        "/FlateDecode"
    ]:
        try:
            head = zlib.decompressobj().decompress(raw, 16)
        except zlib.error:
            return
    else:
        return
    if _is_program(head) or head.startswith(_ARCHIVES):
        raise FileRefused("executable", PROGRAM)


# --- the check of an upload, isolated -------------------------------------------------------------

WORKER_SECONDS = 10
WORKER_LIMITS = sandbox.Limits(
    memory_bytes=1024 * 1024 * 1024, cpu_seconds=WORKER_SECONDS, file_bytes=0, wall_seconds=10
)
# LibreOffice needs ~600 MB of address space for a small document (measured); that and
# more bounds a hostile one. PLENARY_RENDER_SECONDS bounds its time.
LIBREOFFICE_MEMORY_BYTES = 1536 * 1024 * 1024
LIBREOFFICE_FILE_BYTES = 200 * 1024 * 1024


def _libreoffice_limits() -> sandbox.Limits:
    seconds = int(sandbox.setting("PLENARY_RENDER_SECONDS", LIBREOFFICE_SECONDS))
    return sandbox.Limits(LIBREOFFICE_MEMORY_BYTES, seconds, LIBREOFFICE_FILE_BYTES, seconds)


def check_upload(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_page_size: str = "A3",
    seconds: float = WORKER_SECONDS,
) -> CheckedFile:
    """`check_file` in a limited child process in the box, then, for a DOCX, the exact page
    count by LibreOffice in the box: a file built to exhaust a parser or to fetch an address
    costs one refused upload, not the server. The whole check waits for a render slot."""
    _page_limit(max_page_size)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    try:
        with sandbox.slot(_queue_seconds()):
            answer = _in_child("check", data, max_page_size, seconds)
            checked = CheckedFile(
                answer["kind"],
                answer["pages"],
                answer["kind"] == "docx",
                len(data),
                answer.get("text", ""),
                answer.get("fields") or {},
            )
            if checked.kind == "docx":
                pages = _docx_pages_in_box(data, max_page_size, seconds=seconds)
                checked = CheckedFile(
                    "docx", pages, False, checked.size, checked.text, checked.fields
                )
    except sandbox.Busy:
        raise FileRefused(
            "busy", _("The server is busy checking other files; try again in a minute.")
        ) from None
    return checked


def _queue_seconds() -> float:
    return sandbox.setting("PLENARY_RENDER_WAIT_SECONDS", QUEUE_SECONDS)


def _in_child(mode: str, data: bytes, max_page_size: str, seconds: float) -> dict:
    """Run this module's `_main` on `data` in a limited child, in the box when there is one
    (the check parses, it does not fetch: its limits matter more than its box)."""
    limits = sandbox.Limits(
        WORKER_LIMITS.memory_bytes, int(seconds) + 1, WORKER_LIMITS.file_bytes, seconds
    )
    command = [sys.executable, "-m", "plenary.contributions.filecheck", mode, max_page_size]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        child = sandbox.run(
            command,
            limits=limits,
            input=data,
            env=env,
            readable=sandbox.python_paths(),
            boxed=sandbox.mechanism() is not None,
        )
    except sandbox.TimedOut:
        raise FileRefused(
            "too_complex", _("The file is too complex to check; simplify it or print it to PDF.")
        ) from None
    except (sandbox.Unavailable, OSError):
        raise FileRefused("pages_not_counted", NOT_COUNTED) from None
    try:
        answer = json.loads(child.stdout.decode() or "{}")
    except ValueError:
        answer = {}
    if "refused" in answer:
        raise FileRefused(answer["refused"], _message(answer["refused"], max_page_size))
    if "kind" not in answer and "pages" not in answer:
        raise FileRefused(
            "too_complex", _("The file is too complex to check; simplify it or print it to PDF.")
        )
    return answer


def _docx_pages_in_box(
    data: bytes, max_page_size: str, *, office: str | None = None, seconds: float = WORKER_SECONDS
) -> int:
    """LibreOffice, in the box, converts the DOCX to PDF in a temporary folder removed
    afterwards; a limited child counts the PDF's pages. Refused when anything fails."""
    with tempfile.TemporaryDirectory(prefix="plenary-pages-") as folder:
        source = Path(folder) / "contribution.docx"
        source.write_bytes(data)
        try:
            produced = sandbox.convert_to_pdf(source, limits=_libreoffice_limits(), office=office)
        except (sandbox.Unavailable, sandbox.TimedOut, OSError):
            produced = None
        if produced is None:
            raise FileRefused("pages_not_counted", NOT_COUNTED)
        pdf = produced.read_bytes()
    try:
        answer = _in_child("pages", pdf, max_page_size, seconds)
    except FileRefused as refused:  # LibreOffice's own PDF: only its page size is the file's
        if refused.code == "page_too_large":
            raise
        raise FileRefused("pages_not_counted", NOT_COUNTED) from None
    if not isinstance(answer.get("pages"), int) or answer["pages"] < 1:
        raise FileRefused("pages_not_counted", NOT_COUNTED)
    return answer["pages"]


def _message(code: str, max_page_size: str):
    if code == "page_too_large":
        return _page_too_large(max_page_size).message
    return _REFUSALS.get(code, CORRUPT)


_REFUSALS = {
    "embedded_objects": EMBEDDED,
    "empty": _("The file is empty."),
    "corrupt": CORRUPT,
    "not_docx_or_pdf": _("Only DOCX and PDF files are accepted."),
    "zip_bomb": _("The file has too many parts to be a short document."),
    "encrypted": _("The file is encrypted; send it without a password."),
    "macros": _("The file contains macros; save it as a plain .docx document."),
    "xml_entities": _("The file contains XML declarations that are not allowed."),
    "external_reference": EXTERNAL,
    "pdf_active_content": _(
        "The PDF contains scripts, actions or attached files; print it to a plain PDF."
    ),
    "too_complex": _("The file is too complex to check; simplify it or print it to PDF."),
    "executable": PROGRAM,
    "polyglot": PROGRAM,
    "pages_not_counted": NOT_COUNTED,
}


def _main() -> int:
    """The child: `check <size>` checks the bytes on stdin; `pages <size>` counts the pages
    of the PDF LibreOffice made (and checks their size). One JSON line on stdout."""
    mode, max_page_size = sys.argv[1], sys.argv[2]
    data = sys.stdin.buffer.read()
    try:
        checked = check_file(data, max_bytes=len(data) + 1, max_page_size=max_page_size)
        if mode == "pages" and checked.kind != "pdf":
            raise FileRefused("pages_not_counted", NOT_COUNTED)
    except FileRefused as refused:
        print(json.dumps({"refused": refused.code}))
        return 0
    answer = {"kind": checked.kind, "pages": checked.pages}
    if mode == "check":
        answer |= {"text": checked.text[:20000], "fields": checked.fields}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
