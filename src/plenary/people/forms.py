from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from plenary.directory.models import SectorMember, State
from plenary.registration import queries as registration_queries

from . import importing
from .models import Invitation


class InviteForm(forms.Form):
    """One invitation. The delegation is "state:<ISO2>" or "sm:<id>", as on the
    registration form; the service makes every other check."""

    email = forms.CharField(label=_("E-mail address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=Invitation.Role.choices, initial=Invitation.Role.FOCAL_POINT
    )
    delegation = forms.ChoiceField(label=_("State or Sector Member"), required=False)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)

    def __init__(self, *args, consultation, language, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        self.fields["delegation"].choices = [
            ("", _("— none (roles without a state) —")),
            *registration_queries.delegation_choices(consultation, language),
        ]
        self.fields["language"].initial = language

    def clean_delegation(self):
        value = self.cleaned_data["delegation"]
        kind, _sep, key = value.partition(":")
        if kind == "state":
            return {"state": State.objects.filter(iso2=key).first()}
        if kind == "sm" and key.isdigit():
            return {"sector_member": SectorMember.objects.filter(pk=int(key)).first()}
        return {}

    def invitation(self) -> dict:
        data = self.cleaned_data
        return {
            "email": data["email"],
            "name": data["name"],
            "role": data["role"],
            "language": data["language"],
            **data["delegation"],
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: state (ISO code or name), email, name, language (optional), role "
            "(optional: focal point unless given). UTF-8 or UTF-16, at most 1 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s kB."),
                params={"size": importing.MAX_BYTES // 1000},
            )
        return upload


class AcceptForm(forms.Form):
    """A new account from an invitation: the person's name and a password (the site's
    password validators)."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            # Checked here too, to show the validators' messages beside the field.
            user = get_user_model()(email=self.email, full_name=data.get("name", ""))
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
