from modeltranslation.translator import TranslationOptions, register

from .models import ProposedConclusion


@register(ProposedConclusion)
class ProposedConclusionTranslation(TranslationOptions):
    fields = ("text",)
