"""Changes to the directory. Each function is transactional and audited."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from plenary.core import audit, translated
from plenary.core.errors import DomainError
from plenary.core.yamlfile import DataFileError, line_of, load, require

from .models import (
    CouncilSeat,
    CouncilTerm,
    OfficialName,
    Region,
    RegionalOrganization,
    State,
    VotingRightSuspension,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
# Data files may say "zh" for Chinese; the interface's code is zh-hans.
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh_hans": "zh-hans", "zh-Hans": "zh-hans"}


@dataclass
class Changes:
    """What a load created or changed; an empty one means the database already matched."""

    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    def note(self, model, created: bool, updated: bool) -> None:
        name = model._meta.verbose_name_plural
        if created:
            self.created[str(name)] = self.created.get(str(name), 0) + 1
        elif updated:
            self.updated[str(name)] = self.updated.get(str(name), 0) + 1

    @property
    def count(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def merge(self, other: "Changes") -> None:
        for target, source in ((self.created, other.created), (self.updated, other.updated)):
            for key, value in source.items():
                target[key] = target.get(key, 0) + value


def upsert(changes: Changes, model, lookup: dict, values: dict):
    """Create or update one row, saving only when a value differs (so a reload changes nothing)."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model.objects.create(**lookup, **values)
        changes.note(model, created=True, updated=False)
        return instance
    differing = [name for name, value in values.items() if getattr(instance, name) != value]
    if differing:
        for name in differing:
            setattr(instance, name, values[name])
        instance.save(update_fields=differing)
        changes.note(model, created=False, updated=True)
    return instance


def language_code(path, container, key, code=None) -> str:
    """A language code of the file (the key itself, or `code` found at that key or index)."""
    raw = str(key if code is None else code)
    resolved = LANGUAGE_ALIASES.get(raw, raw)
    if resolved not in LANGUAGE_CODES:
        raise DataFileError(
            path, line_of(container, key), _("unknown language “%(code)s”") % {"code": raw}
        )
    return resolved


def as_date(path, container, key, *, required=True) -> datetime.date | None:
    value = require(path, container, key) if required else container.get(key)
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise DataFileError(
            path,
            line_of(container, key),
            _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value},
        ) from None


def translated_values(path, container, key, field_name: str) -> dict:
    """{en: …, fr: …} in a data file -> {field_en: …, field_fr: …} for modeltranslation."""
    names = require(path, container, key, dict)
    values = {}
    for code, text in names.items():
        code = language_code(path, names, code)
        values[translated.column(field_name, code)] = str(text)
    if f"{field_name}_en" not in values:
        raise DataFileError(path, line_of(container, key), _("an English text is required"))
    return values


def load_reference_data() -> Changes:
    """Regions, the Member States (dated), the State of Palestine, official names, RTOs:
    one data file each, in one transaction, audited when something changed."""
    changes = Changes()
    with transaction.atomic():
        regions = _load_regions(changes)
        _load_member_states(regions, changes)
        _load_official_names(changes)
        _load_regional_organizations(changes)
        if changes.count:
            audit.record(
                "directory.reference_data_loaded",
                data={"created": changes.created, "updated": changes.updated},
            )
    return changes


def _load_regions(changes: Changes) -> dict[str, Region]:
    """The regions of regions.yaml, by code."""
    path = DATA_DIR / "regions.yaml"
    data = load(path)
    regions = {}
    for code in require(path, data, "regions", dict):
        regions[code] = upsert(
            changes,
            Region,
            {"code": code},
            translated_values(path, data["regions"], code, "name"),
        )
    return regions


def _load_member_states(regions: dict[str, Region], changes: Changes) -> None:
    """The Member States of member-states.yaml, each in one of `regions`, and the State of
    Palestine as an observer."""
    path = DATA_DIR / "member-states.yaml"
    data = load(path)
    seen = set()
    for entry in require(path, data, "states", list):
        iso2 = str(require(path, entry, "iso2"))
        if iso2 in seen:
            raise DataFileError(
                path, line_of(entry), _("the state “%(code)s” is listed twice") % {"code": iso2}
            )
        seen.add(iso2)
        region_code = require(path, entry, "region")
        if region_code not in regions:
            raise DataFileError(
                path,
                line_of(entry, "region"),
                _("unknown region “%(code)s”") % {"code": region_code},
            )
        # Seeded once: the secretariat's corrections (region, dates) are kept on reload.
        _state, created = State.objects.get_or_create(
            iso2=iso2,
            defaults={
                "iso3": str(require(path, entry, "iso3")),
                "region": regions[region_code],
                "status": State.Status.MEMBER,
                "joined_on": as_date(path, entry, "joined_on", required=False),
            },
        )
        changes.note(State, created=created, updated=False)
    _palestine, created = State.objects.get_or_create(
        iso2="PS",
        defaults={
            "iso3": "PSE",
            "status": State.Status.OBSERVER,
            "status_basis": "Resolution 99 (Rev. Dubai, 2018)",
        },
    )
    changes.note(State, created=created, updated=False)


def _load_official_names(changes: Changes) -> None:
    """The organisation's official state names of official-names.yaml."""
    path = DATA_DIR / "official-names.yaml"
    data = load(path)
    names = require(path, data, "names", dict)
    for iso2, by_language in names.items():
        state = State.objects.filter(iso2=iso2).first()
        if state is None:
            raise DataFileError(
                path,
                line_of(names, iso2),
                _("unknown country code “%(code)s”") % {"code": iso2},
            )
        for code, name in by_language.items():
            language = language_code(path, by_language, code)
            # Seeded once: the secretariat's later edits are kept on reload.
            _name, created = OfficialName.objects.get_or_create(
                state=state, language=language, defaults={"name": str(name)}
            )
            changes.note(OfficialName, created=created, updated=False)


