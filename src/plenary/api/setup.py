"""Creating a consultation and changing its settings (setup.services), under the rules of
the secretariat's pages (setup.create_consultation, setup.edit_settings). A setting out of
range or incoherent is answered 400 `invalid_settings` with `details` by field; a change
that contradicts what is already done, 400 `settings_blocked` with `details` listing it."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from plenary.consultations.models import Consultation
from plenary.core import translated
from plenary.setup import services
from plenary.setup.catalogue import LANGUAGE_CODES, REMOTE, SETTINGS, TRANSLATED

from . import reads
from .base import AUTH, actor, consultation_for, get_or_404, responses

router = Router(tags=["setup"])
Texts = dict[str, str] | str


class ConsultationSettingsIn(Schema):
    """Any of the settings; those left out keep their value. A translated text is given as
    {language: text} or, for English alone, as a string; the Council term by its name."""

    acronym: str | None = Field(None, max_length=30)
    title: Texts | None = None
    body: Texts | None = None
    letter_reference: str | None = Field(None, max_length=50)
    letter_date: datetime.date | None = None
    legal_basis: Texts | None = None
    presiding_officer: str | None = Field(None, max_length=200)
    presiding_officer_title: Texts | None = None
    council_term: str | None = None
    correspondence_rule: str | None = Field(None, max_length=200)
    starts_on: datetime.date | None = None
    max_days: int | None = None
    meeting_weekdays: list[int] | None = Field(None, max_length=7)
    daily_start: datetime.time | None = None
    daily_end: datetime.time | None = None
    time_zone: str | None = Field(None, max_length=64)
    time_zone_label: Texts | None = None
    registration_opens_on: datetime.date | None = None
    rehearsal_on: datetime.date | None = None
    speaker_capacity: int | None = None
    viewer_capacity: int | None = None
    speakers_per_delegation_min: int | None = None
    speakers_per_delegation_max: int | None = None
    extra_speakers_per_request: int | None = None
    speaker_reminder_days: int | None = None
    sector_members_per_sector: int | None = None
    contribution_days_before: int | None = None
    contribution_deadline_time: datetime.time | None = None
    contribution_max_pages: int | None = None
    contribution_max_page_size: Literal["A4", "A3", "A2"] | None = None
    contribution_draft_days: int | None = None
    contribution_groups: list[int] | None = Field(None, max_length=20)
    document_prefix: str | None = Field(None, max_length=20)
    contribution_prefix: str | None = Field(None, max_length=20)
    queue_classes: list[list[str]] | None = Field(None, max_length=10)
    once_per_item: list[str] | None = Field(None, max_length=10)
    speaking_seconds_council: int | None = None
    speaking_seconds_observer: int | None = None
    speaking_seconds_sector_member: int | None = None
    right_of_reply: bool | None = None
    plan_item_base_minutes: int | None = None
    plan_speaking_minutes: int | None = None
    statement_withdraw_hours: int | None = None
    lobby_minutes: int | None = None
    webcast_public: bool | None = None
    registration_email: str | None = Field(None, max_length=254)
    remote_participation_email: str | None = Field(None, max_length=254)
    contributions_email: str | None = Field(None, max_length=254)
    languages: list[str] | None = Field(None, max_length=6)
    working_language: Literal["ar", "zh-hans", "en", "fr", "ru", "es"] | None = None
    reason: str = Field("", max_length=500)

    def values(self) -> dict:
        given = self.model_dump(exclude_unset=True)
        given.pop("reason", None)
        # A setting that may be empty (rehearsal, deadline time) is cleared with null.
        return {name: value for name, value in given.items() if name in SETTINGS}


class NewConsultationIn(ConsultationSettingsIn):
    slug: str = Field(..., min_length=1, max_length=50)
    copy_from: str | None = Field(None, max_length=50)


class ConsultationSettingsOut(Schema):
    slug: str
    settings: dict
    dates: dict | None
    changed: dict = {}


def _settings_of(consultation) -> dict:
    remote = services.remote_of(consultation)
    out = {}
    for name in SETTINGS:
        if name in REMOTE:
            out[name] = remote[name]
        elif name in TRANSLATED:
            out[name] = {
                code: getattr(consultation, translated.column(name, code))
                for code in LANGUAGE_CODES
            }
        elif name == "council_term":
            out[name] = consultation.council_term.name
        else:
            out[name] = getattr(consultation, name)
    return out


def settings_out(consultation, changed=None) -> dict:
    preview = services.preview({}, consultation=consultation)
    return {
        "slug": consultation.slug,
        "settings": _settings_of(consultation),
        "dates": preview["dates"],
        "changed": changed or {},
    }


router.get("/consultations", response=responses(list[reads.ConsultationOut]), tags=["reads"])(
    reads.list_consultations
)


@router.post("/consultations", response=responses(ConsultationSettingsOut, 201), auth=AUTH)
def create_consultation(request, body: NewConsultationIn):
    if not request.user.has_perm("setup.create_consultation"):
        raise PermissionDenied
    source = get_or_404(Consultation.objects, slug=body.copy_from) if body.copy_from else None
    created = services.create_consultation(
        body.values(), slug=body.slug, actor=actor(request), copy_from=source
    )
    return Status(201, settings_out(created))


@router.get(
    "/consultations/{slug}/settings", response=responses(ConsultationSettingsOut), auth=AUTH
)
def get_settings(request, slug: str):
    return settings_out(consultation_for(request, slug, "setup.edit_settings"))


@router.patch(
    "/consultations/{slug}/settings", response=responses(ConsultationSettingsOut), auth=AUTH
)
def change_settings(request, slug: str, body: ConsultationSettingsIn):
    consultation = consultation_for(request, slug, "setup.edit_settings")
    changed = services.update_settings(
        consultation, body.values(), actor=actor(request), reason=body.reason
    )
    return settings_out(consultation, changed)
