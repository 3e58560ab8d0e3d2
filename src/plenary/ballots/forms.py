from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Ballot, Reply


class DraftForm(forms.Form):
    """A ballot as the secretariat prepares it for the presiding officer's approval."""

    title = forms.CharField(label=_("Title"), max_length=300)
    question = forms.CharField(
        label=_("Question"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    documents = forms.CharField(label=_("Documents"), max_length=500, required=False)
    proposals = forms.CharField(
        label=_("Proposals, one per line"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Items proposed for decision by correspondence"), queryset=None, required=False
    )
    deadline = forms.DateTimeField(
        label=_("Deadline (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    rule = forms.ChoiceField(label=_("Majority rule"), choices=Ballot.Rule.choices)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda item: (
            f"{item.label} — {item.subject[:80]}"
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    @staticmethod
    def initial_of(ballot: Ballot) -> dict:
        """The form filled with a draft, to change it: its items, and its other proposals
        one per line."""
        proposals = list(ballot.proposals.all())
        return {
            "title": ballot.title,
            "question": ballot.question,
            "documents": ballot.documents,
            "items": [p.item_id for p in proposals if p.item_id],
            "proposals": "\n".join(p.text for p in proposals if not p.item_id),
            "deadline": ballot.deadline,
            "rule": ballot.rule,
        }

    def proposals_given(self) -> list:
        """The proposals: the chosen items (their proposed conclusion) then the lines."""
        data = self.cleaned_data
        chosen = [
            (item, item.conclusion.text if hasattr(item, "conclusion") else item.subject)
            for item in data["items"]
        ]
        lines = [(None, line.strip()) for line in data["proposals"].splitlines() if line.strip()]
        return chosen + lines

    def deadline_given(self):
        deadline = self.cleaned_data["deadline"]
        return deadline.replace(tzinfo=UTC) if deadline.tzinfo is None else deadline


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the secretariat: what to change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ReplyForm(forms.Form):
    choice = forms.ChoiceField(choices=Reply.Choice.choices, widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)
