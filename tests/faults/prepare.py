"""Brings the private site into the state a fault scenario starts from, through the same
service functions the pages use, and prints what the test's clients need as one JSON line.

Run as `python -m tests.faults.prepare <scenario>` with DATABASE_URL set to the private
PostgreSQL; the test process itself never opens that database through Django."""

import datetime
import json
import os
import sys


def _session(**values) -> str:
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key, value in values.items():
        store[key] = value
    store.create()
    return store.session_key


def _signed_in(user) -> str:
    """A session as django.contrib.auth.login leaves it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    return _session(
        **{
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )


def _consultation():
    from plenary.consultations.models import Consultation

    return Consultation.objects.get(slug="vcc-2")


def open_registration() -> dict:
    """Registration runs from yesterday until the first meeting, a month from now."""
    from django.utils import timezone

    from plenary.consultations.models import Consultation

    today = timezone.now().date()
    Consultation.objects.filter(slug="vcc-2").update(
        registration_opens_on=today - datetime.timedelta(days=1),
        starts_on=today + datetime.timedelta(days=30),
    )
    from plenary.registration.queries import delegation_choices

    choices = [
        value
        for _group, options in delegation_choices(_consultation(), "en")
        for value, _label in options
    ]
    return {"delegations": choices}


def floor(speakers: int) -> dict:
    """`speakers` delegations (Council Member States and observers) with one approved speaker
    each, signed in; the chair signed in; meeting 1 open with item 1.2 taken up."""
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation
    from plenary.registration.session import SESSION_KEY

    # The factories import the models: Django is set up first, in main().
    from tests import factories

    open_registration()
    consultation = _consultation()
    chair = factories.chair()
    registration.setup_delegations(consultation)
    council = list(
        Delegation.objects.filter(consultation=consultation, category="council").order_by("pk")
    )
    others = list(
        Delegation.objects.filter(consultation=consultation, category="observer").order_by("pk")
    )
    chosen = council[: speakers - speakers // 3] + others[: speakers // 3]
    people = []
    for delegation in chosen:
        person = factories.participant(
            consultation,
            delegation,
            name=f"Speaker {delegation.pk}",
            email=f"speaker-{delegation.pk}@floor.example.org",
            now=None,  # registration is open today
        )
        people.append(
            {
                "participant": person.pk,
                "delegation": delegation.pk,
                "category": delegation.category,
                "session": _session(**{SESSION_KEY: person.pk}),
            }
        )
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    return {"speakers": people, "chair": _signed_in(chair), "item": item.pk}


def reconnect(speakers: int) -> dict:
    """`speakers` Council Member States from the end of the list (the live meeting's come
    from its start), each with an approved speaker signed in; the chair signed in; item 1.2
    under discussion with its list open and nobody speaking."""
    from plenary.floor import services as floor_services
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation
    from plenary.registration.session import SESSION_KEY
    from tests import factories

    open_registration()
    consultation = _consultation()
    chair = factories.chair()
    registration.setup_delegations(consultation)
    council = list(
        Delegation.objects.filter(consultation=consultation, category="council").order_by("-pk")
    )
    if floor_services.floor_of(consultation).speaking_id:
        floor_services.end_speech(consultation, actor=chair)
    item = factories.on_the_floor(consultation, "1.2", actor=chair)
    people = []
    for delegation in council[:speakers]:
        person = factories.participant(
            consultation,
            delegation,
            name=f"Reconnecting {delegation.pk}",
            email=f"reconnect-{delegation.pk}@floor.example.org",
            now=None,
        )
        people.append(
            {"delegation": delegation.pk, "session": _session(**{SESSION_KEY: person.pk})}
        )
    return {"speakers": people, "chair": _signed_in(chair), "item": item.pk}


VOTING_PASSWORD = "a-long-voting-passphrase"


def ballot(voters: int) -> dict:
    """An open ballot with two proposals; `voters` Council Member States each with a voting
    focal point who has a password and a TOTP authenticator, to sign in through the pages.
    The secrets are handed to the test as an authenticator app holds them."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from plenary.ballots import services as ballots
    from plenary.core.models import User

    # The factories import the models: Django is set up first, in main().
    from tests import factories

    consultation = _consultation()
    secretariat = factories.secretariat()
    chair = factories.chair()
    group = consultation.groups.get(number=1)
    launched = ballots.launch(
        consultation,
        title="Fault test ballot",
        question="Do you approve the proposed conclusions?",
        proposals=[
            (group.items.get(number=5), "The Council appoints the External Auditor."),
            (None, "The Council approves the dates of the next session."),
        ],
        deadline=timezone.now() + datetime.timedelta(days=5),
        actor=secretariat,
        approved_by=chair,
    )
    # One hash for all: the password hasher is deliberately slow, and each account would
    # otherwise cost the scenario half a second before it starts.
    password = make_password(VOTING_PASSWORD)
    people = []
    for elector in launched.electors.filter(has_vote=True).select_related("state")[:voters]:
        user = User.objects.create_user(f"voter-{elector.state.iso2.lower()}@ballot.example.org")
        user.password = password
        user.save(update_fields=["password"])
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        ballots.appoint_voting_focal_point(launched, elector.state, user, actor=secretariat)
        people.append(
            {
                "elector": elector.pk,
                "state": elector.state.iso2,
                "email": user.email,
                "totp_secret": secret,
            }
        )
    return {
        "ballot": launched.pk,
        "proposals": list(launched.proposals.order_by("pk").values_list("pk", flat=True)),
        "electorate": launched.electors.filter(has_vote=True).count(),
        "password": VOTING_PASSWORD,
        "voters": people,
    }


