"""The administration shows the consultation and its agenda for inspection: they change
through the secretariat's pages (settings, agenda editor), which check, version and audit
every change."""

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from plenary.core.admin import ReadOnlyAdmin

from .models import AgendaGroup, AgendaItem, AgendaItemDocument, Consultation, Document


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin, TranslationAdmin):
    """Settings change on the consultation's Settings page (setup.services)."""

    list_display = ["acronym", "slug", "starts_on", "max_days"]


class AgendaItemInline(TranslationTabularInline):
    model = AgendaItem
    fields = ["number", "position", "subject", "references"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgendaGroup)
class AgendaGroupAdmin(ReadOnlyAdmin, TranslationAdmin):
    list_display = ["consultation", "number", "kind"]
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin, TranslationAdmin):
    list_display = ["__str__", "subject", "group"]
    list_filter = ["group__consultation", "group__number"]
    search_fields = ["subject"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin, TranslationAdmin):
    list_display = ["symbol", "kind", "pending", "consultation"]
    list_filter = ["consultation", "kind", "pending"]
    search_fields = ["symbol"]


admin.site.register(AgendaItemDocument, ReadOnlyAdmin)
