"""Live pages catch up with the database even when a snapshot was never published (the
channel layer was away while a change was committed), and what the outcome panel shows
raises the floor's version so that a page that missed it catches up on resync."""

import asyncio
import json

import pytest
from django.db.models import F

from plenary.floor import services, snapshot
from plenary.floor.models import Floor
from plenary.outcomes.services import record_objection
from plenary.registration import services as registration
from tests import factories

from .test_floor import _connect, _session_cookie


@pytest.mark.django_db(transaction=True)
def test_a_change_that_was_never_published_reaches_the_connected_pages(
    client, vcc2, settings, chair
):
    settings.PLENARY_FLOOR_WATCH_SECONDS = 0.2
    consultation = vcc2.consultation
    services.open_meeting(consultation, factories.meeting(consultation, 1), actor=chair)
    viewer = factories.participant(consultation, "FR", speaker=False)
    cookie = _session_cookie(client.__class__(), token=registration.send_link(viewer, actor=chair))

    async def scenario():
        page, connected = await _connect(cookie)
        assert connected
        first = json.loads(await page.receive_from(timeout=5))
        # A change committed with no publish at all, as when Redis was down at commit time.
        await asyncio.to_thread(
            lambda: Floor.objects.filter(consultation=consultation).update(
                version=F("version") + 1, list_open=False
            )
        )
        caught_up = json.loads(await page.receive_from(timeout=5))
        assert caught_up["v"] == first["v"] + 1 and caught_up["open"] is False
        await page.disconnect()

    asyncio.run(scenario())


def test_an_objection_raises_the_version_the_pages_resync_from(consultation, chair):
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    before = snapshot.version(consultation.pk)
    delegation = factories.participant(consultation, "CH").delegation  # a registered delegation
    record_objection(item, delegation, "object", actor=chair)
    assert snapshot.version(consultation.pk) == before + 1
    assert snapshot.build(consultation.pk)["v"] == before + 1
