"""Times are stored in UTC and shown in Geneva time with its label (R24), across DST."""

import datetime

from plenary.core import timezones

UTC = datetime.UTC


def test_noon_in_geneva_in_november_is_11_utc():
    assert timezones.at(
        datetime.date(2020, 11, 16), datetime.time(12), "Europe/Zurich"
    ) == datetime.datetime(2020, 11, 16, 11, 0, tzinfo=UTC)


def test_noon_in_geneva_in_october_before_the_change_is_10_utc():
    # Summer time ends on the last Sunday of October (25 October 2020).
    assert timezones.at(datetime.date(2020, 10, 24), datetime.time(12), "Europe/Zurich").hour == 10
    assert timezones.at(datetime.date(2020, 10, 26), datetime.time(12), "Europe/Zurich").hour == 11


def test_offset_labels_follow_the_date():
    summer = datetime.datetime(2020, 10, 15, 10, tzinfo=UTC)
    winter = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    assert timezones.utc_offset_label(summer, "Europe/Zurich") == "UTC+2"
    assert timezones.utc_offset_label(winter, "Europe/Zurich") == "UTC+1"
    assert timezones.utc_offset_label(winter, "Asia/Kolkata") == "UTC+5:30"
    assert timezones.utc_offset_label(winter, "America/New_York") == "UTC−5"
    assert timezones.utc_offset_label(winter, "UTC") == "UTC"


def test_end_of_day_is_the_last_instant_of_that_day_in_the_zone():
    end = timezones.end_of_day(datetime.date(2020, 11, 2), "Europe/Zurich")
    assert end.astimezone(timezones.zone("Europe/Zurich")).date() == datetime.date(2020, 11, 2)
    assert end + datetime.timedelta(microseconds=1) == datetime.datetime(
        2020, 11, 2, 23, tzinfo=UTC
    )


def test_formatting_in_each_language_uses_cldr():
    moment = datetime.datetime(2020, 11, 16, 11, tzinfo=UTC)
    assert (
        timezones.format_moment(moment, "Europe/Zurich", "en") == "Monday, November 16, 2020, 12:00"
    )
    assert timezones.format_moment(moment, "Europe/Zurich", "fr") == "lundi 16 novembre 2020, 12:00"
    assert "2020年11月16日" in timezones.format_moment(moment, "Europe/Zurich", "zh-hans")
    assert "نوفمبر" in timezones.format_moment(moment, "Europe/Zurich", "ar")
    assert timezones.format_clock(moment, "Asia/Shanghai", "en") == "19:00"


def test_unknown_zone_is_detected():
    assert timezones.is_valid_zone("Europe/Zurich")
    assert not timezones.is_valid_zone("Europe/Geneva")
    assert not timezones.is_valid_zone("../etc/passwd")
