"""Where each agenda item goes in the report (R26): a pure function, no database."""

from plenary.consultations.models import AgendaGroup
from plenary.reports.sections import sort_items

URGENT = AgendaGroup.Kind.URGENT
OTHER = AgendaGroup.Kind.IF_TIME
INFORMATION = AgendaGroup.Kind.FOR_INFORMATION


def test_items_are_sorted_into_the_report_sections_in_agenda_order():
    placed = sort_items(
        [
            (
                "group 1",
                URGENT,
                [
                    ("1.1", "agreed"),
                    ("1.2", "correspondence"),
                    ("1.3", None),
                    ("1.4", "deferred"),
                ],
            ),
            ("group 2", OTHER, [("2.1", "not_discussed"), ("2.2", "under_discussion")]),
            ("group 3", INFORMATION, [("3.1", None), ("3.2", "information_noted")]),
        ]
    )
    assert placed.discussed == [("group 1", ["1.1", "1.2", "1.4"]), ("group 2", ["2.2"])]
    assert placed.deferred == ["1.4"]
    assert placed.correspondence == ["1.2"]
    assert placed.information == ["3.1", "3.2"]


def test_a_group_with_nothing_discussed_is_left_out():
    placed = sort_items([("group 2", OTHER, [("2.1", None), ("2.2", "not_discussed")])])
    assert placed.discussed == []
    assert placed.deferred == placed.correspondence == placed.information == []


def test_group_3_items_are_for_information_whatever_was_recorded():
    placed = sort_items([("group 3", INFORMATION, [("3.1", "deferred")])])
    assert placed.information == ["3.1"]
    assert placed.discussed == placed.deferred == []
