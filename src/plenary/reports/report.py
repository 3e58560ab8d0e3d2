"""The report of the consultation (R26): who attended, what became of each agenda item and
who spoke for how long, as the Secretary-General submits it to the next physical session of
the Council.

The consultation is consultative only (R1): the report lists proposed conclusions and
deferrals, never decisions. Every text is in the requested language: fixed sentences through
gettext, dates through Babel, translated fields through modeltranslation; a proposed
conclusion that does not exist in that language is given in its original language, marked
as such. `report_context` is the single source of the HTML page, the Word document and its
PDF.
"""

import logging
import tempfile
from collections import defaultdict
from pathlib import Path

from babel.numbers import format_decimal
from django.conf import settings
from django.db.models import Count
from django.utils.html import escape
from django.utils.translation import gettext, ngettext, override
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from plenary.consultations.models import Consultation, Document
from plenary.consultations.queries import agenda_groups
from plenary.core import sandbox, timezones, translated
from plenary.core.docx import (
    AFTER_PPR_BIDI,
    add_table,
    document_symbol,
    docx_bytes,
    fill_cell,
    is_rtl,
    new_docx,
    set_widths,
)
from plenary.directory.models import Region
from plenary.floor.models import FloorRequest
from plenary.outcomes.models import ItemOutcome, Objection, ProposedConclusion
from plenary.registration.models import Delegation, Participant

from . import sections

logger = logging.getLogger(__name__)

State = ItemOutcome.State
PDF_TIMEOUT_SECONDS = 120
PDF_MEMORY_BYTES = 2048 * 1024 * 1024  # a long report with tables; a small one needs ~600 MB
PDF_FILE_BYTES = 500 * 1024 * 1024

# Word tables, portrait A4 with 20 mm margins (170 mm).
_COUNT_WIDTHS_MM = (90, 40, 40)
_ITEM_WIDTHS_MM = (20, 75, 75)
_DELEGATION_WIDTHS_MM = (55, 45, 35, 35)
_STATISTICS_WIDTHS_MM = (90, 40, 40)

# Bar charts (SVG user units).
CHART_WIDTH = 640
CHART_LABEL = 210
CHART_VALUE = 90
CHART_ROW = 26
CHART_BAR = 18
CHART_TOP = 34
CHART_LABEL_CHARS = 32


# --- attendance ------------------------------------------------------------------------------
def attendance(consultation: Consultation) -> dict:
    """Approved participants, and delegations with at least one, by category and by ITU
    region (A–E; Sector Members belong to no region), with the totals.

    {"total": {"delegations": n, "participants": n},
     "by_category": {"council": {"label", "delegations", "participants"}, ...},
     "by_region": {"A": {"label", "delegations", "participants"}, ...}}
    Every category and every region is present, with zeros where nobody attended."""
    by_category = {
        code: {"label": str(label), "delegations": 0, "participants": 0}
        for code, label in Delegation.Category.choices
    }
    by_region = {
        region.code: {"label": str(region), "delegations": 0, "participants": 0}
        for region in Region.objects.order_by("code")
    }
    total = {"delegations": 0, "participants": 0}
    per_delegation = (
        Participant.objects.filter(consultation=consultation, status=Participant.Status.APPROVED)
        .values("delegation_id", "delegation__category", "delegation__state__region__code")
        .annotate(participants=Count("id"))
        .order_by("delegation_id")
    )
    for row in per_delegation:
        counted = [total, by_category.get(row["delegation__category"])]
        counted.append(by_region.get(row["delegation__state__region__code"] or ""))
        for bucket in counted:
            if bucket is not None:
                bucket["delegations"] += 1
                bucket["participants"] += row["participants"]
    return {"total": total, "by_category": by_category, "by_region": by_region}


# --- speaking statistics -----------------------------------------------------------------------
def _duration(seconds: float) -> str:
    """12:05 or 1:02:05 (hours, minutes, seconds), the same in every language."""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


