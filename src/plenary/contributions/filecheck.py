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
MACRO_TYPES = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "application/vnd.ms-office.vbaProject",
)
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_EXTERNAL = re.compile(rb"TargetMode\s*=\s*[\"']External[\"']", re.IGNORECASE)
_HYPERLINK_TYPE = b"relationships/hyperlink"


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
        if entry.filename.endswith((".xml", ".rels")):
            if _DECLARATION.search(content):
                raise FileRefused(
                    "xml_entities", _("The file contains XML declarations that are not allowed.")
                )
            if entry.filename.endswith(".rels"):
                for relationship in re.findall(rb"<Relationship\b[^>]*>", content):
                    if _EXTERNAL.search(relationship) and _HYPERLINK_TYPE not in relationship:
                        raise FileRefused(
                            "external_reference",
                            _(
                                "The file refers to external content; remove linked templates or objects."
                            ),
                        )
            parts[entry.filename] = content
    content_types = parts.get("[Content_Types].xml", b"")
    if any(kind.encode() in content_types for kind in MACRO_TYPES):
        raise FileRefused(
            "macros", _("The file contains macros; save it as a plain .docx document.")
        )
    if DOCX_MAIN.encode() not in content_types:
        raise FileRefused("not_docx_or_pdf", _("Only DOCX and PDF files are accepted."))

    text = _docx_text(parts["word/document.xml"])
    pages = _pages_with_libreoffice(data, libreoffice)
    if pages is not None:
        return CheckedFile("docx", pages, False, len(data), text)
    return CheckedFile("docx", _estimate_pages(parts, text), True, len(data), text)


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
    breaks = len(re.findall(rb"<w:br\b[^>]*w:type=\"page\"", parts.get("word/document.xml", b"")))
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
        _refuse_active_pdf(reader, root)
    except FileRefused:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError):
        raise FileRefused("corrupt", _("The file is damaged and cannot be read.")) from None
    if pages < 1:
        raise FileRefused("corrupt", _("The file is damaged and cannot be read."))
    return CheckedFile("pdf", pages, False, len(data))


def _refuse_active_pdf(reader, root) -> None:
    """Active content hidden in compressed object streams, found through the structure."""
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if (
        "/JavaScript" in names
        or "/EmbeddedFiles" in names
        or ("/AcroForm" in root and "/XFA" in root["/AcroForm"])
    ):
        raise FileRefused(
            "pdf_active_content",
            _("The PDF contains scripts, actions or attached files; print it to a plain PDF."),
        )
    actions = []
    if "/OpenAction" in root:
        actions.append(root["/OpenAction"])
    if "/AA" in root:
        actions.extend(root["/AA"].get_object().values())
    for page in reader.pages:
        if "/AA" in page:
            actions.extend(page["/AA"].get_object().values())
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/A" in annotation:
                actions.append(annotation["/A"])
            if annotation.get("/Subtype") == "/FileAttachment":
                actions.append({"/S": "/Launch"})
    for action in actions:
        action = action.get_object() if hasattr(action, "get_object") else action
        if isinstance(action, dict) and action.get("/S") in {
            "/JavaScript",
            "/Launch",
            "/ImportData",
            "/SubmitForm",
        }:
            raise FileRefused(
                "pdf_active_content",
                _("The PDF contains scripts, actions or attached files; print it to a plain PDF."),
            )
