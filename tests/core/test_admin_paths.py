"""One audited path for every change made in the administration.

The test walks the admin's registry: every registered model is listed below, with what a
superuser may do to it there and what that leaves in the audit trail. A model a service owns
is read-only, or saved and deleted through that service (its audit event); a model without a
service is audited by the admin itself (`admin.<model>_changed` / `_deleted`). A model
registered later without a line here fails the first test."""

import re

import pytest
from django.contrib import admin
from django.test import Client

from plenary.core.models import AuditEvent, User
from tests import factories

from ..api.conftest import activate_totp

READ_ONLY = "read-only"

# label: READ_ONLY, or {what the admin allows: the audit action it leaves}
EXPECTED = {
    # owned by the consultation's settings, the agenda editor and the planner
    "consultations.Consultation": READ_ONLY,
    "consultations.AgendaGroup": READ_ONLY,
    "consultations.AgendaItem": READ_ONLY,
    "consultations.AgendaItemDocument": READ_ONLY,
    "consultations.Document": READ_ONLY,
    "planning.ItemProgress": READ_ONLY,
    "planning.ItemReply": READ_ONLY,
    "planning.PlanPin": READ_ONLY,
    "planning.PlanVersion": READ_ONLY,
    # owned by registration (delegations, capacity, participants, links)
    "registration.AccessLink": READ_ONLY,
    "registration.Capacity": READ_ONLY,
    "registration.Delegation": READ_ONLY,
    "registration.ExtraSpeakerRequest": READ_ONLY,
    "registration.FocalPoint": READ_ONLY,
    "registration.Participant": READ_ONLY,
    "remote.RemoteSettings": READ_ONLY,
    # owned by the membership pages (terms, seats, voting rights, Sector Members)
    "directory.CouncilSeat": READ_ONLY,
    "directory.CouncilTerm": READ_ONLY,
    "directory.SectorMember": READ_ONLY,
    "directory.VotingRightSuspension": READ_ONLY,
    # the records themselves
    "core.AuditEvent": READ_ONLY,
    "core.OutboxMessage": READ_ONLY,
    "django_tasks_database.DBTaskResult": READ_ONLY,
    "account.EmailAddress": READ_ONLY,
    # through a service
    "consultations.Appointment": {  # registration.grant_role / withdraw_role
        "add": "registration.focal_point_appointed",
        "delete": "role.withdrawn",
    },
    "core.ApiToken": {"add": "api.token_created"},  # core.tokens; revoked by its action
    "directory.OfficialName": {  # directory.services.set_official_name
        "add": "directory.official_name_set",
        "change": "directory.official_name_set",
        "delete": "directory.official_name_cleared",
    },
    "remote.MeetingLinks": {  # remote.services.set_meeting_links
        "add": "remote.meeting_links_set",
        "change": "remote.meeting_links_set",
    },
    "remote.CaptionFeed": {  # remote.services.set_caption_feed
        "add": "remote.caption_feed_set",
        "change": "remote.caption_feed_set",
        "delete": "remote.caption_feed_set",
    },
    "remote.Interpreter": {  # remote.services.add_interpreter
        "add": "remote.interpreter_set",
        "change": "remote.interpreter_set",
        "delete": "admin.interpreter_deleted",
    },
    "remote.SupportRequest": {"change": "remote.support_status"},  # assign / set_status
    # no service of their own: audited by the admin
    "core.User": {
        "add": "admin.user_added",
        "change": "admin.user_changed",
        "delete": "admin.user_deleted",
    },
    "directory.State": {
        "add": "admin.state_added",
        "change": "admin.state_changed",
        "delete": "admin.state_deleted",
    },
    "directory.Region": {
        "add": "admin.region_added",
        "change": "admin.region_changed",
        "delete": "admin.region_deleted",
    },
    "directory.RegionalOrganization": {
        "add": "admin.regionalorganization_added",
        "change": "admin.regionalorganization_changed",
        "delete": "admin.regionalorganization_deleted",
    },
    "planning.Meeting": {"change": "admin.meeting_changed"},  # its link only
    "mfa.Authenticator": {"delete": "admin.authenticator_deleted"},  # a lost one removed
}


@pytest.fixture
def superuser(vcc2):
    user = User.objects.create_superuser("root.admin@example.org", "a-long-root-password")
    return activate_totp(user)


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def _request(rf, user):
    request = rf.get("/admin/")
    request.user = user
    return request


def _allowed(model_admin, request, obj=None) -> set[str]:
    allowed = set()
    if model_admin.has_add_permission(request):
        allowed.add("add")
    if model_admin.has_change_permission(request, obj):
        allowed.add("change")
    if model_admin.has_delete_permission(request, obj):
        allowed.add("delete")
    return allowed


def test_every_registered_model_is_listed(vcc2):
    assert {m._meta.label for m in admin.site._registry} == set(EXPECTED)


def test_what_the_admin_allows_is_what_is_listed(rf, consultation, superuser):
    request = _request(rf, superuser)
    for model, model_admin in admin.site._registry.items():
        expected = EXPECTED[model._meta.label]
        obj = model.objects.first()
        allowed = _allowed(model_admin, request, obj)
        wanted = set() if expected == READ_ONLY else set(expected)
        assert allowed == wanted, model._meta.label
        for inline in model_admin.get_inline_instances(request, obj):
            # the rows of an inline would be written by the parent's save, past its service
            assert not inline.has_add_permission(request, obj), (model._meta.label, inline)
            assert not inline.has_change_permission(request, obj), (model._meta.label, inline)
            assert not (inline.can_delete and inline.has_delete_permission(request, obj))
        actions = model_admin.get_actions(request)
        assert ("delete_selected" in actions) == ("delete" in wanted), model._meta.label