class _Tally:
    """Interventions and seconds, overall and by delegation, region and category."""

    def __init__(self):
        self.interventions = 0
        self.seconds = 0.0
        self.delegations: dict[int, dict] = {}
        self.regions: dict[str, dict] = {}
        self.categories: dict[str, dict] = {}

    @staticmethod
    def _add(bucket: dict, seconds: float) -> None:
        bucket["interventions"] += 1
        bucket["seconds"] += seconds

    def add(self, delegation: Delegation, seconds: float, labels: dict) -> None:
        self.interventions += 1
        self.seconds += seconds
        region = delegation.region
        entry = self.delegations.setdefault(
            delegation.pk,
            {
                "name": str(delegation),
                "category": delegation.category,
                "category_label": labels[delegation.category],
                "region": region.code if region else "",
                "interventions": 0,
                "seconds": 0.0,
            },
        )
        self._add(entry, seconds)
        if region is not None:
            entry = self.regions.setdefault(
                region.code,
                {"code": region.code, "label": str(region), "interventions": 0, "seconds": 0.0},
            )
            self._add(entry, seconds)
        entry = self.categories.setdefault(
            delegation.category,
            {
                "code": delegation.category,
                "label": labels[delegation.category],
                "interventions": 0,
                "seconds": 0.0,
            },
        )
        self._add(entry, seconds)

    @staticmethod
    def _rows(buckets: dict, name: str) -> list[dict]:
        rows = [
            {
                **bucket,
                "seconds": round(bucket["seconds"]),
                "duration": _duration(bucket["seconds"]),
            }
            for bucket in buckets.values()
        ]
        return sorted(rows, key=lambda row: (-row["seconds"], -row["interventions"], row[name]))

    def result(self) -> dict:
        return {
            "interventions": self.interventions,
            "seconds": round(self.seconds),
            "duration": _duration(self.seconds),
            "by_delegation": self._rows(self.delegations, "name"),
            "by_region": self._rows(self.regions, "code"),
            "by_category": self._rows(self.categories, "code"),
        }


def speaking_statistics(consultation: Consultation) -> dict:
    """Who spoke and for how long, from the finished speeches (status "done", both times
    known), names in the active language.

    {"interventions", "seconds", "duration", "by_delegation": [...], "by_region": [...],
     "by_category": [...], "items": [{"label", "subject", "interventions", "seconds",
     "duration", "by_delegation", "by_region", "by_category"}, ...]}
    Every list is sorted by speaking time, longest first (items then in agenda order).
    Sector Members have no region: they count in the totals and by category only."""
    labels = {code: str(label) for code, label in Delegation.Category.choices}
    speeches = (
        FloorRequest.objects.filter(
            floor__consultation=consultation,
            status=FloorRequest.Status.DONE,
            started_at__isnull=False,
            ended_at__isnull=False,
        )
        .select_related("item__group", "delegation__state__region", "delegation__sector_member")
        .order_by("started_at", "pk")
    )
    overall = _Tally()
    per_item: dict[int, tuple] = {}
    for speech in speeches:
        seconds = speech.seconds_spoken()
        overall.add(speech.delegation, seconds, labels)
        item = speech.item
        if item.pk not in per_item:
            per_item[item.pk] = (item, _Tally())
        per_item[item.pk][1].add(speech.delegation, seconds, labels)
    ordered = sorted(
        per_item.values(),
        key=lambda pair: (
            -round(pair[1].seconds),
            pair[0].group.number,
            pair[0].position,
            pair[0].number,
        ),
    )
    items = [
        {"label": item.label, "subject": item.subject, **tally.result()} for item, tally in ordered
    ]
    return {**overall.result(), "items": items}


def docx_outcome(document, entry: dict, labels: dict) -> None:
    """An item's outcome in a Word document (the report's and the journal's): its state
    (marked while not recorded), the reason, and the proposed conclusion with its note."""
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{labels['outcome']}: ").bold = True
    paragraph.add_run(entry["state_label"])
    if not entry["recorded"]:
        paragraph.add_run(f" ({labels['not_recorded']})").italic = True
    if entry["reason"]:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{labels['reason']}: ").bold = True
        paragraph.add_run(entry["reason"])
    conclusion = entry["conclusion"]
    if conclusion:
        document.add_paragraph().add_run(f"{labels['proposed_conclusion']}:").bold = True
        for line in conclusion["text"].splitlines() or [""]:
            document.add_paragraph(line, style="Quote")
        if conclusion["note"]:
            document.add_paragraph().add_run(conclusion["note"]).italic = True