def _load_regional_organizations(changes: Changes) -> None:
    """The regional telecommunication organizations of regional-organizations.yaml."""
    path = DATA_DIR / "regional-organizations.yaml"
    data = load(path)
    for entry in require(path, data, "organizations", list):
        upsert(
            changes,
            RegionalOrganization,
            {"acronym": require(path, entry, "acronym")},
            {"name_en": require(path, entry, "name")},
        )


def load_council_term(path) -> tuple[CouncilTerm, Changes]:
    """A Council term and its seats from a data file like itu-council-2019-2022.yaml."""
    changes = Changes()
    data = load(path)
    name = str(require(path, data, "term"))
    try:
        first_year, last_year = (int(part) for part in name.split("-"))
    except ValueError:
        raise DataFileError(
            path, line_of(data, "term"), _("the term must read like 2019-2022")
        ) from None
    starts_on = as_date(path, data, "starts_on", required=False) or datetime.date(first_year, 1, 1)
    ends_on = as_date(path, data, "ends_on", required=False) or datetime.date(last_year, 12, 31)
    regions_data = require(path, data, "regions", dict)
    with transaction.atomic():
        term = upsert(
            changes,
            CouncilTerm,
            {"name": name},
            {"starts_on": starts_on, "ends_on": ends_on, "source": _first_comment_source(path)},
        )
        listed = set()
        for region_code, region_data in regions_data.items():
            region = Region.objects.filter(code=region_code).first()
            if region is None:
                raise DataFileError(
                    path,
                    line_of(regions_data, region_code),
                    _("unknown region “%(code)s”") % {"code": region_code},
                )
            members = require(path, region_data, "members", dict)
            for iso2 in members:
                state = State.objects.filter(iso2=iso2, status=State.Status.MEMBER).first()
                if state is None:
                    raise DataFileError(
                        path,
                        line_of(members, iso2),
                        _("unknown country code “%(code)s”") % {"code": iso2},
                    )
                if iso2 in listed:
                    raise DataFileError(
                        path,
                        line_of(members, iso2),
                        _("the state “%(code)s” is listed twice") % {"code": iso2},
                    )
                listed.add(iso2)
                upsert(changes, CouncilSeat, {"term": term, "state": state}, {"region": region})
        stale = CouncilSeat.objects.filter(term=term).exclude(state__iso2__in=listed)
        if stale.exists():
            changes.note(CouncilSeat, created=False, updated=True)
            stale.delete()
        if changes.count:
            audit.record("directory.council_term_loaded", target=term, data={"seats": len(listed)})
    return term, changes


def _first_comment_source(path) -> str:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and "Source:" in line:
            return line.split("Source:", 1)[1].strip()[:300]
    return ""


def set_official_name(state: State, language: str, name: str, *, actor) -> OfficialName:
    """Record the organisation's name for a state in one language (empty name: use CLDR's)."""
    if language not in LANGUAGE_CODES:
        raise DomainError(_("Unknown language."), code="unknown_language")
    name = name.strip()
    with transaction.atomic():
        if not name:
            OfficialName.objects.filter(state=state, language=language).delete()
            audit.record(
                "directory.official_name_cleared",
                actor=actor,
                target=state,
                data={"language": language},
            )
            return None
        official, _created = OfficialName.objects.update_or_create(
            state=state, language=language, defaults={"name": name}
        )
        audit.record(
            "directory.official_name_set",
            actor=actor,
            target=state,
            data={"language": language, "name": name},
        )
    return official


def suspend_voting_right(
    state: State, *, since, reason=VotingRightSuspension.Reason.ARREARS, note="", actor
) -> VotingRightSuspension:
    """Record that a Member State has lost its vote (Constitution No. 169)."""
    if state.status != State.Status.MEMBER:
        raise DomainError(
            _("Only a Member State can have or lose the right to vote."), code="not_member"
        )
    with transaction.atomic():
        # The state's row is locked so that two secretaries cannot open two losses at once.
        State.objects.select_for_update().filter(pk=state.pk).first()
        open_loss = state.vote_suspensions.filter(until__isnull=True).first()
        if open_loss is not None:
            raise DomainError(
                _("%(state)s has already lost the right to vote since %(since)s."),
                code="already_suspended",
                params={"state": str(state), "since": open_loss.since.isoformat()},
            )
        suspension = VotingRightSuspension.objects.create(
            state=state, since=since, reason=reason, note=note
        )
        audit.record(
            "directory.voting_right_suspended",
            actor=actor,
            target=state,
            data={"since": since, "reason": reason, "note": note},
        )
    return suspension


def restore_voting_right(
    suspension: VotingRightSuspension, *, until, actor
) -> VotingRightSuspension:
    """Record the day a Member State has its vote again (the loss's row locked meanwhile)."""
    with transaction.atomic():
        suspension = VotingRightSuspension.objects.select_for_update().get(pk=suspension.pk)
        if suspension.until is not None:
            raise DomainError(
                _("The right to vote was already restored on %(until)s."),
                code="already_restored",
                params={"until": suspension.until.isoformat()},
            )
        if until <= suspension.since:
            raise DomainError(
                _("The right to vote cannot be restored before it was lost."), code="bad_dates"
            )
        suspension.until = until
        suspension.save(update_fields=["until"])
        audit.record(
            "directory.voting_right_restored",
            actor=actor,
            target=suspension.state,
            data={"until": until},
        )
    return suspension
