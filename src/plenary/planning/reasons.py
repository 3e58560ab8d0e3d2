"""Why an item is not in the plan, in words (the planner's codes)."""

from django.utils.translation import gettext_lazy as _

from . import planner

REASONS = {
    planner.TOO_LONG: _("longer than a whole meeting day"),
    planner.NO_TIME: _("no time left in the days available"),
    planner.PINNED_OUTSIDE: _("pinned to a day the consultation does not have"),
    planner.PINNED_DAY_FULL: _("the items pinned to its day do not fit in it"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))
