"""The form a speaker, their focal point or the secretariat sends a statement with."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class StatementForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Agenda item"), queryset=None)
    speaker = forms.ModelChoiceField(label=_("Speaker"), queryset=None)
    language = forms.ChoiceField(
        label=_("Language of the statement"),
        help_text=_("The language the speaker will deliver it in."),
    )
    upload = forms.FileField(label=_("Text of the statement (DOCX or PDF)"))

    def __init__(self, *args, items, speakers, languages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.label} — {item.subject[:90]}"
        self.fields["speaker"].queryset = speakers
        self.fields["speaker"].label_from_instance = lambda p: f"{p.name} ({p.delegation})"
        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = [(code, names.get(code, code)) for code in languages]
        for name, field in self.fields.items():
            css = "form-control" if name == "upload" else "form-select"
            field.widget.attrs.setdefault("class", css)
