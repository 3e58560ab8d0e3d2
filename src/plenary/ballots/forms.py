from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Ballot, Reply


class LaunchForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    documents = forms.CharField(label=_("Documents"), max_length=500, required=False)
    proposals = forms.CharField(
        label=_("Proposals, one per line"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Items proposed for decision by correspondence"), queryset=None, required=False
    )
    deadline = forms.DateTimeField(
        label=_("Deadline (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    rule = forms.ChoiceField(label=_("Majority rule"), choices=Ballot.Rule.choices)
    approved_by = forms.ModelChoiceField(
        label=_("Approved by the presiding officer"), queryset=None
    )

    def __init__(self, *args, items, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda item: (
            f"{item.label} — {item.subject[:80]}"
        )
        self.fields["approved_by"].queryset = officers
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class ReplyForm(forms.Form):
    choice = forms.ChoiceField(choices=Reply.Choice.choices, widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)
