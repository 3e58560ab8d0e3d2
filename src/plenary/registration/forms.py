from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    delegation = forms.ChoiceField(label=_("Delegation"))
    function = forms.CharField(label=_("Function"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)

    def __init__(self, *args, delegation_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegation"].choices = [("", "—"), *delegation_choices]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class ExtraSpeakerForm(forms.Form):
    participant = forms.IntegerField()
    target = forms.CharField(max_length=40)  # "meeting:<id>" or "item:<id>"
