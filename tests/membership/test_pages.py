"""The secretariat's membership pages open in each of the six languages."""

import pytest

LANGUAGES = ["ar", "zh-hans", "en", "fr", "ru", "es"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_membership_page_in_every_language(secretariat_client, consultation, lang):
    term = consultation.council_term
    for path in (
        "secretariat/council/",
        f"secretariat/council/{term.pk}/",
        "secretariat/voting-rights/",
        "secretariat/sector-members/",
        f"c/{consultation.slug}/sector-members/",
    ):
        response = secretariat_client.get(f"/{lang}/{path}")
        assert response.status_code == 200, (lang, path)
        assert f'lang="{lang}"' in response.content.decode()
