"""Complete catalogs: every interface string exists in the five other languages, none is
fuzzy, every placeholder survives translation, and the compiled catalogs match."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "src" / "plenary" / "locale"
TRANSLATED = ["ar", "zh_Hans", "fr", "ru", "es"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalog(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po)


def _strings(message):
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _ids(message):
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalog = _catalog(language)
    english = {m.id for m in _catalog("en") if m.id}
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == english
    assert [m.id for m in messages if m.fuzzy] == []
    assert [m.id for m in messages if not all(_strings(m))] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language):
    for message in _catalog(language):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        for text in _strings(message):
            assert set(PLACEHOLDER.findall(text)) == expected, message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_the_source(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in _catalog(language):
        if message.id and not message.pluralizable:
            found = (
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            )
            assert found == message.string, message.id


def test_a_message_with_a_context_is_translated_apart():
    """ "Open" on a button and "Open", the state of a ballot, are two messages."""
    from django.utils import translation

    from plenary.ballots.models import Ballot

    with translation.override("es"):
        assert str(Ballot.Status.OPEN.label) == "Abierta"
        assert translation.gettext("Open") == "Abrir"
