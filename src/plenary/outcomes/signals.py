"""What the outcomes tell the layers above them, which they do not import."""

from django.dispatch import Signal

# Something the live pages show changed (a proposed conclusion, its showing, an objection,
# an outcome). Sent with `consultation_id` inside the transaction that makes the change, as
# its first write: the live floor (floor/live.py) raises its version in that transaction,
# so the floor's row is locked before the outcome's and the audit chain's, the order in
# which floor.services takes them (set_item → take_up), and publishes after the commit.
# A receiver must not expect to read the change: it is not made yet.
shown_state_changed = Signal()

# An item's outcome was recorded (`item`, `actor`), inside the transaction that records it,
# after `shown_state_changed`: the live floor closes the item's list of speakers
# (floor/live.py), in the same transaction.
item_concluded = Signal()
