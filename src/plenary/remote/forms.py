from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import MeetingLinks, RemoteSettings, SupportRequest


class Styled:
    """Bootstrap's classes on every field that takes them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class RemoteSettingsForm(Styled, forms.ModelForm):
    class Meta:
        model = RemoteSettings
        fields = ["platform", "webcast_public", "lobby_minutes"]


def _https_by_default(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MeetingLinksForm(Styled, forms.ModelForm):
    class Meta:
        model = MeetingLinks
        formfield_callback = _https_by_default
        fields = ["speaker_url", "viewer_url", "interpreter_url", "webcast_url"]


class CaptionForm(Styled, forms.Form):
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    url = forms.URLField(label=_("caption feed address"), required=False, assume_scheme="https")


class InterpreterForm(Styled, forms.Form):
    email = forms.EmailField(label=_("e-mail address of the interpreter's account"))
    booth = forms.ChoiceField(label=_("booth (language)"), choices=settings.LANGUAGES)
    relay = forms.ChoiceField(
        label=_("relay language"),
        choices=[("", "—"), *settings.LANGUAGES],
        required=False,
    )


class SupportForm(Styled, forms.Form):
    """The help form: the fields a person without a session must also fill in."""

    channel = forms.ChoiceField(
        label=_("How should IT support answer?"),
        choices=[
            (SupportRequest.Channel.FORM, _("By e-mail, after this form")),
            (SupportRequest.Channel.CHAT, _("In a live chat, now")),
            (SupportRequest.Channel.CALLBACK, _("By telephone: call me back")),
        ],
        widget=forms.RadioSelect,
        initial=SupportRequest.Channel.FORM,
    )
    subject = forms.CharField(label=_("What is the problem?"), max_length=200)
    body = forms.CharField(
        label=_("Details (optional)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    email = forms.CharField(label=_("e-mail address"), max_length=254, required=False)
    phone = forms.CharField(
        label=_("telephone, with the country code (for a call-back)"),
        max_length=40,
        required=False,
    )


class ReplyForm(Styled, forms.Form):
    text = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 3}))
