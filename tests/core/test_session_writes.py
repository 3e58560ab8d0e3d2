"""After a form's change is committed, nothing is left to write to the database: the forms
that only show a message keep it in a cookie (the session is not written), and the forms
that write the session save it inside the change's transaction (core.sessions)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plenary.core.models import AuditEvent
from plenary.remote.models import SupportRequest
from plenary.remote.queries import SUPPORT_SESSION_KEY
from tests import factories


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def test_a_designation_keeps_its_message_in_a_cookie_not_the_session(consultation):
    person = factories.participant(consultation, "CH", speaker=False)
    client = Client()
    client.force_login(factories.focal_point("CH"))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("participant_action", args=[consultation.slug, person.pk]),
            {"action": "speaker"},
        )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="registration.speaker_designated").exists()
    assert _session_writes(queries.captured_queries) == []
    assert "messages" in response.cookies  # "Named as a speaker …", for the next page


def test_a_floor_request_keeps_its_message_in_a_cookie_not_the_session(consultation, chair):
    factories.on_the_floor(consultation, "1.2", actor=chair)
    speaker = factories.participant(consultation, "CH")
    client = Client()
    factories.signed_in_by_link(client, speaker, actor=chair)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("floor_ask", args=[consultation.slug]), {"kind": "speak"})
    assert response.status_code == 302
    assert _session_writes(queries.captured_queries) == []
    assert "messages" in response.cookies


def test_the_help_form_saves_its_session_before_the_commit(consultation):
    """The session that opens the request is saved once, by the view with the request (the
    fault test tests/faults/test_form_and_session.py shows it is in the same transaction),
    and its cookie is sent although SessionMiddleware has nothing left to save."""
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("support_new", args=[consultation.slug]),
            {
                "channel": "form",
                "subject": "No sound",
                "name": "Someone",
                "email": "someone@help.example.org",
            },
        )
    assert response.status_code == 302, response.content[-1500:]
    opened = SupportRequest.objects.get(subject="No sound")
    # the cookie names the session that remembers the request
    session = client.session
    assert session.session_key == response.cookies["sessionid"].value
    assert session[SUPPORT_SESSION_KEY] == [opened.pk]
    sql = [q["sql"] for q in queries.captured_queries]
    writes = _session_writes(queries.captured_queries)
    assert len(writes) == 1  # saved once …
    inserted = next(i for i, s in enumerate(sql) if "remote_supportrequest" in s and "INSERT" in s)
    assert inserted < sql.index(writes[0])  # … after the request was stored
    assert client.get(response["Location"]).status_code == 200
