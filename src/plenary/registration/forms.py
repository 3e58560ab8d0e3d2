from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Delegation, Participant


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


class ParticipantFilterForm(forms.Form):
    """The secretariat's list: a search on name and e-mail address, and the filters. A
    value that is no choice is reported on its field and that filter is not applied."""

    q = forms.CharField(label=_("Name or e-mail address"), max_length=100, required=False)
    delegation = forms.TypedChoiceField(
        label=_("Delegation"), coerce=int, empty_value=None, required=False
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, delegation_choices, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.fields["delegation"].choices = [*everyone, *delegation_choices]
        self.fields["category"].choices = [*everyone, *Delegation.Category.choices]
        self.fields["status"].choices = [*everyone, *Participant.Status.choices]
        self.fields["role"].choices = [*everyone, *Participant.Role.choices]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class",
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm",
            )

    def filters(self) -> dict:
        """The valid filters, as `queries.participant_list` takes them."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class BulkDecisionForm(forms.Form):
    """A decision on the selected registrations ("participant", repeated), or on one row
    when a row's own button is pressed ("row" = "<id>:<action>")."""

    action = forms.CharField(label=_("Action"), max_length=20, required=False)
    note = forms.CharField(label=_("Note for a refusal"), max_length=300, required=False)
    row = forms.CharField(max_length=40, required=False)

    def clean(self):
        data = super().clean()
        row = data.get("row") or ""
        if row:
            pk, _sep, action = row.partition(":")
            data["ids"], data["action"] = [pk], action
        else:
            data["ids"] = self.data.getlist("participant") if hasattr(self.data, "getlist") else []
        bad = [value for value in data["ids"] if not str(value).isdigit() or len(str(value)) > 10]
        if bad:
            self.add_error(
                None,
                _("Selection: %(values)s is not a registration number.")
                % {"values": str(bad[0])[:20]},
            )
        else:
            data["ids"] = [int(value) for value in data["ids"]]
        return data
