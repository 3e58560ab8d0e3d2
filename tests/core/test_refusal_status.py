"""A refusal answers the status of its code's kind (core.errors.REFUSALS) on a page as in
the API: a "not you" refusal is 403 whether the form was sent from a page (with the Referer
a browser sends) or by the API; only a "not now, or not this way" refusal goes back to the
form with the reason shown."""

import pytest
from django.test import Client
from django.urls import reverse

from plenary.core.errors import REFUSALS, DomainError, Kind
from plenary.core.models import User
from tests import factories

from ..api.conftest import bearer, user_token
from .test_errors import _french_contribution

FOCAL_CH = "focal.point.ch@example.org"


def _page_post(consultation, contribution, data):
    """The contribution page's action form, sent as a browser sends it."""
    client = Client()
    client.force_login(User.objects.get(email=FOCAL_CH))
    page = reverse("contribution_detail", args=[consultation.slug, contribution.pk])
    return client.post(
        reverse("contribution_action", args=[consultation.slug, contribution.pk]),
        data,
        HTTP_REFERER=f"http://testserver{page}",
    )


def _api_post(path, data):
    token = user_token(User.objects.get(email=FOCAL_CH))
    return Client().post(path, data, content_type="application/json", **bearer(token))


@pytest.mark.parametrize(
    ("page_data", "api_action", "api_data", "code"),
    [
        ({"action": "withdraw"}, "withdraw", {}, "not_your_state"),
        ({"action": "confirm", "state": "FR"}, "co-submission", {"state": "FR"}, "not_your_state"),
    ],
)
def test_not_your_state_is_403_on_the_page_and_in_the_api(
    consultation, page_data, api_action, api_data, code
):
    from plenary.directory.models import State

    assert REFUSALS[code] is Kind.PERMISSION
    contribution = _french_contribution(consultation)
    if "state" in page_data:
        page_data = {**page_data, "state": State.objects.get(iso2=page_data["state"]).pk}
    page = _page_post(consultation, contribution, page_data)
    assert page.status_code == 403, page.content[:500]
    assert "Only" in page.content.decode()  # the reason, in words
    back = reverse("contribution_detail", args=[consultation.slug, contribution.pk])
    assert f'href="http://testserver{back}"' in page.content.decode()  # the way back
    base = f"/api/v1/consultations/{consultation.slug}/contributions/{contribution.pk}"
    answer = _api_post(f"{base}/{api_action}", api_data)
    assert (answer.status_code, answer.json()["code"]) == (403, code)
    contribution.refresh_from_db()
    assert contribution.status != "withdrawn"


def _refused(rf, code: str, *, method="post"):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from plenary.core.middleware import DomainErrorMiddleware

    back = "http://testserver/en/c/vcc-2/floor/"
    request = getattr(rf, method)("/en/c/vcc-2/floor/ask/", HTTP_REFERER=back)
    request.session = {}
    request.user = None
    request._messages = FallbackStorage(request)
    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, DomainError("Refused.", code=code)
    )
    return response, [str(m) for m in request._messages]


@pytest.mark.parametrize("code", ["not_yours", "not_your_state", "not_chair", "bad_link"])
def test_every_permission_code_sent_from_a_page_answers_403(rf, vcc2, code):
    response, shown = _refused(rf, code)
    assert (response.status_code, shown) == (403, [])
    assert b"Refused." in response.content


def test_each_kind_is_answered_with_its_own_status_from_a_page(rf, vcc2):
    samples = {}
    for code, kind in REFUSALS.items():
        samples.setdefault(kind, code)
    assert set(samples) == set(Kind)  # every kind has a code declared
    for kind, code in samples.items():
        response, shown = _refused(rf, code)
        if kind is Kind.INVALID:
            # not now, or not this way: back to the form, the reason shown there
            assert (response.status_code, shown) == (302, ["Refused."])
        else:
            assert (response.status_code, shown) == (kind.status, []), code


@pytest.mark.django_db(transaction=True)
def test_the_live_floor_socket_refuses_with_the_declared_status(client, vcc2, chair):
    """A viewer asking for the floor: the frame carries the code and its kind's status."""
    import asyncio
    import json

    from plenary.registration import services as registration

    from ..floor.test_floor import _connect, _session_cookie

    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    viewer = factories.participant(consultation, "FR", speaker=False)
    cookie = _session_cookie(client.__class__(), token=registration.send_link(viewer, actor=chair))

    async def scenario():
        watching, connected = await _connect(cookie)
        assert connected
        await watching.receive_from()  # the snapshot
        await watching.send_to(text_data=json.dumps({"op": "ask"}))
        refused = json.loads(await watching.receive_from())
        await watching.send_to(text_data="{not json")
        malformed = json.loads(await watching.receive_from())
        await watching.disconnect()
        return refused, malformed

    refused, malformed = asyncio.run(scenario())
    assert (refused["code"], refused["status"]) == ("not_speaker", 403)
    assert (malformed["code"], malformed["status"]) == ("bad_message", 400)
