"""Agenda snapshots and the differences between two of them, as pure functions."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, moved, subject, references, documents
    label: str  # the item's number in the newer agenda (or the older, if removed)
    before: str = ""
    after: str = ""


def diff_snapshots(old: dict, new: dict) -> list[Change]:
    """What changed from one agenda snapshot to another, item by item, in agenda order."""
    old_items = {item["id"]: item for item in _items(old)}
    new_items = {item["id"]: item for item in _items(new)}
    changes: list[Change] = []
    for item in _items(new):
        before = old_items.get(item["id"])
        if before is None:
            changes.append(Change("added", item["label"], after=item["subject"].get("en", "")))
            continue
        if before["label"] != item["label"]:
            changes.append(
                Change("moved", item["label"], before=before["label"], after=item["label"])
            )
        for language in sorted(set(before["subject"]) | set(item["subject"])):
            if before["subject"].get(language, "") != item["subject"].get(language, ""):
                changes.append(
                    Change(
                        "subject",
                        item["label"],
                        before=f"[{language}] {before['subject'].get(language, '')}",
                        after=f"[{language}] {item['subject'].get(language, '')}",
                    )
                )
        if before["references"] != item["references"]:
            changes.append(
                Change(
                    "references",
                    item["label"],
                    ", ".join(before["references"]),
                    ", ".join(item["references"]),
                )
            )
        if before["documents"] != item["documents"]:
            changes.append(
                Change(
                    "documents",
                    item["label"],
                    ", ".join(before["documents"]),
                    ", ".join(item["documents"]),
                )
            )
    for item in _items(old):
        if item["id"] not in new_items:
            changes.append(Change("removed", item["label"], before=item["subject"].get("en", "")))
    return changes


def _items(snapshot: dict) -> list[dict]:
    return [item for group in snapshot.get("groups", []) for item in group["items"]]
