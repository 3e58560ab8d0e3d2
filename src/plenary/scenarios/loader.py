"""Load a consultation from a scenario: its settings, Council term, agenda, invited
observers and Sector Members, and demo accounts.

A scenario is a folder with `scenario.yaml` (see vcc2/) or the path of such a file. Loading
runs in one transaction: a file with a missing field, an unknown country code or a duplicate
item number is refused with the file and line named, and nothing is kept. Loading the same
scenario again changes nothing.
"""

import datetime
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.utils.translation import gettext as _

from plenary.consultations.models import (
    AgendaGroup,
    AgendaItem,
    AgendaItemDocument,
    Appointment,
    Consultation,
    Document,
)
from plenary.consultations.services import document_kind
from plenary.core import audit, translated
from plenary.core.models import User
from plenary.core.timezones import is_valid_zone
from plenary.core.yamlfile import DataFileError, Mapping, line_of, load, require
from plenary.directory.models import SectorMember, State
from plenary.directory.services import (
    Changes,
    as_date,
    language_code,
    load_council_term,
    load_reference_data,
    translated_values,
    upsert,
)
from plenary.planning.models import Meeting
from plenary.planning.services import sync_meetings
from plenary.registration.models import Delegation, FocalPoint
from plenary.registration.services import delegation_for_state, setup_delegations
from plenary.remote.models import Interpreter
from plenary.setup.queries import blockers

SCENARIOS_DIR = Path(__file__).resolve().parent
TRANSLATED_SETTINGS = {"title", "body", "legal_basis", "presiding_officer_title", "time_zone_label"}
DATE_SETTINGS = {"starts_on", "registration_opens_on", "rehearsal_on", "letter_date"}
TIME_SETTINGS = {"daily_start", "daily_end", "contribution_deadline_time"}
INTEGER_SETTINGS = {
    "max_days",
    "speakers_per_delegation_min",
    "speakers_per_delegation_max",
    "extra_speakers_per_request",
    "speaker_reminder_days",
    "speaker_capacity",
    "viewer_capacity",
    "contribution_days_before",
    "contribution_max_pages",
    "contribution_draft_days",
    "sector_members_per_sector",
    "plan_item_base_minutes",
    "plan_speaking_minutes",
    "speaking_seconds_council",
    "speaking_seconds_observer",
    "speaking_seconds_sector_member",
    "statement_withdraw_hours",
}
BOOLEAN_SETTINGS = {"right_of_reply"}
TEXT_SETTINGS = {
    "acronym",
    "letter_reference",
    "presiding_officer",
    "time_zone",
    "registration_email",
    "remote_participation_email",
    "contributions_email",
    "correspondence_rule",
    "document_prefix",
    "contribution_prefix",
    "contribution_max_page_size",
    "working_language",
}
LIST_SETTINGS = {
    "languages",
    "contribution_groups",
    "meeting_weekdays",
    "queue_classes",
    "once_per_item",
}
REQUIRED_SETTINGS = {"slug", "acronym", "title", "starts_on"}
GROUP_KINDS = {kind.value for kind in AgendaGroup.Kind}
_REVISION = re.compile(r"\(Rev\.\d+\)$")


@dataclass
class LoadResult:
    consultation: Consultation
    changes: Changes
    credentials: list[dict] = field(default_factory=list)


