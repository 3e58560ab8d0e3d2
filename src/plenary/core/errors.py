"""The one exception type a service raises when a person asked for something not allowed,
and the one declaration of every refusal code with its kind.

A code says why something was refused; its kind says what that means for the request, and
every entry point answers from it: the API with the kind's HTTP status, a page that shows a
refusal with the same status, the WebSocket consumers with the code itself.
tests/core/test_errors.py finds every code raised in src/plenary and fails on one that is not
declared here, or on one declared here that nothing raises."""

import enum
import logging
import os

from django.conf import settings

log = logging.getLogger(__name__)


class Kind(enum.Enum):
    """What a refusal says about the request; the value is the HTTP status it is answered with."""

    PERMISSION = 403  # not you: who is asking may not do this, whatever they send
    RATE_LIMIT = 429  # not so often
    # what the request names does not exist; no code is declared with it yet, since missing
    # objects are Http404 before a service runs, but an entry point maps it like the others
    NOT_FOUND = 404
    GONE = 410  # no longer: what the request names was used up, withdrawn or has expired
    INVALID = 400  # not now, or not this way

    @property
    def status(self) -> int:
        return self.value


class UndeclaredRefusal(LookupError):
    """A refusal code that is not declared below (raised in development and under tests)."""


REFUSALS: dict[str, Kind] = {}


def _declare(kind: Kind, *codes: str) -> None:
    for code in codes:
        if code in REFUSALS:
            raise ValueError(f"refusal code {code!r} is declared twice")
        REFUSALS[code] = kind


# Not you: the API answers 403, like a permission the rules refused.
_declare(
    Kind.PERMISSION,
    "not_chair",
    "not_secretariat",
    "not_focal_point",
    "not_speaker",
    "not_yours",
    "not_member_state",
    "not_your_state",
    "not_submitter",
    "not_elector",
    "not_support_staff",
    # a ballot is approved (or sent back) by the consultation's presiding officer only
    "not_presiding_officer",
    "viewer_cannot_publish",
    # Remote access without a participant or an interpreter behind it; the API refuses
    # these callers before the service does.
    "no_participant",
    "not_interpreter",
    # a personal link forged, replaced or withdrawn: it stands for nobody
    "bad_link",
    "revoked_link",
)

_declare(Kind.RATE_LIMIT, "rate_limited")

# Everything else is "not now" or "not this way": 400.

# Said by several areas.
_declare(
    Kind.INVALID,
    "refused",  # the default of a DomainError built without a code (src always names one)
    "invalid",  # a page's form refused the input (the API uses the page's forms)
    "unknown_action",
    "unknown_language",
    "unknown_state",
    "wrong_consultation",
    "wrong_delegation",
    "wrong_item",
    "no_item",
    "no_account",
    "not_member",
    "for_information",
    "reason_required",
    "already_confirmed",
    "already_withdrawn",
    "bad_kind",
    "closed",
    "mfa_required",
    "too_large",
    "bad_message",  # a WebSocket frame that is not a message of the protocol
)

# The directory and the agenda.
_declare(
    Kind.INVALID,
    "bad_dates",
    "at_end",
    "not_attached",
    "subject_required",
    "subject_too_long",
    "symbol_required",
    "bad_step",
    # groups created from the pages and the API, and the agenda imported from a file
    "bad_agenda_file",
    # the agenda is confirmed while the first meeting is under way
    "not_opening_meeting",
    "bad_group_number",
    "group_exists",
)

# The time management plan.
_declare(
    Kind.INVALID,
    "already_ended",
    "bad_day",
    "bad_minutes",
    "bad_time",
    "not_invited",
    "not_started",
    # the item's outcome is recorded: not started again, nobody asks for the floor on it
    "item_concluded",
)

# Registration and personal links.
_declare(
    Kind.INVALID,
    "already_decided",
    "already_registered",
    "already_speaker",
    "already_viewer",
    "duplicate_request",
    "empty_selection",  # a decision on many registrations with none selected
    "extra_speaker_limit",  # R12: the delegation's extra speakers for a meeting or item
    "item_over",  # an extra speaker for an item already concluded
    "meeting_or_item",
    "meeting_over",  # an extra speaker for a meeting that has ended
    "no_capacity",
    "not_approved",
    "not_open",
    "not_viewer",
    "speaker_capacity",
    "speaker_quota",
    "viewer_capacity",
)

# Contributions; the file checks' codes (contributions.filecheck) become the refusal's code.
_declare(
    Kind.INVALID,
    "already_submitted",
    "deadline_passed",
    "file_required",
    "item_not_open",
    "not_published",
    "not_submitted",
    "title_required",
    "too_long",
    "unconfirmed",
    "corrupt",
    "embedded_objects",
    "empty",
    "encrypted",
    "external_reference",
    "macros",
    "not_docx_or_pdf",
    "pdf_active_content",
    "too_complex",
    "xml_entities",
    "zip_bomb",
)

