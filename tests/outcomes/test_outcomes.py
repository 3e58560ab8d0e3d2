"""Proposed conclusions, objections and deferral, item states (R1, R22, R23, R27)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.core.errors import DomainError
from plenary.core.models import AuditEvent
from plenary.floor import snapshot
from plenary.outcomes import rule, services
from plenary.outcomes.models import ItemOutcome, Objection
from tests import factories

CATEGORIES = ["council", "observer", "palestine", "sector_member"]

# --- the rule --------------------------------------------------------------------------------

objections = st.lists(
    st.builds(
        rule.Objection, st.sampled_from(CATEGORIES), st.sampled_from(rule.KINDS), st.booleans()
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, database=None)
@given(objections)
def test_deferred_exactly_when_a_council_member_state_asks_and_has_not_withdrawn(items):
    expected = any(o.category == "council" and not o.withdrawn for o in items)
    assert rule.defers(items) is expected


@settings(max_examples=200, deadline=None, database=None)
@given(
    objections,
    st.sampled_from(["observer", "palestine", "sector_member"]),
    st.sampled_from(rule.KINDS),
)
def test_an_observer_or_sector_member_never_changes_the_result(items, category, kind):
    assert rule.defers([*items, rule.Objection(category, kind)]) == rule.defers(items)


@settings(max_examples=200, deadline=None, database=None)
@given(objections, st.randoms())
def test_order_does_not_matter(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    assert rule.defers(shuffled) == rule.defers(items)


# --- the services ----------------------------------------------------------------------------


@pytest.fixture
def discussed(consultation, chair):
    """Item 1.2, taken up in meeting 1."""
    return factories.on_the_floor(consultation, "1.2", actor=chair)


def test_taking_up_an_item_puts_it_under_discussion(discussed):
    assert ItemOutcome.objects.get(item=discussed).state == "under_discussion"


def test_conclusion_in_several_languages_with_the_original_marked(discussed, chair):
    conclusion = services.draft_conclusion(
        discussed,
        texts={"en": "The Council takes note.", "fr": "Le Conseil prend note."},
        original="en",
        actor=chair,
    )
    assert (conclusion.text_en, conclusion.text_fr, conclusion.original) == (
        "The Council takes note.",
        "Le Conseil prend note.",
        "en",
    )
    assert ItemOutcome.objects.get(item=discussed).state == "conclusion_proposed"
    services.show_conclusion(discussed, actor=chair)
    data = snapshot.build(discussed.group.consultation_id)
    assert data["conclusion"]["fr"] == "Le Conseil prend note."
    assert data["conclusion"]["original"] == "en"
    assert data["state"] == "conclusion_proposed"


def test_council_objection_defers_at_once_and_withdrawal_undoes_it(discussed, chair):
    consultation = discussed.group.consultation
    services.draft_conclusion(discussed, texts={"en": "Text."}, original="en", actor=chair)
    speaker = factories.participant(consultation, "RU")
    objection = services.record_objection(
        discussed, speaker.delegation, "object", actor=None, participant=speaker
    )
    outcome = ItemOutcome.objects.get(item=discussed)
    assert outcome.state == "deferred"
    assert "Russian Federation" in outcome.reason
    services.withdraw_objection(objection, actor=None, participant=speaker)
    assert ItemOutcome.objects.get(item=discussed).state == "conclusion_proposed"


def test_observer_and_sector_member_objections_are_recorded_but_do_not_defer(discussed, chair):
    consultation = discussed.group.consultation
    observer = factories.participant(consultation, "BE")
    services.record_objection(
        discussed, observer.delegation, "defer_document", actor=None, participant=observer
    )
    assert ItemOutcome.objects.get(item=discussed).state == "under_discussion"
    assert Objection.objects.filter(item=discussed).count() == 1


def test_secretariat_records_on_behalf_of_a_state_that_lost_its_connection(
    discussed, secretariat_user
):
    consultation = discussed.group.consultation
    factories.participant(consultation, "CN", speaker=False)
    china = factories.delegation(consultation, "CN")
    objection = services.record_objection(discussed, china, "suspend", actor=secretariat_user)
    assert objection.on_behalf
    assert ItemOutcome.objects.get(item=discussed).state == "deferred"


def test_bad_objections_are_refused(discussed, chair, secretariat_user):
    consultation = discussed.group.consultation
    unregistered = factories.delegation(consultation, "JP")
    with pytest.raises(DomainError) as refused:
        services.record_objection(discussed, unregistered, "object", actor=secretariat_user)
    assert refused.value.code == "not_registered"
    speaker = factories.participant(consultation, "RU")
    services.record_objection(
        discussed, speaker.delegation, "object", actor=None, participant=speaker
    )
    with pytest.raises(DomainError) as refused:
        services.record_objection(
            discussed, speaker.delegation, "object", actor=None, participant=speaker
        )
    assert refused.value.code == "duplicate"
    services.record_outcome(discussed, "deferred", actor=chair)
    with pytest.raises(DomainError) as refused:
        services.record_objection(
            discussed, speaker.delegation, "suspend", actor=None, participant=speaker
        )
    assert refused.value.code == "outcome_recorded"


def test_agreed_is_refused_while_a_council_member_state_asks_for_deferral(discussed, chair):
    consultation = discussed.group.consultation
    services.draft_conclusion(discussed, texts={"en": "Text."}, original="en", actor=chair)
    speaker = factories.participant(consultation, "US")
    services.record_objection(
        discussed, speaker.delegation, "defer_conclusion", actor=None, participant=speaker
    )
    with pytest.raises(DomainError) as refused:
        services.record_outcome(discussed, "agreed", actor=chair)
    assert refused.value.code == "deferral_requested"
    assert services.record_outcome(discussed, "deferred", actor=chair).recorded


def test_agreed_and_correspondence_need_a_conclusion_and_correspondence_an_urgent_item(
    consultation, chair
):
    urgent = factories.item(consultation, "1.5")
    with pytest.raises(DomainError) as refused:
        services.record_outcome(urgent, "agreed", actor=chair)
    assert refused.value.code == "no_conclusion"
    services.draft_conclusion(urgent, texts={"en": "Text."}, original="en", actor=chair)
    assert services.record_outcome(urgent, "correspondence", actor=chair).state == "correspondence"
    if_time = factories.item(consultation, "2.1")
    services.draft_conclusion(if_time, texts={"en": "Text."}, original="en", actor=chair)
    with pytest.raises(DomainError) as refused:
        services.record_outcome(if_time, "correspondence", actor=chair)
    assert refused.value.code == "not_urgent"


def test_group_3_items_are_noted_for_information(consultation, chair):
    item = factories.item(consultation, "3.1")
    assert services.outcome_of(item).state == "information_noted"
    with pytest.raises(DomainError):
        services.record_outcome(item, "agreed", actor=chair)


def test_reopening_needs_a_reason_and_is_audited(discussed, chair):
    services.draft_conclusion(discussed, texts={"en": "Text."}, original="en", actor=chair)
    services.record_outcome(discussed, "agreed", actor=chair)
    with pytest.raises(DomainError) as refused:
        services.reopen(discussed, actor=chair, reason="  ")
    assert refused.value.code == "reason_required"
    outcome = services.reopen(discussed, actor=chair, reason="New information from the secretariat")
    assert (outcome.state, outcome.recorded) == ("conclusion_proposed", False)
    assert AuditEvent.objects.filter(action="outcome.reopened").exists()


def test_a_delegate_cannot_record_outcomes(discussed):
    delegate = factories.delegate("CN")
    with pytest.raises(DomainError):
        services.record_outcome(discussed, "agreed", actor=delegate)


def test_console_outcome_panel(client, discussed, chair):
    client.force_login(chair)
    page = client.get("/fr/c/vcc-2/console/").content.decode()
    assert 'id="outcome-title"' in page
    response = client.post(
        f"/en/c/vcc-2/outcomes/{discussed.pk}/",
        {
            "action": "draft",
            "text_en": "Noted with thanks.",
            "text_ar": "أحيط علماً مع الشكر.",
            "original": "en",
        },
    )
    assert response.status_code == 302
    client.post(f"/en/c/vcc-2/outcomes/{discussed.pk}/", {"action": "record", "state": "agreed"})
    outcome = ItemOutcome.objects.get(item=discussed)
    assert (outcome.state, outcome.recorded) == ("agreed", True)


def test_report_pages_in_three_languages(client, discussed, chair):
    services.draft_conclusion(
        discussed, texts={"en": "Noted with thanks."}, original="en", actor=chair
    )
    services.record_outcome(discussed, "agreed", actor=chair)
    for language in ("en", "ar", "zh-hans"):
        page = client.get(f"/{language}/c/vcc-2/report/")
        assert page.status_code == 200
        assert "Noted with thanks." in page.content.decode()
    docx = client.get("/fr/c/vcc-2/report.docx")
    assert docx.status_code == 200
    assert docx.content[:2] == b"PK"