def scenario_file(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_dir():
        candidate = candidate / "scenario.yaml"
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate
    return SCENARIOS_DIR / name_or_path / "scenario.yaml"


def available_scenarios() -> list[str]:
    return sorted(path.parent.name for path in SCENARIOS_DIR.glob("*/scenario.yaml"))


def load_scenario(name_or_path: str, *, shift_days: int = 0) -> LoadResult:
    """Load a scenario. `shift_days` moves every date of the consultation (letter,
    registration, rehearsal, first day) by that many days, keeping the intervals between
    them (the demo uses it to place a past consultation around today); the Council term
    stays as in the file."""
    path = scenario_file(name_or_path)
    if not path.exists():
        raise DataFileError(
            path,
            None,
            _("no scenario “%(name)s”; available: %(names)s")
            % {"name": name_or_path, "names": ", ".join(available_scenarios())},
        )
    data = load(path)
    with transaction.atomic():
        changes = load_reference_data()
        term, term_changes = load_council_term(path.parent / require(path, data, "council", str))
        changes.merge(term_changes)
        consultation = _load_consultation(path, data, term, changes, shift_days)
        agenda_path = path.parent / require(path, data, "agenda", str)
        _load_agenda(agenda_path, load(agenda_path), path, data, consultation, changes)
        _load_invitations(path, data, consultation, changes)
        if sync_meetings(consultation):
            changes.note(Meeting, created=True, updated=False)
        if setup_delegations(consultation):
            changes.note(Delegation, created=True, updated=False)
        credentials = _load_demo_accounts(path, data, consultation, changes)
        if changes.count:
            audit.record(
                "scenario.loaded",
                target=consultation,
                data={
                    "scenario": str(data.get("name", path.parent.name)),
                    "created": changes.created,
                    "updated": changes.updated,
                },
            )
    return LoadResult(consultation, changes, credentials)


def _load_consultation(path, data, term, changes, shift_days: int = 0) -> Consultation:
    settings_data = require(path, data, "consultation", dict)
    for name in sorted(REQUIRED_SETTINGS):
        require(path, settings_data, name)
    values: dict = {"council_term": term}
    known = (
        TRANSLATED_SETTINGS
        | DATE_SETTINGS
        | TIME_SETTINGS
        | INTEGER_SETTINGS
        | TEXT_SETTINGS
        | LIST_SETTINGS
        | BOOLEAN_SETTINGS
        | {"slug"}
    )
    for key, value in settings_data.items():
        if key not in known:
            raise DataFileError(
                path, line_of(settings_data, key), _("unknown setting “%(field)s”") % {"field": key}
            )
        if key in TRANSLATED_SETTINGS:
            values.update(translated_values(path, settings_data, key, key))
        elif key in DATE_SETTINGS:
            day = as_date(path, settings_data, key)
            values[key] = day + datetime.timedelta(days=shift_days) if day else day
        elif key in TIME_SETTINGS:
            values[key] = _as_time(path, settings_data, key)
        elif key in INTEGER_SETTINGS:
            values[key] = require(path, settings_data, key, int)
        elif key in BOOLEAN_SETTINGS:
            values[key] = require(path, settings_data, key, bool)
        elif key in LIST_SETTINGS:
            items = require(path, settings_data, key, list)
            if key == "languages":
                items = [_language(path, items, index) for index in range(len(items))]
            values[key] = list(items)
        elif key != "slug":
            values[key] = str(value)
    slug = str(settings_data["slug"])
    existing = Consultation.objects.filter(slug=slug).first()
    candidate = existing or Consultation(slug=slug)
    for name, value in values.items():
        setattr(candidate, name, value)
    problems = _setting_problems(candidate)
    if existing is not None and not problems and not shift_days:
        # Loading the file again with other numbers is a change of settings: refused, like
        # one made on the Settings page, when it contradicts what is already done. (The
        # demo's shift moves a whole data set on purpose.)
        saved = Consultation.objects.get(pk=existing.pk)
        changed = {name for name, value in values.items() if getattr(saved, name) != value}
        problems = [str(text) for text in blockers(saved, candidate, changed)]
    if problems:
        raise DataFileError(path, line_of(settings_data), problems[0])
    return upsert(changes, Consultation, {"slug": slug}, values)


def _language(path, items, index) -> str:
    return language_code(path, items, index, code=items[index])


def _setting_problems(consultation: Consultation) -> list[str]:
    problems = []
    if not is_valid_zone(consultation.time_zone):
        problems.append(_("unknown time zone “%(zone)s”") % {"zone": consultation.time_zone})
    if consultation.daily_end <= consultation.daily_start:
        problems.append(_("the daily meeting window must end after it starts"))
    if consultation.registration_opens_on >= consultation.starts_on:
        problems.append(_("registration must open before the first day"))
    if consultation.speakers_per_delegation_max < consultation.speakers_per_delegation_min:
        problems.append(_("the most speakers per delegation is below the fewest"))
    return problems


def _as_time(path, container, key) -> datetime.time:
    value = require(path, container, key)
    try:
        return datetime.time.fromisoformat(str(value))
    except ValueError:
        raise DataFileError(
            path, line_of(container, key), _("“%(value)s” is not a time (HH:MM)") % {"value": value}
        ) from None


def _texts(entry: Mapping, prefix: str) -> dict:
    """subject_en / subject_zh … in the agenda file -> modeltranslation field values."""
    values = {}
    for key, text in entry.items():
        if key.startswith(prefix + "_") and isinstance(text, str):
            code = key[len(prefix) + 1 :]
            code = {"zh": "zh-hans"}.get(code, code)
            values[translated.column(prefix, code)] = text
    return values


def _load_agenda(path, agenda, scenario_path, scenario, consultation, changes) -> None:
    """The agenda file's groups, each with its items; a group's kind comes from the scenario
    file. A group number used twice is refused."""
    kinds = require(scenario_path, scenario, "groups", dict)
    extra_titles = scenario.get("group_titles") or {}
    groups = require(path, agenda, "groups", list)
    seen_groups: set[int] = set()
    for group_data in groups:
        number = require(path, group_data, "number", int)
        if number in seen_groups:
            raise DataFileError(
                path,
                line_of(group_data, "number"),
                _("group %(number)s appears twice") % {"number": number},
            )
        seen_groups.add(number)
        group = _load_group(
            path, group_data, number, kinds, extra_titles, scenario_path, consultation, changes
        )
        _load_items(path, group_data, group, consultation, changes)


def _load_group(
    path, group_data, number, kinds, extra_titles, scenario_path, consultation, changes
) -> AgendaGroup:
    """One group: its kind (from the scenario file) and its titles, the agenda file's and
    any the scenario adds in other languages."""
    kind_data = kinds.get(number)
    if not isinstance(kind_data, dict) or kind_data.get("kind") not in GROUP_KINDS:
        raise DataFileError(
            scenario_path,
            line_of(kinds),
            _("group %(number)s needs a kind: urgent, if_time or information") % {"number": number},
        )
    require(path, group_data, "title_en", str)
    titles = _texts(group_data, "title")
    for code, text in (extra_titles.get(number) or {}).items():
        language = language_code(scenario_path, extra_titles[number], code)
        titles[translated.column("title", language)] = text
    return upsert(
        changes,
        AgendaGroup,
        {"consultation": consultation, "number": number},
        {"kind": kind_data["kind"], **titles},
    )


def _load_items(path, group_data, group, consultation, changes) -> None:
    """A group's items in their order, each with its documents. An item number used twice
    in the group is refused."""
    seen_items: set[int] = set()
    for position, item_data in enumerate(require(path, group_data, "items", list), start=1):
        item_number = require(path, item_data, "number", int)
        if item_number in seen_items:
            raise DataFileError(
                path,
                line_of(item_data, "number"),
                _("item number %(number)s appears twice in group %(group)s")
                % {"number": item_number, "group": group.number},
            )
        seen_items.add(item_number)
        require(path, item_data, "subject_en", str)
        item = upsert(
            changes,
            AgendaItem,
            {"group": group, "number": item_number},
            {
                "position": position,
                "references": [str(ref) for ref in item_data.get("references") or []],
                **_texts(item_data, "subject"),
                **_texts(item_data, "instruments"),
                **_texts(item_data, "note"),
            },
        )
        _load_item_documents(path, item_data, item, consultation, changes)


def _load_item_documents(path, item_data, item, consultation, changes) -> None:
    """An item's documents in their order; those listed as pending are marked so, and a
    pending document that is not among the item's documents is refused."""
    pending = {str(symbol) for symbol in item_data.get("pending_documents") or []}
    for doc_position, symbol in enumerate(item_data.get("documents") or [], start=1):
        symbol = str(symbol)
        document = upsert(
            changes,
            Document,
            {"consultation": consultation, "symbol": symbol},
            {"kind": document_kind(symbol), "pending": symbol in pending},
        )
        upsert(
            changes,
            AgendaItemDocument,
            {"item": item, "document": document},
            {"position": doc_position},
        )
    unknown_pending = pending - {str(symbol) for symbol in item_data.get("documents") or []}
    if unknown_pending:
        raise DataFileError(
            path,
            line_of(item_data, "pending_documents"),
            _("pending document %(symbol)s is not among the item's documents")
            % {"symbol": sorted(unknown_pending)[0]},
        )


def _state(path, container, index_or_key) -> State:
    code = container[index_or_key]
    state = State.objects.filter(iso2=str(code)).first()
    if state is None:
        raise DataFileError(
            path,
            line_of(container, index_or_key),
            _("unknown country code “%(code)s”") % {"code": code},
        )
    return state


def _load_invitations(path, data, consultation, changes) -> None:
    observers = data.get("observer_states") or []
    wanted_observers = [_state(path, observers, index) for index in range(len(observers))]
    council = set(consultation.council_term.seats.values_list("state_id", flat=True))
    for index, state in enumerate(wanted_observers):
        if state.pk in council:
            raise DataFileError(
                path,
                line_of(observers, index),
                _("%(code)s has a Council seat and cannot be an observer") % {"code": state.iso2},
            )
    palestine = State.objects.filter(status=State.Status.OBSERVER)
    _sync_m2m(consultation.observer_states, [*wanted_observers, *palestine], changes)

    members = []
    for entry in data.get("sector_members") or []:
        sector = require(path, entry, "sector", str)
        if sector not in SectorMember.Sector.values:
            raise DataFileError(
                path,
                line_of(entry, "sector"),
                _("unknown Sector “%(sector)s”") % {"sector": sector},
            )
        members.append(
            upsert(
                changes,
                SectorMember,
                {"name": require(path, entry, "name", str), "sector": sector},
                {},
            )
        )
    _sync_m2m(consultation.sector_members, members, changes)


def _sync_m2m(manager, wanted, changes) -> None:
    current = set(manager.values_list("pk", flat=True))
    wanted_ids = {obj.pk for obj in wanted}
    if current != wanted_ids:
        manager.set(wanted)
        changes.note(manager.model, created=False, updated=True)


def _interpreter(path, entry, consultation, user, changes) -> None:
    """An interpreter account takes the booth of one language, with an optional relay."""
    booth = language_code(path, entry, "booth", code=require(path, entry, "booth", str))
    relay = language_code(path, entry, "relay", code=entry["relay"]) if entry.get("relay") else ""
    _found, created = Interpreter.objects.get_or_create(
        consultation=consultation, user=user, defaults={"booth": booth, "relay": relay}
    )
    changes.note(Interpreter, created=created, updated=False)


def _load_demo_accounts(path, data, consultation, changes) -> list[dict]:
    credentials = []
    roles = set(Appointment.Role.values)
    for entry in data.get("demo_accounts") or []:
        email = require(path, entry, "email", str).lower()
        role = require(path, entry, "role", str)
        if role not in roles:
            raise DataFileError(
                path, line_of(entry, "role"), _("unknown role “%(role)s”") % {"role": role}
            )
        state = _state(path, entry, "state") if "state" in entry else None
        language = (
            language_code(path, entry, "language", code=entry["language"])
            if "language" in entry
            else "en"
        )
        user = User.objects.filter(email=email).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                email, password, full_name=str(entry.get("name", "")), language=language
            )
            changes.note(User, created=True, updated=False)
        scope = None if role == Appointment.Role.SECRETARIAT else consultation
        _appointment, created = Appointment.objects.get_or_create(
            user=user, role=role, consultation=scope, state=state
        )
        changes.note(Appointment, created=created, updated=False)
        if role == Appointment.Role.FOCAL_POINT and state is not None:
            delegation = delegation_for_state(consultation, state)
            _focal, created = FocalPoint.objects.get_or_create(delegation=delegation, user=user)
            changes.note(FocalPoint, created=created, updated=False)
        if role == Appointment.Role.INTERPRETER:
            _interpreter(path, entry, consultation, user, changes)
        totp_secret = None
        if (
            role == Appointment.Role.SECRETARIAT
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            totp_secret = generate_totp_secret()
            TOTP.activate(user, totp_secret)
            changes.note(Authenticator, created=True, updated=False)
        if password or totp_secret:
            credentials.append(
                {
                    "email": email,
                    "password": password,
                    "role": role,
                    "state": state.iso2 if state else "",
                    "totp_secret": totp_secret,
                }
            )
    return credentials
