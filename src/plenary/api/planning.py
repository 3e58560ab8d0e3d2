"""The time management plan (R8, R24): publish, pin, progress, and the focal points'
replies on the items — planning.services, the rules of the planning pages."""

import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from plenary.consultations.models import AgendaItem
from plenary.planning import queries, services

from .base import AUTH, Id, actor, consultation_for, get_or_404, responses

router = Router(tags=["plan"])


class PublishIn(Schema):
    reason: str = Field("", max_length=500)


class PlanVersionOut(Schema):
    number: int
    published_at: datetime.datetime


class PinIn(Schema):
    day: int | None = Field(None, description="0-based meeting day; null unpins")


class PinOut(Schema):
    item: Id
    day: int | None


class ProgressIn(Schema):
    event: Literal["start", "end"]


class ProgressOut(Schema):
    item: Id
    event: str
    plan_version: int | None = None


class ReplyIn(Schema):
    will_speak: bool
    minutes: int | None = Field(None, ge=1, le=120)


class ReplyOut(Schema):
    item: Id
    state: str
    will_speak: bool
    minutes: int | None


def _item(consultation, item_id):
    return get_or_404(
        AgendaItem.objects.select_related("group"), pk=item_id, group__consultation=consultation
    )


@router.post("/{slug}/plan/publish", response=responses(PlanVersionOut), auth=AUTH)
def publish_plan(request, slug: str, body: PublishIn):
    consultation = consultation_for(request, slug, "planning.manage_plan")
    return services.publish_plan(consultation, actor=actor(request), reason=body.reason)


@router.post("/{slug}/plan/items/{item_id}/pin", response=responses(PinOut), auth=AUTH)
def pin_item(request, slug: str, item_id: Id, body: PinIn):
    consultation = consultation_for(request, slug, "planning.manage_plan")
    item = _item(consultation, item_id)
    services.pin_item(item, body.day, actor=actor(request))
    return {"item": item.pk, "day": body.day}


@router.post("/{slug}/plan/items/{item_id}/progress", response=responses(ProgressOut), auth=AUTH)
def item_progress(request, slug: str, item_id: Id, body: ProgressIn):
    """The item starts now, or ends now (the remaining items are then re-planned)."""
    consultation = consultation_for(request, slug, "planning.record_progress")
    item = _item(consultation, item_id)
    if body.event == "end":
        version = services.record_item_end(item, actor=actor(request))
        return {"item": item.pk, "event": "end", "plan_version": version.number}
    services.record_item_start(item, actor=actor(request))
    return {"item": item.pk, "event": "start"}


@router.put("/{slug}/replies/{item_id}", response=responses(ReplyOut), auth=AUTH)
def reply_on_item(request, slug: str, item_id: Id, body: ReplyIn):
    """The focal point's state says whether it will take the floor on the item."""
    consultation = consultation_for(request, slug, "planning.reply_on_items")
    state = queries.represented_state(request.user, consultation)
    if state is None:
        raise HttpError(403, _("You may not do this."))
    item = _item(consultation, item_id)
    reply = services.reply_on_item(
        item,
        state,
        will_speak=body.will_speak,
        minutes=body.minutes if body.will_speak else None,
        actor=actor(request),
    )
    return {
        "item": item.pk,
        "state": state.iso2,
        "will_speak": reply.will_speak,
        "minutes": reply.minutes,
    }
