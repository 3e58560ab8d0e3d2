"""The time management plan, the agenda and the meetings as files to download (R5, R8, R14,
R24): Word and Excel for the delegations' own notes, iCalendar for their calendars.

Pure functions: each reads the database and returns the file's bytes, every text in the
requested language (fixed texts through gettext, dates through Babel's CLDR patterns,
translated fields through modeltranslation with the English fallback). Arabic files read
right to left.
"""

import io
import re
from datetime import datetime

from django.utils.translation import gettext, ngettext, override
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from plenary.consultations.models import Consultation, Document
from plenary.consultations.queries import agenda_groups
from plenary.core import timezones
from plenary.core.docx import (
    add_table,
    document_symbol,
    docx_bytes,
    fill_cell,
    is_rtl,
    new_docx,
    set_widths,
)
from plenary.directory.models import State

from .models import ItemReply, Meeting, PlanVersion
from .queries import plan_days, unscheduled_items
from .reasons import reason_text

UTC = timezones.UTC

# Plan table column widths in millimetres, landscape A4 with 20 mm margins (257 mm).
_PLAN_WIDTHS_MM = (22, 80, 30, 40, 35, 50)
# Agenda table, portrait A4 with 20 mm margins (170 mm).
_AGENDA_WIDTHS_MM = (15, 95, 25, 35)


# --- texts shared by the files --------------------------------------------------------------
def plan_columns() -> list[str]:
    """The Council's usual columns of a time management plan, in their order."""
    return [
        gettext("Agenda item"),
        gettext("Title"),
        gettext("Document"),
        gettext("Related information"),
        gettext("Summary record"),
        gettext("Res./Dec."),
    ]


def agenda_columns() -> list[str]:
    return [gettext("Item"), gettext("Subject"), gettext("Reference"), gettext("Documents")]


def unscheduled_reason(code: str) -> str:
    """The planner's reason code as a sentence."""
    return reason_text(code)


def _duration(minutes: int) -> str:
    return ngettext("%(minutes)s minute", "%(minutes)s minutes", minutes) % {"minutes": minutes}


def _council_documents(documents) -> list[str]:
    return [document_symbol(d) for d in documents if d.kind != Document.Kind.CONTRIBUTION]


def _related_information(item, documents) -> list[str]:
    contributions = [document_symbol(d) for d in documents if d.kind == Document.Kind.CONTRIBUTION]
    return contributions + [str(reference) for reference in (item.references if item else [])]


def _clock_range(consultation: Consultation, start: datetime, end: datetime, language) -> str:
    zone = consultation.time_zone
    return (
        f"{timezones.format_clock(start, zone, language)}"
        f"–{timezones.format_clock(end, zone, language)}"
    )


def _heading_title(consultation: Consultation) -> str:
    return f"{consultation.title} ({consultation.acronym})"


def _day_heading(consultation: Consultation, day: dict, language: str) -> str:
    return gettext("Day %(number)s — %(date)s, %(start)s–%(end)s %(zone)s") % {
        "number": day["number"],
        "date": timezones.format_day(day["date"], language),
        "start": timezones.format_clock(day["start"], consultation.time_zone, language),
        "end": timezones.format_clock(day["end"], consultation.time_zone, language),
        "zone": consultation.time_zone_label,
    }


def _day_label(day: dict, language: str) -> str:
    return gettext("Day %(number)s — %(date)s") % {
        "number": day["number"],
        "date": timezones.format_day(day["date"], language),
    }


def _published(consultation: Consultation, version: PlanVersion, language: str) -> str:
    return gettext("Version %(number)s, published on %(date)s %(zone)s") % {
        "number": version.number,
        "date": timezones.format_moment(version.published_at, consultation.time_zone, language),
        "zone": consultation.time_zone_label,
    }


