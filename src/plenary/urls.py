from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from plenary.api import api
from plenary.ballots import views as ballot_views
from plenary.consultations import views as consultation_views
from plenary.contributions import views as contribution_views
from plenary.core import views as core_views
from plenary.directory import views as directory_views
from plenary.floor import views as floor_views
from plenary.membership import views as membership_views
from plenary.outcomes import views as outcome_views
from plenary.people import views as people_views
from plenary.planning import views as planning_views
from plenary.registration import views as registration_views
from plenary.reports import views as report_views
from plenary.setup import views as setup_views

urlpatterns = [
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("health", core_views.health, name="health"),
    path("api/v1/", api.urls),
    # Calendar feeds have no language prefix: calendar programs keep the address.
    path("calendars/<slug:slug>.ics", planning_views.calendar, name="calendar"),
    path("calendars/<slug:slug>/<str:iso2>.ics", planning_views.calendar, name="calendar_state"),
    path("admin/", admin.site.urls),
    # A personal link: no language prefix, it is exchanged for a session at once.
    path("j/<str:token>", registration_views.join, name="join"),
]

urlpatterns += i18n_patterns(
    path("", consultation_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("states/", directory_views.state_list, name="state_list"),
    # Setting up a consultation (the secretariat).
    path("secretariat/consultations/", setup_views.consultation_list, name="setup_consultations"),
    path("secretariat/consultations/new/", setup_views.consultation_new, name="setup_new"),
    path("c/<slug:slug>/settings/", setup_views.consultation_settings, name="setup_settings"),
    path("c/<slug:slug>/", consultation_views.consultation_home, name="consultation_home"),
    path("c/<slug:slug>/agenda/", consultation_views.agenda, name="agenda"),
    path("c/<slug:slug>/agenda/edit/", consultation_views.agenda_edit, name="agenda_edit"),
    path(
        "c/<slug:slug>/agenda/groups/<int:group_number>/add/",
        consultation_views.agenda_item_add,
        name="agenda_item_add",
    ),
    path(
        "c/<slug:slug>/agenda/items/<int:item_id>/",
        consultation_views.agenda_item_edit,
        name="agenda_item_edit",
    ),
    path(
        "c/<slug:slug>/agenda/items/<int:item_id>/move/",
        consultation_views.agenda_item_move,
        name="agenda_item_move",
    ),
    path(
        "c/<slug:slug>/agenda/items/<int:item_id>/documents/",
        consultation_views.agenda_document_attach,
        name="agenda_document_attach",
    ),
    path(
        "c/<slug:slug>/agenda/items/<int:item_id>/documents/<int:document_id>/remove/",
        consultation_views.agenda_document_detach,
        name="agenda_document_detach",
    ),
    path("c/<slug:slug>/agenda/confirm/", consultation_views.agenda_confirm, name="agenda_confirm"),
    # Agenda groups and the import of the agenda from a file
    path(
        "c/<slug:slug>/agenda/groups/add/",
        consultation_views.agenda_group_add,
        name="agenda_group_add",
    ),
    path(
        "c/<slug:slug>/agenda/groups/<int:number>/edit/",
        consultation_views.agenda_group_edit,
        name="agenda_group_edit",
    ),
    path("c/<slug:slug>/agenda/import/", consultation_views.agenda_import, name="agenda_import"),
    path(
        "c/<slug:slug>/agenda/import/apply/",
        consultation_views.agenda_import_apply,
        name="agenda_import_apply",
    ),
    path(
        "c/<slug:slug>/agenda/translations/",
        consultation_views.agenda_translations,
        name="agenda_translations",
    ),
    path(
        "c/<slug:slug>/agenda/versions/", consultation_views.agenda_versions, name="agenda_versions"
    ),
    path(
        "c/<slug:slug>/agenda/versions/<int:number>/",
        consultation_views.agenda_version,
        name="agenda_version",
    ),
    path("c/<slug:slug>/agenda.docx", planning_views.agenda_docx, name="agenda_docx"),
    path("c/<slug:slug>/plan/", planning_views.plan, name="plan"),
    path("c/<slug:slug>/plan/manage/", planning_views.plan_manage, name="plan_manage"),
    path("c/<slug:slug>/plan/publish/", planning_views.plan_publish, name="plan_publish"),
    path("c/<slug:slug>/plan/items/<int:item_id>/pin/", planning_views.plan_pin, name="plan_pin"),
    path(
        "c/<slug:slug>/plan/items/<int:item_id>/progress/",
        planning_views.item_progress,
        name="item_progress",
    ),
    path("c/<slug:slug>/plan.docx", planning_views.plan_docx, name="plan_docx"),
    path("c/<slug:slug>/plan.xlsx", planning_views.plan_xlsx, name="plan_xlsx"),
    path("c/<slug:slug>/replies/", planning_views.replies, name="replies"),
    path("c/<slug:slug>/register/", registration_views.register, name="register"),
    path("c/<slug:slug>/me/", registration_views.participant_home, name="participant_home"),
    path("c/<slug:slug>/delegation/", registration_views.delegation_page, name="delegation_page"),
    path(
        "c/<slug:slug>/delegation/participants/<int:participant_id>/",
        registration_views.participant_action,
        name="participant_action",
    ),
    path(
        "c/<slug:slug>/delegation/extra-speaker/",
        registration_views.extra_speaker_request,
        name="extra_speaker_request",
    ),
    path(
        "c/<slug:slug>/registration/", registration_views.dashboard, name="registration_dashboard"
    ),
    path(
        "c/<slug:slug>/registration/extra-speakers/<int:request_id>/",
        registration_views.decide_extra_speaker,
        name="decide_extra_speaker",
    ),
    # The secretariat's list of registrations and its decisions, one row or many at once.
    path(
        "c/<slug:slug>/registration/participants/",
        registration_views.participants,
        name="registration_participants",
    ),
    path(
        "c/<slug:slug>/registration/participants/bulk/",
        registration_views.participants_bulk,
        name="registration_bulk",
    ),
    path(
        "c/<slug:slug>/registration/participants.csv",
        registration_views.participants_csv,
        name="participants_csv",
    ),
    path(
        "c/<slug:slug>/registration/participants.xlsx",
        registration_views.participants_xlsx,
        name="participants_xlsx",
    ),
    path(
        "c/<slug:slug>/registration/speakers.txt",
        registration_views.speakers_list,
        name="speakers_list",
    ),
    path("c/<slug:slug>/focal-points/", registration_views.focal_points, name="focal_points"),
    # The participation guide: its text per language, sending it, its delivery per person.
    path("c/<slug:slug>/registration/guide/", registration_views.guide_edit, name="guide_edit"),
    path(
        "c/<slug:slug>/registration/guide/send/", registration_views.guide_send, name="guide_send"
    ),
    path(
        "c/<slug:slug>/registration/guide/deliveries/",
        registration_views.guide_deliveries,
        name="guide_deliveries",
    ),
    path(
        "c/<slug:slug>/registration/guide/deliveries/<int:participant_id>/send/",
        registration_views.guide_send_again,
        name="guide_send_again",
    ),
    path("c/<slug:slug>/live/", floor_views.live, name="floor_live"),
    path("c/<slug:slug>/live/ask/", floor_views.ask, name="floor_ask"),
    path("c/<slug:slug>/console/", floor_views.console, name="floor_console"),
    path(
        "c/<slug:slug>/outcomes/<int:item_id>/", outcome_views.outcome_action, name="outcome_action"
    ),
    path("c/<slug:slug>/report/", report_views.report, name="report"),
    path("c/<slug:slug>/ballots/", ballot_views.ballot_list, name="ballots"),
    path("c/<slug:slug>/ballots/new/", ballot_views.ballot_new, name="ballot_new"),
    # Ballots: the presiding officer's approval, and the secretariat's changes to a draft
    path(
        "c/<slug:slug>/ballots/approvals/", ballot_views.ballot_approvals, name="ballot_approvals"
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/approve/",
        ballot_views.ballot_approve,
        name="ballot_approve",
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/send-back/",
        ballot_views.ballot_send_back,
        name="ballot_send_back",
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/edit/", ballot_views.ballot_edit, name="ballot_edit"
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/", ballot_views.ballot_detail, name="ballot_detail"
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/proposals/<int:proposal_id>/reply/",
        ballot_views.ballot_reply,
        name="ballot_reply",
    ),
    path(
        "c/<slug:slug>/ballots/<int:ballot_id>/manage/",
        ballot_views.ballot_manage,
        name="ballot_manage",
    ),
    path("c/<slug:slug>/report.docx", report_views.report_docx, name="report_docx"),
    path("c/<slug:slug>/report.pdf", report_views.report_pdf, name="report_pdf"),
    path("c/<slug:slug>/console/action/", floor_views.console_action, name="floor_console_action"),
    path(
        "c/<slug:slug>/contributions/", contribution_views.contribution_list, name="contributions"
    ),
    path(
        "c/<slug:slug>/contributions/new/",
        contribution_views.contribution_new,
        name="contribution_new",
    ),
    path(
        "c/<slug:slug>/contributions/upload/",
        contribution_views.contribution_upload,
        name="contribution_upload",
    ),
    path(
        "c/<slug:slug>/contributions/<int:contribution_id>/confirm/",
        contribution_views.contribution_confirm,
        name="contribution_confirm",
    ),
    path(
        "c/<slug:slug>/contributions/<int:contribution_id>/",
        contribution_views.contribution_detail,
        name="contribution_detail",
    ),
    path(
        "c/<slug:slug>/contributions/<int:contribution_id>/action/",
        contribution_views.contribution_action,
        name="contribution_action",
    ),
    path(
        "c/<slug:slug>/contributions/template.docx",
        contribution_views.template_download,
        name="contribution_template",
    ),
    path("c/<slug:slug>/", include("plenary.remote.urls")),
    path("c/<slug:slug>/", include("plenary.reports.urls")),
    path("c/<slug:slug>/", include("plenary.statements.urls")),
    # The Council and its Member States: terms and seats, the right to vote, Sector Members.
    path("secretariat/council/", membership_views.council_terms, name="council_terms"),
    path("secretariat/council/<int:term_id>/", membership_views.council_term, name="council_term"),
    path("secretariat/voting-rights/", membership_views.voting_rights, name="voting_rights"),
    path(
        "secretariat/voting-rights/<int:suspension_id>/restore/",
        membership_views.voting_right_restore,
        name="voting_right_restore",
    ),
    path("secretariat/sector-members/", membership_views.sector_members, name="sector_members"),
    path(
        "c/<slug:slug>/sector-members/",
        membership_views.consultation_sector_members,
        name="consultation_sector_members",
    ),
    # The people of a consultation: the secretariat's invitations and the invitee's link.
    path("invitation/<str:token>/", people_views.accept, name="invitation_accept"),
    path("c/<slug:slug>/people/", people_views.people_page, name="people"),
    path("c/<slug:slug>/people/invite/", people_views.invite, name="people_invite"),
    path(
        "c/<slug:slug>/people/invitations/<int:invitation_id>/",
        people_views.invitation_action,
        name="people_invitation_action",
    ),
    path(
        "c/<slug:slug>/people/appointments/<int:appointment_id>/withdraw/",
        people_views.appointment_withdraw,
        name="people_appointment_withdraw",
    ),
    path(
        "c/<slug:slug>/people/voting/<int:voting_id>/withdraw/",
        people_views.voting_focal_point_withdraw,
        name="people_voting_withdraw",
    ),
    path("c/<slug:slug>/people/import/", people_views.import_preview, name="people_import"),
    path("c/<slug:slug>/people/import/send/", people_views.import_send, name="people_import_send"),
    prefix_default_language=True,
)
