"""Creating a consultation and changing its settings: the one path for every number and
date of the letter, whether from the pages, the API or the command line.

A change is checked (`checks.problems`), weighed against what is already done
(`queries.blockers`), then applied in one transaction with everything that repeats it:
the capacity and delegation rows whose constraints hold the quotas under concurrency
(registration.services.setup_delegations) and the meetings that the calendars, join pages
and rehearsal check read (planning.services.sync_meetings). After the agenda is confirmed
or the plan published, a change needs a reason; every change is audited."""

import copy
import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import AgendaGroup, Consultation
from plenary.core import audit, translated
from plenary.core.errors import DomainError
from plenary.directory.models import CouncilTerm, State
from plenary.planning.services import publish_plan, sync_meetings
from plenary.registration.services import setup_delegations
from plenary.remote.models import RemoteSettings

from . import checks, queries
from .catalogue import (
    CONSULTATION_FIELDS,
    LANGUAGE_CODES,
    MOVED_WITH_FIRST_DAY,
    MOVES_MEETINGS,
    REMOTE,
    TRANSLATED,
    columns,
)

# The agenda frame of a consultation made from scratch (R5).
DEFAULT_GROUPS = [
    (1, AgendaGroup.Kind.URGENT, "Items requiring a decision before the next session"),
    (2, AgendaGroup.Kind.IF_TIME, "Items that may be discussed if time allows"),
    (3, AgendaGroup.Kind.FOR_INFORMATION, "Items for information, deferred to the next session"),
]


def _invalid(found: dict):
    fields = {name: [str(message) for message in messages] for name, messages in found.items()}
    first = next(iter(fields.values()))[0]
    return DomainError(
        _("Some settings need correcting: %(first)s"),
        code="invalid_settings",
        params={"first": first},
        details=fields,
    )


def remote_of(consultation) -> dict:
    row = None
    if consultation is not None and consultation.pk is not None:
        row = RemoteSettings.objects.filter(consultation=consultation).first()
    row = row or RemoteSettings()
    return {name: getattr(row, name) for name in REMOTE}


def groups_of(consultation) -> list[int]:
    """The group numbers a consultation's settings may name: its agenda's, or the letter's
    three for one not yet made (or made without groups)."""
    if consultation is not None and consultation.pk is not None:
        numbers = list(consultation.groups.values_list("number", flat=True))
        if numbers:
            return numbers
    return [number for number, _kind, _title in DEFAULT_GROUPS]


def _apply(candidate, values: dict) -> set[str]:
    """Set the values on the candidate; the names of the settings that differ. A translated
    text is given as {language: text} (or a plain string for English); the Council term as
    a CouncilTerm, its id or its name."""
    changed = set()
    for name, value in values.items():
        if name in REMOTE:
            continue
        if name in TRANSLATED:
            texts = value if isinstance(value, dict) else {"en": value}
            if set(texts) - set(LANGUAGE_CODES):
                raise _invalid({name: [_("Unknown language.")]})
            pairs = [
                (translated.column(name, code), (text or "").strip())
                for code, text in texts.items()
            ]
        elif name == "council_term":
            pairs = [("council_term", _term(value))]
        else:
            pairs = [(name, value)]
        for attr, new in pairs:
            if getattr(candidate, attr) != new:
                setattr(candidate, attr, new)
                changed.add(name)
    return changed


def _term(value):
    if isinstance(value, CouncilTerm) or value is None:
        return value
    term = CouncilTerm.objects.filter(
        **({"pk": value} if isinstance(value, int) else {"name": value})
    ).first()
    if term is None:
        raise _invalid({"council_term": [_("No Council term of that name.")]})
    return term


def _update_candidate(current, values):
    candidate = copy.copy(current)
    changed = _apply(candidate, values)
    remote_before = remote_of(current)
    remote = {**remote_before, **{k: v for k, v in values.items() if k in REMOTE}}
    changed |= {name for name in REMOTE if remote[name] != remote_before[name]}
    return candidate, remote_before, remote, changed


