"""Speaking time as pure functions: the limit of a speech by its delegation's category, the
clock of one speech that a point of order may stop and that resumes with its remaining
time, and the totals per delegation and per category.

A speech's clock holds what the chair allowed (the category's limit and any extension), the
seconds already spoken in its finished parts, and when the part under way began (None while
it does not have the floor: waiting, interrupted or ended). Every service that gives, stops
or resumes a speech goes through `start` and `stop`, so that the time a speech used is the
sum of the moments it had the floor, whatever interrupted it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

# The speaker is warned this many seconds before the end of the time (live page, console).
WARNING_SECONDS = 30

# The consultation's setting that gives each category its limit.
LIMIT_SETTINGS = {
    "council": "speaking_seconds_council",
    "observer": "speaking_seconds_observer",
    "palestine": "speaking_seconds_observer",
    "sector_member": "speaking_seconds_sector_member",
}


def limit_for(category: str, limits: dict[str, int]) -> int:
    """The seconds a speech of a delegation of `category` is allowed; `limits` maps a
    category to its seconds (`limits_of`). An unknown category gets the shortest."""
    return limits.get(category, min(limits.values()))


def limits_of(consultation) -> dict[str, int]:
    """The consultation's speaking-time settings by category."""
    return {category: getattr(consultation, name) for category, name in LIMIT_SETTINGS.items()}


@dataclass(frozen=True)
class Clock:
    allowed: int
    extra: int = 0
    used: float = 0.0
    since: datetime | None = None

    @property
    def running(self) -> bool:
        return self.since is not None


def start(clock: Clock, now: datetime) -> Clock:
    """The speech has the floor from `now` (first given, or resumed after a point of order)."""
    if clock.running:
        return clock
    return replace(clock, since=now)


def stop(clock: Clock, now: datetime) -> Clock:
    """The speech loses the floor at `now` (interrupted or ended): the part under way is
    added to the time used."""
    if not clock.running:
        return clock
    return replace(
        clock, used=clock.used + max(0.0, (now - clock.since).total_seconds()), since=None
    )


def extend(clock: Clock, seconds: int) -> Clock:
    return replace(clock, extra=clock.extra + seconds)


def used(clock: Clock, now: datetime) -> float:
    """Seconds spoken so far, the part under way included."""
    return stop(clock, now).used


def left(clock: Clock, now: datetime) -> float:
    """Seconds left (negative once the time is over)."""
    return clock.allowed + clock.extra - used(clock, now)


@dataclass(frozen=True)
class Spoken:
    delegation: int
    category: str
    seconds: float


@dataclass
class Totals:
    by_delegation: dict[int, float] = field(default_factory=dict)
    by_category: dict[str, float] = field(default_factory=dict)
    speeches: dict[int, int] = field(default_factory=dict)  # per delegation
    total: float = 0.0


def totals(spoken: Iterable[Spoken]) -> Totals:
    """The seconds used per delegation and per category, and in all."""
    result = Totals()
    for row in spoken:
        result.by_delegation[row.delegation] = result.by_delegation.get(row.delegation, 0.0) + (
            row.seconds
        )
        result.by_category[row.category] = result.by_category.get(row.category, 0.0) + row.seconds
        result.speeches[row.delegation] = result.speeches.get(row.delegation, 0) + 1
        result.total += row.seconds
    return result
