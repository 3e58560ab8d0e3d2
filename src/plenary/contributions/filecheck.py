"""Checks of an uploaded contribution (R17) before anything is stored.

Only DOCX and PDF are accepted, recognised by their content. A DOCX is a zip: its entries
are counted and measured before anything is decompressed, every part is read with a cap
(so a lying header cannot inflate it), macros, DOCTYPE/entity declarations and external
references are refused. A PDF is opened with pypdf: encrypted, corrupt, or carrying
JavaScript, launch actions or embedded files, it is refused. Pages are counted exactly
(PDF; DOCX through LibreOffice when it is installed) or estimated, and said so.

Every refusal is a FileRefused with a code and a message in the reader's language; no
other exception leaves `check_file` for any input.
"""

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MAX_BYTES = 10 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_PART_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
LIBREOFFICE_SECONDS = 60
WORDS_PER_PAGE = 500  # the estimate when LibreOffice is not installed: a dense page of prose

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF8_DECLARATION = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9_.-]+)[\"']")


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
    estimated: bool
    size: int
    text: str = ""  # the words of a DOCX, for the estimate and the template reader


def check_file(
    data: bytes, *, max_bytes: int = MAX_BYTES, libreoffice: str | None = None
) -> CheckedFile:
    """Check an upload; `libreoffice` is the soffice command for exact DOCX page counts
    (found on PATH when None; pass "" to force the estimate)."""
    if len(data) > max_bytes:
        raise FileRefused(
            "too_large",
            _("The file is larger than %(mb)s MB.") % {"mb": round(max_bytes / (1024 * 1024), 1)},
        )
    if len(data) == 0:
        raise FileRefused("empty", _("The file is empty."))
    try:
        if data.startswith(b"%PDF-"):
            return _check_pdf(data)
        if data.startswith(b"PK\x03\x04"):
            return _check_docx(data, libreoffice)
    except FileRefused:
        raise
    except RecursionError:
        raise FileRefused("corrupt", _("The file is damaged and cannot be read.")) from None
    except Exception:  # any parser failure on hostile input is a refusal, never a crash
        raise FileRefused("corrupt", _("The file is damaged and cannot be read.")) from None
    raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))


# --- DOCX -------------------------------------------------------------------------------------


def _check_docx(data: bytes, libreoffice: str | None) -> CheckedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FileRefused("corrupt", _("The file is damaged and cannot be read.")) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRefused("zip_bomb", _("The file has too many parts to be a short document."))
    declared = sum(entry.file_size for entry in entries)
    if declared > MAX_UNZIPPED_BYTES:
        raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRefused("encrypted", _("The file is encrypted; send it without a password."))
        if (
            entry.compress_size
            and entry.file_size / entry.compress_size > MAX_RATIO
            and entry.file_size > 1024 * 1024
        ):
            raise FileRefused("zip_bomb", _("The file expands to far more than a short document."))
    names = {entry.filename for entry in entries}
    if any(
        name.lower().endswith("vbaproject.bin") or name.lower().endswith("vbadata.xml")
        for name in names
    ):
        raise FileRefused(
            "macros", _("The file contains macros; save it as a plain .docx document.")
        )
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))

    read_total = 0
    parts: dict[str, bytes] = {}
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
            raise FileRefused(
                "embedded_objects",
                _(
                    "The file contains embedded objects or macros; save it as a plain .docx document."
                ),
            )
        if entry.filename.endswith((".xml", ".rels")):
            parts[entry.filename] = content
            _check_xml_part(entry.filename, content)
    _check_content_types(parts.get("[Content_Types].xml", b""))

    text = _docx_text(parts["word/document.xml"])
    pages = _pages_with_libreoffice(data, libreoffice)
    if pages is not None:
        return CheckedFile("docx", pages, False, len(data), text)
    return CheckedFile("docx", _estimate_pages(parts, text), True, len(data), text)


def _xml(content: bytes):
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    return etree.fromstring(content, parser=parser)


