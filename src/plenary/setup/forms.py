"""The settings form of the secretariat's pages: it turns what was typed into values of
the catalogue; whether they are coherent is the service's to say (setup.checks)."""

import zoneinfo

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from plenary.consultations.models import Consultation
from plenary.core import translated
from plenary.directory.models import CouncilTerm
from plenary.registration.models import Delegation
from plenary.remote.models import RemoteSettings

from .catalogue import LANGUAGE_CODES, REMOTE, SECTIONS, TRANSLATED

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
PLACES = [(1, _("1st")), (2, _("2nd")), (3, _("3rd")), (4, _("4th"))]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def styled(form) -> None:
    """The house's Bootstrap classes on every widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css


def _language_name(code: str) -> str:
    return translation.get_language_info(code)["name_local"]


def _zones():
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


class SettingsForm(forms.Form):
    """Every setting of the catalogue as a field; `values()` gives the service its input."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Required once the agenda is confirmed or the plan published."),
    )

    def __init__(self, *args, groups=(1, 2, 3), **kwargs):
        super().__init__(*args, **kwargs)
        model = {field.name: field for field in Consultation._meta.get_fields()}
        remote = {field.name: field for field in RemoteSettings._meta.get_fields()}
        fields = {}
        for name in [n for _k, _t, names in SECTIONS for n in names]:
            if name in TRANSLATED:
                for code in LANGUAGE_CODES:
                    fields[f"{name}_{code}"] = forms.CharField(
                        label=f"{model[name].verbose_name} ({_language_name(code)})",
                        # English is required where the model requires a text (the
                        # presiding officer's title may wait for the presiding officer).
                        required=code == "en" and not model[name].blank,
                        max_length=model[name].max_length or 300,
                        widget=forms.TextInput(
                            attrs={"lang": code, "dir": "rtl" if code == "ar" else "ltr"}
                        ),
                    )
            elif name == "queue_classes":
                for category, label in Delegation.Category.choices:
                    fields[f"queue_{category}"] = forms.TypedChoiceField(
                        label=_("Place in the speakers' queue: %(category)s") % {"category": label},
                        choices=PLACES,
                        coerce=int,
                    )
            else:
                fields[name] = self._field(
                    name, (remote if name in REMOTE else model)[name], groups
                )
        self.fields = {**fields, **self.fields}
        styled(self)

    @staticmethod
    def _field(name, field, groups):
        label = field.verbose_name
        if name == "meeting_weekdays":
            return forms.TypedMultipleChoiceField(
                label=label, choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
            )
        if name == "contribution_groups":
            choices = [(n, _("Group %(number)s") % {"number": n}) for n in groups]
            return forms.TypedMultipleChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if name == "once_per_item":
            return forms.MultipleChoiceField(
                label=label,
                choices=Delegation.Category.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if name == "languages":
            return forms.MultipleChoiceField(
                label=label,
                choices=[(code, _language_name(code)) for code in LANGUAGE_CODES],
                widget=forms.CheckboxSelectMultiple,
            )
        if name == "time_zone":
            return forms.ChoiceField(label=label, choices=_zones())
        if name == "council_term":
            return forms.ModelChoiceField(label=label, queryset=CouncilTerm.objects.all())
        if name == "webcast_public":
            return forms.BooleanField(label=label, required=False)
        formfield = field.formfield()
        if isinstance(formfield, forms.DateField):
            formfield.widget = DATE
        elif isinstance(formfield, forms.TimeField):
            formfield.widget = TIME
        # Ranges are the service's (setup.checks), so that every entry point says the same.
        formfield.validators = [
            v
            for v in formfield.validators
            if not isinstance(v, MinValueValidator | MaxValueValidator)
        ]
        formfield.widget.attrs.pop("min", None)
        return formfield

    def values(self) -> dict:
        """The cleaned form as the service takes it."""
        data = self.cleaned_data
        values = {}
        for name in [n for _k, _t, names in SECTIONS for n in names]:
            if name in TRANSLATED:
                values[name] = {code: data[f"{name}_{code}"] for code in LANGUAGE_CODES}
            elif name == "queue_classes":
                places = {}
                for category in Delegation.Category.values:
                    places.setdefault(data[f"queue_{category}"], []).append(category)
                values[name] = [places[place] for place in sorted(places)]
            else:
                values[name] = data[name]
        return values

    def show_errors(self, details: dict) -> None:
        """The service's problems, each under its field."""
        for name, messages in details.items():
            target = name
            if name in TRANSLATED:
                target = f"{name}_en"
            elif name == "queue_classes" or name not in self.fields:
                target = None
            for message in messages:
                self.add_error(target, message)

    def sections(self):
        """(key, title, [(bound field, its other languages)]) in the catalogue's order, for
        the template: a translated text shows its English field, the five others folded
        beneath it."""
        for key, title, names in SECTIONS:
            bound = []
            for name in names:
                if name in TRANSLATED:
                    others = [self[f"{name}_{code}"] for code in LANGUAGE_CODES if code != "en"]
                    bound.append((self[f"{name}_en"], others))
                elif name == "queue_classes":
                    bound += [(self[f"queue_{c}"], []) for c in Delegation.Category.values]
                else:
                    bound.append((self[name], []))
            yield key, title, bound


def initial_of(consultation) -> dict:
    """A consultation's settings as the form's initial values."""
    initial = {}
    remote = None
    if consultation.pk is not None:
        remote = RemoteSettings.objects.filter(consultation=consultation).first()
    remote = remote or RemoteSettings()
    for name in [n for _k, _t, names in SECTIONS for n in names]:
        if name in TRANSLATED:
            for code in LANGUAGE_CODES:
                initial[f"{name}_{code}"] = translated.text(consultation, name, code)
        elif name == "queue_classes":
            for place, categories in enumerate(consultation.queue_classes or [], start=1):
                for category in categories:
                    initial[f"queue_{category}"] = place
        elif name in REMOTE:
            initial[name] = getattr(remote, name)
        elif name == "council_term":
            initial[name] = consultation.council_term_id
        else:
            initial[name] = getattr(consultation, name)
    return initial


class StartForm(forms.Form):
    """The first step of a new consultation: its short name, and where it starts from."""

    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=50,
        help_text=_("Lower-case letters, digits and hyphens, e.g. vcc-3."),
    )
    source = forms.ModelChoiceField(
        label=_("Start from"),
        queryset=Consultation.objects.order_by("-starts_on"),
        to_field_name="slug",
        required=False,
        empty_label=_("The letter's defaults (a new consultation from scratch)"),
        help_text=_("A copy takes the settings, the agenda groups, the texts and the mailboxes."),
    )
    starts_on = forms.DateField(
        label=_("First day"),
        widget=DATE,
        help_text=_("The other dates of a copy move with it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)