def preview(values: dict, *, consultation=None, copy_from=None) -> dict:
    """What saving would do, without saving anything: the dates the settings produce (in
    the consultation's zone and UTC), the problems by field, what stands in the way, and
    what would change."""
    if consultation is not None:
        candidate, _before, remote, changed = _update_candidate(consultation, values)
        groups = groups_of(consultation)
        standing = []
    else:
        candidate, remote = starting_point(copy_from, values)
        _apply(candidate, values)
        remote.update({k: v for k, v in values.items() if k in REMOTE})
        changed = {"starts_on", "council_term"}
        groups = groups_of(copy_from)
    found = {
        name: [str(m) for m in messages]
        for name, messages in checks.problems(
            candidate, groups=groups, remote=remote, changed=changed
        ).items()
    }
    if consultation is not None and not found:
        standing = [str(text) for text in queries.blockers(consultation, candidate, changed)]
    return {
        "dates": None if found else queries.date_preview(candidate),
        "problems": found,
        "blockers": standing if consultation is not None else [],
        "changed": sorted(changed) if consultation is not None else [],
        "candidate": candidate,
    }


def update_settings(consultation: Consultation, values: dict, *, actor, reason: str = "") -> dict:
    """Change any settings of the catalogue. Returns {setting: [before, after]} of what
    changed (empty: nothing differed, nothing recorded)."""
    unknown = set(values) - set(CONSULTATION_FIELDS) - set(REMOTE)
    if unknown:
        raise _invalid({name: [_("Unknown setting.")] for name in sorted(unknown)})
    reason = (reason or "").strip()
    try:
        return _update_settings(consultation, values, actor=actor, reason=reason)
    except DomainError as refusal:
        if refusal.code == "invalid_settings":
            # Recorded outside the rolled-back transaction: nothing changed, the attempt stays.
            audit.record(
                "consultation.settings_refused",
                actor=actor,
                target=consultation,
                data={"problems": refusal.details, "settings": sorted(values)},
            )
        raise


def _update_settings(consultation: Consultation, values: dict, *, actor, reason: str) -> dict:
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        candidate, remote_before, remote, changed = _update_candidate(current, values)
        if not changed:
            return {}
        found = checks.problems(
            candidate, groups=groups_of(current), remote=remote, changed=changed
        )
        if found:
            raise _invalid(found)
        if not reason and (current.agenda_is_final or current.plan_versions.exists()):
            raise DomainError(
                _(
                    "The agenda is confirmed or the plan published: give the reason for this change."
                ),
                code="reason_required",
            )
        standing = queries.blockers(current, candidate, changed)
        if standing:
            raise DomainError(
                _("This change contradicts what is already done: %(first)s"),
                code="settings_blocked",
                params={"first": standing[0]},
                details=[str(text) for text in standing],
            )
        record = {
            name: [
                _plain(_value(current, name, remote_before)),
                _plain(_value(candidate, name, remote)),
            ]
            for name in sorted(changed)
        }
        candidate.save()
        RemoteSettings.objects.update_or_create(consultation=candidate, defaults=remote)
        setup_delegations(candidate)
        sync_meetings(candidate)
        if changed & MOVES_MEETINGS and current.plan_versions.exists():
            _republish(candidate, actor=actor, reason=reason)
        audit.record(
            "consultation.settings_changed",
            actor=actor,
            target=candidate,
            data={"changed": record, "reason": reason},
        )
    consultation.refresh_from_db()
    return record


def _republish(consultation, *, actor, reason: str) -> None:
    """A published plan gives each item its moment: when the meetings move before they have
    begun, the plan is published again at the new dates, for the change's reason. Once they
    have begun, the plan follows the meeting (planning.services.replan, item by item)."""
    if consultation.opens_at > timezone.now():
        publish_plan(consultation, actor=actor, reason=reason)


