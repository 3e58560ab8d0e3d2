"""50 designations at once while the secretariat lowers the speaker capacity: the limit in
force is never passed, and every refusal names it (run on SQLite and on PostgreSQL)."""

import pytest

from plenary.core.errors import DomainError
from plenary.registration import services as registration
from plenary.registration.models import Capacity, Participant
from plenary.setup import services
from tests import factories
from tests.threads import run_together


@pytest.mark.django_db(transaction=True)
def test_lowering_capacity_during_designations_never_breaches_it(vcc2, secretariat_user):
    consultation = factories.open_registration(vcc2.consultation)
    states = list(
        consultation.council_term.seats.order_by("state__iso2").values_list(
            "state__iso2", flat=True
        )[:20]
    )
    people = [
        factories.participant(consultation, iso2, n, speaker=False)
        for iso2 in states
        for n in (1, 2, 3)
    ]
    for person in people[:10]:
        registration.designate_speaker(person, actor=secretariat_user)
    waiting = people[10:]
    assert len(waiting) == 50

    def lower():
        # With a reason: an earlier transactional test may have left the agenda confirmed.
        return services.update_settings(
            consultation, {"speaker_capacity": 25}, actor=secretariat_user, reason="Platform"
        )

    calls = [lower] + [
        (lambda person=person: registration.designate_speaker(person, actor=secretariat_user))
        for person in waiting
    ]
    results = run_together(calls)
    crashes = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert crashes == [], crashes

    capacity = Capacity.objects.get(consultation=consultation)
    named = Participant.objects.filter(consultation=consultation, role="speaker").count()
    assert capacity.speakers == named <= capacity.speaker_limit
    refusals = [r for r in results if isinstance(r, DomainError)]
    lowered = capacity.speaker_limit == 25
    if lowered:
        # 10 named before, at most 15 more: the 25th place is the last.
        assert named <= 25
        capacity_refusals = [r for r in refusals if r.code == "speaker_capacity"]
        assert capacity_refusals, "no designation met the new limit"
        for refusal in capacity_refusals:
            assert "25 speakers" in refusal.user_message()
    else:
        # The secretariat came too late: the change was refused with what is in the way.
        blocked = [r for r in refusals if r.code == "settings_blocked"]
        assert blocked, [r.code for r in refusals]
        # Refused by the check before the locks, or, when a designation slipped in between,
        # by the capacity row itself once locked: either way it says what is used.
        assert len(blocked) == 1 and "already" in blocked[0].user_message()
        assert named == 60
    print(f"\ncapacity lowered: {lowered}; speakers named: {named}; refusals: {len(refusals)}")
