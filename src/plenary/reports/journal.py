"""The daily journal of the consultation: for one meeting day (on the consultation's clock,
Geneva for VCC-2), the meetings held, the agenda items taken in the order they were taken,
the speakers on each in the order they spoke with the time each used, and what became of
the item. `journal_context` is the single source of the page, the Word document and its
PDF; every text of its frame is in the requested language (gettext), dates and times
through Babel, subjects and conclusions through modeltranslation.

The time a speech used comes from `durations`, and only from there: today the span from
its start to its end; once interruptions (points of order) are recorded, the floor's own
speaking totals replace it in that one function.
"""

import datetime

from django.utils.translation import gettext, override
from docx.enum.text import WD_ALIGN_PARAGRAPH

from plenary.consultations.models import AgendaItem, Consultation
from plenary.core import timezones
from plenary.core.docx import add_table, docx_bytes, fill_cell, is_rtl, new_docx, set_widths
from plenary.floor.models import FloorRequest
from plenary.outcomes.models import ItemOutcome, ProposedConclusion
from plenary.planning.models import Meeting

from . import report

State = ItemOutcome.State
SHOWN_STATUSES = (FloorRequest.Status.DONE, FloorRequest.Status.SPEAKING)
# Word table, portrait A4 with 20 mm margins (170 mm): no., delegation, started, time used.
_SPEAKER_WIDTHS_MM = (12, 88, 35, 35)


# --- the time each speech used -------------------------------------------------------------------
def durations(speeches: list[FloorRequest]) -> dict[int, float | None]:
    """Seconds used by each speech, by its key (the floor's own count: a point of order that
    interrupted it is not counted); None while it is still going on."""
    return {
        speech.pk: speech.seconds_spoken() if speech.ended_at is not None else None
        for speech in speeches
    }


# --- which days -------------------------------------------------------------------------------------
def _bounds(consultation: Consultation, day: datetime.date) -> tuple:
    """The first instant of the day and of the next one, on the consultation's clock."""
    zone = consultation.time_zone
    return (
        timezones.at(day, datetime.time(0), zone),
        timezones.at(day + datetime.timedelta(days=1), datetime.time(0), zone),
    )


def _local_day(moment: datetime.datetime, consultation: Consultation) -> datetime.date:
    return moment.astimezone(timezones.zone(consultation.time_zone)).date()


def journal_days(consultation: Consultation) -> list[datetime.date]:
    """The meeting days, on the consultation's clock: the days of its meetings (not the
    rehearsal) and any day someone spoke, in order."""
    days = {
        _local_day(start, consultation)
        for start in Meeting.objects.filter(
            consultation=consultation, kind=Meeting.Kind.MEETING
        ).values_list("starts_at", flat=True)
    }
    days |= {
        _local_day(start, consultation)
        for start in FloorRequest.objects.filter(
            floor__consultation=consultation,
            status__in=SHOWN_STATUSES,
            started_at__isnull=False,
        ).values_list("started_at", flat=True)
    }
    return sorted(days)


# --- the journal of a day -------------------------------------------------------------------------
def _labels() -> dict:
    return {
        "meetings": gettext("Meetings"),
        "items": gettext("Items taken"),
        "number": gettext("No."),
        "delegation": gettext("Delegation"),
        "started": gettext("Started"),
        "time_used": gettext("Time used"),
        "outcome": gettext("Outcome"),
        "proposed_conclusion": gettext("Proposed conclusion"),
        "reason": gettext("Reason"),
        "point_of_order": gettext("Point of order"),
        "speaking_now": gettext("still speaking"),
        "not_recorded": gettext("Outcome not yet recorded"),
        "no_speakers": gettext("Nobody took the floor on this item."),
        "no_items": gettext("No agenda item was taken up on this day."),
        "no_meeting": gettext("No meeting of the consultation was held on this day."),
        "time_note": gettext(
            "Times are those of the consultation's clock; the time used is in minutes and seconds."
        ),
        "total": gettext("Total speaking time on the item"),
        "previous": gettext("Previous day"),
        "next": gettext("Next day"),
        "days": gettext("Meeting days"),
        "word": gettext("Word"),
        "pdf": gettext("PDF"),
        "language": gettext("Language of the journal"),
        "show": gettext("Show"),
    }


def _meeting_line(meeting: Meeting, consultation: Consultation, language: str) -> str:
    zone = consultation.time_zone
    return gettext("Meeting %(number)s, %(start)s–%(end)s (%(zone)s, %(offset)s)") % {
        "number": meeting.number,
        "start": timezones.format_clock(meeting.starts_at, zone, language),
        "end": timezones.format_clock(meeting.ends_at, zone, language),
        "zone": consultation.time_zone_label,
        "offset": timezones.utc_offset_label(meeting.starts_at, zone),
    }


def _speaker_rows(speeches: list[FloorRequest], consultation, language, labels) -> list[dict]:
    used = durations(speeches)
    rows = []
    for n, speech in enumerate(speeches, start=1):
        seconds = used[speech.pk]
        rows.append(
            {
                "n": n,
                "delegation": str(speech.delegation),
                "point_of_order": speech.kind == FloorRequest.Kind.POINT_OF_ORDER,
                "started": timezones.format_clock(
                    speech.started_at, consultation.time_zone, language
                ),
                "seconds": None if seconds is None else round(seconds),
                "time_used": labels["speaking_now"]
                if seconds is None
                else report._duration(seconds),
            }
        )
    return rows


