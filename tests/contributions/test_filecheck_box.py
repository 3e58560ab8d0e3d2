"""An upload is checked in the box and fails closed: nothing in an accepted or refused file
makes anything fetch an address (a real listener on 127.0.0.1 counts connections); the
pages of a DOCX are counted by LibreOffice in the box or the file is refused; a busy server
says so; the template is read in the checking child; programs, polyglots, links to UNC or
file: paths and oversized pages are refused.

The refusals happen before LibreOffice runs, so they are fast; the few LibreOffice runs are
grouped."""

import io
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from docx import Document
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from plenary.contributions import filecheck, template
from plenary.contributions.filecheck import HYPERLINK_TYPE, FileRefused, check_file, check_upload
from plenary.core import sandbox

from ..core.listener import Listener

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
MM = 72 / 25.4  # points per millimetre


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


# --- builders ---------------------------------------------------------------------------------


def _docx(text="Contribution of a Member State.", picture=False, hyperlink=None) -> bytes:
    document = Document()
    paragraph = document.add_paragraph(text)
    if picture:
        document.add_picture(io.BytesIO(PNG))
    if hyperlink:
        rid = document.part.relate_to(hyperlink, f"{REL}/hyperlink", is_external=True)
        link = paragraph._p.makeelement(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}hyperlink",
            {f"{{{REL}}}id": rid},
        )
        run = paragraph.runs[0]._r
        paragraph._p.remove(run)
        link.append(run)
        paragraph._p.append(link)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _relationship(rid: str, kind: str, target: str, external=True) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"{mode}/>'.encode()


def _edit(data: bytes, part: str, old: bytes, new: bytes, rels=b"", rels_part=None) -> bytes:
    parts = _parts(data)
    assert old in parts[part], (part, old)
    parts[part] = parts[part].replace(old, new, 1)
    if rels:
        name = rels_part or re.sub(r"([^/]+)$", r"_rels/\1.rels", part)
        parts[name] = parts.get(
            name,
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"></Relationships>',
        ).replace(b"</Relationships>", rels + b"</Relationships>")
    return _zip(parts)


def _linked_picture(url: str, kind: str = HYPERLINK_TYPE) -> bytes:
    """A picture whose blip is fetched from `url` (r:link) through a relationship of `kind`."""
    data = _docx(picture=True)
    rid = re.search(rb'r:embed="(rId\d+)"', _parts(data)["word/document.xml"])[1]
    return _edit(
        data,
        "word/document.xml",
        b'r:embed="' + rid + b'"',
        b'r:link="rIdNet"',
        rels=_relationship("rIdNet", kind, f"{url}/picture.png"),
    )


def _field(instruction: str, simple=False) -> bytes:
    data = _docx(text="FIELDHERE")
    if simple:
        new = f'<w:fldSimple w:instr="{instruction}"><w:r><w:t>x</w:t></w:r></w:fldSimple>'
        return _edit(
            data, "word/document.xml", b"<w:r><w:t>FIELDHERE", new.encode() + b"<w:r><w:t>"
        )
    # Word splits instructions over runs: the check must join them.
    half = len(instruction) // 2
    runs = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{instruction[:half]}</w:instrText></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{instruction[half:]}</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    return _edit(data, "word/document.xml", b"<w:r><w:t>FIELDHERE", runs.encode() + b"<w:r><w:t>")


def _attached_template(url: str) -> bytes:
    data = _docx()
    settings = _parts(data)["word/settings.xml"]
    end = settings.index(b"</w:settings>")
    return _edit(
        data,
        "word/settings.xml",
        settings[end:],
        b'<w:attachedTemplate r:id="rIdT"/></w:settings>',
        rels=_relationship("rIdT", HYPERLINK_TYPE, f"{url}/template.dotx"),
    )


def _vml_picture(url: str) -> bytes:
    shape = (
        '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" style="width:10pt;height:10pt">'
        f'<v:imagedata o:href="{url}/vml.png" o:title=""/></v:shape></w:pict></w:r>'
    )
    return _edit(
        _docx(text="VML"), "word/document.xml", b"<w:r><w:t>VML", shape.encode() + b"<w:r><w:t>"
    )


def _hyperlink_used_twice(url: str) -> bytes:
    """A legitimate-looking hyperlink whose relationship an image also uses."""
    data = _docx(picture=True, hyperlink=f"{url}/page")
    rid = re.search(rb'r:embed="(rId\d+)"', _parts(data)["word/document.xml"])[1]
    link = re.search(rb'<w:hyperlink r:id="(rId\d+)"', _parts(data)["word/document.xml"])[1]
    return _edit(data, "word/document.xml", b'r:embed="' + rid + b'"', b'r:link="' + link + b'"')


