from django import forms
from django.utils.translation import gettext_lazy as _


class PublishForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the new version"), required=False, max_length=500)


class PinForm(forms.Form):
    day = forms.TypedChoiceField(label=_("Day"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", _("Any day"))] + [
            (str(n), str(n + 1)) for n in range(days)
        ]


class ReplyForm(forms.Form):
    """One row of the replies page: will the delegation take the floor on the item?"""

    will_speak = forms.TypedChoiceField(
        choices=[("", _("No reply")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    minutes = forms.IntegerField(
        min_value=1,
        max_value=120,
        required=False,
        widget=forms.NumberInput(
            attrs={"class": "form-control form-control-sm", "style": "max-width: 7rem"}
        ),
    )
