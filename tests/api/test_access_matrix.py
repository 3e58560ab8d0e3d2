"""Every cell of the access matrix (access_matrix.ROWS, the table of docs/security.md),
through the API and through the web page: allowed roles get their answer (done, or refused
for a reason that is not who they are), the others are refused for who they are.

Each cell runs in a savepoint rolled back afterwards, so every role meets the same state."""

import datetime
import io
import re
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.test import Client

from plenary.core.errors import REFUSALS, Kind
from tests import factories

from .access_matrix import ROLES, ROWS, markdown_table, notes
from .conftest import activate_totp, participant, user_token

ROOM_ROLES = ("speaker", "viewer", "interpreter", "webcast")
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

# The messages of the services' refusals that mean "not you" (the codes declared
# Kind.PERMISSION in plenary.core.errors), as a page shows them.
PERMISSION_MESSAGES = {
    "Only Member States submit contributions.",
    "Only a Member State's focal point or delegate may submit a contribution.",
    "Only a speaker of the delegation may record this.",
    "Only a state's voting focal point may reply.",
    "Only speakers may ask for the floor; viewers follow the meeting.",
    "Only the presiding officer or the secretariat may do this.",
    "Only the presiding officer or the secretariat runs the meeting.",
    "Only the secretariat appoints voting focal points.",
    "Only the secretariat closes a decision by correspondence.",
    "Only the secretariat decides on extra speakers.",
    "Only the secretariat prepares a decision by correspondence.",
    "Only the presiding officer approves a decision by correspondence.",
    "Only the secretariat publishes contributions.",
    "Only this delegation's focal point or the secretariat may do this.",
    "This request belongs to another delegation.",
    "Only that Member State's focal point may confirm.",
    "Only the submitting Member State or the secretariat may withdraw it.",
    "Only the person who uploaded it, or the secretariat, may delete this draft.",
    "This draft was uploaded by someone else.",
}


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _build_world(consultation):
    from plenary.ballots import services as ballots
    from plenary.consultations import services as agenda
    from plenary.contributions import services as contributions
    from plenary.core.models import User
    from plenary.directory.models import State
    from plenary.floor import services as floor
    from plenary.outcomes import services as outcomes
    from plenary.people import services as people
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation
    from plenary.remote import services as remote

    api_tokens = __import__("plenary.core.tokens", fromlist=["tokens"])
    users = {
        "secretariat": factories.secretariat(),
        "presiding_officer": factories.chair(),
        "focal_point": factories.focal_point("CH"),
        "it_support": factories.it_support(),
        "voting_focal_point": activate_totp(
            User.objects.create_user("vote.ca@example.org", "a-long-passphrase-for-voting")
        ),
        "interpreter": factories.interpreter(),
    }
    secretariat, chair, focal = (
        users["secretariat"],
        users["presiding_officer"],
        users["focal_point"],
    )
    activate_totp(secretariat)
    group1 = consultation.groups.get(number=1)
    item = group1.items.get(number=2)
    recorded_item = group1.items.get(number=3)
    meeting = consultation.meetings.get(kind="meeting", number=1)
    speaker = participant(consultation, "CH", 1)
    viewer = participant(consultation, "CH", 2, speaker=False)
    other_speaker = participant(consultation, "CH", 3)
    pending = factories.registered(
        consultation, "CH", name="CH pending", email="ch.pending@example.org"
    )
    eg_speaker = participant(consultation, "EG", 1)
    participant(consultation, "BE", 1)
    floor.open_meeting(consultation, meeting, actor=chair)
    floor.set_item(consultation, item, actor=chair)
    waiting = floor.ask_for_floor(eg_speaker)
    floor.ask_for_floor(speaker)
    document = agenda.attach_document(
        item, symbol="C20/98", url="https://example.org/c20-98", actor=secretariat
    )
    extra = registration.request_extra_speaker(viewer, item=item, actor=focal)
    ch = State.objects.get(iso2="CH")
    common = {"item": item, "title": "Views", "comments": "", "way_forward": ""}
    submitted = contributions.submit_form(
        consultation, **common, lead_state=ch, actor=secretariat, accept_late=True
    )
    co_submitted = contributions.submit_form(
        consultation,
        **common,
        lead_state=State.objects.get(iso2="FR"),
        co_states=[ch],
        actor=secretariat,
        accept_late=True,
    )
    drafts = {
        role: contributions.prepare_upload(
            consultation,
            data=_pdf(),
            filename="views.pdf",
            actor=users[role],
            now=consultation.contribution_deadline - datetime.timedelta(days=1),
        )[0].pk
        for role in ("focal_point", "secretariat")
    }
    outcomes.draft_conclusion(
        item, texts={"en": "The Council notes it."}, original="en", actor=chair
    )
    be = Delegation.objects.get(consultation=consultation, state__iso2="BE")
    objection = outcomes.record_objection(item, be, "object", actor=chair)
    outcomes.record_outcome(recorded_item, "deferred", actor=chair, reason="Time")
    ballot = factories.ballot(consultation, actor=secretariat, approved_by=chair)
    draft_ballot = factories.draft_ballot(consultation, actor=secretariat)
    ballots.appoint_voting_focal_point(
        ballot, State.objects.get(iso2="CA"), users["voting_focal_point"], actor=secretariat
    )
    # The people of the consultation: an invitation pending, a standing voting focal point.
    invitation = people.invite(
        consultation,
        email="invited.de@example.org",
        state=State.objects.get(iso2="DE"),
        actor=secretariat,
    )
    voting = people.appoint_voting_focal_point(
        consultation, State.objects.get(iso2="CA"), users["voting_focal_point"], actor=secretariat
    )

    # Remote participation: the rehearsal is on now, with its addresses; the speaker asked
    # IT support for help.
    rehearsal = factories.under_way(factories.meeting(consultation, kind="rehearsal"))
    remote.set_meeting_links(
        rehearsal,
        actor=secretariat,
        **{f"{role}_url": f"https://meet.example.org/{role}" for role in ROOM_ROLES},
    )
    support_request = remote.open_request(
        consultation, channel="form", subject="My link fails", participant=speaker
    )
    # A statement for the interpreters of the rehearsal, sent by the speaker.
    from plenary.statements import services as statements

    statement = statements.send_statement(
        rehearsal, item=item, speaker=speaker, language="en", data=_pdf(), participant=speaker
    )

    # The Council's membership: the term of VCC-2, a loss of the vote, an invited Sector Member.
    from plenary.directory.services import suspend_voting_right

    loss = suspend_voting_right(
        State.objects.get(iso2="PY"), since=datetime.date(2020, 1, 1), actor=secretariat
    )
    ids = {
        "term": consultation.council_term_id,
        "loss": loss.pk,
        "sector_member": consultation.sector_members.order_by("pk").first().pk,
        "slug": consultation.slug,
        "rehearsal": rehearsal.pk,
        "support_request": support_request.pk,
        "statement": statement.pk,
        "item": item.pk,
        "subject": item.subject_en,
        "recorded_item": recorded_item.pk,
        "meeting": meeting.pk,
        "document": document.pk,
        "pending": pending.pk,
        "viewer_participant": viewer.pk,
        "other_speaker": other_speaker.pk,
        "extra": extra.pk,
        "waiting": waiting.pk,
        "ch": ch.pk,
        "de": State.objects.get(iso2="DE").pk,
        "ch_delegation": speaker.delegation_id,
        "submitted": submitted.pk,
        "co_submitted": co_submitted.pk,
        "draft": drafts["focal_point"],
        "draft:secretariat": drafts["secretariat"],
        "objection": objection.pk,
        "ballot": ballot.pk,
        "draft_ballot": draft_ballot.pk,
        "proposal": ballot.proposals.get().pk,
        "chair": chair.pk,
        "invitation": invitation.pk,
        "voting": voting.pk,
        "focal_appointment": focal.appointments.get(role="focal_point", state=ch).pk,
    }

    # Who each role is: a token for the API, a browser for the pages.
    tokens, browsers = {"anonymous": None}, {"anonymous": Client()}
    for role, user in users.items():
        tokens[role] = user_token(user)
        browsers[role] = Client()
        browsers[role].force_login(user)
    for role, person in (("speaker", speaker), ("viewer", viewer)):
        link_token = registration.issue_link(person)
        link = registration.resolve_link(link_token)
        tokens[role] = api_tokens.create_participant_token(link, name="matrix")[1]
        browsers[role] = Client()
        assert browsers[role].get(f"/j/{link_token}").status_code == 302
    for browser in browsers.values():
        # The one-time token of the ballot reply form, as the ballot page would have issued it.
        session = browser.session
        session["plenary_ballot_tokens"] = ["matrix-token"]
        session.save()
    return ids, tokens, browsers