def _check_xml_part(name: str, content: bytes) -> None:
    """Word writes UTF-8 XML without a DOCTYPE: anything else is refused, and attributes are
    read from the parsed tree, so that character references cannot hide a value."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if b"\x00" in content[:4096]:
        raise FileRefused("corrupt", _("The file is damaged and cannot be read."))
    declared = _UTF8_DECLARATION.match(content)
    if declared and declared[1].lower().replace(b"-", b"") != b"utf8":
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if _DECLARATION.search(content):
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    root = _xml(content)
    if root.getroottree().docinfo.doctype:
        raise FileRefused(
            "xml_entities", _("The file contains XML declarations that are not allowed.")
        )
    if name.endswith(".rels"):
        for relationship in root:
            kind = (relationship.get("Type") or "").strip()
            if (
                relationship.get("TargetMode") or ""
            ).strip().lower() == "external" and kind != HYPERLINK_TYPE:
                raise FileRefused(
                    "external_reference",
                    _("The file refers to external content; remove linked templates or objects."),
                )
            if "vbaproject" in kind.lower() or "oleobject" in kind.lower():
                raise FileRefused(
                    "embedded_objects",
                    _(
                        "The file contains embedded objects or macros; save it as a plain .docx document."
                    ),
                )


def _check_content_types(content: bytes) -> None:
    root = _xml(content)
    types = [(node.get("PartName") or "", (node.get("ContentType") or "").strip()) for node in root]
    if any("macroenabled" in kind.lower() or "vbaproject" in kind.lower() for _part, kind in types):
        raise FileRefused(
            "macros", _("The file contains macros; save it as a plain .docx document.")
        )
    main = [kind for part, kind in types if part.lower() == "/word/document.xml"]
    if main != [DOCX_MAIN]:
        raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))


def _docx_text(document_xml: bytes) -> str:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    root = etree.fromstring(document_xml, parser=parser)
    namespace = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    paragraphs = []
    for paragraph in root.iter(f"{namespace}p"):
        paragraphs.append("".join(node.text or "" for node in paragraph.iter(f"{namespace}t")))
    return "\n".join(paragraphs)


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


def _pages_with_libreoffice(data: bytes, libreoffice: str | None) -> int | None:
    command = libreoffice if libreoffice is not None else (shutil.which("soffice") or "")
    if not command:
        return None
    with tempfile.TemporaryDirectory(prefix="plenary-pages-") as folder:
        source = os.path.join(folder, "contribution.docx")
        with open(source, "wb") as handle:
            handle.write(data)
        profile = f"file://{folder}/profile"
        try:
            subprocess.run(
                [
                    command,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    folder,
                    source,
                ],
                capture_output=True,
                timeout=LIBREOFFICE_SECONDS,
                check=False,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": folder},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        produced = os.path.join(folder, "contribution.pdf")
        if not os.path.exists(produced):
            return None
        from pypdf import PdfReader

        return len(PdfReader(produced).pages)


# --- PDF --------------------------------------------------------------------------------------

_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


def _check_pdf(data: bytes) -> CheckedFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

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
    except FileRefused:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError):
        raise FileRefused("corrupt", _("The file is damaged and cannot be read.")) from None
    if pages < 1:
        raise FileRefused("corrupt", _("The file is damaged and cannot be read."))
    return CheckedFile("pdf", pages, False, len(data))


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
        raise FileRefused("corrupt", _("The file is damaged and cannot be read."))
    pending = [IndirectObject(number, generation, reader) for number, generation in numbers]
    pending.append(root)
    seen = 0
    while pending:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            node = node.get_object()
        seen += 1
        if seen > MAX_PDF_OBJECTS * 10:
            raise FileRefused("corrupt", _("The file is damaged and cannot be read."))
        if isinstance(node, DictionaryObject):
            if (
                ACTIVE_KEYS & set(node.keys())
                or node.get("/S") in ACTIVE_ACTIONS
                or node.get("/Subtype") == "/FileAttachment"
            ):
                raise FileRefused(
                    "pdf_active_content",
                    _(
                        "The PDF contains scripts, actions or attached files; print it to a plain PDF."
                    ),
                )
            pending.extend(
                value
                for key, value in node.items()
                if not isinstance(value, IndirectObject) and key != "/Parent"
            )
        elif isinstance(node, ArrayObject):
            pending.extend(value for value in node if not isinstance(value, IndirectObject))


# --- isolation ----------------------------------------------------------------------------------

WORKER_SECONDS = 10
WORKER_MEMORY_BYTES = 1024 * 1024 * 1024


def _limit_worker() -> None:  # runs in the child, before it starts
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (WORKER_SECONDS, WORKER_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def check_upload(
    data: bytes, *, max_bytes: int = MAX_BYTES, seconds: float = WORKER_SECONDS
) -> CheckedFile:
    """`check_file` in a child process limited in memory, CPU and time, so that a file
    built to exhaust a parser costs one refused upload, not the server. A DOCX's pages are
    then counted by LibreOffice, when it is installed, outside those limits."""
    import json
    import sys

    if len(data) > max_bytes:
        raise FileRefused(
            "too_large",
            _("The file is larger than %(mb)s MB.") % {"mb": round(max_bytes / (1024 * 1024), 1)},
        )
    try:
        child = subprocess.run(
            [sys.executable, "-m", "plenary.contributions.filecheck"],
            input=data,
            capture_output=True,
            timeout=seconds,
            preexec_fn=_limit_worker,  # runs before exec; the limits apply to the child only
            check=False,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": os.pathsep.join(sys.path),
            },
        )
    except subprocess.TimeoutExpired:
        raise FileRefused(
            "too_complex", _("The file is too complex to check; simplify it or print it to PDF.")
        ) from None
    try:
        answer = json.loads(child.stdout.decode() or "{}")
    except ValueError:
        answer = {}
    if "refused" in answer:
        raise FileRefused(
            answer["refused"],
            _REFUSALS.get(answer["refused"], _("The file is damaged and cannot be read.")),
        )
    if "kind" not in answer:
        raise FileRefused(
            "too_complex", _("The file is too complex to check; simplify it or print it to PDF.")
        )
    checked = CheckedFile(
        answer["kind"], answer["pages"], answer["estimated"], len(data), answer.get("text", "")
    )
    if checked.kind == "docx":
        exact = _pages_with_libreoffice(data, None)
        if exact is not None:
            checked = CheckedFile("docx", exact, False, checked.size, checked.text)
    return checked


_REFUSALS = {
    "embedded_objects": _(
        "The file contains embedded objects or macros; save it as a plain .docx document."
    ),
    "too_large": _("The file is larger than %(mb)s MB."),
    "empty": _("The file is empty."),
    "corrupt": _("The file is damaged and cannot be read."),
    "not_docx_or_pdf": _("Only DOCX and PDF files are accepted."),
    "zip_bomb": _("The file has too many parts to be a short document."),
    "encrypted": _("The file is encrypted; send it without a password."),
    "macros": _("The file contains macros; save it as a plain .docx document."),
    "xml_entities": _("The file contains XML declarations that are not allowed."),
    "external_reference": _(
        "The file refers to external content; remove linked templates or objects."
    ),
    "pdf_active_content": _(
        "The PDF contains scripts, actions or attached files; print it to a plain PDF."
    ),
    "too_complex": _("The file is too complex to check; simplify it or print it to PDF."),
}


def _main() -> int:  # the child: bytes on stdin, one JSON line on stdout
    import json
    import sys

    data = sys.stdin.buffer.read()
    try:
        checked = check_file(data, max_bytes=len(data) + 1, libreoffice="")
    except FileRefused as refused:
        print(json.dumps({"refused": refused.code}))
        return 0
    print(
        json.dumps(
            {
                "kind": checked.kind,
                "pages": checked.pages,
                "estimated": checked.estimated,
                "text": checked.text[:20000],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
