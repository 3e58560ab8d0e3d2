"""The plan's days as an SVG timeline: one row per day, one bar per item (no JavaScript)."""

from datetime import datetime

from django.utils.html import escape

ROW = 34
LABEL = 120
WIDTH = 900
BAR = 22


def timeline_svg(days: list[dict], *, day_label, clock_label, title: str, rtl: bool = False) -> str:
    """`days` as from planning.queries.plan_days; `day_label(date)` and `clock_label(dt)`
    format in the reader's language. Bars are proportional to minutes within each window."""
    height = ROW * max(len(days), 1) + 30
    span = WIDTH - LABEL - 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" class="plan-timeline" aria-labelledby="timeline-title">',
        f'<title id="timeline-title">{escape(title)}</title>',
    ]
    for row, day in enumerate(days):
        y = 20 + row * ROW
        window = (day["end"] - day["start"]).total_seconds() or 1
        parts.append(
            f'<text x="{_x(0, rtl)}" y="{y + 15}" font-size="12" text-anchor="{"end" if rtl else "start"}">'
            f"{escape(day_label(day['date']))}</text>"
        )
        parts.append(
            f'<rect x="{_x(LABEL, rtl, span)}" y="{y}" width="{span}" height="{BAR}" fill="#f1f3f5" stroke="#ced4da"/>'
        )
        for slot in day["slots"]:
            left = LABEL + span * _fraction(slot["start_at"], day["start"], window)
            width = max(span * _fraction(slot["end_at"], slot["start_at"], window), 1)
            colour = (
                "#adb5bd" if slot.get("done") else ("#0d6efd" if _group(slot) == 1 else "#6ea8fe")
            )
            x = _x(left, rtl, width)
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}" stroke="#fff">'
                f"<title>{escape(slot['label'])} {escape(clock_label(slot['start_at']))}–"
                f"{escape(clock_label(slot['end_at']))}</title></rect>"
            )
            if width > 28:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + 15}" font-size="11" fill="#fff" '
                    f'text-anchor="middle">{escape(slot["label"])}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _fraction(later: datetime, earlier: datetime, window: float) -> float:
    return max(0.0, (later - earlier).total_seconds() / window)


def _x(left: float, rtl: bool, width: float = 0) -> float:
    return WIDTH - left - width if rtl else left


def _group(slot: dict) -> int:
    item = slot.get("item_obj")
    return item.group.number if item is not None else 0
