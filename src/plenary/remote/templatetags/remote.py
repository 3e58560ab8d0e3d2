"""The remote-participation panel shown beside the live floor."""

from django import template

from plenary.remote import services
from plenary.remote.models import MeetingLinks

register = template.Library()


@register.inclusion_tag("remote/_live_panel.html", takes_context=True)
def remote_panel(context, consultation, participant=None):
    """Join link, listening language, captions and webcast of the current or next meeting."""
    meeting = services.current_or_next_meeting(consultation)
    links = MeetingLinks.objects.filter(meeting=meeting).first() if meeting else None
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "consultation": consultation,
        "participant": participant,
        "meeting": meeting,
        "captions": meeting.caption_feeds.all() if meeting else [],
        "webcast_url": links.webcast_url if links else "",
        "listening": services.listening_language(participant) if participant else "floor",
        "languages": services.consultation_languages(consultation),
    }
