"""The floor refuses an extra speaker outside their grant (R12): a meeting grant is for the
meeting the chair has open, an item grant for the item under discussion."""

import pytest

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import services
from plenary.outcomes.services import record_objection
from plenary.registration import services as registration
from tests import factories


def _extra(consultation, **scope):
    viewer = factories.participant(consultation, "CH", 5, speaker=False)
    request = registration.request_extra_speaker(viewer, actor=factories.focal_point("CH"), **scope)
    registration.decide_extra_speaker(request, grant=True, actor=factories.secretariat())
    return viewer


def _refused_to(viewer):
    with pytest.raises(DomainError) as refused:
        services.ask_for_floor(viewer)
    assert refused.value.code == "not_speaker"
    return AuditEvent.objects.filter(
        action="floor.refused", target_id=str(viewer.pk), data__why="not_speaker"
    ).count()


def test_an_item_grant_asks_for_the_floor_on_that_item_only(consultation, chair):
    factories.under_way(factories.meeting(consultation, 1))
    viewer = _extra(consultation, item=factories.item(consultation, "1.3"))
    factories.on_the_floor(consultation, "1.2", actor=chair)
    assert _refused_to(viewer) == 1
    services.set_item(consultation, factories.item(consultation, "1.3"), actor=chair)
    assert services.ask_for_floor(viewer).item.label == "1.3"


def test_a_meeting_grant_asks_for_the_floor_at_that_meeting_only(consultation, chair):
    second = factories.under_way(factories.meeting(consultation, 2))
    viewer = _extra(consultation, meeting=second)
    factories.on_the_floor(consultation, "1.2", meeting_number=1, actor=chair)
    assert _refused_to(viewer) == 1
    services.open_meeting(consultation, second, actor=chair)
    assert services.ask_for_floor(viewer).status == "waiting"


def test_an_item_grant_objects_on_that_item_only(consultation, chair):
    """An extra speaker may record their delegation's objection where they may speak."""
    factories.under_way(factories.meeting(consultation, 1))
    granted_item = factories.item(consultation, "1.3")
    viewer = _extra(consultation, item=granted_item)
    other = factories.item(consultation, "1.2")
    with pytest.raises(DomainError) as refused:
        record_objection(other, viewer.delegation, "object", actor=viewer.user, participant=viewer)
    assert refused.value.code == "not_speaker"
    objection = record_objection(
        granted_item, viewer.delegation, "object", actor=viewer.user, participant=viewer
    )
    assert objection.delegation_id == viewer.delegation_id