def _value(consultation, name, remote):
    if name in REMOTE:
        return remote[name]
    if name == "council_term":
        return consultation.council_term.name if consultation.council_term_id else None
    if name in TRANSLATED:
        return {column: getattr(consultation, column) for column in columns(name)}
    return getattr(consultation, name)


def _plain(value):
    """A value as the audit log keeps it (JSON)."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def create_consultation(values: dict, *, slug: str, actor, copy_from: Consultation | None = None):
    """A new consultation from the letter's defaults, or as a copy of an earlier one: its
    settings, agenda frame (groups), texts, mailboxes, invitations and remote settings, with
    the new dates (the others move with the first day unless given)."""
    slug = (slug or "").strip().lower()
    with transaction.atomic():
        if not slug or Consultation.objects.filter(slug=slug).exists():
            raise DomainError(
                _("The short name “%(slug)s” is taken or empty: choose another."),
                code="slug_taken",
                params={"slug": slug},
                details={"slug": [str(_("Choose another short name."))]},
            )
        candidate, remote = starting_point(copy_from, values)
        candidate.slug = slug
        if copy_from is not None and "title" in values:
            # The source's title in the other languages names the source, not the copy.
            for code in LANGUAGE_CODES:
                setattr(candidate, translated.column("title", code), "")
        _apply(candidate, values)
        remote.update({k: v for k, v in values.items() if k in REMOTE})
        groups = list(copy_from.groups.all()) if copy_from else None
        numbers = groups_of(copy_from)
        found = checks.problems(
            candidate, groups=numbers, remote=remote, changed={"starts_on", "council_term"}
        )
        if found:
            raise _invalid(found)
        candidate.agenda_confirmed_at = None
        candidate.save()
        _frame(candidate, copy_from, groups)
        RemoteSettings.objects.create(consultation=candidate, **remote)
        setup_delegations(candidate)
        sync_meetings(candidate)
        audit.record(
            "consultation.created",
            actor=actor,
            target=candidate,
            data={
                "copy_of": copy_from.slug if copy_from else None,
                "starts_on": str(candidate.starts_on),
            },
        )
    return candidate


def starting_point(source, values: dict):
    """An unsaved consultation to start from (the form's first values, the preview's and the
    creation's candidate): the letter's defaults, or the source's
    settings with its dates moved along with the new first day."""
    if source is None:
        first = values.get("starts_on") or _next_monday(
            timezone.localdate() + datetime.timedelta(days=60)
        )
        term = CouncilTerm.objects.filter(starts_on__lte=first, ends_on__gte=first).first()
        candidate = Consultation(
            council_term=term or CouncilTerm.objects.order_by("-starts_on").first(),
            contribution_groups=[1, 2],
            starts_on=first,
            registration_opens_on=first - datetime.timedelta(days=32),
            rehearsal_on=first - datetime.timedelta(days=6),
        )
        return candidate, remote_of(None)
    candidate = Consultation.objects.get(pk=source.pk)
    candidate.pk = None
    candidate._state.adding = True
    new_first = values.get("starts_on")
    if new_first:
        shift = new_first - source.starts_on
        candidate.starts_on = new_first
        for name in MOVED_WITH_FIRST_DAY:
            if name not in values and getattr(source, name):
                setattr(candidate, name, getattr(source, name) + shift)
    return candidate, remote_of(source)


def _next_monday(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def _frame(consultation, source, groups) -> None:
    """The agenda frame and the invitations: the source's, or the letter's three groups,
    the State of Palestine and no observer."""
    if source is None:
        for number, kind, title in DEFAULT_GROUPS:
            AgendaGroup.objects.create(
                consultation=consultation, number=number, kind=kind, title_en=title
            )
        consultation.observer_states.set(State.objects.filter(status=State.Status.OBSERVER))
        return
    for group in groups:
        group.pk = None
        group.consultation = consultation
        group.save()
    consultation.observer_states.set(source.observer_states.all())
    consultation.sector_members.set(source.sector_members.all())
