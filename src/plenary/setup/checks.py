"""Is a consultation's set of settings coherent? A pure check of one candidate, field by
field, shared by the pages' forms, the API, the command line and the service itself.

Each problem names its field; the message says what is wrong and what would be right."""

import re

from django.utils.translation import gettext as _

from plenary.core import timezones
from plenary.core.timezones import is_valid_zone
from plenary.registration.models import Delegation

from .catalogue import LANGUAGE_CODES

# (lowest, highest) of each number; the letter's values sit well inside.
RANGES = {
    "max_days": (1, 31),
    "speaker_capacity": (1, 100_000),
    "viewer_capacity": (0, 1_000_000),
    "speakers_per_delegation_min": (0, 50),
    "speakers_per_delegation_max": (1, 50),
    "extra_speakers_per_request": (0, 10),
    "speaker_reminder_days": (1, 60),
    "sector_members_per_sector": (0, 100),
    "contribution_days_before": (0, 365),
    "contribution_max_pages": (1, 100),
    "contribution_draft_days": (1, 90),
    "plan_item_base_minutes": (1, 600),
    "plan_speaking_minutes": (1, 120),
    "statement_withdraw_hours": (0, 72),
    "lobby_minutes": (0, 600),
    "speaking_seconds_council": (15, 3600),
    "speaking_seconds_observer": (15, 3600),
    "speaking_seconds_sector_member": (15, 3600),
}
SYMBOL_PREFIX = re.compile(r"^[A-Z][A-Z0-9-]{0,18}$")
CATEGORIES = set(Delegation.Category.values)


def problems(candidate, *, groups: list[int], remote: dict, changed: set[str]) -> dict:
    """{field: [message, …]} for a candidate consultation (unsaved, with its new values),
    the group numbers of its agenda and its remote settings; empty when all is coherent.
    `changed` names the settings that differ from the saved ones: the Council term is
    checked against the dates only when one of them moves."""
    found: dict[str, list[str]] = {}

    def add(field, message):
        found.setdefault(field, []).append(message)

    values = {**{name: getattr(candidate, name) for name in RANGES if name not in remote}, **remote}
    for name, (low, high) in RANGES.items():
        value = values.get(name)
        if value is None or not low <= value <= high:
            add(name, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    if found:
        return found
    _dates(candidate, add, changed)
    _quotas(candidate, add)
    _contributions(candidate, groups, add)
    _queue(candidate, add)
    if not candidate.languages or set(candidate.languages) - set(LANGUAGE_CODES):
        add("languages", _("Choose one or more of the six languages."))
    elif candidate.working_language not in candidate.languages:
        add(
            "working_language",
            _("The working language must be one of the consultation's languages."),
        )
    if not (getattr(candidate, "title_en", "") or "").strip():
        add("title", _("The consultation needs its English title."))
    if not (candidate.acronym or "").strip():
        add("acronym", _("The consultation needs an acronym, such as VCC-3."))
    return found


def _dates(c, add, changed: set[str]) -> None:
    if not is_valid_zone(c.time_zone):
        add("time_zone", _("Unknown time zone “%(zone)s”.") % {"zone": c.time_zone})
        return
    if not c.meeting_weekdays or set(c.meeting_weekdays) - set(range(7)):
        add("meeting_weekdays", _("Choose at least one weekday for the meetings."))
        return
    if c.starts_on.weekday() not in c.meeting_weekdays:
        add("starts_on", _("The first day must be one of the meeting weekdays."))
        return
    if c.daily_end <= c.daily_start:
        add(
            "daily_end",
            _("The daily window must end after it starts (%(start)s–%(end)s).")
            % {"start": c.daily_start.strftime("%H:%M"), "end": c.daily_end.strftime("%H:%M")},
        )
        return
    if c.registration_opens_on >= c.starts_on:
        add("registration_opens_on", _("Registration must open before the first day."))
    if c.rehearsal_on and not c.registration_opens_on <= c.rehearsal_on < c.starts_on:
        add(
            "rehearsal_on",
            _("The rehearsal must fall between the opening of registration and the first day."),
        )
    if c.contribution_deadline >= c.opens_at:
        add(
            "contribution_days_before",
            _(
                "The contribution deadline (%(deadline)s) is not before the first meeting (%(first)s)."
            )
            % {
                "deadline": timezones.format_moment(c.contribution_deadline, c.time_zone),
                "first": timezones.format_moment(c.opens_at, c.time_zone),
            },
        )
    term = c.council_term
    if term is None:
        add("council_term", _("Choose the Council term."))
    elif changed & {"starts_on", "max_days", "council_term"} and not (
        term.starts_on <= c.starts_on and c.ends_on <= term.ends_on
    ):
        add(
            "council_term",
            _(
                "The Council term %(term)s runs from %(start)s to %(end)s: it is not in force on "
                "the consultation's dates. Enter the term in force first."
            )
            % {
                "term": term.name,
                "start": timezones.format_day(term.starts_on, fmt="long"),
                "end": timezones.format_day(term.ends_on, fmt="long"),
            },
        )


def _quotas(c, add) -> None:
    if c.speakers_per_delegation_max < c.speakers_per_delegation_min:
        add(
            "speakers_per_delegation_max",
            _("The most speakers per delegation (%(most)s) is below the fewest (%(fewest)s).")
            % {"most": c.speakers_per_delegation_max, "fewest": c.speakers_per_delegation_min},
        )
    if c.speaker_capacity < c.speakers_per_delegation_max:
        add(
            "speaker_capacity",
            _("The speaker capacity is below the speakers of a single delegation."),
        )


def _contributions(c, groups: list[int], add) -> None:
    open_groups = list(c.contribution_groups or [])
    if any(number not in groups for number in open_groups):
        add(
            "contribution_groups",
            _("Only groups of the agenda can be open to contributions (%(groups)s).")
            % {"groups": ", ".join(str(n) for n in groups)},
        )
    for name in ("document_prefix", "contribution_prefix"):
        if not SYMBOL_PREFIX.match(getattr(c, name) or ""):
            add(name, _("Capital letters and digits only, such as C23 or VC."))
    if c.document_prefix == c.contribution_prefix:
        add("contribution_prefix", _("Contributions need a prefix of their own."))


def _queue(c, add) -> None:
    classes = c.queue_classes or []
    listed = [category for rank in classes for category in rank]
    if sorted(listed) != sorted(CATEGORIES) or any(not rank for rank in classes):
        add("queue_classes", _("Give every category of delegation exactly one place in the queue."))
    if set(c.once_per_item or []) - CATEGORIES:
        add("once_per_item", _("Unknown category of delegation."))
