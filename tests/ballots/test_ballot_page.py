"""The ballot page shows only how many replies came in while the ballot is open, and the
result once it is closed; the deadline is entered and shown on the consultation's clock
(Geneva for VCC-2), across the changes of summer time."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.ballots import services
from plenary.ballots.models import Ballot
from plenary.core import timezones
from plenary.directory.models import State
from tests import factories
from tests.api.conftest import activate_totp

EMAIL = b"From: focal.point@example.org\nSubject: Reply to the ballot\n\nIn favour.\n"
UTC = datetime.UTC


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secretariat_page(secretariat_user):
    return _signed_in(activate_totp(secretariat_user))


@pytest.fixture
def replied(consultation, secretariat_user, chair):
    """An open ballot on one proposal, with Kenya's reply in favour entered by e-mail."""
    ballot = factories.ballot(consultation, actor=secretariat_user, approved_by=chair)
    services.enter_email_reply(
        ballot.proposals.get(),
        State.objects.get(iso2="KE"),
        "in_favour",
        evidence=SimpleUploadedFile("r.eml", EMAIL),
        actor=secretariat_user,
    )
    return ballot


def _main(html: str) -> str:
    return html.split("<main", 1)[-1]


# --- open, then closed --------------------------------------------------------------------------


def test_while_open_the_page_gives_the_number_of_replies_and_no_result(
    client, secretariat_page, replied
):
    voters = replied.electors.filter(has_vote=True).count()
    url = f"/en/c/vcc-2/ballots/{replied.pk}/"
    for page in (client, secretariat_page):
        html = _main(page.get(url).content.decode())
        assert f"1 reply received of {voters} Member States having the right to vote" in html
        assert "Not adopted." not in html and "Adopted." not in html
        assert "In favour: " not in html  # no tally
    # The secretariat sees that Kenya replied, not how.
    html = _main(secretariat_page.get(url).content.decode())
    assert "Replied (shown after closing)" in html
    record = html.split("Record of the replies")[1].split("Electorate")[0]
    assert "Kenya" in record and "In favour" not in record


def test_once_closed_the_page_gives_the_result_and_no_longer_the_count(
    client, secretariat_user, replied
):
    services.close(
        replied, actor=secretariat_user, now=replied.deadline + datetime.timedelta(minutes=1)
    )
    html = _main(client.get(f"/en/c/vcc-2/ballots/{replied.pk}/").content.decode())
    assert "Not adopted." in html  # one reply in favour of 47
    assert "In favour: 1; against: 0" in html
    assert "reply received of" not in html
    record = html.split("Record of the replies")[1].split("Electorate")[0]
    assert "Kenya" in record and "In favour" in record


def test_the_french_page_counts_the_replies_in_french(client, replied):
    html = _main(client.get(f"/fr/c/vcc-2/ballots/{replied.pk}/").content.decode())
    assert "Non adopté" not in html and "Adopté." not in html
    assert "Pour : " not in html  # no tally in French either


# --- the deadline on Geneva's clock ---------------------------------------------------------------


def _last_sunday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


NEXT_YEAR = datetime.date.today().year + 1
SPRING = _last_sunday(NEXT_YEAR, 3)  # Europe: summer time begins at 02:00 -> 03:00
AUTUMN = _last_sunday(NEXT_YEAR, 10)  # and ends at 03:00 -> 02:00


def _prepare(page, deadline: str, title: str, language: str = "en"):
    return page.post(
        f"/{language}/c/vcc-2/ballots/new/",
        {
            "title": title,
            "question": "Do you approve the transfer?",
            "proposals": "The Council approves the transfer.",
            "deadline": deadline,
            "rule": "electorate",
        },
        HTTP_REFERER=f"http://testserver/{language}/c/vcc-2/ballots/new/",
        follow=True,
    )


def test_the_form_asks_for_geneva_time(secretariat_page):
    html = secretariat_page.get("/en/c/vcc-2/ballots/new/").content.decode()
    assert "Deadline (Geneva time)" in html
    assert "UTC)" not in html


