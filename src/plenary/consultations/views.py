from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation

from . import queries
from .models import Consultation


def home(request):
    consultations = list(Consultation.objects.order_by("-starts_on"))
    if len(consultations) == 1:
        return redirect("consultation_home", slug=consultations[0].slug)
    return render(request, "consultations/index.html", {"consultations": consultations})


def _consultation_or_404(slug: str) -> Consultation:
    try:
        return queries.consultation_by_slug(slug)
    except Consultation.DoesNotExist:
        raise Http404 from None


def consultation_home(request, slug):
    consultation = _consultation_or_404(slug)
    now = timezone.now()
    return render(
        request,
        "consultations/home.html",
        {
            "consultation": consultation,
            "milestones": queries.milestones(consultation),
            "next": queries.next_milestone(consultation, now),
            "now": now,
            "counts": queries.agenda_counts(consultation),
        },
    )


def agenda(request, slug):
    consultation = _consultation_or_404(slug)
    language = translation.get_language()
    return render(
        request,
        "consultations/agenda.html",
        {
            "consultation": consultation,
            "groups": queries.agenda_groups(consultation),
            "untranslated": queries.untranslated_subjects(consultation, language),
        },
    )