def close_ballot(ballot: int) -> dict:
    """The deadline has passed: the secretariat closes the ballot (services.close, as the
    page's button does) and the result it announces is handed back, per proposal."""
    from plenary.ballots import services as ballots
    from plenary.ballots.models import Ballot

    # The factories import the models: Django is set up first, in main().
    from tests import factories

    closing = Ballot.objects.get(pk=ballot)
    outcome = ballots.close(
        closing,
        actor=factories.secretariat(),
        now=closing.deadline + datetime.timedelta(minutes=1),
    )
    return {
        str(proposal.pk): {
            "in_favour": result.in_favour,
            "against": result.against,
            "abstain": result.abstain,
            "not_replied": result.not_replied,
            "adopted": result.adopted,
        }
        for proposal, result in outcome
    }


def bulk_decision() -> dict:
    """A registration waiting for the secretariat's decision, and the secretariat signed in
    (with its second factor set up), for the list's decision buttons."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from plenary.core.accounts import has_totp
    from plenary.registration import services as registration
    from plenary.registration.models import Delegation

    # The factories import the models: Django is set up first, in main().
    from tests import factories

    open_registration()
    consultation = _consultation()
    registration.setup_delegations(consultation)
    # the last observer delegation: the floor scenario takes the first ones
    delegation = (
        Delegation.objects.filter(consultation=consultation, category="observer")
        .order_by("-pk")
        .first()
    )
    person = registration.register(
        consultation,
        delegation=delegation,
        name="Pending Person",
        email="pending.person@bulk.example.org",
        function="Delegate",
        language="en",
    )
    secretariat = factories.secretariat()
    if not has_totp(secretariat):
        TOTP.activate(secretariat, generate_totp_secret())
    return {"participant": person.pk, "session": _signed_in(secretariat)}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plenary.settings")
    import django

    django.setup()
    scenario, arguments = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    steps = {
        "open_registration": open_registration,
        "floor": floor,
        "reconnect": reconnect,
        "ballot": ballot,
        "close_ballot": close_ballot,
        "bulk_decision": bulk_decision,
    }
    result = steps[scenario](**arguments)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
