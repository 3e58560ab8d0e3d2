"""Times are stored in UTC, shown in the consultation's zone (Geneva) with its label, and
beside it in the viewer's own zone."""

import datetime as datetime_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from django.utils import translation

UTC = datetime_module.UTC


def babel_locale(language: str | None = None) -> Locale:
    """The CLDR locale for one of our language codes ('zh-hans' -> zh_Hans)."""
    code = (language or translation.get_language() or "en").replace("-", "_")
    try:
        return Locale.parse(code, sep="_")
    except (ValueError, LookupError):
        return Locale.parse("en")


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def at(day: date, clock: time, zone_name: str) -> datetime:
    """The UTC instant of a wall-clock time on a day in a zone (e.g. 12:00 in Geneva)."""
    local = datetime.combine(day, clock, tzinfo=ZoneInfo(zone_name))
    return local.astimezone(UTC)


class NotOnTheClock(ValueError):
    """A wall-clock time that the zone's clocks skip (`gap`: spring forward) or show twice
    (`fold`: fall back), so that it names no single instant."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def wall_clock(local: datetime, zone_name: str) -> datetime:
    """The UTC instant that a zone's clocks show as the naive `local` (an aware one is only
    converted). Raises NotOnTheClock for a time skipped or repeated by a change of the
    zone's offset (summer time), rather than guessing which instant was meant."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = ZoneInfo(zone_name)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Both readings exist in a fold; in a gap neither comes back to the same clock.
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        raise NotOnTheClock("fold" if back == local else "gap")
    return first.astimezone(UTC)


def end_of_day(day: date, zone_name: str) -> datetime:
    """The last instant of a day in a zone (shown as 23:59 of that day)."""
    return at(day, time(23, 59, 59, 999999), zone_name)


def utc_offset_label(moment: datetime, zone_name: str) -> str:
    """'UTC+1', 'UTC+5:30', 'UTC' — the offset in force at that moment."""
    offset = moment.astimezone(ZoneInfo(zone_name)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(moment: datetime, zone_name: str, language: str | None = None) -> str:
    """Full date and 24-hour time in a zone, in the language's own CLDR patterns."""
    locale = babel_locale(language)
    local = moment.astimezone(ZoneInfo(zone_name))
    day = babel_format_date(local.date(), format="full", locale=locale)
    clock = babel_format_time(local.timetz(), format="HH:mm", locale=locale)
    return f"{day}, {clock}"


def format_day(day: date, language: str | None = None, fmt: str = "full") -> str:
    return babel_format_date(day, format=fmt, locale=babel_locale(language))


def format_clock(moment: datetime, zone_name: str, language: str | None = None) -> str:
    return babel_format_time(
        moment.astimezone(ZoneInfo(zone_name)), format="HH:mm", locale=babel_locale(language)
    )


def format_day_range(first: date, last: date, language: str | None = None) -> str:
    from babel.dates import format_interval

    return format_interval(first, last, skeleton="yMMMMd", locale=babel_locale(language))


__all__ = [
    "UTC",
    "NotOnTheClock",
    "at",
    "babel_locale",
    "end_of_day",
    "format_clock",
    "format_day",
    "format_day_range",
    "format_moment",
    "is_valid_zone",
    "utc_offset_label",
    "wall_clock",
    "zone",
]
