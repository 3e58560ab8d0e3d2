from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from plenary.core import translated

from .agenda_files import MAX_BYTES
from .models import AgendaGroup

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_SIGNATURES = {b"%PDF-": "pdf", b"PK\x03\x04": "docx"}


def _language_name(code: str) -> str:
    return translation.get_language_info(code)["name_local"]


def texts_in_six(name: str, label, max_length: int) -> dict:
    """One text field per interface language (English required), each written in its own
    direction: {"subject_en": …, "subject_ar": …}."""
    return {
        f"{name}_{code}": forms.CharField(
            label=label % {"language": _language_name(code)},
            required=code == "en",
            max_length=max_length,
            widget=forms.Textarea(
                attrs={
                    "rows": 2,
                    "lang": code,
                    "dir": "rtl" if code == "ar" else "ltr",
                    "class": "form-control",
                }
            ),
        )
        for code in LANGUAGE_CODES
    }


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        widget=forms.TextInput,
        help_text=_("Required once the agenda has been confirmed."),
    )


class ItemForm(ReasonMixin):
    references = forms.CharField(
        label=_("References"), required=False, max_length=200, help_text=_("e.g. PL 1.8, ADM 4")
    )
    base_minutes = forms.IntegerField(
        label=_("Planned minutes before any speaker"), required=False, min_value=1, max_value=600
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = texts_in_six("subject", _("Subject (%(language)s)"), 2000)
        self.fields = {**fields, **self.fields}
        if item is not None and not self.is_bound:
            for code in LANGUAGE_CODES:
                self.initial[f"subject_{code}"] = translated.text(item, "subject", code)
            self.initial["references"] = ", ".join(item.references)
            self.initial["base_minutes"] = item.base_minutes

    def subjects(self) -> dict:
        return {code: self.cleaned_data[f"subject_{code}"] for code in LANGUAGE_CODES}


class MoveForm(ReasonMixin):
    step = forms.TypedChoiceField(
        choices=[("-1", "up"), ("1", "down"), ("0", "-")], coerce=int, required=False, empty_value=0
    )
    group = forms.ModelChoiceField(queryset=AgendaGroup.objects.none(), required=False)

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = consultation.groups.all()


class DocumentForm(ReasonMixin):
    symbol = forms.CharField(
        label=_("Symbol"), max_length=60, help_text=_("e.g. C20/21(Rev.3), C20/INF/2, VC/8")
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    languages = forms.MultipleChoiceField(
        label=_("Languages available"),
        choices=[(code, code) for code in LANGUAGE_CODES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    pending = forms.BooleanField(label=_("Not yet available"), required=False)
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    upload = forms.FileField(label=_("File (PDF or DOCX)"), required=False)

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB."),
                params={"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
            )
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in DOCUMENT_SIGNATURES):
            raise forms.ValidationError(_("Only PDF and DOCX files are accepted."))
        return upload

    def attachment(self) -> dict:
        """The valid form as `services.attach_document` takes it (page and API alike)."""
        fields = ("symbol", "title", "languages", "pending", "url", "upload", "reason")
        return {name: self.cleaned_data[name] for name in fields}


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm the agenda as adopted at the opening meeting."), required=True
    )


class GroupForm(ReasonMixin):
    """A group's number (when it is added), kind and title in the six languages."""

    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=99)
    kind = forms.ChoiceField(label=_("Kind"), choices=AgendaGroup.Kind.choices)

    def __init__(self, *args, group=None, next_number=1, **kwargs):
        super().__init__(*args, **kwargs)
        titles = texts_in_six("title", _("Title (%(language)s)"), 1000)
        fields = self.fields
        self.fields = {"number": fields["number"], "kind": fields["kind"], **titles}
        self.fields["reason"] = fields["reason"]
        if group is not None:
            del self.fields["number"]
            if not self.is_bound:
                self.initial["kind"] = group.kind
                for code in LANGUAGE_CODES:
                    self.initial[f"title_{code}"] = translated.text(group, "title", code)
        elif not self.is_bound:
            self.initial["number"] = next_number

    def titles(self) -> dict:
        return {code: self.cleaned_data[f"title_{code}"] for code in LANGUAGE_CODES}


class ImportForm(ReasonMixin):
    """The agenda as a file: a workbook, a CSV file or an Annex 2 Word table."""

    file = forms.FileField(
        label=_("Agenda file (.xlsx, .csv or .docx)"),
        help_text=_("At most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.csv,.docx", "class": "form-control"}
        ),
    )

    def contents(self) -> bytes:
        """The file's bytes, read no further than one byte past the limit (the reader then
        refuses it by its size)."""
        upload = self.cleaned_data["file"]
        return upload.read(MAX_BYTES + 1)
