"""The Annex 3 template (R15) as a DOCX in each language, and reading a filled one back.

The template is a table of five labelled rows; the document's keywords mark it as ours,
so that a filled template is recognised whatever language its labels are in.
"""

import io
import re

from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document as new_docx
from docx.enum.table import WD_TABLE_DIRECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from plenary.core import timezones

MARKER = "plenary:annex3:v1"
FIELDS = ["states", "title", "reference", "comments", "way_forward"]


def _labels(consultation) -> list[str]:
    prefix = {"prefix": consultation.document_prefix}
    return [
        _("Submitting Member State(s)"),
        _("Document title"),
        _("Reference to the agenda (document %(prefix)s/##)") % prefix,
        _("Comments on document %(prefix)s/xx") % prefix,
        _("Proposed way forward"),
    ]


def template_docx(consultation, language: str) -> bytes:
    with translation.override(language):
        document = new_docx()
        document.core_properties.keywords = f"{MARKER}:{consultation.slug}"
        document.core_properties.title = _("Contribution to %(acronym)s") % {
            "acronym": consultation.acronym
        }
        rtl = translation.get_language_bidi()
        heading = document.add_heading(f"{consultation.title} ({consultation.acronym})", level=1)
        dates = timezones.format_day_range(consultation.starts_on, consultation.ends_on, language)
        intro = document.add_paragraph(
            _(
                "Contribution template (Annex 3). %(dates)s. At most %(pages)s pages, on an item of Groups %(groups)s, by %(deadline)s."
            )
            % {
                "groups": consultation.open_groups,
                "dates": dates,
                "pages": consultation.contribution_max_pages,
                "deadline": timezones.format_moment(
                    consultation.contribution_deadline, consultation.time_zone, language
                ),
            }
        )
        table = document.add_table(rows=len(FIELDS), cols=2)
        table.style = "Table Grid"
        for row, label in zip(table.rows, _labels(consultation), strict=True):
            row.cells[0].text = label
            row.cells[0].paragraphs[0].runs[0].bold = True
            row.cells[1].text = ""
        if rtl:
            table.table_direction = WD_TABLE_DIRECTION.RTL
            for paragraph in [
                heading,
                intro,
                *(p for row in table.rows for c in row.cells for p in c.paragraphs),
            ]:
                properties = paragraph._p.get_or_add_pPr()
                bidi = OxmlElement("w:bidi")
                bidi.set(qn("w:val"), "1")
                properties.append(bidi)
        for paragraph in document.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(11)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def read_template(data: bytes) -> dict | None:
    """The five fields of a filled template, or None if the file is not our template.

    python-docx parses the upload: this runs in the checking child of filecheck, after the
    checks (`CheckedFile.fields`), never on an upload in the web process."""
    document = new_docx(io.BytesIO(data))
    if not (document.core_properties.keywords or "").startswith(MARKER):
        return None
    if not document.tables or len(document.tables[0].rows) < len(FIELDS):
        return None
    values = {}
    for field, row in zip(FIELDS, document.tables[0].rows, strict=False):
        cells = row.cells
        values[field] = (
            "\n".join(p.text for p in cells[-1].paragraphs).strip() if len(cells) > 1 else ""
        )
    values["consultation_slug"] = document.core_properties.keywords[len(MARKER) + 1 :]
    # Any session's Council documents (C20/40, C23/12(Rev.1)); the caller keeps those of
    # its consultation.
    values["reference_symbols"] = re.findall(
        r"[A-Z][A-Z0-9-]{0,18}/\d+(?:\(Rev\.\d+\))?", values["reference"]
    )
    return values
