import datetime

from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import queries
from .models import Region


def state_list(request):
    """The directory on a day (today, or ?on=YYYY-MM-DD), optionally one region (?region=A)."""
    day = timezone.localdate()
    problem = ""
    if request.GET.get("on"):
        try:
            day = datetime.date.fromisoformat(request.GET["on"])
        except ValueError:
            problem = _("“%(value)s” is not a date; showing today.") % {
                "value": request.GET["on"][:20]
            }
    region = request.GET.get("region") or None
    regions = list(Region.objects.all())
    if region and region not in {r.code for r in regions}:
        problem = _("There is no region “%(code)s”; showing all regions.") % {"code": region[:5]}
        region = None
    rows = queries.directory_rows(day, translation.get_language(), region)
    term = queries.term_on(day)
    return render(
        request,
        "directory/state_list.html",
        {
            "rows": rows,
            "day": day,
            "term": term,
            "regions": regions,
            "region": region,
            "problem": problem,
            "member_count": sum(1 for row in rows if not row["observer"]),
            "council_count": sum(1 for row in rows if row["council"]),
        },
    )
