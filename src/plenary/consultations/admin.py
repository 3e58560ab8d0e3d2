from django.contrib import admin
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from plenary.core.admin import SecretariatAdmin

from .models import AgendaGroup, AgendaItem, AgendaItemDocument, Appointment, Consultation, Document


@admin.register(Consultation)
class ConsultationAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["acronym", "slug", "starts_on", "max_days"]
    filter_horizontal = ["observer_states", "sector_members"]


class AgendaItemInline(TranslationTabularInline):
    model = AgendaItem
    fields = ["number", "position", "subject", "references"]
    extra = 0


@admin.register(AgendaGroup)
class AgendaGroupAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["consultation", "number", "kind"]
    inlines = [AgendaItemInline]


class AgendaItemDocumentInline(admin.TabularInline):
    model = AgendaItemDocument
    extra = 0


@admin.register(AgendaItem)
class AgendaItemAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["__str__", "subject", "group"]
    list_filter = ["group__consultation", "group__number"]
    search_fields = ["subject"]
    inlines = [AgendaItemDocumentInline]


@admin.register(Document)
class DocumentAdmin(SecretariatAdmin, TranslationAdmin):
    list_display = ["symbol", "kind", "pending", "consultation"]
    list_filter = ["consultation", "kind", "pending"]
    search_fields = ["symbol"]


@admin.register(Appointment)
class AppointmentAdmin(SecretariatAdmin):
    list_display = ["user", "role", "consultation", "state"]
    list_filter = ["role", "consultation"]
    autocomplete_fields = ["user", "state"]
