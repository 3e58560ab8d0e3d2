"""Reads of the live floor shared by its page, its WebSocket and the API."""

from .models import Floor, FloorRequest


def waiting_request_of(floor: Floor, delegation) -> FloorRequest | None:
    """The delegation's request still waiting on the current item: the one it may withdraw
    (a delegation has at most one)."""
    return floor.requests.filter(
        delegation=delegation, item_id=floor.item_id, status=FloorRequest.Status.WAITING
    ).first()
