"""Who is calling (registration.session.participant_of): the same answer for a page's
request and a socket's scope, from the personal-link session or the signed-in account."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from plenary.consultations.models import Consultation
from plenary.core.models import User
from plenary.registration import services
from plenary.registration.models import Delegation
from plenary.registration.session import SESSION_KEY, participant_of

# A day when the registration of VCC-2 is open.
OPEN = datetime.datetime(2020, 10, 20, 9, tzinfo=datetime.UTC)


@pytest.fixture
def focal_ch(vcc2):
    return User.objects.get(email="focal.point.ch@example.org")


def _register(consultation, n):
    swiss = Delegation.objects.get(consultation=consultation, state__iso2="CH")
    return services.register(
        consultation, delegation=swiss, name=f"Delegate {n}", email=f"d{n}@example.org", now=OPEN
    )


@pytest.fixture
def person(consultation, focal_ch):
    return services.approve(_register(consultation, 1), actor=focal_ch)


def _callers(session, user):
    """The same caller as a page sees it and as a socket's scope holds it."""
    return [SimpleNamespace(session=session, user=user), {"session": session, "user": user}]


def test_the_link_session_or_the_account_finds_the_approved_participant(
    consultation, person, focal_ch
):
    for caller in _callers({SESSION_KEY: person.pk}, AnonymousUser()):
        assert participant_of(caller, consultation) == person
    person.user = User.objects.create_user(email="d1@example.org", password="x")
    person.save(update_fields=["user"])
    for caller in _callers({}, person.user):
        assert participant_of(caller, consultation) == person
    services.withdraw(person, actor=focal_ch)
    for caller in _callers({SESSION_KEY: person.pk}, person.user):
        assert participant_of(caller, consultation) is None


def test_nobody_and_another_consultation_find_no_participant(consultation, person):
    other = Consultation.objects.create(
        slug="other-consultation",
        acronym="OTHER",
        title="Another consultation",
        council_term=consultation.council_term,
    )
    for caller in _callers({SESSION_KEY: person.pk}, AnonymousUser()):
        assert participant_of(caller, other) is None
    for caller in _callers({}, AnonymousUser()):
        assert participant_of(caller, consultation) is None
    assert participant_of({}, consultation) is None  # a scope without session middleware


def test_a_participant_token_answers_alone(consultation, person):
    pending = _register(consultation, 2)
    request = SimpleNamespace(
        session={SESSION_KEY: person.pk}, user=AnonymousUser(), api_participant=person
    )
    assert participant_of(request, consultation) == person
    # A token of a participant not approved finds no one, even with a session that would.
    request.api_participant = pending
    assert participant_of(request, consultation) is None