def _slot_rows(consultation: Consultation, version: PlanVersion | None, language: str):
    """Per meeting day, its slots as the plan's cells: (day, [cells, ...])."""
    for day in plan_days(consultation, version):
        rows = []
        for slot in day["slots"]:
            item = slot["item_obj"]
            documents = getattr(item, "plan_documents", []) if item else []
            rows.append(
                {
                    "label": item.label if item else slot["label"],
                    "time": _clock_range(consultation, slot["start_at"], slot["end_at"], language),
                    "done": bool(slot.get("done")),
                    "subject": item.subject if item else "",
                    "documents": _council_documents(documents),
                    "related": _related_information(item, documents),
                    "instruments": (item.instruments or "") if item else "",
                }
            )
        yield day, rows


def _unscheduled_rows(consultation: Consultation, version: PlanVersion | None) -> list[dict]:
    return [
        {
            "label": entry["item_obj"].label if entry["item_obj"] else entry.get("label", ""),
            "subject": entry["item_obj"].subject if entry["item_obj"] else "",
            "minutes": entry.get("minutes") or 0,
            "reason": unscheduled_reason(entry.get("reason", "")),
        }
        for entry in unscheduled_items(consultation, version)
    ]


# --- Word --------------------------------------------------------------------------------
def plan_docx(consultation: Consultation, version: PlanVersion | None, language: str) -> bytes:
    """The time management plan as a Word document: one table per meeting day in the
    Council's columns, then the items that are not scheduled and why."""
    with override(language):
        document = new_docx(landscape=True)
        document.add_heading(_heading_title(consultation), level=0)
        document.add_heading(gettext("Time management plan"), level=1)
        if version is None:
            document.add_paragraph(gettext("No time management plan has been published yet."))
            return docx_bytes(document, language, gettext("Time management plan"))

        document.add_paragraph(_published(consultation, version, language))
        if version.reason:
            document.add_paragraph(
                gettext("Reason for this version: %(reason)s") % {"reason": version.reason}
            )
        document.add_paragraph(
            gettext("All times are %(zone)s.") % {"zone": consultation.time_zone_label}
        )
        document.add_paragraph(gettext("Documents in square brackets are not yet available.")).runs[
            0
        ].italic = True

        for day, rows in _slot_rows(consultation, version, language):
            document.add_heading(_day_heading(consultation, day, language), level=2)
            if not rows:
                document.add_paragraph(gettext("No item is planned on this day."))
                continue
            table = add_table(document, plan_columns())
            for row in rows:
                time_lines = [row["label"], row["time"]]
                if row["done"]:
                    time_lines.append(gettext("(finished)"))
                cells = table.add_row().cells
                fill_cell(cells[0], time_lines, italic_from=1)
                fill_cell(cells[1], [row["subject"]])
                fill_cell(cells[2], row["documents"])
                fill_cell(cells[3], row["related"])
                fill_cell(cells[4], [])
                fill_cell(cells[5], [row["instruments"]])
            set_widths(table, _PLAN_WIDTHS_MM)

        document.add_heading(gettext("Not scheduled"), level=2)
        if version.missing_minutes:
            document.add_paragraph(
                gettext("Time lacking for Group 1 items: %(duration)s.")
                % {"duration": _duration(version.missing_minutes)}
            )
        unscheduled = _unscheduled_rows(consultation, version)
        if not unscheduled:
            document.add_paragraph(gettext("Every item is scheduled."))
        for entry in unscheduled:
            paragraph = document.add_paragraph()
            paragraph.add_run(entry["label"]).bold = True
            paragraph.add_run(f" {entry['subject']}")
            paragraph.add_run(
                " — "
                + gettext("%(reason)s Planned time: %(duration)s.")
                % {"reason": entry["reason"], "duration": _duration(entry["minutes"])}
            ).italic = True
        return docx_bytes(document, language, gettext("Time management plan"))


