"""The final agenda is confirmed at the opening meeting (R7, R25): from the chair's console
while the consultation's first meeting is under way, by whoever chairs it; before that, on
the pages, the API and the service alike, it is refused and nothing changes."""

import pytest
from django.test import Client

from plenary.consultations import services
from plenary.consultations.models import AgendaVersion
from plenary.core import timezones
from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import services as floor
from tests import factories
from tests.api.conftest import activate_totp, bearer, user_token

REFUSAL = "The agenda is confirmed at the opening meeting: open the first meeting first."
CONSOLE = "/en/c/vcc-2/console/"
CONFIRM = "/en/c/vcc-2/agenda/confirm/"
API_CONFIRM = "/api/v1/consultations/vcc-2/agenda/confirm"


def _unconfirmed(consultation) -> bool:
    consultation.refresh_from_db()
    return (
        consultation.agenda_confirmed_at is None
        and not AgendaVersion.objects.filter(consultation=consultation).exists()
        and not AuditEvent.objects.filter(action="agenda.confirmed").exists()
    )


@pytest.fixture
def chair_page(chair):
    client = Client()
    client.force_login(chair)
    return client


def test_refused_before_the_first_meeting_is_opened(consultation, chair):
    with pytest.raises(DomainError) as refused:
        services.confirm_agenda(consultation, actor=chair)
    assert refused.value.code == "not_opening_meeting"
    assert refused.value.user_message() == REFUSAL
    assert _unconfirmed(consultation)


@pytest.mark.parametrize("opened", ["rehearsal", "second meeting"])
def test_refused_while_another_meeting_is_under_way(consultation, chair, opened):
    meeting = (
        factories.meeting(consultation, kind="rehearsal")
        if opened == "rehearsal"
        else factories.meeting(consultation, 2)
    )
    floor.open_meeting(consultation, meeting, actor=chair)
    with pytest.raises(DomainError) as refused:
        services.confirm_agenda(consultation, actor=chair)
    assert refused.value.code == "not_opening_meeting"
    assert _unconfirmed(consultation)


def test_only_who_chairs_the_meeting_confirms(consultation):
    factories.opening_meeting(consultation)
    with pytest.raises(DomainError) as refused:
        services.confirm_agenda(consultation, actor=factories.focal_point("CH"))
    assert refused.value.code == "not_chair"
    assert _unconfirmed(consultation)
    # The secretariat, chairing, may.
    assert services.confirm_agenda(consultation, actor=factories.secretariat()).number == 1


def test_the_console_offers_the_confirmation_during_the_opening_meeting(
    chair_page, consultation, chair
):
    before = chair_page.get(CONSOLE).content.decode()
    assert 'id="confirm-agenda"' not in before
    # The page's own refusal, before the meeting, names what to do.
    refused = chair_page.post(
        CONFIRM, {"confirm": "on"}, HTTP_REFERER="http://testserver" + CONSOLE, follow=True
    )
    assert REFUSAL in refused.content.decode()
    assert _unconfirmed(consultation)

    # The console opens today's meetings: the first meeting is held now.
    meeting = factories.under_way(factories.meeting(consultation, 1))
    opened = chair_page.post(
        "/en/c/vcc-2/console/action/", {"action": "open_meeting", "meeting": meeting.pk}
    )
    assert opened.status_code == 302
    page = chair_page.get(CONSOLE).content.decode()
    assert 'id="confirm-agenda"' in page
    for group in consultation.groups.all():
        count = group.items.count()
        assert f"Group {group.number}: {count} item{'s' if count != 1 else ''}" in page
    assert 'name="confirm"' in page

    # Without the box ticked nothing is confirmed.
    unticked = chair_page.post(CONFIRM, {}, follow=True)
    assert "Tick the box to confirm the agenda." in unticked.content.decode()
    assert _unconfirmed(consultation)

    done = chair_page.post(CONFIRM, {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == CONSOLE
    consultation.refresh_from_db()
    version = AgendaVersion.objects.get(consultation=consultation)
    assert version.number == 1
    assert AuditEvent.objects.get(action="agenda.confirmed").actor == chair
    after = chair_page.get(CONSOLE).content.decode()
    assert 'id="confirm-agenda"' not in after
    clock = timezones.format_clock(consultation.agenda_confirmed_at, consultation.time_zone, "en")
    assert f"Agenda confirmed at {clock} (version 1)" in after

    again = chair_page.post(
        CONFIRM, {"confirm": "on"}, HTTP_REFERER="http://testserver" + CONSOLE, follow=True
    )
    assert "The agenda has already been confirmed." in again.content.decode()
    assert AgendaVersion.objects.filter(consultation=consultation).count() == 1


def test_a_delegation_may_not_confirm_from_the_page(consultation):
    factories.opening_meeting(consultation)
    client = Client()
    client.force_login(factories.focal_point("CH"))
    assert client.post(CONFIRM, {"confirm": "on"}).status_code == 403
    assert _unconfirmed(consultation)


def test_the_agenda_editor_points_to_the_console_instead_of_confirming(
    consultation, secretariat_user
):
    client = Client()
    client.force_login(activate_totp(secretariat_user))
    page = client.get("/en/c/vcc-2/agenda/edit/").content.decode()
    assert f'action="{CONFIRM}"' not in page
    assert f'href="{CONSOLE}#confirm-agenda"' in page


def test_the_api_follows_the_same_rule(client, consultation, chair, secretariat_user):
    token = user_token(chair)
    refused = client.post(API_CONFIRM, **bearer(token))
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_opening_meeting"
    assert refused.json()["detail"] == REFUSAL
    assert _unconfirmed(consultation)
    factories.opening_meeting(consultation)
    focal = client.post(API_CONFIRM, **bearer(user_token(factories.focal_point("CH"))))
    assert focal.status_code == 403
    done = client.post(API_CONFIRM, **bearer(token))
    assert done.status_code == 200
    assert done.json()["number"] == 1
    again = client.post(API_CONFIRM, **bearer(user_token(activate_totp(secretariat_user))))
    assert again.status_code == 400 and again.json()["code"] == "already_confirmed"
