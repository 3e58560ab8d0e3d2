"""Replies on items, the time management plan, its versions and re-planning (R8, R14, R24)."""

import datetime

import pytest

from plenary.consultations.models import AgendaItem
from plenary.core.errors import DomainError
from plenary.directory.models import State
from plenary.planning import planner, queries, services
from plenary.planning.models import Meeting, PlanVersion
from tests import factories

UTC = datetime.UTC


def test_group_3_items_take_no_replies_and_no_pins(consultation):
    item = factories.item(consultation, "3.1")
    with pytest.raises(DomainError) as refused:
        services.reply_on_item(item, State.objects.get(iso2="CH"), will_speak=True, actor=None)
    assert refused.value.code == "for_information"
    with pytest.raises(DomainError):
        services.pin_item(item, 0, actor=None)


def test_replies_add_to_the_planned_minutes(consultation):
    item = factories.item(consultation, "1.2")
    assert services.item_minutes(consultation)[item.pk] == 10
    services.reply_on_item(
        item, State.objects.get(iso2="CH"), will_speak=True, minutes=7, actor=None
    )
    services.reply_on_item(
        item, State.objects.get(iso2="RU"), will_speak=True, actor=None
    )  # default 3
    services.reply_on_item(item, State.objects.get(iso2="FR"), will_speak=False, actor=None)
    assert services.item_minutes(consultation)[item.pk] == 10 + 7 + 3
    # A changed reply replaces the earlier one.
    services.reply_on_item(item, State.objects.get(iso2="CH"), will_speak=False, actor=None)
    assert services.item_minutes(consultation)[item.pk] == 13


def test_reply_with_absurd_minutes_is_refused(consultation):
    with pytest.raises(DomainError):
        services.reply_on_item(
            factories.item(consultation, "1.1"),
            State.objects.get(iso2="CH"),
            will_speak=True,
            minutes=500,
            actor=None,
        )


def test_vcc2_plan_without_replies_fits_in_the_first_days(consultation):
    plan = services.compute_plan(consultation)
    assert len(plan.slots) == 34
    assert plan.unscheduled == ()
    first = plan.slots[0]
    assert (first.day, first.start) == (0, datetime.datetime(2020, 11, 16, 11, tzinfo=UTC))
    assert all(
        slot.end
        <= datetime.datetime(slot.start.year, slot.start.month, slot.start.day, 14, tzinfo=UTC)
        for slot in plan.slots
    )


def test_group_1_that_cannot_fit_is_reported_with_the_missing_time(consultation):
    for item in AgendaItem.objects.filter(group__consultation=consultation, group__number=1):
        item.base_minutes = 60
        item.save()
    plan = services.compute_plan(consultation)
    # 17 hours of Group 1 in 5 windows of 3 hours: 15 fit, 2 do not.
    assert plan.missing_minutes() == 120
    assert [u.reason for u in plan.unscheduled if u.group == 1] == [
        planner.NO_TIME,
        planner.NO_TIME,
    ]
    assert not any(slot.key in _group_keys(consultation, 2) for slot in plan.slots)


def _group_keys(consultation, number):
    return set(
        AgendaItem.objects.filter(
            group__consultation=consultation, group__number=number
        ).values_list("pk", flat=True)
    )


def test_publishing_versions_the_plan(consultation):
    first = services.publish_plan(consultation, actor=None)
    assert first.number == 1
    assert len(first.slots) == 34
    with pytest.raises(DomainError) as refused:
        services.publish_plan(consultation, actor=None)
    assert refused.value.code == "reason_required"
    second = services.publish_plan(consultation, actor=None, reason="Replies received")
    assert second.number == 2


def test_item_that_runs_over_moves_the_rest_and_says_what_moved(consultation):
    services.publish_plan(consultation, actor=None)
    first, second = factories.item(consultation, "1.1"), factories.item(consultation, "1.2")
    start = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    services.record_item_start(first, at=start, actor=None)
    version = services.record_item_end(first, at=start + datetime.timedelta(minutes=40), actor=None)
    assert version.number == 2
    assert "1.1" in version.reason
    slots = {slot["label"]: slot for slot in version.slots}
    assert slots["1.1"]["done"] is True
    assert slots["1.2"]["start"] == "2020-11-16T11:40:00+00:00"
    moves = {move.label: move for move in queries.moves_since_previous(version)}
    assert moves["1.2"].before == "2020-11-16T11:10:00+00:00"
    assert moves["1.2"].after == "2020-11-16T11:40:00+00:00"
    assert second.pk in {slot["item"] for slot in version.slots}


