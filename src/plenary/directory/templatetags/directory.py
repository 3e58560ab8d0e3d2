"""The directory's template filters: `{% load directory %}`."""

from django import template
from django.utils import translation

from plenary.directory.names import state_name

register = template.Library()


@register.filter
def name_of(state):
    """A state's name in the reader's language: {{ row.state|name_of }}."""
    return state_name(state, translation.get_language())
