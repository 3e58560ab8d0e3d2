from modeltranslation.translator import TranslationOptions, register

from .models import AgendaGroup, AgendaItem, Consultation, Document


@register(Consultation)
class ConsultationTranslation(TranslationOptions):
    fields = ("title", "body", "legal_basis", "presiding_officer_title", "time_zone_label")


@register(AgendaGroup)
class AgendaGroupTranslation(TranslationOptions):
    fields = ("title",)


@register(AgendaItem)
class AgendaItemTranslation(TranslationOptions):
    fields = ("subject", "instruments", "note")


@register(Document)
class DocumentTranslation(TranslationOptions):
    fields = ("title",)
