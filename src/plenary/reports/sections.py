"""Where each agenda item goes in the report (R26), as a pure function of its group's kind
and the state of its outcome.

Group 3 items are listed for information, whatever was recorded on them. An item of
Group 1 or 2 that was not discussed is left out. Every other item is reported under
"Items discussed", in its group; a deferred item is listed again among the items deferred
to the next physical session (R23), and an item proposed for decision by correspondence
among those (R27).
"""

from dataclasses import dataclass, field

from plenary.consultations.models import AgendaGroup
from plenary.outcomes.models import ItemOutcome

State = ItemOutcome.State


@dataclass
class Sections:
    """The items of each section, in agenda order; `discussed` holds (group, its items) for
    each group with at least one item discussed."""

    discussed: list[tuple] = field(default_factory=list)
    deferred: list = field(default_factory=list)
    correspondence: list = field(default_factory=list)
    information: list = field(default_factory=list)


def sort_items(groups) -> Sections:
    """The report's sections from the agenda: `groups` is, in agenda order, (group, its
    kind, [(item, its outcome's state or None when it has none), ...]); groups and items
    are returned as given."""
    sections = Sections()
    for group, kind, items in groups:
        discussed = []
        for item, state in items:
            if kind == AgendaGroup.Kind.FOR_INFORMATION:
                sections.information.append(item)
                continue
            state = state or State.NOT_DISCUSSED
            if state == State.NOT_DISCUSSED:
                continue
            discussed.append(item)
            if state == State.DEFERRED:
                sections.deferred.append(item)
            elif state == State.CORRESPONDENCE:
                sections.correspondence.append(item)
        if discussed:
            sections.discussed.append((group, discussed))
    return sections
