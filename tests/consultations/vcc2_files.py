"""The VCC-2 agenda (src/plenary/scenarios/vcc2/agenda.yaml) as the secretariat would send it:
a workbook, a CSV file and a Word table shaped like Annex 2 of the letter. Built here from
the scenario's data, so the tests import the real 66 items."""

import csv
import io
from pathlib import Path

import docx
import openpyxl
import yaml

import plenary

AGENDA_FILE = Path(plenary.__file__).resolve().parent / "scenarios" / "vcc2" / "agenda.yaml"
AGENDA = yaml.safe_load(AGENDA_FILE.read_text(encoding="utf-8"))
SHEET_COLUMNS = [
    "group",
    "item",
    "group_title_en",
    "subject_en",
    "subject_zh",
    "references",
    "instruments_zh",
    "documents",
]


def documents_cell(item: dict) -> str:
    pending = set(item.get("pending_documents") or [])
    return ", ".join(f"[{s}]" if s in pending else s for s in item.get("documents") or [])


def items():
    """(group, item) pairs of the YAML, in order."""
    for group in AGENDA["groups"]:
        for item in group["items"]:
            yield group, item


def sheet_rows() -> list[list[str]]:
    """The header and one row per item, the item as a "1.1" label."""
    rows = [SHEET_COLUMNS]
    for group, item in items():
        rows.append(
            [
                str(group["number"]),
                f"{group['number']}.{item['number']}",
                group["title_en"],
                item["subject_en"],
                item.get("subject_zh", ""),
                ", ".join(item.get("references") or []),
                item.get("instruments_zh", ""),
                documents_cell(item),
            ]
        )
    return rows


def xlsx_bytes(rows=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows or sheet_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows=None, delimiter=",") -> str:
    """The CSV shape: a heading row per group ("Group 1 — title"), then its items numbered
    within the group."""
    if rows is None:
        rows = [["group", "item", "subject_en", "subject_zh", "references", "documents"]]
        for number, group in enumerate(AGENDA["groups"], start=1):
            rows.append(["", f"Group {number} — {group['title_en']}", "", "", "", ""])
            for item in group["items"]:
                rows.append(
                    [
                        str(group["number"]),
                        str(item["number"]),
                        item["subject_en"],
                        item.get("subject_zh", ""),
                        ", ".join(item.get("references") or []),
                        documents_cell(item),
                    ]
                )
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def docx_bytes(*, with_table: bool = True) -> bytes:
    """Annex 2: a table with a header row, a merged heading row per group, a row per item."""
    document = docx.Document()
    document.add_paragraph("Annex 2 – Draft agenda of VCC-2")
    if with_table:
        header = ["Item", "Subject", "References", "Resolutions/decisions", "Documents"]
        table = document.add_table(rows=1, cols=len(header))
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
        for group in AGENDA["groups"]:
            cells = table.add_row().cells
            merged = cells[0].merge(cells[-1])
            merged.text = f"Group {group['number']}: {group['title_en']}"
            for item in group["items"]:
                cells = table.add_row().cells
                cells[0].text = f"{group['number']}.{item['number']}"
                cells[1].text = item["subject_en"]
                cells[2].text = ", ".join(item.get("references") or [])
                cells[4].text = documents_cell(item)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