def OUTBOUND(url: str) -> dict[str, bytes]:
    unc = "\\\\127.0.0.1\\share"
    return {
        "picture through a hyperlink relationship": _linked_picture(url),
        "picture through an image relationship": _linked_picture(url, f"{REL}/image"),
        "picture on a UNC path": _linked_picture(unc),
        "picture through the text's own hyperlink": _hyperlink_used_twice(url),
        "template through a hyperlink relationship": _attached_template(url),
        "INCLUDEPICTURE split over runs": _field(f'INCLUDEPICTURE "{url}/f.png" \\d'),
        "INCLUDETEXT in a simple field": _field(
            f"INCLUDETEXT &quot;{url}/t.docx&quot;", simple=True
        ),
        "LINK field": _field(f'LINK Excel.Sheet.8 "{url}/book.xls" "A1"'),
        "DDEAUTO field": _field('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"'),
        "IMPORT field": _field(f'IMPORT "{url}/i.png"'),
        "HYPERLINK field to a UNC path": _field('HYPERLINK "\\\\\\\\127.0.0.1\\\\share"'),
        "VML picture by address": _vml_picture(url),
        "hyperlink to a file: path": _docx(hyperlink="file:///etc/passwd"),
        "hyperlink to a UNC path": _docx(hyperlink=unc),
        "subDocument": _edit(
            _docx(),
            "word/document.xml",
            b"<w:body>",
            b'<w:body><w:subDoc r:id="rIdS"/>',
            rels=_relationship("rIdS", f"{REL}/subDocument", f"{url}/sub.docx"),
        ),
        "altChunk": _edit(
            _docx(),
            "word/document.xml",
            b"<w:body>",
            b'<w:body><w:altChunk r:id="rIdA"/>',
            rels=_relationship("rIdA", f"{REL}/aFChunk", f"{url}/chunk.html"),
        ),
        "internal relationship with an address": _edit(
            _docx(),
            "word/document.xml",
            b"<w:body>",
            b"<w:body>",
            rels=_relationship("rIdI", f"{REL}/image", f"{url}/x.png", external=False),
        ),
    }


# --- nothing fetches ----------------------------------------------------------------------------


def test_outbound_references_are_refused_and_nothing_is_fetched(listener):
    documents = OUTBOUND(listener.url)
    codes = {}
    for name, data in documents.items():
        try:
            check_upload(data)
            codes[name] = "ACCEPTED"
        except FileRefused as refused:
            codes[name] = refused.code
    assert codes == dict.fromkeys(documents, "external_reference")
    time.sleep(0.3)
    assert listener.connections == 0


def test_libreoffice_in_the_box_fetches_nothing_and_outside_it_would(listener, tmp_path):
    """The check refuses the linked picture; but were a file to pass it, LibreOffice in the
    box could not fetch: the same file converted outside the box does reach the listener."""
    data = _linked_picture(listener.url)
    source = tmp_path / "boxed" / "contribution.docx"
    source.parent.mkdir()
    source.write_bytes(data)
    assert sandbox.convert_to_pdf(source, limits=filecheck._libreoffice_limits()) is not None
    time.sleep(0.3)
    assert listener.connections == 0
    unboxed = tmp_path / "unboxed" / "contribution.docx"
    unboxed.parent.mkdir()
    unboxed.write_bytes(data)
    sandbox.convert_to_pdf(unboxed, limits=filecheck._libreoffice_limits(), boxed=False)
    time.sleep(0.3)
    assert listener.connections > 0  # the control: the listener does see LibreOffice's fetch
    listener.requests.clear()


def test_a_hyperlink_of_the_text_is_accepted_and_counted_in_the_box(listener):
    before = listener.connections
    checked = check_upload(_docx(hyperlink=f"{listener.url}/annex"))
    assert (checked.kind, checked.pages, checked.estimated) == ("docx", 1, False)
    time.sleep(0.3)
    assert listener.connections == before


# --- fail closed --------------------------------------------------------------------------------


def _leftover_libreoffice() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"soffice" in command and b"plenary-pages-" in command:
            found.append(entry.name)
    return found


def test_without_a_box_or_libreoffice_a_docx_is_refused_and_a_pdf_still_accepted(monkeypatch):
    docx = _docx()
    with pytest.raises(FileRefused) as refused:
        check_file(docx, libreoffice="/nonexistent/soffice")
    assert refused.value.code == "pages_not_counted"
    monkeypatch.setenv("PLENARY_SANDBOX", "none")
    with pytest.raises(FileRefused) as refused:
        check_upload(docx)
    assert refused.value.code == "pages_not_counted"
    assert "send the document as PDF" in refused.value.user_message()
    assert check_upload(_pdf()).pages == 2


