"""An extra speaker's media access (R12): a speaker where their grant says — the meeting it
is for, or the meeting that takes its item up — a viewer at every other meeting and at the
rehearsal, on the join page and for the platform's tokens alike."""

import datetime

import pytest

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import services as floor
from plenary.planning.models import PlanVersion
from plenary.registration import services as registration
from plenary.remote import services
from plenary.remote.adapters import SPEAKER, VIEWER
from tests import factories

DAY = datetime.timedelta(days=1)


@pytest.fixture
def two_meetings(consultation, secretariat_user):
    """Meetings 1 and 2 both open to join now, each with its speaker and viewer addresses;
    no plan published, so a meeting takes up only what the chair puts on the floor."""
    PlanVersion.objects.filter(consultation=consultation).delete()
    found = []
    for number in (1, 2):
        meeting = factories.under_way(factories.meeting(consultation, number))
        services.set_meeting_links(
            meeting,
            actor=secretariat_user,
            speaker_url=f"https://p.example.org/speak/{number}",
            viewer_url=f"https://p.example.org/watch/{number}",
        )
        found.append(meeting)
    return found


def _extra(consultation, focal, secretariat, **scope):
    viewer = factories.participant(consultation, "CH", 5, speaker=False)
    request = registration.request_extra_speaker(viewer, actor=focal, **scope)
    registration.decide_extra_speaker(request, grant=True, actor=secretariat)
    return viewer


def test_an_item_grant_speaks_only_at_the_meeting_taking_the_item_up(
    consultation, two_meetings, focal_ch, secretariat_user, chair
):
    first, second = two_meetings
    item = factories.item(consultation, "1.2")
    viewer = _extra(consultation, focal_ch, secretariat_user, item=item)
    # Before the item is taken up, nowhere.
    assert services.role_in_meeting(viewer, first) == VIEWER
    floor.open_meeting(consultation, first, actor=chair)
    floor.set_item(consultation, item, actor=chair)
    assert services.role_in_meeting(viewer, first) == SPEAKER
    assert services.meeting_access(viewer, first, publish=True).url.endswith("/speak/1")
    assert services.role_in_meeting(viewer, second) == VIEWER
    rehearsal = factories.meeting(consultation, kind="rehearsal")
    assert services.role_in_meeting(viewer, rehearsal) == VIEWER
    with pytest.raises(DomainError) as refused:
        services.meeting_access(viewer, second, publish=True)
    assert refused.value.code == "viewer_cannot_publish"
    assert AuditEvent.objects.filter(
        action="remote.refused", data__code="viewer_cannot_publish"
    ).exists()


def test_an_item_grant_speaks_at_the_meeting_the_published_plan_gives_the_item(
    consultation, two_meetings, focal_ch, secretariat_user
):
    first, second = two_meetings
    item = factories.item(consultation, "1.2")
    PlanVersion.objects.create(
        consultation=consultation,
        number=1,
        published_at=first.starts_at - DAY,
        slots=[{"item": item.pk, "day": 1, "start": "", "end": "", "label": "1.2"}],
    )
    viewer = _extra(consultation, focal_ch, secretariat_user, item=item)
    assert services.role_in_meeting(viewer, second) == SPEAKER
    assert services.role_in_meeting(viewer, first) == VIEWER


def test_the_join_page_gives_a_meeting_grant_the_speaker_address_at_that_meeting_only(
    client, consultation, two_meetings, focal_ch, secretariat_user
):
    first, second = two_meetings
    viewer = _extra(consultation, focal_ch, secretariat_user, meeting=second)
    factories.signed_in_by_link(client, viewer)
    at_first = client.get(f"/en/c/vcc-2/meetings/{first.pk}/join/").content.decode()
    at_second = client.get(f"/en/c/vcc-2/meetings/{second.pk}/join/").content.decode()
    assert "/watch/1" in at_first and "/speak/1" not in at_first
    assert "/speak/2" in at_second
    # Where they are a viewer, the page says where their grant is for.
    scope = at_first.split('id="grant-scope"')[1].split("</p>")[0]
    assert "You are an extra speaker for: Meeting 2." in scope
    assert 'id="grant-scope"' not in at_second
    rehearsal = factories.meeting(consultation, kind="rehearsal")
    assert services.role_in_meeting(viewer, rehearsal) == VIEWER
