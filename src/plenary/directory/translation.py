from modeltranslation.translator import TranslationOptions, register

from .models import Region, RegionalOrganization


@register(Region)
class RegionTranslation(TranslationOptions):
    fields = ("name",)


@register(RegionalOrganization)
class RegionalOrganizationTranslation(TranslationOptions):
    fields = ("name",)