def test_a_document_too_long_to_count_in_time_is_refused_and_libreoffice_ended(settings):
    """300,000 short paragraphs (a file of ~12,000 pages) once were accepted as one
    estimated page when LibreOffice overran its time."""
    settings.PLENARY_RENDER_SECONDS = 4
    body = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % n for n in range(300_000))
    data = _edit(_docx(text="LONG"), "word/document.xml", b"<w:body>", b"<w:body>" + body)
    started = time.monotonic()
    with pytest.raises(FileRefused) as refused:
        check_upload(data)
    assert refused.value.code in {"pages_not_counted", "too_complex"}
    assert time.monotonic() - started < 20
    assert _leftover_libreoffice() == []


def test_a_busy_server_refuses_after_waiting(settings):
    settings.PLENARY_RENDER_CONCURRENCY = 1
    settings.PLENARY_RENDER_WAIT_SECONDS = 0.5
    # Another upload holds the only slot.
    with sandbox.slot(1), pytest.raises(FileRefused) as refused:
        check_upload(_pdf())
    assert refused.value.code == "busy"
    assert "try again" in refused.value.user_message()
    assert str(filecheck.QUEUE_NOTICE)
    assert check_upload(_pdf()).pages == 2


# --- parsing in the child -----------------------------------------------------------------------


def _styles_renamed(content: bytes) -> bytes:
    """The styles part under another name, its content type still XML, its content not."""
    parts = _parts(_docx())
    del parts["word/styles.xml"]
    parts["word/styles.bin"] = content
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b'Target="styles.xml"', b'Target="styles.bin"'
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b'PartName="/word/styles.xml"', b'PartName="/word/styles.bin"'
    )
    return _zip(parts)


def test_a_part_python_docx_would_parse_that_is_not_xml_is_refused_not_a_crash():
    for data in (_styles_renamed(b"this is not XML"), _styles_renamed(b"\x00" * 64)):
        with pytest.raises(FileRefused) as refused:
            check_upload(data)
        assert refused.value.code == "corrupt"


def test_the_template_is_read_in_the_checking_child(consultation):
    filled = Document(io.BytesIO(template.template_docx(consultation, "en")))
    filled.tables[0].rows[1].cells[1].text = "Views of Switzerland"
    filled.tables[0].rows[2].cells[1].text = "C20/17"
    buffer = io.BytesIO()
    filled.save(buffer)
    checked = check_upload(buffer.getvalue())
    assert checked.fields["title"] == "Views of Switzerland"
    assert checked.fields["reference_symbols"] == ["C20/17"]
    assert checked.fields["consultation_slug"] == consultation.slug
    # The same template with a part python-docx opens broken: refused, not an exception.
    parts = _parts(buffer.getvalue())
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b'Target="styles.xml"', b'Target="missing.xml"'
    )
    with pytest.raises(FileRefused) as refused:
        check_file(_zip(parts))
    assert refused.value.code == "corrupt"
    assert check_file(_docx()).fields == {}


# --- what a careful scanner refuses -------------------------------------------------------------


def _pdf(pages=2, width=595, height=842, edit=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width, height)
    if edit:
        edit(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _link(writer, action: dict) -> None:
    entries = {NameObject(f"/{k}"): v for k, v in action.items()}
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0)] * 2),
            NameObject("/A"): DictionaryObject(entries),
        }
    )
    writer.add_annotation(0, annotation)


def _user_unit(writer) -> None:
    writer.pages[0][NameObject("/UserUnit")] = NumberObject(10)