def test_a_read_only_model_refuses_a_write_through_the_admin(admin_client, consultation):
    for model in admin.site._registry:
        if EXPECTED[model._meta.label] != READ_ONLY:
            continue
        info = f"/admin/{model._meta.app_label}/{model._meta.model_name}"
        assert admin_client.post(f"{info}/add/", {}).status_code == 403, info
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.post(f"{info}/{obj.pk}/change/", {}).status_code == 403, info
            assert admin_client.post(f"{info}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403


# --- saving and deleting what may be changed --------------------------------------------------


def _subject(label: str, consultation):
    """An object of each writable model, made through its service where it has one."""
    from allauth.mfa.models import Authenticator

    from plenary.directory.models import OfficialName, Region, RegionalOrganization, State
    from plenary.remote import services as remote
    from plenary.remote.models import Interpreter

    secretariat = factories.secretariat()
    meeting = factories.meeting(consultation, 1)
    kenya = State.objects.get(iso2="KE")
    made = {
        "core.User": lambda: User.objects.create_user("someone@example.org", "a-long-password-9"),
        "directory.State": lambda: kenya,
        "directory.Region": lambda: Region.objects.first(),
        "directory.RegionalOrganization": lambda: RegionalOrganization.objects.first(),
        "directory.OfficialName": lambda: (
            OfficialName.objects.filter(state=kenya).first()
            or __import__("plenary.directory.services", fromlist=["x"]).set_official_name(
                kenya, "en", "Republic of Kenya", actor=secretariat
            )
        ),
        "planning.Meeting": lambda: meeting,
        "remote.MeetingLinks": lambda: remote.set_meeting_links(
            meeting, actor=secretariat, speaker_url="https://meet.example.org/s"
        ),
        "remote.CaptionFeed": lambda: remote.set_caption_feed(
            meeting, "fr", "https://captions.example.org/fr", actor=secretariat
        ),
        "remote.Interpreter": lambda: Interpreter.objects.filter(consultation=consultation).first(),
        "remote.SupportRequest": lambda: remote.open_request(
            consultation,
            channel="form",
            subject="No sound",
            body="Nothing.",
            name="A",
            email="a@example.org",
        ),
        "consultations.Appointment": lambda: consultation.appointments.filter(
            role="focal_point"
        ).first(),
        "mfa.Authenticator": lambda: Authenticator.objects.get(
            user=activate_totp(factories.chair()), type="totp"
        ),
    }
    return made[label]()


def _form_data(response) -> dict:
    """The change form as the browser sends it back: every field with its shown value."""
    data = {}

    def add(form):
        for name in form.fields:
            if name in getattr(form, "_readonly", ()):
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                data[key] = ""
            elif value is True:
                data[key] = "on"
            elif value is False:
                continue
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def _events(action):
    return AuditEvent.objects.filter(action=action).count()


CHANGES = {
    # what is changed before the form is sent back (otherwise the form as it is)
    "remote.SupportRequest": {"status": "resolved"},
    "planning.Meeting": {"join_url": "https://meet.example.org/1"},
    "directory.OfficialName": {"name": "Republic of Kenya (changed)"},
    "remote.Interpreter": {"relay": ""},
}


@pytest.mark.parametrize(
    "label", sorted(k for k, v in EXPECTED.items() if v != READ_ONLY and "change" in v)
)
def test_a_change_saved_in_the_admin_leaves_its_audit_event(admin_client, consultation, label):
    obj = _subject(label, consultation)
    app, model = label.split(".")
    url = f"/admin/{app}/{model.lower()}/{obj.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    data = {**_form_data(page), **CHANGES.get(label, {}), "_save": "Save"}
    action = EXPECTED[label]["change"]
    before = _events(action)
    response = admin_client.post(url, data)
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )
    assert _events(action) == before + 1, label


@pytest.mark.parametrize(
    "label", sorted(k for k, v in EXPECTED.items() if v != READ_ONLY and "delete" in v)
)
def test_a_deletion_in_the_admin_leaves_its_audit_event(admin_client, consultation, label):
    from plenary.directory.models import Region, State

    # what the scenario uses cannot be deleted (protected): a new one is
    unused = {
        "directory.Region": lambda: Region.objects.create(code="Z", name="Nowhere"),
        "directory.State": lambda: State.objects.create(iso2="ZZ", iso3="ZZZ"),
    }
    obj = unused[label]() if label in unused else _subject(label, consultation)
    app, model = label.split(".")
    action = EXPECTED[label]["delete"]
    before = _events(action)
    response = admin_client.post(f"/admin/{app}/{model.lower()}/{obj.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _events(action) == before + 1, label


def test_deleting_the_selected_objects_audits_each_one(admin_client, consultation):
    from plenary.directory.models import RegionalOrganization

    chosen = list(RegionalOrganization.objects.order_by("pk")[:2])
    response = admin_client.post(
        "/admin/directory/regionalorganization/",
        {"action": "delete_selected", "_selected_action": [o.pk for o in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert not RegionalOrganization.objects.filter(pk__in=[o.pk for o in chosen]).exists()
    deleted = AuditEvent.objects.filter(action="admin.regionalorganization_deleted")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(o.pk) for o in chosen)


def test_a_refusal_of_the_service_is_shown_and_nothing_is_saved(admin_client, consultation):
    support_request = _subject("remote.SupportRequest", consultation)
    outsider = factories.delegate("CN")  # not IT support: the service refuses
    url = f"/admin/remote/supportrequest/{support_request.pk}/change/"
    data = {**_form_data(admin_client.get(url)), "assignee": outsider.pk, "status": "resolved"}
    response = admin_client.post(url, data, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Requests can only be assigned to IT support staff."]
    support_request.refresh_from_db()
    assert (support_request.assignee, support_request.status) == (None, "new")
