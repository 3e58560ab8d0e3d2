from django import forms
from django.utils.translation import gettext_lazy as _

from plenary.core import timezones

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
    # Entered as the consultation's clocks show it (Geneva for VCC-2), naive: the form
    # gives it the offset of that day, summer or winter time (clean_deadline).
    deadline = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    rule = forms.ChoiceField(label=_("Majority rule"), choices=Ballot.Rule.choices)

    def __init__(self, *args, items, consultation, **kwargs):
        initial = kwargs.get("initial") or {}
        if initial.get("deadline") is not None:
            # The stored instant shown on the consultation's clock, as it is entered.
            local = initial["deadline"].astimezone(timezones.zone(consultation.time_zone))
            kwargs["initial"] = {**initial, "deadline": local.replace(tzinfo=None)}
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        deadline = self.fields["deadline"]
        deadline.label = _("Deadline (%(zone)s)") % {"zone": consultation.time_zone_label}
        deadline.help_text = _(
            "The date and time as the clocks show them in %(zone)s; summer or winter time "
            "is applied as it is on that day."
        ) % {"zone": consultation.time_zone_label}
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

    def clean_deadline(self):
        """The instant (UTC) of the time entered on the consultation's clock; a time the
        clocks skip or show twice when summer time begins or ends is refused, naming it."""
        entered = self.cleaned_data["deadline"]
        # USE_TZ gives a naive input the active zone: the wall clock is what was typed.
        naive = entered.replace(tzinfo=None) if entered.tzinfo is not None else entered
        zone = self.consultation.time_zone_label
        try:
            return timezones.wall_clock(naive, self.consultation.time_zone)
        except timezones.NotOnTheClock as error:
            shown = f"{naive:%Y-%m-%d %H:%M}"
            if error.kind == "gap":
                message = _(
                    "%(time)s does not exist in %(zone)s: the clocks move forward an hour "
                    "that night. Choose another time."
                )
            else:
                message = _(
                    "%(time)s occurs twice in %(zone)s: the clocks move back an hour that "
                    "night. Choose another time."
                )
            raise forms.ValidationError(
                message, code="not_on_the_clock", params={"time": shown, "zone": zone}
            ) from None

    def deadline_given(self):
        return self.cleaned_data["deadline"]


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the secretariat: what to change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ReplyForm(forms.Form):
    choice = forms.ChoiceField(choices=Reply.Choice.choices, widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)
