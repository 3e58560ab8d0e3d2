"""The secretariat's forms for the Council's membership; the checks of substance are the
services' (membership.services), the forms only read the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from plenary.directory.models import SectorMember, State, VotingRightSuspension

from .importing import MAX_BYTES

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
TEXT = {"class": "form-control"}


def member_states():
    return State.objects.filter(status=State.Status.MEMBER).order_by("iso2")


class StateChoice(forms.ModelChoiceField):
    """A state chosen by its name in the reader's language (its code beside it), sorted by
    that name."""

    def label_from_instance(self, state):
        return f"{state} ({state.iso2})"

    def by_name(self) -> None:
        states = self.queryset.prefetch_related("official_names")
        labels = sorted(
            ((state.pk, self.label_from_instance(state)) for state in states),
            key=lambda choice: choice[1].casefold(),
        )
        self.choices = [("", "---------"), *labels]


class MembersForm(forms.Form):
    """A list of members, pasted or uploaded."""

    members = forms.CharField(
        label=_("Members"),
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(
            attrs={"rows": 12, "class": "form-control font-monospace", "dir": "ltr"}
        ),
        help_text=_(
            "One seat a line: the region (A to E), a comma, the state (ISO code, or its name in one of the six languages). Or paste the YAML of a council file."
        ),
    )
    upload = forms.FileField(
        label=_("Or a file (CSV, XLSX or YAML)"),
        required=False,
        widget=forms.ClearableFileInput(attrs=TEXT),
    )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s kB."), params={"size": MAX_BYTES // 1000}
            )
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("upload") and not (data.get("members") or "").strip():
            self.add_error("members", _("List the members, or choose a file."))
        return data


class SeatsForm(MembersForm):
    """A term's list of members replaced."""


class TermEditForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=50,
        widget=forms.TextInput(attrs=TEXT),
        help_text=_("e.g. 2023-2026"),
    )
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    seat_count = forms.IntegerField(
        label=_("Seats on the Council"),
        min_value=1,
        max_value=500,
        initial=48,
        widget=forms.NumberInput(attrs=TEXT),
    )


class TermForm(MembersForm, TermEditForm):
    """A new term: name and dates (or those of a YAML file), then the list of members."""

    field_order = ["name", "starts_on", "ends_on", "seat_count", "members", "upload"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "starts_on", "ends_on"):
            self.fields[name].required = False


class SuspendForm(forms.Form):
    state = StateChoice(
        label=_("Member State"),
        queryset=member_states(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    since = forms.DateField(label=_("Since"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=VotingRightSuspension.Reason.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=300, widget=forms.TextInput(attrs=TEXT)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = member_states()
        self.fields["state"].by_name()


class RestoreForm(forms.Form):
    until = forms.DateField(label=_("Right to vote restored on"), widget=DATE)


class SectorMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=SectorMember.Sector.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    state = StateChoice(
        label=_("State (optional)"),
        queryset=State.objects.order_by("iso2"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].by_name()


class InviteForm(forms.Form):
    sector_member = forms.ModelChoiceField(
        label=_("Sector Member"),
        queryset=SectorMember.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector_member"].queryset = SectorMember.objects.exclude(
            pk__in=consultation.sector_members.values("pk")
        ).order_by("sector", "name")
