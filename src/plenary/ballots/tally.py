"""The result of a decision by correspondence as a pure function (R27).

The default rule is the one of letter DM-20/1021: "a simple majority of Council Member
States having the right to vote" — adopted when the votes in favour exceed half of the
Member States in the electorate. Other bases can be chosen: more in favour than against
among the votes cast (abstentions not counted), or more than half of the replies."""

from dataclasses import dataclass

IN_FAVOUR, AGAINST, ABSTAIN = "in_favour", "against", "abstain"
OF_ELECTORATE, OF_VOTES_CAST, OF_REPLIES = "electorate", "votes_cast", "replies"
RULES = (OF_ELECTORATE, OF_VOTES_CAST, OF_REPLIES)


@dataclass(frozen=True)
class Result:
    in_favour: int
    against: int
    abstain: int
    electorate: int
    not_replied: int
    rule: str
    threshold: int  # votes in favour needed
    adopted: bool


def tally(replies: list[str], electorate: int, rule: str = OF_ELECTORATE) -> Result:
    """`replies`: the last reply of each elector who replied."""
    if rule not in RULES:
        raise ValueError(rule)
    if len(replies) > electorate:
        raise ValueError("more replies than electors")
    in_favour = replies.count(IN_FAVOUR)
    against = replies.count(AGAINST)
    abstain = replies.count(ABSTAIN)
    if rule == OF_ELECTORATE:
        threshold = electorate // 2 + 1
        adopted = in_favour >= threshold
    elif rule == OF_REPLIES:
        threshold = len(replies) // 2 + 1
        adopted = bool(replies) and in_favour >= threshold
    else:
        threshold = against + 1
        adopted = in_favour > against
    return Result(
        in_favour, against, abstain, electorate, electorate - len(replies), rule, threshold, adopted
    )