def _fill(value, ids, role):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{([a-z_]+)\}", value)
        if whole:
            return ids.get(f"{whole[1]}:{role}", ids[whole[1]])
        return re.sub(r"\{([a-z_]+)\}", lambda m: str(ids.get(f"{m[1]}:{role}", ids[m[1]])), value)
    if isinstance(value, dict):
        return {_fill(k, ids, role): _fill(v, ids, role) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids, role) for v in value]
    return value


def _files(names):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        name: SimpleUploadedFile(f"{name}.pdf", _pdf(), content_type="application/pdf")
        for name in names
        if name != "multipart"
    }


def _api(call, role, ids, tokens, browsers):
    path, data = _fill(call.path, ids, role), _fill(call.data, ids, role)
    if call.session:
        client, headers = browsers[role], {}
    else:
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"} if tokens[role] else {}
    if call.files:
        return client.post(path, {**data, **_files(call.files)}, **headers)
    if call.method == "get":
        return client.get(path, **headers)
    return getattr(client, call.method)(path, data, content_type="application/json", **headers)


def _web(call, role, ids, browsers):
    browser = browsers[role]
    path, data = _fill(call.path, ids, role), _fill(call.data, ids, role)
    if call.method == "get":
        return browser.get(path)
    return browser.post(path, {**data, **_files(call.files)})