def test_a_deadline_before_and_after_the_spring_change_is_read_on_genevas_clock(
    secretariat_page, consultation
):
    before, after = SPRING - datetime.timedelta(days=1), SPRING + datetime.timedelta(days=1)
    _prepare(secretariat_page, f"{before:%Y-%m-%d}T12:00", "Winter")
    _prepare(secretariat_page, f"{after:%Y-%m-%d}T12:00", "Summer")
    winter = Ballot.objects.get(title="Winter").deadline
    summer = Ballot.objects.get(title="Summer").deadline
    assert winter == datetime.datetime.combine(before, datetime.time(11), tzinfo=UTC)  # UTC+1
    assert summer == datetime.datetime.combine(after, datetime.time(10), tzinfo=UTC)  # UTC+2
    # Shown on Geneva's clock, with the offset of that day.
    page = secretariat_page.get(f"/en/c/vcc-2/ballots/{Ballot.objects.get(title='Summer').pk}/")
    html = page.content.decode()
    assert "12:00</time>" in html and "Geneva time (UTC+2)" in html
    # The edit form gives back what was typed.
    edit = secretariat_page.get(
        f"/en/c/vcc-2/ballots/{Ballot.objects.get(title='Winter').pk}/edit/"
    ).content.decode()
    assert f'value="{before:%Y-%m-%d}T12:00"' in edit


def test_the_autumn_change_is_read_as_winter_time(secretariat_page):
    after = AUTUMN + datetime.timedelta(days=1)
    _prepare(secretariat_page, f"{after:%Y-%m-%d}T12:00", "Autumn")
    assert Ballot.objects.get(title="Autumn").deadline == datetime.datetime.combine(
        after, datetime.time(11), tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("day", "clock", "said"),
    [
        ("spring", "02:30", "does not exist in Geneva time"),
        ("autumn", "02:30", "occurs twice in Geneva time"),
    ],
)
def test_a_time_the_clocks_skip_or_repeat_is_refused_and_nothing_is_prepared(
    secretariat_page, day, clock, said
):
    date = SPRING if day == "spring" else AUTUMN
    response = _prepare(secretariat_page, f"{date:%Y-%m-%d}T{clock}", "On the change")
    html = response.content.decode()
    assert f"{date:%Y-%m-%d} {clock} {said}" in html
    assert not Ballot.objects.filter(title="On the change").exists()


@pytest.mark.parametrize("typed", ["31/02/2031 noon", "2031-02-31T12:00", ""])
def test_an_unparsable_deadline_is_refused_in_the_readers_language(secretariat_page, typed):
    response = _prepare(secretariat_page, typed, "Unparsable", language="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une date et une heure valides." in html or "Ce champ est obligatoire." in html
    assert not Ballot.objects.filter(title="Unparsable").exists()


def test_a_deadline_in_the_past_is_refused_and_nothing_is_prepared(secretariat_page):
    response = _prepare(secretariat_page, "2001-01-01T12:00", "Past")
    assert "Deadline: it must be in the future." in response.content.decode()
    assert not Ballot.objects.filter(title="Past").exists()


# --- the rule of the clock, for any time --------------------------------------------------------


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(2019, 1, 1), max_value=datetime.datetime(2035, 12, 31)
    ),
    st.sampled_from(["Europe/Zurich", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo"]),
)
def test_a_wall_clock_time_names_one_instant_or_is_refused(local, zone_name):
    zone = ZoneInfo(zone_name)
    try:
        instant = timezones.wall_clock(local, zone_name)
    except timezones.NotOnTheClock as refused:
        first = local.replace(tzinfo=zone, fold=0)
        second = local.replace(tzinfo=zone, fold=1)
        assert first.utcoffset() != second.utcoffset()
        back = {
            moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local
            for moment in (first, second)
        }
        # skipped: neither reading comes back to the clock typed; repeated: both do
        assert back == ({False} if refused.kind == "gap" else {True})
        return
    assert instant.tzinfo is UTC
    assert instant.astimezone(zone).replace(tzinfo=None) == local


def test_the_invitation_and_the_reminder_name_the_deadline_on_genevas_clock(
    consultation, secretariat_user, chair
):
    from plenary.ballots.reminders import remind
    from plenary.core.models import OutboxMessage, User

    ballot = factories.ballot(consultation, actor=secretariat_user, approved_by=chair)
    voter = User.objects.create_user("vote.ke@example.org", "a-long-passphrase-for-voting")
    services.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="KE"), voter, actor=secretariat_user
    )
    remind(ballot.pk)
    local = ballot.deadline.astimezone(ZoneInfo(consultation.time_zone))
    offset = timezones.utc_offset_label(ballot.deadline, consultation.time_zone)
    written = f"{local:%Y-%m-%d %H:%M} Geneva time ({offset})"
    bodies = [m.body for m in OutboxMessage.objects.filter(to=["vote.ke@example.org"])]
    assert len(bodies) == 2
    assert all(written in body for body in bodies)
    assert all(" UTC." not in body for body in bodies)
