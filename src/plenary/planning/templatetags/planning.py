"""The planning pages' template tags: `{% load planning %}`."""

from django import template

from plenary.planning.reasons import reason_text

register = template.Library()


@register.simple_tag
def plan_reason(code):
    """Why an item is not in the plan, in words: {% plan_reason entry.reason %}."""
    return reason_text(code)
