"""Every page in all six languages; Arabic right-to-left; unknown languages fall back to
English with a notice; the language choice is remembered."""

import re

import pytest

from tests import factories

LANGUAGES = ["ar", "zh-hans", "en", "fr", "ru", "es"]
PAGES = [
    "/{lang}/c/vcc-2/",
    "/{lang}/c/vcc-2/agenda/",
    "/{lang}/states/",
    "/{lang}/accounts/login/",
]
# One word of the navigation per language, from the catalogs.
MEMBER_STATES = {
    "ar": "الدول الأعضاء",
    "zh-hans": "成员国",
    "en": "Member States",
    "fr": "États Membres",
    "ru": "Государства-Члены",
    "es": "Estados Miembros",
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_every_language(client, vcc2, lang, page):
    response = client.get(page.format(lang=lang))
    assert response.status_code == 200
    html = response.content.decode()
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in html
    stylesheet = "bootstrap.rtl.min.css" if lang == "ar" else "bootstrap.min.css"
    assert stylesheet in html
    assert MEMBER_STATES[lang] in html


def test_agenda_lists_every_item_with_its_documents(client, vcc2):
    html = client.get("/en/c/vcc-2/agenda/").content.decode()
    assert len(re.findall(r'<tr id="item-\d+\.\d+">', html)) == 66
    assert "[C20/40]" in html  # pending documents in square brackets
    assert "C20/21(Rev.3)" in html
    assert "ADM 4" in html


def test_agenda_in_chinese_shows_chinese_subjects(client, vcc2):
    html = client.get("/zh-hans/c/vcc-2/agenda/").content.decode()
    assert "世界电信和信息社会日（第68号决议）" in html
    assert "not yet translated" not in html  # every subject exists in Chinese


def test_agenda_in_french_marks_subjects_shown_in_english(client, vcc2):
    html = client.get("/fr/c/vcc-2/agenda/").content.decode()
    assert html.count('<span lang="en" dir="ltr">') == 66
    assert "66" in html  # the notice counts them


def test_home_shows_geneva_time_with_its_label(client, vcc2):
    html = client.get("/en/c/vcc-2/").content.decode()
    assert "Monday, November 16, 2020, 12:00–15:00" in html
    assert "Geneva time (UTC+1)" in html
    assert 'data-utc="2020-11-16T11:00:00+00:00"' in html
    assert "Monday, November 2, 2020, 23:59" in html  # contribution deadline


def test_home_in_arabic_names_geneva_time_in_arabic(client, vcc2):
    html = client.get("/ar/c/vcc-2/").content.decode()
    assert "بتوقيت جنيف" in html
    assert "المشاورة الافتراضية الثانية للمستشارين" in html


def test_state_list_counts_and_filters(client, vcc2):
    html = client.get("/en/states/?on=2020-11-16").content.decode()
    assert "193 Member States on 2020-11-16." in html
    assert "48 of them hold a seat on the Council 2019-2022." in html
    assert "State of Palestine" in html
    africa = client.get("/en/states/?on=2020-11-16&region=D").content.decode()
    assert africa.count("<tr>") - 1 == 54


def test_state_list_bad_input_is_explained(client, vcc2):
    html = client.get("/fr/states/?on=not-a-date&region=Z").content.decode()
    assert 'role="status"' in html
    assert "Z" in html


def test_unknown_language_prefix_falls_back_to_english_with_a_notice(client, vcc2):
    response = client.get("/de/c/vcc-2/agenda/")
    assert response.status_code == 302
    assert response["Location"] == "/en/c/vcc-2/agenda/?unsupported_language=de"
    page = client.get(response["Location"]).content.decode()
    assert 'id="unsupported-language"' in page
    assert "“de”" in page


def test_unknown_language_in_the_switcher_falls_back_with_a_notice(client, vcc2):
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/fr/states/"}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/en/")
    assert "“xx”" in response.content.decode()


def test_language_choice_is_remembered_in_a_cookie_and_on_the_account(client, vcc2):
    user = factories.delegate("CN")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/en/states/"})
    assert response.status_code == 302
    assert response["Location"] == "/ru/states/"
    assert client.cookies["plenary_language"].value == "ru"
    user.refresh_from_db()
    assert user.language == "ru"
    # The bare address now opens in Russian.
    assert client.get("/")["Location"] == "/ru/"


def test_unknown_consultation_is_404(client, vcc2):
    assert client.get("/en/c/nope/").status_code == 404


def test_a_refused_action_shows_its_reason_and_returns_to_the_form(rf, vcc2):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.utils import translation

    from plenary.core.errors import DomainError
    from plenary.core.middleware import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: None)
    request = rf.post("/en/c/vcc-2/agenda/", HTTP_REFERER="http://testserver/en/c/vcc-2/agenda/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with translation.override("fr"):
        response = middleware.process_exception(
            request, DomainError(translation.gettext_lazy("Not allowed"))
        )
        shown = [str(m) for m in request._messages]
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/en/c/vcc-2/agenda/"
    assert shown == ["Accès non autorisé"]
    # Without a page to go back to, the reason is shown on a page of its own.
    request = rf.get("/en/c/vcc-2/")
    request.user = None
    response = middleware.process_exception(request, DomainError("Closed.", code="closed"))
    assert response.status_code == 400
    assert b"Closed." in response.content