def agenda_docx(consultation: Consultation, language: str) -> bytes:
    """The agenda by group, each item with its references and documents."""
    with override(language):
        document = new_docx(landscape=False)
        document.add_heading(_heading_title(consultation), level=0)
        document.add_heading(gettext("Agenda"), level=1)
        if consultation.agenda_confirmed_at:
            status = gettext("Final agenda, confirmed on %(date)s %(zone)s.") % {
                "date": timezones.format_moment(
                    consultation.agenda_confirmed_at, consultation.time_zone, language
                ),
                "zone": consultation.time_zone_label,
            }
        else:
            status = gettext(
                "Draft agenda: it will be confirmed at the opening meeting on %(date)s."
            ) % {"date": timezones.format_day(consultation.starts_on, language)}
        document.add_paragraph(status).runs[0].bold = True
        document.add_paragraph(gettext("Documents in square brackets are not yet available.")).runs[
            0
        ].italic = True

        for group in agenda_groups(consultation):
            document.add_heading(
                gettext("Group %(number)s: %(title)s")
                % {"number": group.number, "title": group.title},
                level=2,
            )
            document.add_paragraph(str(group.get_kind_display())).runs[0].italic = True
            if not group.ordered_items:
                document.add_paragraph(gettext("No item in this group."))
                continue
            table = add_table(document, agenda_columns())
            for item in group.ordered_items:
                cells = table.add_row().cells
                fill_cell(cells[0], [item.label])
                subject = [item.subject] + ([item.note] if item.note else [])
                fill_cell(cells[1], subject, italic_from=1)
                fill_cell(cells[2], [", ".join(str(r) for r in item.references)])
                fill_cell(
                    cells[3], [document_symbol(link.document) for link in item.document_links]
                )
            set_widths(table, _AGENDA_WIDTHS_MM)
        return docx_bytes(document, language, gettext("Agenda"))


# --- Excel -------------------------------------------------------------------------------
def _sheet_title(text: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "", text)[:31] or "Sheet"


def _header(sheet, columns: list[str], widths: list[int]) -> None:
    sheet.append(columns)
    fill = PatternFill("solid", start_color="DDDDDD")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    sheet.freeze_panes = "A2"


def _wrap_rows(sheet) -> None:
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions


def plan_xlsx(consultation: Consultation, version: PlanVersion | None, language: str) -> bytes:
    """The time management plan as a workbook: one row per planned item, then a sheet of
    the items that are not scheduled."""
    with override(language):
        workbook = Workbook()
        plan = workbook.active
        plan.title = _sheet_title(gettext("Time management plan"))
        _header(
            plan,
            [
                gettext("Day"),
                gettext("Time (%(zone)s)") % {"zone": consultation.time_zone_label},
                *plan_columns(),
            ],
            [30, 14, 12, 60, 18, 22, 18, 30],
        )
        for day, rows in _slot_rows(consultation, version, language):
            for row in rows:
                time = row["time"] + (f" {gettext('(finished)')}" if row["done"] else "")
                plan.append(
                    [
                        _day_label(day, language),
                        time,
                        row["label"],
                        row["subject"],
                        "\n".join(row["documents"]),
                        "\n".join(row["related"]),
                        "",
                        row["instruments"],
                    ]
                )
        _wrap_rows(plan)

        rest = workbook.create_sheet(_sheet_title(gettext("Not scheduled")))
        _header(
            rest,
            [
                gettext("Agenda item"),
                gettext("Title"),
                gettext("Planned minutes"),
                gettext("Reason"),
            ],
            [12, 60, 12, 50],
        )
        for entry in _unscheduled_rows(consultation, version):
            rest.append([entry["label"], entry["subject"], entry["minutes"], entry["reason"]])
        _wrap_rows(rest)

        if is_rtl(language):
            for sheet in workbook.worksheets:
                sheet.sheet_view.rightToLeft = True
        workbook.properties.title = f"{consultation.acronym} — {gettext('Time management plan')}"
        workbook.properties.language = language
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


