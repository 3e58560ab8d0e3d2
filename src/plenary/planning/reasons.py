"""Why an item is not in the plan, in words (the planner's codes)."""

from django.utils.translation import gettext_lazy as _

from . import planner

REASONS = {
    planner.TOO_LONG: _("It needs more time than a whole meeting day."),
    planner.NO_TIME: _("No time is left for it in the meeting days."),
    planner.PINNED_OUTSIDE: _("It is pinned to a day on which the consultation does not meet."),
    planner.PINNED_DAY_FULL: _("The items pinned to its day do not fit in that day."),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))