def _zip_of_program() -> bytes:
    return _zip({"setup.exe": b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00"})


def _stream_pdf(payload: bytes, compress=False) -> bytes:
    """A PDF whose page's content stream holds `payload` (deflated when `compress`)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    stream = DecodedStreamObject()
    stream.set_data(payload)
    writer.pages[0][NameObject("/Contents")] = writer._add_object(
        stream.flate_encode() if compress else stream
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SCANNER = {
    "PDF page 10 m tall": (lambda: _pdf(1, 595, 10_000 * MM), "page_too_large"),
    "PDF page enlarged by UserUnit": (lambda: _pdf(1, edit=_user_unit), "page_too_large"),
    "PDF with a zip of a program appended": (lambda: _pdf() + _zip_of_program(), "polyglot"),
    "PDF with a program after its end": (
        lambda: _pdf() + b"\x7fELF\x02\x01\x01" + bytes(64),
        "polyglot",
    ),
    "PDF holding a zip inside": (lambda: _stream_pdf(_zip_of_program()), "polyglot"),
    "PDF stream that is a Mach-O program": (
        lambda: _stream_pdf(b"\xcf\xfa\xed\xfe" + bytes(60)),
        "executable",
    ),
    "PDF deflated stream that is a Windows program": (
        lambda: _stream_pdf(b"MZ\x90\x00" + bytes(200), compress=True),
        "executable",
    ),
    "PDF GoToR to a UNC path": (
        lambda: _pdf(
            edit=lambda w: _link(
                w, {"S": NameObject("/GoToR"), "F": TextStringObject("\\\\host\\share\\a.pdf")}
            )
        ),
        "external_reference",
    ),
    "PDF URI to a file: path": (
        lambda: _pdf(
            edit=lambda w: _link(
                w, {"S": NameObject("/URI"), "URI": TextStringObject("file:///etc/passwd")}
            )
        ),
        "external_reference",
    ),
    "PDF URI to a UNC path": (
        lambda: _pdf(
            edit=lambda w: _link(
                w, {"S": NameObject("/URI"), "URI": TextStringObject("\\\\host\\share")}
            )
        ),
        "external_reference",
    ),
    "DOCX holding a program": (
        lambda: _zip({**_parts(_docx()), "word/media/image9.png": b"MZ" + bytes(100)}),
        "executable",
    ),
    "DOCX holding a script by name": (
        lambda: _zip({**_parts(_docx()), "word/embeddings/run.ps1": b"Write-Host 1"}),
        "executable",
    ),
    "DOCX holding a workbook that holds a program": (
        lambda: _zip(
            {
                **_parts(_docx()),
                "word/embeddings/Book1.xlsx": _zip({"xl/tool.dll": b"MZ" + bytes(100)}),
            }
        ),
        "executable",
    ),
    "DOCX whose relative links are based on a UNC path": (
        lambda: _edit(
            _docx(),
            "docProps/app.xml",
            b"</Properties>",
            b"<HyperlinkBase>\\\\127.0.0.1\\share</HyperlinkBase></Properties>",
        ),
        "external_reference",
    ),
    "DOCX with data after its end": (lambda: _docx() + b"MZ" + bytes(200), "polyglot"),
    "DOCX with an entry before the first one": (
        lambda: b"PK\x03\x04" + bytes(200) + _docx(),
        "polyglot",
    ),
    "DOCX page 1 m wide": (
        lambda: _edit(_docx(), "word/document.xml", b'w:w="', b'w:w="56693" w:x="'),
        "page_too_large",
    ),
}


@pytest.mark.parametrize("name", list(SCANNER))
def test_a_careful_scanner_refuses(name):
    build, expected = SCANNER[name]
    with pytest.raises(FileRefused) as refused:
        check_file(build())
    assert refused.value.code == expected
    assert refused.value.user_message()


@pytest.mark.parametrize(
    "name", [n for n, (_b, code) in SCANNER.items() if code == "page_too_large"]
)
def test_an_upload_too_large_in_page_is_refused_for_that_reason_in_french(name):
    """Through the upload's own path: the check runs in a child without Django's settings,
    and the reason (and its message, in the reader's language) survives the way back."""
    build, expected = SCANNER[name]
    with pytest.raises(FileRefused) as refused:
        check_upload(build(), max_page_size="A3")
    assert refused.value.code == expected
    with translation.override("en"):
        english = refused.value.user_message()
    with translation.override("fr"):
        french = refused.value.user_message()
    assert "A3" in english and "A3" in french and french != english


def test_page_sizes_are_compared_side_by_side_with_a_tolerance():
    a3_landscape = _pdf(1, 420 * MM, 297 * MM)
    assert check_file(a3_landscape).pages == 1
    with pytest.raises(FileRefused) as refused:
        check_file(a3_landscape, max_page_size="A4")
    assert refused.value.code == "page_too_large"
    assert "A4" in refused.value.user_message()
    assert check_file(_pdf(1, 612, 792), max_page_size="A4").pages == 1  # US Letter
    assert check_file(_pdf(1, 420 * MM, 594 * MM), max_page_size="A2").pages == 1
    a4_docx = _docx()
    assert b"<w:pgSz" in _parts(a4_docx)["word/document.xml"]
    assert check_file(a4_docx, max_page_size="A4").kind == "docx"
    with pytest.raises(ValueError):
        check_file(a4_docx, max_page_size="B5")
    assert os.environ.get("PLENARY_SANDBOX") is None
