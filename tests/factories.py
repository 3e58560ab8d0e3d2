"""What the tests set up on VCC-2, written once: the demo accounts, delegations, agenda items,
meetings, other consultations, and participants in each state of their registration.

Participants go through the registration services as on the pages (register, then approve,
then name as speaker), and the floor through the chair's services, so each test starts from
a state the application itself can reach: the counts, links, mails and audit events are the
real ones. Only what no service changes is saved on the model directly: a meeting moved to
now, registration opened today, a second consultation. The test database holds VCC-2 as the
scenario loader left it (tests/conftest.py)."""

import datetime

from django.utils import timezone

from plenary.ballots import services as ballots
from plenary.consultations import services as agenda
from plenary.consultations.models import AgendaItem, AgendaVersion, Consultation
from plenary.core.models import User
from plenary.floor import services as floor
from plenary.planning.models import Meeting
from plenary.registration import services as registration
from plenary.registration.models import Delegation, Participant

# A moment while VCC-2's registration is open (15 October until the first meeting).
OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)

# The LiveKit server the remote participation tests configure (tokens are checked with
# LiveKit's own verifier, so the secret must be long enough for it).
LIVEKIT_KEY = "APIplenarytest"
LIVEKIT_SECRET = "a-test-secret-of-at-least-thirty-two-characters"

# --- the demo accounts of the VCC-2 scenario ------------------------------------------------


def account(email: str) -> User:
    """A demo account that the scenario created (src/plenary/scenarios/vcc2/scenario.yaml)."""
    return User.objects.get(email=email)


def secretariat() -> User:
    return account("secretariat@example.org")


def chair() -> User:
    """The presiding officer."""
    return account("chair@example.org")


def focal_point(iso2: str = "CH") -> User:
    """The focal point of a delegation that has a demo one: CH or BE."""
    return account(f"focal.point.{iso2.lower()}@example.org")


def delegate(iso2: str = "CN") -> User:
    """A delegate's account (no registration of their own): CN or EG."""
    return account(f"delegate.{iso2.lower()}@example.org")


def it_support() -> User:
    return account("it.support@example.org")


def interpreter() -> User:
    """The interpreter of the French booth, relay from English."""
    return account("interpreter.fr@example.org")


# --- consultations, delegations, items and meetings ----------------------------------------


def another_consultation(consultation: Consultation, **fields) -> Consultation:
    """A second consultation in the same Council term, with the fields given (slug, acronym,
    title…); the others take the model's defaults, VCC-2's values."""
    return Consultation.objects.create(council_term=consultation.council_term, **fields)


def open_registration(consultation: Consultation) -> Consultation:
    """Registration open today: it opened long ago and the first meeting is far ahead (the
    contribution deadline follows the first meeting)."""
    consultation.registration_opens_on = datetime.date(2020, 1, 1)
    consultation.starts_on = datetime.date(2099, 1, 5)
    consultation.save()
    return consultation


def delegation(consultation: Consultation, iso2: str | None = None) -> Delegation:
    """The delegation of a state, or without one the first Sector Member's."""
    if iso2 is None:
        return Delegation.objects.filter(consultation=consultation, category="sector_member")[0]
    return Delegation.objects.get(consultation=consultation, state__iso2=iso2)


def item(consultation: Consultation, label: str) -> AgendaItem:
    """An agenda item by its label, "1.2" (Group 1, item 2)."""
    group, number = label.split(".")
    return AgendaItem.objects.select_related("group").get(
        group__consultation=consultation, group__number=int(group), number=int(number)
    )


def meeting(consultation: Consultation, number: int = 1, *, kind: str = "meeting") -> Meeting:
    """A meeting of the consultation; the rehearsal is kind="rehearsal"."""
    if kind == "rehearsal":
        return consultation.meetings.get(kind=kind)
    return consultation.meetings.get(kind=kind, number=number)


def under_way(
    meeting: Meeting,
    *,
    since: datetime.timedelta = datetime.timedelta(minutes=10),
    until: datetime.timedelta = datetime.timedelta(hours=2),
) -> Meeting:
    """The meeting moved to now: it started `since` ago and ends `until` from now (VCC-2's
    meetings are in 2020, and remote access is given only while a meeting is on)."""
    now = timezone.now()
    meeting.starts_at = now - since
    meeting.ends_at = now + until
    meeting.save()
    return meeting


def on_the_floor(
    consultation: Consultation, label: str = "1.2", *, meeting_number: int = 1, actor=None
) -> AgendaItem:
    """The chair opens a meeting and takes up an item; the item is returned."""
    actor = actor or chair()
    floor.open_meeting(consultation, meeting(consultation, meeting_number), actor=actor)
    taken_up = item(consultation, label)
    floor.set_item(consultation, taken_up, actor=actor)
    return taken_up


