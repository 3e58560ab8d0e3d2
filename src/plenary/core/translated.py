"""Translated content: django-modeltranslation keeps one column per language (`subject_en`,
`subject_zh_hans`…). These are the only functions that name such a column, so that the rule
for its name ("zh-hans" → "zh_hans") is written once."""

from django.conf import settings
from modeltranslation.utils import build_localized_fieldname


def column(field: str, language: str) -> str:
    """The column holding `field` in `language`: column("subject", "zh-hans") is
    "subject_zh_hans"."""
    return build_localized_fieldname(field, language)


def text(obj, field: str, language: str) -> str:
    """The text of `field` in `language`, "" where there is none."""
    return getattr(obj, column(field, language), None) or ""


def texts(obj, field: str, languages=None) -> dict[str, str]:
    """Every language (of `languages`, by default the six) in which `field` has a text."""
    codes = languages if languages is not None else [code for code, _name in settings.LANGUAGES]
    return {code: value for code in codes if (value := text(obj, field, code))}