# --- charts -------------------------------------------------------------------------------------
def _number(value: float) -> str:
    return format_decimal(value, format="#,##0.#", locale=timezones.babel_locale())


def _short(label: str) -> str:
    return label if len(label) <= CHART_LABEL_CHARS else label[: CHART_LABEL_CHARS - 1] + "…"


def bar_chart_svg(
    rows: list[tuple[str, float]], *, title: str, unit: str, rtl: bool = False
) -> str:
    """A horizontal bar chart as an SVG image (no JavaScript): one bar per (label, value),
    the longest bar the full span; every text escaped. Right to left, the texts read right
    to left, labels stand on the right and bars grow leftwards."""
    height = CHART_TOP + CHART_ROW * max(len(rows), 1) + 8
    span = CHART_WIDTH - CHART_LABEL - CHART_VALUE
    top = max((float(value) for _label, value in rows), default=0.0) or 1.0

    def x(left: float, width: float = 0.0) -> float:
        return CHART_WIDTH - left - width if rtl else left

    name = escape(title)
    # text-anchor "start" follows the direction: the left edge in LTR, the right one in RTL.
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{name}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="{CHART_WIDTH}" height="{height}" '
        f'style="max-width:100%;height:auto" class="report-chart" font-family="sans-serif" '
        f'font-size="12" direction="{"rtl" if rtl else "ltr"}" text-anchor="start">',
        f"<title>{name}</title>",
        f'<text x="{x(0):.0f}" y="18" font-size="14" font-weight="bold">{name}</text>',
    ]
    for row, (label, value) in enumerate(rows):
        y = CHART_TOP + row * CHART_ROW
        value = float(value)
        width = max(span * value / top, 1.0) if value > 0 else 0.0
        amount = escape(f"{_number(value)} {unit}".strip())
        parts.append(f"<g><title>{escape(label)}: {amount}</title>")
        parts.append(f'<text x="{x(0):.0f}" y="{y + 13}">{escape(_short(label))}</text>')
        parts.append(
            f'<rect x="{x(CHART_LABEL, width):.1f}" y="{y}" width="{width:.1f}" '
            f'height="{CHART_BAR}" fill="#0d6efd"/>'
        )
        parts.append(f'<text x="{x(CHART_LABEL + width + 6):.1f}" y="{y + 13}">{amount}</text>')
        parts.append("</g>")
    if not rows:
        parts.append(f'<text x="{x(CHART_LABEL):.0f}" y="{CHART_TOP + 13}">—</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- the report's content ------------------------------------------------------------------------
def _language_name(code: str) -> str:
    """The language's name in the active language (settings.LANGUAGES, translated)."""
    return str(dict(settings.LANGUAGES).get(code, code))


def _column(code: str) -> str:
    return translated.column("text", code)


def _conclusion(conclusion: ProposedConclusion | None, language: str) -> dict | None:
    """The text in the requested language if it exists; otherwise in its original language,
    with a line naming that language."""
    if conclusion is None:
        return None
    text = (getattr(conclusion, _column(language), "") or "").strip()
    if text:
        return {
            "text": text,
            "language": language,
            "is_original": language == conclusion.original,
            "note": "",
        }
    original = conclusion.original
    text = (getattr(conclusion, _column(original), "") or "").strip()
    return {
        "text": text,
        "language": original,
        "is_original": True,
        "note": gettext("In %(language)s, its original language.")
        % {"language": _language_name(original)},
    }


def _headings() -> dict:
    titles = [
        ("introduction", gettext("Introduction")),
        ("attendance", gettext("Attendance")),
        ("discussed", gettext("Items discussed")),
        ("deferred", gettext("Items deferred to the next physical session")),
        ("correspondence", gettext("Items proposed for decision by correspondence")),
        ("information", gettext("Items noted for information (Group 3)")),
        ("statistics", gettext("Speaking statistics")),
    ]
    return {key: f"{number}. {title}" for number, (key, title) in enumerate(titles, start=1)}


def _labels() -> dict:
    return {
        "category": gettext("Category"),
        "region": gettext("Region"),
        "delegation": gettext("Delegation"),
        "delegations": gettext("Delegations"),
        "participants": gettext("Participants"),
        "total": gettext("Total"),
        "interventions": gettext("Interventions"),
        "speaking_time": gettext("Speaking time"),
        "item": gettext("Item"),
        "subject": gettext("Subject"),
        "documents": gettext("Documents"),
        "contributions": gettext("Contributions"),
        "outcome": gettext("Outcome"),
        "proposed_conclusion": gettext("Proposed conclusion"),
        "reason": gettext("Reason"),
        "not_recorded": gettext("Outcome not yet recorded"),
        "pending_note": gettext("Documents in square brackets are not yet available."),
        "attendance_note": gettext(
            "Approved participants, and delegations with at least one approved participant."
        ),
        "region_note": gettext("Sector Members belong to no ITU region."),
        "by_category": gettext("By category"),
        "by_region": gettext("By region"),
        "by_delegation": gettext("By delegation"),
        "by_item": gettext("By agenda item"),
        "time_note": gettext("Speaking times are in hours, minutes and seconds."),
        "chart_note": gettext(
            "The charts are in the HTML version of this report; their figures are in the tables of this section."
        ),
        "no_discussed": gettext("No item was discussed."),
        "no_deferred": gettext("No item was deferred."),
        "no_correspondence": gettext("No item is proposed for decision by correspondence."),
        "no_information": gettext("No item is for information."),
        "no_speech": gettext("No speech was recorded."),
        "objections": gettext("Objections and requests for deferral"),
        "withdrawn": gettext("withdrawn"),
    }


def _cover(consultation: Consultation, language: str) -> dict:
    return {
        "body": consultation.body,
        "title": consultation.title,
        "acronym": consultation.acronym,
        "heading": gettext("Report of the Chair of the %(title)s (%(acronym)s)")
        % {"title": consultation.title, "acronym": consultation.acronym},
        "submitted": gettext(
            "Submitted by the Secretary-General to the next session of the Council"
        ),
        "dates": timezones.format_day_range(consultation.starts_on, consultation.ends_on, language),
    }


def _introduction(consultation: Consultation, language: str) -> dict:
    paragraphs = [
        gettext(
            "The %(title)s (%(acronym)s) was held online from %(first)s to %(last)s, in accordance with %(legal_basis)s."
        )
        % {
            "title": consultation.title,
            "acronym": consultation.acronym,
            "first": timezones.format_day(consultation.starts_on, language, "long"),
            "last": timezones.format_day(consultation.ends_on, language, "long"),
            "legal_basis": consultation.legal_basis,
        }
    ]
    if consultation.letter_reference and consultation.letter_date:
        paragraphs.append(
            gettext("It was convened by letter %(reference)s of %(date)s.")
            % {
                "reference": consultation.letter_reference,
                "date": timezones.format_day(consultation.letter_date, language, "long"),
            }
        )
    start, end = consultation.window_on(consultation.starts_on)
    paragraphs.append(
        gettext("The meetings were held from %(start)s to %(end)s, %(zone)s.")
        % {
            "start": timezones.format_clock(start, consultation.time_zone, language),
            "end": timezones.format_clock(end, consultation.time_zone, language),
            "zone": consultation.time_zone_label,
        }
    )
    if consultation.presiding_officer:
        if consultation.presiding_officer_title:
            chaired = gettext("The consultation was chaired by %(name)s, %(title)s.") % {
                "name": consultation.presiding_officer,
                "title": consultation.presiding_officer_title,
            }
        else:
            chaired = gettext("The consultation was chaired by %(name)s.") % {
                "name": consultation.presiding_officer
            }
        paragraphs.append(chaired)
    nature = gettext(
        "The consultation is consultative and non-decision-making: its outputs are proposed conclusions only."
    )
    closing = [
        gettext(
            "An item discussed ends with a proposed conclusion agreed by the consultation, with its deferral to the next physical session of the Council, or with a proposal for decision by correspondence."
        ),
        gettext(
            "This report is submitted by the Secretary-General to the next session of the Council."
        ),
    ]
    return {"paragraphs": paragraphs, "nature": nature, "closing": closing}


def _documents(item) -> tuple[list[str], list[str]]:
    documents = [link.document for link in getattr(item, "document_links", [])]
    council = [document_symbol(d) for d in documents if d.kind != Document.Kind.CONTRIBUTION]
    contributions = [document_symbol(d) for d in documents if d.kind == Document.Kind.CONTRIBUTION]
    return council, contributions


def _outcome_reads(consultation: Consultation) -> tuple[dict, dict, dict]:
    """By item: its outcome, its proposed conclusion, and the Council Member States whose
    objection (not withdrawn) asks for its deferral, each named once."""
    outcomes = {
        outcome.item_id: outcome
        for outcome in ItemOutcome.objects.filter(item__group__consultation=consultation)
    }
    conclusions = {
        conclusion.item_id: conclusion
        for conclusion in ProposedConclusion.objects.filter(item__group__consultation=consultation)
    }
    requesters: dict[int, list[str]] = defaultdict(list)
    for objection in Objection.objects.filter(
        item__group__consultation=consultation,
        withdrawn_at__isnull=True,
        delegation__category=Delegation.Category.COUNCIL,
    ).select_related("delegation__state", "delegation__sector_member"):
        name = str(objection.delegation)
        if name not in requesters[objection.item_id]:
            requesters[objection.item_id].append(name)
    return outcomes, conclusions, requesters


def _objections_by_item(consultation: Consultation) -> dict[int, list[dict]]:
    """By item, the objections and requests for deferral by delegation (delegations in the
    order of their names): each request with who entered it, withdrawn ones marked.

    {item_id: [{"delegation", "category", "requests": [{"kind", "entered_by",
     "withdrawn"}, ...]}, ...]}"""
    by_item: dict[int, dict[int, dict]] = defaultdict(dict)
    for objection in Objection.objects.filter(
        item__group__consultation=consultation
    ).select_related("delegation__state", "delegation__sector_member"):
        row = by_item[objection.item_id].setdefault(
            objection.delegation_id,
            {
                "delegation": str(objection.delegation),
                "category": objection.delegation.get_category_display(),
                "requests": [],
            },
        )
        row["requests"].append(
            {
                "kind": str(objection.get_kind_display()),
                "entered_by": str(objection.get_entered_by_display()),
                "withdrawn": objection.withdrawn_at is not None,
            }
        )
    return {
        item_id: sorted(rows.values(), key=lambda row: row["delegation"])
        for item_id, rows in by_item.items()
    }


def _item_entry(item) -> dict:
    documents, contributions = _documents(item)
    return {
        "label": item.label,
        "subject": item.subject,
        "documents": documents,
        "contributions": contributions,
    }


def _discussed_entry(
    item, outcome: ItemOutcome | None, conclusion, asked: list[str], language: str
) -> dict:
    """An item discussed: its outcome, and either its proposed conclusion or, deferred,
    who asked for the deferral (or the reason recorded)."""
    state = outcome.state if outcome else State.NOT_DISCUSSED
    deferred = state == State.DEFERRED
    reason = ""
    if deferred:
        reason = (
            gettext("At the request of: %(who)s") % {"who": ", ".join(asked)}
            if asked
            else (outcome.reason or "")
        )
    return {
        **_item_entry(item),
        "state": str(state),
        "state_label": str(State(state).label),
        "recorded": bool(outcome and outcome.recorded),
        "conclusion": None if deferred else _conclusion(conclusion, language),
        "reason": reason,
        "requested_by": asked if deferred else [],
    }


def _items(consultation: Consultation, language: str) -> dict:
    """The agenda items of sections 3 to 6, placed by sections.sort_items; an item listed
    in two sections is one entry."""
    outcomes, conclusions, requesters = _outcome_reads(consultation)
    objections = _objections_by_item(consultation)
    placed = sections.sort_items(
        (
            group,
            group.kind,
            [(item, getattr(outcomes.get(item.pk), "state", None)) for item in group.ordered_items],
        )
        for group in agenda_groups(consultation)
    )
    entries = {
        item.pk: {
            **_discussed_entry(
                item,
                outcomes.get(item.pk),
                conclusions.get(item.pk),
                requesters.get(item.pk, []),
                language,
            ),
            "objections": objections.get(item.pk, []),
        }
        for _group, items in placed.discussed
        for item in items
    }
    return {
        "discussed": [
            {
                "number": group.number,
                "title": gettext("Group %(number)s: %(title)s")
                % {"number": group.number, "title": group.title},
                "items": [entries[item.pk] for item in items],
            }
            for group, items in placed.discussed
        ],
        "deferred": [entries[item.pk] for item in placed.deferred],
        "correspondence": [entries[item.pk] for item in placed.correspondence],
        "information": [_item_entry(item) for item in placed.information],
    }


def _charts(statistics: dict, rtl: bool) -> dict:
    """Speaking time by region and by category as bar charts, once anybody spoke."""
    if not statistics["interventions"]:
        return {"by_region": "", "by_category": ""}
    # Translators: abbreviation of "minutes", after a number in the report's charts.
    unit = gettext("min")
    return {
        "by_region": bar_chart_svg(
            [(r["label"], round(r["seconds"] / 60, 1)) for r in statistics["by_region"]],
            title=gettext("Speaking time by region (minutes)"),
            unit=unit,
            rtl=rtl,
        ),
        "by_category": bar_chart_svg(
            [(r["label"], round(r["seconds"] / 60, 1)) for r in statistics["by_category"]],
            title=gettext("Speaking time by category (minutes)"),
            unit=unit,
            rtl=rtl,
        ),
    }


def _statistics_summary(statistics: dict) -> str:
    return ngettext(
        "%(count)s intervention, %(duration)s of speaking time in total.",
        "%(count)s interventions, %(duration)s of speaking time in total.",
        statistics["interventions"],
    ) % {"count": statistics["interventions"], "duration": statistics["duration"]}


def report_context(consultation: Consultation, language: str) -> dict:
    """Everything the report shows, every text in `language` (plain strings, so that the
    page may be rendered under any active language)."""
    with override(language):
        statistics = speaking_statistics(consultation)
        rtl = is_rtl(language)
        return {
            "consultation": consultation,
            "language": language,
            "rtl": rtl,
            "cover": _cover(consultation, language),
            "headings": _headings(),
            "labels": _labels(),
            "introduction": _introduction(consultation, language),
            "attendance": attendance(consultation),
            **_items(consultation, language),
            "statistics": statistics,
            "statistics_summary": _statistics_summary(statistics),
            "charts": _charts(statistics, rtl),
        }


# --- Word ------------------------------------------------------------------------------------------
def _lines(*groups: list[str]) -> list[str]:
    return [line for group in groups for line in group]


def _page_footer(document, text: str, rtl: bool) -> None:
    """The acronym and title at the foot of every page, then the page number."""
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{text} — ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    number = OxmlElement("w:t")
    number.text = "1"
    run.append(number)
    field.append(run)
    paragraph._p.append(field)
    if rtl:
        properties = paragraph._p.get_or_add_pPr()
        properties.insert_element_before(OxmlElement("w:bidi"), *AFTER_PPR_BIDI)


def _count_table(document, first: str, rows: list[tuple[str, int, int]], labels: dict) -> None:
    table = add_table(document, [first, labels["delegations"], labels["participants"]])
    for label, delegations, participants in rows:
        cells = table.add_row().cells
        fill_cell(cells[0], [label])
        fill_cell(cells[1], [str(delegations)])
        fill_cell(cells[2], [str(participants)])
    set_widths(table, _COUNT_WIDTHS_MM)


def _statistics_table(document, first: str, rows: list[dict], key: str, labels: dict) -> None:
    table = add_table(document, [first, labels["interventions"], labels["speaking_time"]])
    for row in rows:
        cells = table.add_row().cells
        fill_cell(cells[0], [row[key]])
        fill_cell(cells[1], [str(row["interventions"])])
        fill_cell(cells[2], [row["duration"]])
    set_widths(table, _STATISTICS_WIDTHS_MM)


def _delegation_table(document, rows: list[dict], labels: dict) -> None:
    table = add_table(
        document,
        [
            labels["delegation"],
            labels["category"],
            labels["interventions"],
            labels["speaking_time"],
        ],
    )
    for row in rows:
        cells = table.add_row().cells
        fill_cell(cells[0], [row["name"]])
        fill_cell(cells[1], [row["category_label"]])
        fill_cell(cells[2], [str(row["interventions"])])
        fill_cell(cells[3], [row["duration"]])
    set_widths(table, _DELEGATION_WIDTHS_MM)


def _item_table(document, columns: list[str], rows: list[list[list[str]]]) -> None:
    table = add_table(document, columns)
    for row in rows:
        cells = table.add_row().cells
        for cell, lines in zip(cells, row, strict=True):
            fill_cell(cell, lines)
    set_widths(table, _ITEM_WIDTHS_MM)


def _add_item(document, entry: dict, labels: dict) -> None:
    document.add_heading(f"{entry['label']} {entry['subject']}", level=3)
    if entry["documents"]:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{labels['documents']}: ").bold = True
        paragraph.add_run(", ".join(entry["documents"]))
    if entry["contributions"]:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{labels['contributions']}: ").bold = True
        paragraph.add_run(", ".join(entry["contributions"]))
    docx_outcome(document, entry, labels)
    if entry.get("objections"):
        document.add_paragraph().add_run(f"{labels['objections']}:").bold = True
        for row in entry["objections"]:
            requests = "; ".join(
                f"{r['kind']} — {r['entered_by']}"
                + (f" ({labels['withdrawn']})" if r["withdrawn"] else "")
                for r in row["requests"]
            )
            document.add_paragraph(
                f"{row['delegation']} ({row['category']}): {requests}", style="List Bullet"
            )


def _docx_cover(document, cover: dict) -> None:
    body = document.add_paragraph()
    body.alignment = WD_ALIGN_PARAGRAPH.CENTER
    body.add_run(cover["body"]).bold = True
    title = document.add_heading(cover["heading"], level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    submitted = document.add_paragraph(cover["submitted"], style="Subtitle")
    submitted.alignment = WD_ALIGN_PARAGRAPH.CENTER
    dates = document.add_paragraph(cover["dates"])
    dates.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_page_break()


def _docx_introduction(document, report: dict) -> None:
    document.add_heading(report["headings"]["introduction"], level=1)
    introduction = report["introduction"]
    for text in introduction["paragraphs"]:
        document.add_paragraph(text)
    document.add_paragraph().add_run(introduction["nature"]).bold = True
    for text in introduction["closing"]:
        document.add_paragraph(text)


def _docx_attendance(document, report: dict) -> None:
    labels = report["labels"]
    document.add_heading(report["headings"]["attendance"], level=1)
    document.add_paragraph(labels["attendance_note"])
    counts = report["attendance"]
    total = counts["total"]
    document.add_heading(labels["by_category"], level=2)
    _count_table(
        document,
        labels["category"],
        [
            (row["label"], row["delegations"], row["participants"])
            for row in counts["by_category"].values()
        ]
        + [(labels["total"], total["delegations"], total["participants"])],
        labels,
    )
    document.add_heading(labels["by_region"], level=2)
    _count_table(
        document,
        labels["region"],
        [
            (row["label"], row["delegations"], row["participants"])
            for row in counts["by_region"].values()
        ],
        labels,
    )
    document.add_paragraph(labels["region_note"]).runs[0].italic = True


def _docx_discussed(document, report: dict) -> None:
    labels = report["labels"]
    document.add_heading(report["headings"]["discussed"], level=1)
    document.add_paragraph(labels["pending_note"]).runs[0].italic = True
    if not report["discussed"]:
        document.add_paragraph(labels["no_discussed"])
    for group in report["discussed"]:
        document.add_heading(group["title"], level=2)
        for entry in group["items"]:
            _add_item(document, entry, labels)


def _docx_item_lists(document, report: dict) -> None:
    """Sections 4 to 6: the items deferred, proposed for decision by correspondence, and
    for information, each as a table (or a line saying there are none)."""
    labels, headings = report["labels"], report["headings"]
    sections = [
        ("deferred", "reason", lambda e: [e["reason"]]),
        ("correspondence", "proposed_conclusion", _conclusion_lines),
        ("information", "documents", lambda e: _lines(e["documents"], e["contributions"])),
    ]
    for section, third_column, third_cell in sections:
        document.add_heading(headings[section], level=1)
        entries = report[section]
        if not entries:
            document.add_paragraph(labels[f"no_{section}"])
            continue
        _item_table(
            document,
            [labels["item"], labels["subject"], labels[third_column]],
            [[[e["label"]], [e["subject"]], third_cell(e)] for e in entries],
        )


def _conclusion_lines(entry: dict) -> list[str]:
    conclusion = entry["conclusion"]
    if not conclusion:
        return []
    return _lines([conclusion["text"]], [conclusion["note"]] if conclusion["note"] else [])


def _docx_statistics(document, report: dict) -> None:
    labels = report["labels"]
    document.add_heading(report["headings"]["statistics"], level=1)
    statistics = report["statistics"]
    if not statistics["interventions"]:
        document.add_paragraph(labels["no_speech"])
        return
    document.add_paragraph(report["statistics_summary"])
    document.add_paragraph(labels["time_note"]).runs[0].italic = True
    document.add_heading(labels["by_category"], level=2)
    _statistics_table(document, labels["category"], statistics["by_category"], "label", labels)
    document.add_heading(labels["by_region"], level=2)
    _statistics_table(document, labels["region"], statistics["by_region"], "label", labels)
    document.add_paragraph(labels["region_note"]).runs[0].italic = True
    document.add_heading(labels["by_delegation"], level=2)
    _delegation_table(document, statistics["by_delegation"], labels)
    document.add_heading(labels["by_item"], level=2)
    _statistics_table(
        document,
        labels["item"],
        [{**row, "item": f"{row['label']} {row['subject']}"} for row in statistics["items"]],
        "item",
        labels,
    )
    document.add_paragraph(labels["chart_note"]).runs[0].italic = True


def report_docx(consultation: Consultation, language: str) -> bytes:
    """The report as a Word document: a cover page, then numbered sections with tables for
    the attendance and the statistics; right to left in Arabic. The charts are not drawn:
    their figures are in the tables (a note says so)."""
    report = report_context(consultation, language)
    cover = report["cover"]
    with override(language):
        document = new_docx(landscape=False)
        document.core_properties.author = cover["body"]
        document.core_properties.subject = cover["acronym"]
        _page_footer(document, f"{cover['acronym']} — {gettext('Report')}", report["rtl"])
        _docx_cover(document, cover)
        _docx_introduction(document, report)  # 1
        _docx_attendance(document, report)  # 2
        _docx_discussed(document, report)  # 3
        _docx_item_lists(document, report)  # 4 to 6
        _docx_statistics(document, report)  # 7
        return docx_bytes(document, language, cover["heading"])


# --- PDF -----------------------------------------------------------------------------------------
def report_pdf(consultation: Consultation, language: str) -> bytes | None:
    """The Word report converted to PDF (`docx_to_pdf`); None when it cannot be."""
    if not sandbox.soffice():
        return None
    return docx_to_pdf(report_docx(consultation, language), "report")


def docx_to_pdf(data: bytes, name: str) -> bytes | None:
    """A Word document of ours (the report, the daily journal) converted by LibreOffice,
    with a throw-away profile, in the box of core.sandbox (no network, limited memory and
    time, killed whole when it overruns) and through the same render slots as the uploads;
    None when LibreOffice is not installed, every slot stays busy, or the conversion fails
    (logged). The document is our own, so where no box works it is converted outside one,
    with a warning, rather than not at all."""
    if not sandbox.soffice():
        return None
    boxed = sandbox.mechanism() is not None
    if not boxed:
        logger.warning("No sandbox (bwrap or unshare) works: the %s is converted unboxed.", name)
    limits = sandbox.Limits(
        memory_bytes=PDF_MEMORY_BYTES,
        cpu_seconds=PDF_TIMEOUT_SECONDS,
        file_bytes=PDF_FILE_BYTES,
        wall_seconds=PDF_TIMEOUT_SECONDS,
    )
    with tempfile.TemporaryDirectory(prefix=f"plenary-{name}-") as folder:
        source = Path(folder) / f"{name}.docx"
        source.write_bytes(data)
        try:
            with sandbox.slot(PDF_TIMEOUT_SECONDS):
                target = sandbox.convert_to_pdf(source, limits=limits, boxed=boxed)
        except sandbox.TimedOut:
            logger.error(
                "LibreOffice did not convert the %s within %s s", name, PDF_TIMEOUT_SECONDS
            )
            return None
        except (sandbox.Busy, sandbox.Unavailable, OSError) as error:
            logger.error("LibreOffice could not convert the %s: %s", name, error)
            return None
        if target is None:
            logger.error("LibreOffice could not convert the %s (see the warning above)", name)
            return None
        return target.read_bytes()


__all__ = [
    "attendance",
    "bar_chart_svg",
    "docx_to_pdf",
    "report_context",
    "report_docx",
    "report_pdf",
    "speaking_statistics",
]