# --- iCalendar ---------------------------------------------------------------------------
def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def calendar_ics(
    consultation: Consultation,
    version: PlanVersion | None,
    language: str,
    state: State | None = None,
) -> bytes:
    """The meetings and the rehearsal, each with the items planned that day; with a state,
    also each planned item on which that state said it will take the floor."""
    with override(language):
        stamp = _utc(version.published_at if version else consultation.opens_at)
        stamp = stamp.replace(microsecond=0)  # iCalendar has whole seconds
        sequence = version.number if version else 0
        days = {day["number"]: day for day in plan_days(consultation, version)}

        calendar = Calendar()
        calendar.add("prodid", "-//Plenary//Plenary//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        name = f"{consultation.acronym} — {consultation.title}"
        if state is not None:
            name = f"{name} — {state}"
        calendar.add("x-wr-calname", name)

        for meeting in consultation.meetings.order_by("starts_at"):
            event = Event()
            if meeting.kind == Meeting.Kind.REHEARSAL:
                uid = f"{consultation.slug}-rehearsal-{meeting.number}@plenary"
                title = str(meeting.get_kind_display())
                description = ""
            else:
                uid = f"{consultation.slug}-meeting-{meeting.number}@plenary"
                title = gettext("Meeting %(number)s") % {"number": meeting.number}
                description = _meeting_description(consultation, days.get(meeting.number), language)
            event.add("uid", uid)
            event.add("dtstamp", stamp)
            event.add("sequence", sequence)
            event.add("dtstart", _utc(meeting.starts_at))
            event.add("dtend", _utc(meeting.ends_at))
            event.add("summary", f"{consultation.acronym} — {title}")
            event.add("location", gettext("Online meeting"))
            if description:
                event.add("description", description)
            if meeting.join_url:
                event.add("url", meeting.join_url)
            calendar.add_component(event)

        if state is not None:
            for event in _speaking_events(consultation, days, state, stamp, sequence, language):
                calendar.add_component(event)
        return calendar.to_ical()


def _meeting_description(consultation: Consultation, day: dict | None, language: str) -> str:
    if not day or not day["slots"]:
        return gettext("No item is planned for this meeting yet.")
    lines = [gettext("Items planned (%(zone)s):") % {"zone": consultation.time_zone_label}]
    for slot in day["slots"]:
        item = slot["item_obj"]
        time = _clock_range(consultation, slot["start_at"], slot["end_at"], language)
        label = item.label if item else slot["label"]
        lines.append(f"{time} {label} {item.subject if item else ''}".rstrip())
    return "\n".join(lines)


def _speaking_events(consultation, days, state, stamp, sequence, language):
    replies = {
        reply.item_id: reply
        for reply in ItemReply.objects.filter(
            item__group__consultation=consultation, state=state, will_speak=True
        )
    }
    seen: set[str] = set()
    for number, day in sorted(days.items()):
        for slot in day["slots"]:
            reply = replies.get(slot["item"])
            if reply is None:
                continue
            item = slot["item_obj"]
            uid = f"{consultation.slug}-item-{slot['item']}-{state.iso2}@plenary"
            if uid in seen:  # an item planned twice in one version: keep the UIDs unique
                uid = uid.replace("@plenary", f"-{slot['start_at']:%Y%m%dT%H%M}@plenary")
            seen.add(uid)
            label = item.label if item else slot["label"]
            subject = item.subject if item else ""
            lines = [
                gettext("%(state)s intends to take the floor on this item.") % {"state": state}
            ]
            if reply.minutes:
                lines.append(
                    gettext("Stated speaking time: %(duration)s.")
                    % {"duration": _duration(reply.minutes)}
                )
            documents = getattr(item, "plan_documents", []) if item else []
            if documents:
                lines.append(
                    gettext("Documents: %(symbols)s")
                    % {"symbols": ", ".join(document_symbol(d) for d in documents)}
                )
            lines.append(
                gettext("Planned in meeting %(number)s, %(time)s %(zone)s.")
                % {
                    "number": number,
                    "time": _clock_range(consultation, slot["start_at"], slot["end_at"], language),
                    "zone": consultation.time_zone_label,
                }
            )
            event = Event()
            event.add("uid", uid)
            event.add("dtstamp", stamp)
            event.add("sequence", sequence)
            event.add("dtstart", _utc(slot["start_at"]))
            event.add("dtend", _utc(slot["end_at"]))
            event.add("summary", f"{consultation.acronym} {label}: {subject}".rstrip())
            event.add("description", "\n".join(lines))
            event.add("location", gettext("Online meeting"))
            meeting = day.get("meeting")
            if meeting is not None and meeting.join_url:
                event.add("url", meeting.join_url)
            yield event