def _api_verdict(response) -> str:
    status = response.status_code
    if status < 400:
        return "allow"
    if status in (401, 403, 404):
        return "deny"
    if status == 400 and REFUSALS.get(response.json().get("code")) is not Kind.PERMISSION:
        return "allow"
    return f"unexpected {status}: {response.content[:300]!r}"


def _web_verdict(response) -> str:
    status = response.status_code
    if status in (301, 302):
        return "deny" if "/accounts/login/" in response["Location"] else "allow"
    if status < 300:
        return "allow"
    if status in (403, 404):
        return "deny"
    if status == 400 and response.context and "message" in response.context:
        return "deny" if response.context["message"] in PERMISSION_MESSAGES else "allow"
    return f"unexpected {status}"


def test_the_security_page_holds_the_matrix_as_tested():
    text = DOC.read_text(encoding="utf-8")
    assert markdown_table() in text
    assert notes() in text


def test_every_cell_of_the_access_matrix(consultation):
    ids, tokens, browsers = _build_world(consultation)
    wrong, cells = [], 0
    for row in ROWS:
        for role in ROLES:
            expected = "allow" if role in row.allowed else "deny"
            channels = ["api", "web"] if row.web is not None else ["api"]
            for channel in channels:
                savepoint = transaction.savepoint()
                try:
                    if channel == "api":
                        verdict = _api_verdict(_api(row.api, role, ids, tokens, browsers))
                    else:
                        verdict = _web_verdict(_web(row.web, role, ids, browsers))
                finally:
                    transaction.savepoint_rollback(savepoint)
                    cache.clear()  # rate-limit counters are state too
                cells += 1
                if verdict != expected:
                    wrong.append(
                        f"{row.action} / {role} / {channel}: {verdict}, expected {expected}"
                    )
    print(f"\naccess matrix: {len(ROWS)} actions x {len(ROLES)} roles, {cells} cells tested")
    assert cells == sum(len(ROLES) * (2 if row.web else 1) for row in ROWS)
    assert wrong == [], "\n".join(wrong)
