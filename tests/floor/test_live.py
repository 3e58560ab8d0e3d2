"""The live floor's version: an outcome's change raises it in the outcome's own
transaction (outcomes.signals → floor.live) and publishes after the commit; a refused
change leaves it as it was."""

import pytest

from plenary.consultations.models import AgendaItem
from plenary.core.errors import DomainError
from plenary.core.models import User
from plenary.floor import live, services
from plenary.outcomes import services as outcomes


@pytest.fixture
def chair(vcc2):
    return User.objects.get(email="chair@example.org")


@pytest.fixture
def item(consultation, chair):
    services.open_meeting(
        consultation, consultation.meetings.get(kind="meeting", number=1), actor=chair
    )
    item = AgendaItem.objects.select_related("group").get(
        group__consultation=consultation, group__number=1, number=2
    )
    services.set_item(consultation, item, actor=chair)
    return item


def test_an_outcome_change_raises_the_version_and_publishes_after_commit(
    consultation, item, chair, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(live, "publish", published.append)
    before = services.floor_of(consultation).version
    with django_capture_on_commit_callbacks(execute=True):
        outcomes.draft_conclusion(item, texts={"en": "A text."}, original="en", actor=chair)
        assert services.floor_of(consultation).version == before + 1
        assert published == []  # not before the commit
    outcomes.show_conclusion(item, actor=chair)
    assert services.floor_of(consultation).version == before + 2
    assert published[0] == consultation.pk


def test_a_refused_outcome_change_leaves_the_version(consultation, chair):
    item = AgendaItem.objects.select_related("group").get(
        group__consultation=consultation, group__number=1, number=1
    )
    before = services.floor_of(consultation).version
    with pytest.raises(DomainError) as refused:
        outcomes.show_conclusion(item, actor=chair)
    assert refused.value.code == "no_conclusion"
    assert services.floor_of(consultation).version == before
