"""State names in the six languages: CLDR's (through Babel) unless the organisation's
official name for that language is recorded (OfficialName)."""

from django.utils import translation

from plenary.core.timezones import babel_locale


def cldr_name(iso2: str, language: str | None = None) -> str:
    return babel_locale(language).territories.get(iso2, iso2)


def state_name(state, language: str | None = None) -> str:
    language = language or translation.get_language() or "en"
    cache = getattr(state, "_official_names_cache", None)
    if cache is None:
        cache = {name.language: name.name for name in state.official_names.all()}
        state._official_names_cache = cache
    return cache.get(language) or cldr_name(state.iso2, language)