# Contributions: what an upload is refused for before anything is stored, and a draft
# deleted (by its owner, the secretariat or its expiry) before it is submitted.
_declare(Kind.INVALID, "no_group_open", "too_many_drafts", "already_deleted")
# Co-submissions (R19): an answer given already, a co-submitter nobody can answer for yet.
_declare(Kind.INVALID, "already_declined", "no_focal_point")
# An answer to a co-submission of a contribution the consultation does not have.
_declare(Kind.NOT_FOUND, "no_contribution")
# The file check's refusals beyond the parsers': a program inside, a file that is two at
# once, a page larger than the setting, pages that could not be counted (fail closed).
_declare(Kind.INVALID, "executable", "polyglot", "page_too_large", "pages_not_counted")
# Every render slot taken for longer than the wait: not so often, try again in a minute.
_declare(Kind.RATE_LIMIT, "busy")

# The floor, its chair and its socket.
_declare(
    Kind.INVALID,
    "already_waiting",
    "bad_seconds",
    "bad_value",
    "list_closed",
    "nobody_speaking",
    "not_waiting",
    "once_per_item",
    "queue_empty",
    "reply_not_allowed",
    "reply_not_granted",
    "speech_running",
    "wrong_meeting",
    "unknown_op",
    # the console opens today's meetings and the rehearsal; ends only an open meeting
    "not_today",
    "no_meeting",
)

# Outcomes.
_declare(
    Kind.INVALID,
    "bad_outcome",
    "deferral_requested",
    "duplicate",
    "no_conclusion",
    "not_recorded",
    "not_registered",
    "not_urgent",
    "original_required",
    "outcome_recorded",
)

# Decisions by correspondence.
_declare(
    Kind.INVALID,
    "already_closed",
    "already_launched",
    "approval_required",
    "bad_choice",
    "bad_deadline",
    "bad_evidence",
    "bad_item",
    "bad_rule",
    "before_deadline",
    "evidence_required",
    "no_proposal",
    "no_right_to_vote",
    "not_launched",
    "note_required",
    "replayed",
    "sent_back",
)

# Remote participation and IT support.
_declare(
    Kind.INVALID,
    "bad_booth",
    "bad_channel",
    "bad_email",
    "bad_phone",
    "bad_relay",
    "bad_status",
    "empty_message",
    "meeting_ended",
    "message_too_long",
    "no_address",
    "no_name",
    "not_open_yet",
    "other_consultation",
    "platform_not_configured",
)

# Setting up a consultation.
_declare(Kind.INVALID, "invalid_settings", "settings_blocked", "slug_taken")
# The Council's membership: terms and seats, the right to vote, Sector Members.
_declare(
    Kind.INVALID,
    "already_invited",
    "already_restored",
    "already_suspended",
    "bad_file",
    "has_participants",
    "listed_twice",
    "name_taken",
    "seat_count",
    "sector_limit",
    "unknown_region",
    "unknown_sector",
    "wrong_region",
)

# API tokens.
_declare(Kind.INVALID, "bad_expiry", "bad_name", "inactive")

# Inviting the people who staff a consultation, and their invitations' links.
_declare(
    Kind.INVALID,
    "account_exists",
    "already_appointed",
    "bad_password",
    "not_council_member",
    "not_pending",
    "state_required",
    "unknown_role",
)
# an invitation's link that served once, was withdrawn or ran out: gone for good
_declare(Kind.GONE, "invitation_expired", "invitation_used", "invitation_withdrawn")
# A statement for interpreters withdrawn after its meeting: its file is gone for good.
_declare(Kind.GONE, "statement_withdrawn")
_declare(Kind.NOT_FOUND, "bad_invitation")
_declare(Kind.PERMISSION, "wrong_account")
# The participation guide: its text per language, with placeholders.
_declare(Kind.INVALID, "bad_placeholder", "unbalanced_brace", "guide_empty", "guide_too_long")


def _strict() -> bool:
    # Under pytest (which sets DEBUG to False) the variable is set while a test runs.
    return (settings.configured and settings.DEBUG) or "PYTEST_CURRENT_TEST" in os.environ


def kind_of(code: str) -> Kind:
    """The declared kind of a code. An undeclared code is a mistake to be seen at once: it
    raises in development and under tests, and is answered as INVALID (400) with a warning
    in production, where a refusal should still reach the person."""
    kind = REFUSALS.get(code)
    if kind is not None:
        return kind
    if _strict():
        raise UndeclaredRefusal(f"refusal code {code!r} is not declared in plenary.core.errors")
    log.warning("Refusal code %r is not declared; answered as invalid (400).", code)
    return Kind.INVALID


class DomainError(Exception):
    """A refusal with a message a person understands, in their language.

    `message` is usually a lazy translation, so that it is rendered in the language of the
    request that shows it. `code` is a stable identifier for the API and for tests, declared
    above with its kind; `status` is the HTTP status every entry point answers it with.
    """

    def __init__(
        self,
        message,
        *,
        code: str = "refused",
        params: dict | None = None,
        details: dict | list | None = None,
    ):
        self.message = message
        self.code = code
        # What a person needs to correct it: the fields at fault, or what stands in the way.
        self.details = details
        self.kind = kind_of(code)
        self.params = params or {}
        super().__init__(str(message) if not self.params else str(message) % self.params)

    @property
    def status(self) -> int:
        return self.kind.status

    def user_message(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text
