"""Which settings of a consultation the secretariat edits, in the order of its pages.

One list for the pages, the API, the command line and the copy: a setting named here is
editable everywhere, and nowhere else."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from plenary.core import translated

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]

# Translated texts: the English text is required (but for the presiding officer's title, which
# may wait for the presiding officer), the other five are optional.
TRANSLATED = ["title", "body", "legal_basis", "presiding_officer_title", "time_zone_label"]

# Settings kept by remote.models.RemoteSettings, edited with the others.
REMOTE = ["lobby_minutes", "webcast_public"]

SECTIONS: list[tuple[str, object, list[str]]] = [
    (
        "identity",
        _("The consultation"),
        [
            "acronym",
            "title",
            "body",
            "letter_reference",
            "letter_date",
            "legal_basis",
            "presiding_officer",
            "presiding_officer_title",
            "council_term",
            "correspondence_rule",
        ],
    ),
    (
        "dates",
        _("Dates and daily window"),
        [
            "starts_on",
            "max_days",
            "meeting_weekdays",
            "daily_start",
            "daily_end",
            "time_zone",
            "time_zone_label",
            "registration_opens_on",
            "rehearsal_on",
        ],
    ),
    (
        "registration",
        _("Registration and capacity"),
        [
            "speaker_capacity",
            "viewer_capacity",
            "speakers_per_delegation_min",
            "speakers_per_delegation_max",
            "extra_speakers_per_request",
            "speaker_reminder_days",
            "sector_members_per_sector",
        ],
    ),
    (
        "contributions",
        _("Contributions and documents"),
        [
            "contribution_days_before",
            "contribution_deadline_time",
            "contribution_max_pages",
            "contribution_max_page_size",
            "contribution_draft_days",
            "contribution_groups",
            "document_prefix",
            "contribution_prefix",
        ],
    ),
    (
        "meeting",
        _("The meeting and its plan"),
        [
            "queue_classes",
            "once_per_item",
            "speaking_seconds_council",
            "speaking_seconds_observer",
            "speaking_seconds_sector_member",
            "right_of_reply",
            "plan_item_base_minutes",
            "plan_speaking_minutes",
            "statement_withdraw_hours",
            "lobby_minutes",
            "webcast_public",
        ],
    ),
    (
        "mailboxes",
        _("Mailboxes and languages"),
        [
            "registration_email",
            "remote_participation_email",
            "contributions_email",
            "languages",
            "working_language",
        ],
    ),
]

SETTINGS: list[str] = [name for _key, _title, names in SECTIONS for name in names]
CONSULTATION_FIELDS: list[str] = [name for name in SETTINGS if name not in REMOTE]

# The dates a copy moves by the same number of days as its first day.
MOVED_WITH_FIRST_DAY = ["registration_opens_on", "rehearsal_on", "letter_date"]

# Settings whose change moves meetings (and so the calendars and the join pages).
MOVES_MEETINGS = {
    "starts_on",
    "max_days",
    "meeting_weekdays",
    "daily_start",
    "daily_end",
    "time_zone",
    "rehearsal_on",
}


def columns(name: str) -> list[str]:
    """The model columns of a translated text, one per language."""
    return [translated.column(name, code) for code in LANGUAGE_CODES]
