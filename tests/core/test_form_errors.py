"""A form Django cannot read is said so, each case with its own message (core.middleware.
FormErrorMiddleware), and a long file name is no reason to refuse a file (core.uploads); the
addresses that take a file are the ones core.limits gives the upload limit."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from plenary.contributions.models import Contribution
from plenary.core.limits import UPLOAD_PAGES, route_of

from ..api.conftest import activate_totp, bearer, user_token
from .test_limits import _multipart, _pdf

UNREADABLE = "The form could not be read; send it again."


def _long_headers() -> tuple[bytes, str]:
    # A part whose headers are longer than any a browser sends (over 16 KB).
    return _multipart("n" * 20_000 + ".pdf", _pdf())


def test_a_long_file_name_is_accepted_and_the_file_stored_under_a_name_of_its_own(
    client, consultation, focal_ch
):
    consultation.starts_on = datetime.date(2099, 1, 5)  # the deadline is ahead
    consultation.save()
    client.force_login(focal_ch)
    body, content_type = _multipart("Note verbale " + "é" * 600 + ".pdf", _pdf())
    response = client.post(
        "/en/c/vcc-2/contributions/upload/", data=body, content_type=content_type
    )
    assert response.status_code == 302
    assert "/confirm/" in response["Location"]
    contribution = Contribution.objects.get()
    assert contribution.title.startswith("Note verbale éé")
    assert len(contribution.title) <= 255
    assert contribution.file.name.startswith("contributions/vcc-2-")


def test_an_unreadable_upload_is_said_so_on_the_page(client, consultation, focal_ch):
    client.force_login(focal_ch)
    body, content_type = _long_headers()
    response = client.post(
        "/en/c/vcc-2/contributions/upload/", data=body, content_type=content_type
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert UNREADABLE in text
    assert "larger than" not in text
    assert Contribution.objects.count() == 0


def test_an_unreadable_form_of_a_protected_page_is_said_so(client, consultation, secretariat_user):
    client.force_login(activate_totp(secretariat_user))
    response = client.post(
        "/en/c/vcc-2/agenda/import/", data=b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert UNREADABLE in response.content.decode()


def test_an_unreadable_form_sent_to_the_api_is_a_json_error(client, consultation, secretariat_user):
    secretariat_token = user_token(activate_totp(secretariat_user))
    body, content_type = _long_headers()
    response = client.post(
        "/api/v1/consultations/vcc-2/agenda/import",
        data=body,
        content_type=content_type,
        **bearer(secretariat_token),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": UNREADABLE, "code": "bad_form"}


def test_too_many_fields_and_too_much_text_have_their_own_messages(
    client, consultation, secretariat_user, settings
):
    client.force_login(activate_totp(secretariat_user))
    many = "&".join(f"f{number}=x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post(
        "/en/c/vcc-2/agenda/edit/", data=many, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "The form has too many fields or files." in response.content.decode()

    text = "notes=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/en/c/vcc-2/agenda/edit/", data=text, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "The form is larger than 2.5 MB." in response.content.decode()


def test_the_addresses_that_take_a_file_have_the_upload_limit(consultation):
    with translation.override("fr"):
        pages = {
            "contribution_upload": reverse("contribution_upload", args=["vcc-2"]),
            "agenda_import": reverse("agenda_import", args=["vcc-2"]),
            "council_terms": reverse("council_terms"),
        }
        for path in pages.values():
            route = route_of(path, "POST")
            assert route.upload and route.needs == "account" and not route.api, path
        assert not route_of(reverse("agenda_edit", args=["vcc-2"]), "POST").upload
    assert set(pages) <= UPLOAD_PAGES

    uploads = [
        "/api/v1/consultations/vcc-2/contributions/upload",
        "/api/v1/consultations/vcc-2/agenda/import",
        "/api/v1/consultations/vcc-2/agenda/items/1/documents",
        "/api/v1/consultations/vcc-2/ballots/1/email-replies",
        "/api/v1/consultations/vcc-2/invitations/import",
        "/api/v1/council/terms/import",
    ]
    for path in uploads:
        route = route_of(path, "POST")
        assert route.api and route.upload and route.needs == "credential", path
    # Anonymous callers may send a body here: no credential is asked before it is read.
    for path in [
        "/api/v1/consultations/vcc-2/registrations",
        "/api/v1/tokens/participant",
        "/api/v1/consultations/vcc-2/support-requests",
    ]:
        route = route_of(path, "POST")
        assert route.api and not route.upload and route.needs is None, path
    assert route_of("/api/v1/consultations/vcc-2/plan/publish", "POST").needs == "credential"


@pytest.mark.parametrize("name", sorted(UPLOAD_PAGES))
def test_every_upload_page_exists(name):
    from django.urls import get_resolver

    assert name in get_resolver().reverse_dict
