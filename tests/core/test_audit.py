"""Everything a person says or decides is recorded, and tampering is found."""

import itertools

import pytest

from plenary import cli
from plenary.core import audit
from plenary.core.models import AuditEvent


@pytest.fixture
def chain(db):
    return [
        audit.record("test.event", data={"n": n, "text": "Genève — 日内瓦"}) for n in range(1, 6)
    ]


def test_events_are_chained(chain):
    first = chain[0].sequence
    assert [e.sequence for e in chain] == list(range(first, first + 5))
    earlier = AuditEvent.objects.filter(sequence=first - 1).first()
    assert chain[0].previous_hash == (earlier.hash if earlier else audit.GENESIS_HASH)
    assert all(later.previous_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    assert audit.verify_chain().intact
    assert audit.verify_chain().checked == AuditEvent.objects.count() == chain[-1].sequence


def test_changed_content_is_named(chain):
    AuditEvent.objects.filter(sequence=chain[2].sequence).update(data={"n": 99})
    report = audit.verify_chain()
    assert report.broken_sequence == chain[2].sequence
    assert "changed" in report.reason


def test_changed_actor_label_is_named(chain):
    AuditEvent.objects.filter(sequence=chain[1].sequence).update(actor_label="someone else")
    assert audit.verify_chain().broken_sequence == chain[1].sequence


def test_deleted_event_is_named(chain):
    AuditEvent.objects.filter(sequence=chain[3].sequence).delete()
    report = audit.verify_chain()
    assert report.broken_sequence == chain[3].sequence
    assert "missing" in report.reason


def test_rehashed_event_still_breaks_the_next_link(chain):
    event = AuditEvent.objects.get(sequence=chain[1].sequence)
    event.data = {"n": 42}
    event.hash = audit.compute_hash(event)
    event.save()
    assert audit.verify_chain().broken_sequence == chain[2].sequence


def test_cli_verify_exits_non_zero_and_names_the_event(chain, capsys):
    assert cli.main(["audit", "verify"]) == 0
    assert f"{chain[-1].sequence} events" in capsys.readouterr().out
    AuditEvent.objects.filter(sequence=chain[4].sequence).update(action="test.forged")
    assert cli.main(["audit", "verify"]) == 1
    assert f"#{chain[4].sequence}" in capsys.readouterr().err


def test_actor_and_target_are_recorded(vcc2, secretariat_user):
    event = audit.record(
        "test.with_actor", actor=secretariat_user, target=vcc2.consultation, data={"x": 1}
    )
    assert event.actor == secretariat_user
    assert event.actor_label == str(secretariat_user)
    assert (event.target_type, event.target_id) == (
        "consultations.Consultation",
        str(vcc2.consultation.pk),
    )
    assert audit.verify_chain().intact
