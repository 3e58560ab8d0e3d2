"""The template tags every page may use: `{% load plenary %}`. They know core only; a tag or
filter that needs an app lives in that app's own library (`{% load planning %}`,
`{% load directory %}`)."""

from datetime import datetime

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from plenary.core import timezones
from plenary.core import translated as translated_content

register = template.Library()


@register.simple_tag
def when(moment, consultation, until=None):
    """A moment in the consultation's zone with its label and UTC offset; the viewer's own
    local time is added beside it by static/plenary/js/local-time.js."""
    language = translation.get_language()
    zone_name = consultation.time_zone
    text = timezones.format_moment(moment, zone_name, language)
    if until is not None:
        text += "–" + timezones.format_clock(until, zone_name, language)
    return format_html(
        '<time datetime="{}">{}</time> <span class="zone-label">{} ({})</span>'
        '<span class="viewer-time d-block small text-body-secondary" data-utc="{}" data-until="{}" data-label="{}" hidden></span>',
        moment.astimezone(timezones.UTC).isoformat(),
        text,
        consultation.time_zone_label,
        timezones.utc_offset_label(moment, zone_name),
        moment.astimezone(timezones.UTC).isoformat(),
        until.astimezone(timezones.UTC).isoformat() if until is not None else "",
        _("Your time"),
    )


@register.simple_tag
def day_range(first, last):
    return timezones.format_day_range(first, last, translation.get_language())


@register.simple_tag
def day(value, fmt="full"):
    return timezones.format_day(value, translation.get_language(), fmt)


@register.simple_tag
def translated(obj, field):
    """A translated field in the reader's language; where that text is missing, the English
    one, marked with its language and a visible notice."""
    language = translation.get_language() or "en"
    own = getattr(obj, translated_content.column(field, language), None)
    if own:
        return own
    fallback = getattr(obj, f"{field}_en", "") or ""
    if not fallback or language == "en":
        return fallback
    return format_html(
        '<span lang="en" dir="ltr">{}</span> <abbr class="badge text-bg-light border translation-missing" title="{}">EN</abbr>',
        fallback,
        _("not yet translated; shown in English"),
    )


@register.simple_tag
def clock(moment, consultation):
    """HH:MM in the consultation's zone; accepts a datetime or an ISO string."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return timezones.format_clock(moment, consultation.time_zone, translation.get_language())


@register.simple_tag(takes_context=True)
def may(context, permission, obj=None):
    """{% may "consultations.edit_agenda" consultation as can_edit %}: the rule, for the reader."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.has_perm(permission, obj))


def _zone_name(moment) -> str:
    return getattr(moment.tzinfo, "key", "UTC")


@register.simple_tag(name="moment")
def moment_tag(value):
    """Full date and time of an aware moment in its own zone (a preview shows the same
    moment in the consultation's zone and in UTC)."""
    return timezones.format_moment(value, _zone_name(value), translation.get_language())


@register.simple_tag
def clock_of(value):
    """HH:MM of an aware moment in its own zone."""
    return timezones.format_clock(value, _zone_name(value), translation.get_language())