def test_item_cannot_end_twice_or_before_it_started(consultation):
    item = factories.item(consultation, "1.1")
    start = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    with pytest.raises(DomainError):
        services.record_item_end(item, at=start, actor=None)
    services.record_item_start(item, at=start, actor=None)
    with pytest.raises(DomainError):
        services.record_item_end(item, at=start - datetime.timedelta(minutes=1), actor=None)
    services.record_item_end(item, at=start + datetime.timedelta(minutes=5), actor=None)
    with pytest.raises(DomainError):
        services.record_item_end(item, at=start + datetime.timedelta(minutes=6), actor=None)


def test_pins_open_their_day(consultation):
    item = factories.item(consultation, "2.5")
    services.pin_item(item, 2, actor=None)
    slot = services.compute_plan(consultation).slot_of(item.pk)
    assert (slot.day, slot.start) == (2, datetime.datetime(2020, 11, 18, 11, tzinfo=UTC))
    with pytest.raises(DomainError):
        services.pin_item(item, 5, actor=None)


def test_meetings_and_rehearsal_have_their_own_times(consultation):
    meetings = list(Meeting.objects.filter(consultation=consultation).order_by("starts_at"))
    assert [m.kind for m in meetings] == ["rehearsal"] + ["meeting"] * 5
    assert meetings[0].starts_at == datetime.datetime(2020, 11, 10, 11, tzinfo=UTC)
    assert meetings[1].starts_at == datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    # The rehearsal is not part of the plan: no slot falls on its day.
    plan = services.compute_plan(consultation)
    assert all(slot.start.date() != datetime.date(2020, 11, 10) for slot in plan.slots)


def test_daylight_saving_change_between_registration_and_meetings(consultation):
    """Summer time ends on the last Sunday of October: a consultation across that Sunday has
    its 12:00 Geneva meetings at 10:00 UTC before and 11:00 UTC after."""
    across = factories.another_consultation(
        consultation,
        slug="dst",
        acronym="DST",
        title="Across the change",
        starts_on=datetime.date(2020, 10, 22),
        registration_opens_on=datetime.date(2020, 9, 1),
        max_days=4,
    )
    services.sync_meetings(across)
    starts = [m.starts_at for m in across.meetings.filter(kind="meeting").order_by("number")]
    assert [s.date() for s in starts] == [
        datetime.date(2020, 10, 22),
        datetime.date(2020, 10, 23),
        datetime.date(2020, 10, 26),
        datetime.date(2020, 10, 27),
    ]
    assert [s.hour for s in starts] == [10, 10, 11, 11]
    assert across.registration_opens_at == datetime.datetime(2020, 8, 31, 22, tzinfo=UTC)


# --- through the pages -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "zh-hans", "en", "fr", "ru", "es"])
def test_public_plan_in_every_language(client, consultation, lang):
    services.publish_plan(consultation, actor=None)
    html = client.get(f"/{lang}/c/vcc-2/plan/").content.decode()
    assert "<svg" in html
    assert html.count('<time datetime="2020-11-16') >= 1
    assert 'data-utc="2020-11-16T11:00:00+00:00"' in html


def test_plan_page_before_publication_says_so(client, consultation):
    response = client.get("/en/c/vcc-2/plan/")
    assert response.status_code == 200
    assert "has not been published yet" in response.content.decode()


def test_focal_point_replies_through_the_page_and_the_secretariat_sees_totals(
    client, consultation, secretariat_user, focal_ch
):
    client.force_login(focal_ch)
    item = factories.item(consultation, "1.4")
    page = client.get("/en/c/vcc-2/replies/")
    assert page.status_code == 200
    assert page.content.decode().count("<tr>") == 35  # header + 34 items of Groups 1 and 2
    response = client.post(
        "/en/c/vcc-2/replies/", {f"{item.pk}-will_speak": "yes", f"{item.pk}-minutes": "6"}
    )
    assert response.status_code == 302
    assert services.item_minutes(consultation)[item.pk] == 16
    client.force_login(secretariat_user)
    desk = client.get("/en/c/vcc-2/plan/manage/").content.decode()
    assert "1.4" in desk
    client.post("/en/c/vcc-2/plan/publish/", {})
    assert PlanVersion.objects.filter(consultation=consultation).count() == 1


def test_delegate_cannot_reply_or_plan(client, consultation):
    client.force_login(factories.delegate("CN"))
    assert client.get("/en/c/vcc-2/replies/").status_code == 403
    assert client.get("/en/c/vcc-2/plan/manage/").status_code == 403
    assert client.post("/en/c/vcc-2/plan/publish/").status_code == 403
    assert PlanVersion.objects.count() == 0


def test_shortfall_is_shown_on_the_planning_desk(client, consultation, secretariat_user):
    for item in AgendaItem.objects.filter(group__consultation=consultation, group__number=1):
        item.base_minutes = 60
        item.save()
    client.force_login(secretariat_user)
    html = client.get("/en/c/vcc-2/plan/manage/").content.decode()
    assert 'id="shortfall"' in html
    assert "120 minutes are missing" in html