# --- participants ---------------------------------------------------------------------------


def _delegation_of(consultation, who) -> Delegation:
    return who if isinstance(who, Delegation) else delegation(consultation, who)


def registered(
    consultation: Consultation,
    who: str | Delegation,
    n: int = 1,
    *,
    name: str | None = None,
    email: str | None = None,
    now: datetime.datetime | None = OPEN,
    **details,
) -> Participant:
    """Person `n` of a delegation (a state's ISO code, or the delegation) registered and
    waiting for approval. By default "CH 1" <ch1@example.org>, registered while VCC-2's
    registration was open; now=None registers at the present time. `details` are the
    other fields of the form (function, language)."""
    chosen = _delegation_of(consultation, who)
    if chosen.state_id:
        label, address = f"{chosen.state.iso2} {n}", f"{chosen.state.iso2.lower()}{n}"
    else:
        label, address = f"Member {chosen.pk}-{n}", f"member-{chosen.pk}-{n}"
    return registration.register(
        consultation,
        delegation=chosen,
        name=label if name is None else name,
        email=f"{address}@example.org" if email is None else email,
        now=now,
        **details,
    )


def participant(
    consultation: Consultation,
    who: str | Delegation,
    n: int = 1,
    *,
    speaker: bool = True,
    actor=None,
    **registration_fields,
) -> Participant:
    """Person `n` of a delegation registered and approved (by the secretariat unless another
    actor is given): a speaker, or with speaker=False a viewer. See `registered` for the
    rest."""
    actor = actor or secretariat()
    person = registered(consultation, who, n, **registration_fields)
    registration.approve(person, actor=actor)
    if speaker:
        registration.designate_speaker(person, actor=actor)
    person.refresh_from_db()
    return person


def refused(
    consultation: Consultation, who: str | Delegation, n: int = 1, *, actor=None, **fields
) -> Participant:
    """Person `n` of a delegation registered and rejected."""
    person = registered(consultation, who, n, **fields)
    return registration.reject(person, actor=actor or secretariat())


def withdrawn(
    consultation: Consultation, who: str | Delegation, n: int = 1, *, actor=None, **fields
) -> Participant:
    """Person `n` of a delegation approved, then withdrawn (place and link freed)."""
    actor = actor or secretariat()
    person = participant(consultation, who, n, actor=actor, **fields)
    return registration.withdraw(person, actor=actor)


def link(person: Participant, *, actor=None) -> str:
    """A new personal link sent to the participant (the previous one is revoked)."""
    return registration.send_link(person, actor=actor or secretariat())


def signed_in_by_link(client, person: Participant, *, actor=None) -> str:
    """The test client opens a new personal link of the participant, as from the mail; the
    link is returned."""
    token = link(person, actor=actor)
    assert client.get(f"/j/{token}").status_code == 302
    return token


def opening_meeting(consultation: Consultation, *, actor: User | None = None):
    """The chair opens the consultation's first meeting on the floor (the agenda is
    confirmed while it is under way)."""
    return floor.open_meeting(consultation, meeting(consultation, 1), actor=actor or chair())


def confirmed_agenda(consultation: Consultation, *, actor: User | None = None) -> AgendaVersion:
    """The agenda confirmed as at the opening meeting: meeting 1 opened, then confirmed by
    `actor` (the presiding officer unless given). Returns version 1."""
    actor = actor or chair()
    opening_meeting(consultation, actor=actor)
    return agenda.confirm_agenda(consultation, actor=actor)


def draft_ballot(
    consultation: Consultation,
    *,
    actor: User | None = None,
    title: str = "Draft ballot",
    question: str = "Do you approve?",
    proposals=None,
    deadline: datetime.datetime | None = None,
):
    """A decision by correspondence prepared by the secretariat, pending the presiding
    officer's approval, open for twenty days once approved, on one free proposal."""
    return ballots.prepare(
        consultation,
        title=title,
        question=question,
        proposals=proposals or [(None, "The proposal.")],
        deadline=deadline or timezone.now() + datetime.timedelta(days=20),
        actor=actor or secretariat(),
    )


def ballot(
    consultation: Consultation,
    *,
    actor: User,
    approved_by: User | None = None,
    title: str = "Ballot",
    question: str = "Do you approve?",
    proposals=None,
):
    """A decision by correspondence launched by `actor`, approved by the presiding officer,
    open for twenty days, on one proposal without an agenda item unless given."""
    return ballots.launch(
        consultation,
        title=title,
        question=question,
        proposals=proposals or [(None, "The proposal.")],
        deadline=timezone.now() + datetime.timedelta(days=20),
        actor=actor,
        approved_by=approved_by or chair(),
    )