def _outcome(item: AgendaItem, language: str) -> dict:
    outcome = ItemOutcome.objects.filter(item=item).first()
    state = outcome.state if outcome else State.NOT_DISCUSSED
    conclusion = ProposedConclusion.objects.filter(item=item).first()
    return {
        "state": state,
        "state_label": str(State(state).label),
        "recorded": bool(outcome and outcome.recorded),
        "reason": outcome.reason if outcome else "",
        "conclusion": report._conclusion(conclusion, language)
        if conclusion is not None and (conclusion.shown or state in ItemOutcome.FINAL)
        else None,
    }


def journal_context(consultation: Consultation, day: datetime.date, language: str) -> dict:
    """Everything the journal of `day` shows, every text in `language`. A day without a
    meeting or a speech gives `held` False and empty lists (the page says so)."""
    with override(language):
        labels = _labels()
        start, end = _bounds(consultation, day)
        meetings = list(
            Meeting.objects.filter(
                consultation=consultation,
                kind=Meeting.Kind.MEETING,
                starts_at__lt=end,
                ends_at__gt=start,
            ).order_by("starts_at")
        )
        speeches = list(
            FloorRequest.objects.filter(
                floor__consultation=consultation,
                status__in=SHOWN_STATUSES,
                started_at__gte=start,
                started_at__lt=end,
            )
            .select_related("item__group", "delegation__state", "delegation__sector_member")
            .order_by("started_at", "pk")
        )
        # Items in the order they were first taken up that day: by their first speech, then
        # those whose outcome was settled that day without anybody speaking.
        order: dict[int, AgendaItem] = {}
        per_item: dict[int, list] = {}
        for speech in speeches:
            order.setdefault(speech.item_id, speech.item)
            per_item.setdefault(speech.item_id, []).append(speech)
        # An outcome changed on a day without a meeting or a speech (a correction made
        # afterwards) does not make that day a meeting day.
        settled = ItemOutcome.objects.none()
        if meetings or speeches:
            settled = (
                ItemOutcome.objects.filter(
                    item__group__consultation=consultation,
                    changed_at__gte=start,
                    changed_at__lt=end,
                )
                .exclude(state=State.NOT_DISCUSSED)
                .select_related("item__group")
                .order_by("item__group__number", "item__position", "item__number")
            )
        for outcome in settled:
            order.setdefault(outcome.item_id, outcome.item)
        items = []
        for item in order.values():
            rows = _speaker_rows(per_item.get(item.pk, []), consultation, language, labels)
            total = sum(row["seconds"] or 0 for row in rows)
            items.append(
                {
                    "id": item.pk,
                    "label": item.label,
                    "subject": item.subject,
                    "speakers": rows,
                    "total": report._duration(total) if rows else "",
                    **_outcome(item, language),
                }
            )
        return {
            "consultation": consultation,
            "language": language,
            "rtl": is_rtl(language),
            "day": day,
            "held": bool(meetings or items),
            "title": gettext("Journal of the %(acronym)s, %(day)s")
            % {
                "acronym": consultation.acronym,
                "day": timezones.format_day(day, language, "full"),
            },
            "body": consultation.body,
            "meetings": [_meeting_line(m, consultation, language) for m in meetings],
            "items": items,
            "labels": labels,
        }


# --- Word and PDF -----------------------------------------------------------------------------------
def journal_docx(consultation: Consultation, day: datetime.date, language: str) -> bytes:
    """The journal of the day as a Word document: a heading, the meetings, then each item
    with its table of speakers and its outcome; right to left in Arabic."""
    journal = journal_context(consultation, day, language)
    labels = journal["labels"]
    with override(language):
        document = new_docx(landscape=False)
        document.core_properties.author = journal["body"]
        document.core_properties.subject = consultation.acronym
        body = document.add_paragraph()
        body.alignment = WD_ALIGN_PARAGRAPH.CENTER
        body.add_run(journal["body"]).bold = True
        document.add_heading(journal["title"], level=0)
        if not journal["held"]:
            document.add_paragraph(labels["no_meeting"])
            return docx_bytes(document, language, journal["title"])
        if journal["meetings"]:
            document.add_heading(labels["meetings"], level=1)
            for line in journal["meetings"]:
                document.add_paragraph(line, style="List Bullet")
        document.add_heading(labels["items"], level=1)
        document.add_paragraph(labels["time_note"]).runs[0].italic = True
        if not journal["items"]:
            document.add_paragraph(labels["no_items"])
        for entry in journal["items"]:
            _docx_item(document, entry, labels)
        return docx_bytes(document, language, journal["title"])


def _docx_item(document, entry: dict, labels: dict) -> None:
    document.add_heading(f"{entry['label']} {entry['subject']}", level=2)
    if entry["speakers"]:
        table = add_table(
            document,
            [labels["number"], labels["delegation"], labels["started"], labels["time_used"]],
        )
        for row in entry["speakers"]:
            cells = table.add_row().cells
            name = row["delegation"]
            if row["point_of_order"]:
                name = f"{name} ({labels['point_of_order']})"
            fill_cell(cells[0], [str(row["n"])])
            fill_cell(cells[1], [name])
            fill_cell(cells[2], [row["started"]])
            fill_cell(cells[3], [row["time_used"]])
        set_widths(table, _SPEAKER_WIDTHS_MM)
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{labels['total']}: ").bold = True
        paragraph.add_run(entry["total"])
    else:
        document.add_paragraph(labels["no_speakers"])
    report.docx_outcome(document, entry, labels)


def journal_pdf(consultation: Consultation, day: datetime.date, language: str) -> bytes | None:
    """The Word journal converted by LibreOffice as the report is; None when it cannot be."""
    return report.docx_to_pdf(journal_docx(consultation, day, language), "journal")


__all__ = [
    "durations",
    "journal_context",
    "journal_days",
    "journal_docx",
    "journal_pdf",
]
