from django import forms
from django.utils.translation import gettext_lazy as _

from plenary.directory.names import state_name


class ContributionForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Agenda item"), queryset=None)
    title = forms.CharField(label=_("Document title"), max_length=300)
    comments = forms.CharField(
        label=_("Comments on the document"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
    )
    way_forward = forms.CharField(
        label=_("Proposed way forward"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20000,
    )
    lead_state = forms.ModelChoiceField(label=_("Submitting Member State"), queryset=None)
    co_states = forms.ModelMultipleChoiceField(
        label=_("Other submitting Member States"),
        queryset=None,
        required=False,
        help_text=_("Each one confirms through its own focal point."),
    )

    def __init__(self, *args, items, lead_states, member_states, language, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.label} — {item.subject[:90]}"
        self.fields["lead_state"].queryset = lead_states
        self.fields["co_states"].queryset = member_states
        for name in ("lead_state", "co_states"):
            self.fields[name].label_from_instance = lambda state: state_name(state, language)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ModelChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)


class UploadForm(forms.Form):
    upload = forms.FileField(label=_("Filled template (DOCX) or PDF"))
    item = forms.ModelChoiceField(
        label=_("Agenda item"),
        queryset=None,
        required=False,
        empty_label=_("As the template says"),
        help_text=_("Otherwise the item is found from the documents the template refers to."),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: f"{item.label} — {item.subject[:90]}"
        self.fields["item"].widget.attrs["class"] = "form-select"
