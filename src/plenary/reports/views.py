"""The report's page and its files (R26), for everyone who may see the consultation."""

from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from plenary.consultations.access import consultation_permission
from plenary.core.downloads import download

from . import report as reports


@consultation_permission(None)
def report(request, consultation):
    return render(
        request,
        "reports/report.html",
        {
            "consultation": consultation,
            **reports.report_context(consultation, translation.get_language()),
        },
    )


@consultation_permission(None)
def report_docx(request, consultation):
    language = translation.get_language()
    return download(
        reports.report_docx(consultation, language),
        f"{consultation.slug}-report-{language}.docx",
    )


@consultation_permission(None)
def report_pdf(request, consultation):
    language = translation.get_language()
    content = reports.report_pdf(consultation, language)
    if content is None:
        raise Http404(_("PDF is not available on this server; download the Word document."))
    return download(content, f"{consultation.slug}-report-{language}.pdf")
