"""The access matrix: who may do what, through the API and the web pages. The table in
docs/security.md is generated from ROWS (`python -m tests.api.access_matrix`) and
test_access_matrix drives every cell.

A row is one action: the roles allowed, the API call and the web call (None where the
action has no page). Paths and bodies are formatted with the ids of the test's world."""

from dataclasses import dataclass, field

ROLES = [
    "anonymous",
    "viewer",
    "speaker",
    "focal_point",
    "presiding_officer",
    "secretariat",
    "it_support",
    "voting_focal_point",
    "interpreter",
]
ALL = frozenset(ROLES)
ACCOUNTS = frozenset(
    {
        "focal_point",
        "presiding_officer",
        "secretariat",
        "it_support",
        "voting_focal_point",
        "interpreter",
    }
)
S = frozenset({"secretariat"})
CHAIR = frozenset({"presiding_officer", "secretariat"})
DELEGATION = frozenset({"focal_point", "secretariat"})
PARTICIPANTS = frozenset({"viewer", "speaker"})
SUPPORT = frozenset({"it_support", "secretariat"})
PRESIDING = frozenset({"presiding_officer"})


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    data: dict = field(default_factory=dict)
    files: tuple = ()  # names of files to send (multipart)
    session: bool = False  # through the browser session rather than a token


@dataclass(frozen=True)
class Row:
    action: str
    allowed: frozenset
    api: Call
    web: Call | None = None
    note: str = ""


C = "/api/v1/consultations/{slug}"
W = "/en/c/{slug}"
DRAFT_API = {
    "title": "T",
    "question": "Q?",
    "proposals": ["P"],
    "deadline": "2099-01-01T12:00:00Z",
    "rule": "electorate",
}
DRAFT_WEB = {
    "title": "T",
    "question": "Q?",
    "proposals": "P",
    "deadline": "2099-01-01T12:00",
    "rule": "electorate",
}

ROWS = [
    # --- agenda
    Row(
        "Add an agenda item",
        S,
        Call("post", C + "/agenda/groups/1/items", {"subjects": {"en": "A new item"}}),
        Call("post", W + "/agenda/groups/1/add/", {"subject_en": "A new item"}),
    ),
    Row(
        "Change an agenda item",
        S,
        Call("patch", C + "/agenda/items/{item}", {"references": ["PL 1.1"]}),
        Call(
            "post", W + "/agenda/items/{item}/", {"subject_en": "{subject}", "references": "PL 1.1"}
        ),
    ),
    Row(
        "Move an agenda item",
        S,
        Call("post", C + "/agenda/items/{item}/move", {"step": 1}),
        Call("post", W + "/agenda/items/{item}/move/", {"step": "1"}),
    ),
    Row(
        "Attach a document to an item",
        S,
        Call(
            "post",
            C + "/agenda/items/{item}/documents",
            {"symbol": "C20/99", "url": "https://example.org/c20-99"},
            files=("multipart",),
        ),
        Call(
            "post",
            W + "/agenda/items/{item}/documents/",
            {"symbol": "C20/99", "url": "https://example.org/c20-99"},
        ),
    ),
    Row(
        "Remove a document from an item",
        S,
        Call("post", C + "/agenda/items/{item}/documents/{document}/detach", {}),
        Call("post", W + "/agenda/items/{item}/documents/{document}/remove/", {}),
    ),
    Row(
        "Add an agenda group",
        S,
        Call("post", C + "/agenda/groups", {"number": 9, "kind": "if_time", "titles": {"en": "X"}}),
        Call(
            "post", W + "/agenda/groups/add/", {"number": "9", "kind": "if_time", "title_en": "X"}
        ),
    ),
    Row(
        "Change an agenda group",
        S,
        Call("patch", C + "/agenda/groups/1", {"titles": {"fr": "Urgent"}}),
        Call("post", W + "/agenda/groups/1/edit/", {"kind": "urgent", "title_en": "Urgent"}),
    ),
    Row(
        "Import the agenda from a file (preview)",
        S,
        Call("post", C + "/agenda/import", files=("file",)),
        Call("post", W + "/agenda/import/", files=("file",)),
    ),
    Row(
        "Confirm the agenda",
        CHAIR,
        Call("post", C + "/agenda/confirm"),
        Call("post", W + "/agenda/confirm/", {"confirm": "on"}),
        "At the opening meeting only (the button is on the chair's console): the test's world "
        "has opened meeting 1; before it, the chair is refused for that reason.",
    ),
    # --- plan
    Row(
        "Publish the time management plan",
        S,
        Call("post", C + "/plan/publish", {"reason": ""}),
        Call("post", W + "/plan/publish/", {"reason": ""}),
    ),
    Row(
        "Pin an item to a day",
        S,
        Call("post", C + "/plan/items/{item}/pin", {"day": 0}),
        Call("post", W + "/plan/items/{item}/pin/", {"day": "0"}),
    ),
    Row(
        "Record that an item starts or ends",
        CHAIR,
        Call("post", C + "/plan/items/{item}/progress", {"event": "start"}),
        Call("post", W + "/plan/items/{item}/progress/", {"event": "start"}),
    ),
    Row(
        "Reply on an item (will the state speak?)",
        frozenset({"focal_point"}),
        Call("put", C + "/replies/{item}", {"will_speak": True, "minutes": 5}),
        Call("post", W + "/replies/", {"{item}-will_speak": "yes", "{item}-minutes": "5"}),
    ),
    # --- registration
    Row(
        "Register for the consultation",
        ALL,
        Call(
            "post",
            C + "/registrations",
            {"delegation": "state:CH", "name": "A. Person", "email": "a.person@example.org"},
        ),
        Call(
            "post",
            W + "/register/",
            {
                "delegation": "state:CH",
                "name": "A. Person",
                "email": "a.person@example.org",
                "language": "en",
            },
        ),
        "Registration of VCC-2 is closed: everyone is refused for that reason, not for who they are.",
    ),
    *[
        Row(
            label,
            DELEGATION,
            Call("post", C + f"/participants/{{{target}}}/{action}"),
            Call("post", W + f"/delegation/participants/{{{target}}}/", {"action": action}),
        )
        for label, action, target in [
            ("Approve a registration", "approve", "pending"),
            ("Reject a registration", "reject", "pending"),
            ("Name a speaker", "speaker", "viewer_participant"),
            ("Make a speaker a viewer", "viewer", "other_speaker"),
            ("Withdraw a participant", "withdraw", "other_speaker"),
            ("Send a new personal link", "resend", "other_speaker"),
        ]
    ],
    Row(
        "Ask for an extra speaker",
        DELEGATION,
        Call(
            "post",
            C + "/extra-speakers",
            {"participant": "{viewer_participant}", "meeting": "{meeting}"},
        ),
        Call(
            "post",
            W + "/delegation/extra-speaker/",
            {"participant": "{viewer_participant}", "target": "meeting:{meeting}"},
        ),
    ),
    Row(
        "Decide on an extra speaker",
        S,
        Call("post", C + "/extra-speakers/{extra}/decision", {"grant": False}),
        Call("post", W + "/registration/extra-speakers/{extra}/", {"decision": "refuse"}),
    ),
    Row(
        "See the list of registrations",
        S,
        Call("get", C + "/participants?status=pending"),
        Call("get", W + "/registration/participants/?status=pending"),
    ),
    Row(
        "Decide on many registrations at once",
        S,
        Call("post", C + "/participants/bulk", {"ids": ["{pending}"], "action": "approve"}),
        Call(
            "post",
            W + "/registration/participants/bulk/",
            {"participant": "{pending}", "action": "approve"},
        ),
    ),
    # --- the participation guide
    Row(
        "Read the participation guide",
        S,
        Call("get", C + "/guide/texts/en"),
        Call("get", W + "/registration/guide/"),
    ),
    Row(
        "Change the participation guide",
        S,
        Call("put", C + "/guide/texts/en", {"subject": "Guide", "body": "Dear participant."}),
        Call(
            "post",
            W + "/registration/guide/",
            {"language": "en", "subject": "Guide", "body": "Dear participant.", "action": "save"},
        ),
    ),
    Row(
        "Send the guide to everyone approved",
        S,
        Call("post", C + "/guide/send"),
        Call("post", W + "/registration/guide/send/"),
    ),
    Row(
        "Send the guide again to one participant",
        S,
        Call("post", C + "/guide/deliveries/{viewer_participant}/send", {}),
        Call("post", W + "/registration/guide/deliveries/{viewer_participant}/send/"),
    ),
    Row(
        "Read the guide's delivery report",
        S,
        Call("get", C + "/guide/deliveries"),
        Call("get", W + "/registration/guide/deliveries/"),
    ),
    # --- contributions
    Row(
        "Submit a contribution (form)",
        DELEGATION,
        Call(
            "post",
            C + "/contributions",
            {"item": "{item}", "title": "Views of Switzerland", "lead_state": "CH"},
        ),
        Call(
            "post",
            W + "/contributions/new/",
            {"item": "{item}", "title": "Views of Switzerland", "lead_state": "{ch}"},
        ),
        "The deadline has passed: allowed roles are refused for that reason.",
    ),
    Row(
        "Upload a contribution (file)",
        DELEGATION,
        Call("post", C + "/contributions/upload", files=("upload",)),
        Call("post", W + "/contributions/upload/", files=("upload",)),
        "The deadline has passed: allowed roles are refused for that reason, except the"
        " secretariat, which may accept a contribution late.",
    ),
    Row(
        "Confirm and submit one's uploaded draft",
        DELEGATION,
        Call(
            "post",
            C + "/contributions/{draft}/submit",
            {"item": "{item}", "title": "Views of Switzerland", "lead_state": "CH"},
        ),
        Call(
            "post",
            W + "/contributions/{draft}/confirm/",
            {"item": "{item}", "title": "Views of Switzerland", "lead_state": "{ch}"},
        ),
    ),
    Row(
        "Delete one's uploaded draft",
        DELEGATION,
        Call("delete", C + "/contributions/{draft}"),
        Call("post", W + "/contributions/{draft}/action/", {"action": "delete"}),
    ),
    Row(
        "Confirm a co-submission",
        DELEGATION,
        Call("post", C + "/contributions/{co_submitted}/co-submission", {"state": "CH"}),
        Call(
            "post",
            W + "/contributions/{co_submitted}/action/",
            {"action": "confirm", "state": "{ch}"},
        ),
    ),
    Row(
        "Publish a contribution",
        S,
        Call("post", C + "/contributions/{submitted}/publish"),
        Call("post", W + "/contributions/{submitted}/action/", {"action": "publish"}),
    ),
    Row(
        "Withdraw a contribution",
        DELEGATION,
        Call("post", C + "/contributions/{submitted}/withdraw"),
        Call("post", W + "/contributions/{submitted}/action/", {"action": "withdraw"}),
    ),
    # --- floor
    Row(
        "Follow the live meeting",
        frozenset({"viewer", "speaker", "presiding_officer", "secretariat"}),
        Call("get", C + "/floor"),
        Call("get", W + "/live/"),
    ),
    *[
        Row(
            label,
            CHAIR,
            Call("post", C + api_path, api_data),
            Call("post", W + "/console/action/", web_data),
        )
        for label, api_path, api_data, web_data in [
            (
                "Open a meeting",
                "/floor/meeting",
                {"meeting": "{meeting}"},
                {"action": "open_meeting", "meeting": "{meeting}"},
            ),
            ("End the meeting", "/floor/meeting/end", {}, {"action": "end_meeting"}),
            (
                "Take up an item",
                "/floor/item",
                {"item": "{item}"},
                {"action": "take_up", "item": "{item}"},
            ),
            ("Give the floor", "/floor/give", {"request": None}, {"action": "give"}),
            ("End a speech", "/floor/end", {}, {"action": "end"}),
            (
                "Close the list of speakers",
                "/floor/list",
                {"open": False},
                {"action": "close_list"},
            ),
            (
                "Extend the speech under way",
                "/floor/extend",
                {"seconds": 60},
                {"action": "extend", "seconds": "60"},
            ),
            (
                "Remove a request from the queue",
                "/floor/requests/{waiting}/remove",
                {},
                {"action": "remove", "request": "{waiting}"},
            ),
        ]
    ],
    Row(
        "Ask for the floor",
        frozenset({"speaker"}),
        Call("post", C + "/floor/requests", {"kind": "speak"}),
        Call("post", W + "/live/ask/", {"op": "speak"}),
    ),
    Row(
        "Raise a point of order",
        frozenset({"speaker"}),
        Call("post", C + "/floor/requests", {"kind": "point_of_order"}),
        Call("post", W + "/live/ask/", {"op": "point_of_order"}),
    ),
    Row(
        "Withdraw one's request for the floor",
        frozenset({"speaker", "viewer"}),
        Call("post", C + "/floor/requests/mine/withdraw"),
        Call("post", W + "/live/ask/", {"op": "withdraw"}),
        "A viewer may withdraw the request of their own delegation (as on the live page).",
    ),
    Row(
        "Object or ask to defer (own delegation)",
        frozenset({"speaker"}),
        Call("post", C + "/floor/objections", {"kind": "defer_conclusion"}),
        None,
        "On the web this is sent over the live page's WebSocket.",
    ),
    # --- outcomes
    *[
        Row(
            label,
            CHAIR,
            Call(method, C + f"/outcomes/{{{item}}}{api_path}", api_data),
            Call("post", W + f"/outcomes/{{{item}}}/", web_data),
        )
        for label, method, item, api_path, api_data, web_data in [
            (
                "Draft the proposed conclusion",
                "put",
                "item",
                "/conclusion",
                {"texts": {"en": "The Council notes the report."}, "original": "en"},
                {"action": "draft", "text_en": "The Council notes the report.", "original": "en"},
            ),
            (
                "Show the proposed conclusion",
                "post",
                "item",
                "/conclusion/shown",
                {"shown": True},
                {"action": "show"},
            ),
            (
                "Record an objection on a delegation's behalf",
                "post",
                "item",
                "/objections",
                {"delegation": "{ch_delegation}", "kind": "object"},
                {"action": "object", "delegation": "{ch_delegation}", "kind": "object"},
            ),
            (
                "Withdraw an objection",
                "post",
                "item",
                "/objections/{objection}/withdraw",
                {},
                {"action": "withdraw", "objection": "{objection}"},
            ),
            (
                "Record the outcome",
                "post",
                "item",
                "/outcome",
                {"state": "agreed"},
                {"action": "record", "state": "agreed"},
            ),
            (
                "Reopen an outcome",
                "post",
                "recorded_item",
                "/reopen",
                {"reason": "Error"},
                {"action": "reopen", "reason": "Error"},
            ),
        ]
    ],
    # --- ballots
    Row(
        "Prepare a decision by correspondence",
        S,
        Call("post", C + "/ballots", DRAFT_API),
        Call("post", W + "/ballots/new/", DRAFT_WEB),
        "A draft pending the presiding officer's approval; nothing is launched.",
    ),
    Row(
        "Change a draft ballot",
        S,
        Call("put", C + "/ballots/{draft_ballot}", DRAFT_API),
        Call("post", W + "/ballots/{draft_ballot}/edit/", DRAFT_WEB),
        "Until the presiding officer approves it; a launched ballot is refused for that reason.",
    ),
    Row(
        "Withdraw a draft ballot",
        S,
        Call("post", C + "/ballots/{draft_ballot}/withdraw"),
        Call("post", W + "/ballots/{draft_ballot}/manage/", {"action": "withdraw"}),
    ),
    Row(
        "Approve and launch a ballot",
        PRESIDING,
        Call("post", C + "/ballots/{draft_ballot}/approve"),
        Call("post", W + "/ballots/{draft_ballot}/approve/"),
        "The consultation's presiding officer only, signed in: the secretariat that prepared "
        "the draft may not approve it. Approval freezes the electorate and is audited with "
        "the approver.",
    ),
    Row(
        "Send a draft ballot back",
        PRESIDING,
        Call("post", C + "/ballots/{draft_ballot}/send-back", {"note": "Say which item."}),
        Call("post", W + "/ballots/{draft_ballot}/send-back/", {"note": "Say which item."}),
    ),
    Row(
        "Reply to a ballot",
        frozenset({"voting_focal_point"}),
        Call("post", C + "/ballots/{ballot}/proposals/{proposal}/reply", {"choice": "in_favour"}),
        Call(
            "post",
            W + "/ballots/{ballot}/proposals/{proposal}/reply/",
            {"{proposal}-choice": "in_favour", "{proposal}-token": "matrix-token"},
        ),
    ),
    Row(
        "Appoint a voting focal point",
        S,
        Call(
            "post",
            C + "/ballots/{ballot}/voting-focal-points",
            {"state": "DE", "email": "focal.point.ch@example.org"},
        ),
        Call(
            "post",
            W + "/ballots/{ballot}/manage/",
            {"action": "focal_point", "state": "{de}", "email": "focal.point.ch@example.org"},
        ),
    ),
    Row(
        "Enter a reply received by e-mail",
        S,
        Call(
            "post",
            C + "/ballots/{ballot}/email-replies",
            {"proposal": "{proposal}", "state": "DE", "choice": "against"},
            files=("evidence",),
        ),
        Call(
            "post",
            W + "/ballots/{ballot}/manage/",
            {
                "action": "email_reply",
                "proposal": "{proposal}",
                "state": "{de}",
                "choice": "against",
            },
            files=("evidence",),
        ),
    ),
    Row(
        "Close a ballot",
        S,
        Call("post", C + "/ballots/{ballot}/close"),
        Call("post", W + "/ballots/{ballot}/manage/", {"action": "close"}),
        "Before its deadline the secretariat is refused for that reason.",
    ),
    Row(
        "Send the ballot reminders now",
        S,
        Call("post", C + "/ballots/{ballot}/remind"),
        None,
        "The worker sends them 48 hours before the deadline; no page has a button.",
    ),
    # --- remote participation (the meeting is the rehearsal, moved to now in the test's world)
    Row(
        "Get one's access to a meeting",
        PARTICIPANTS,
        Call("post", C + "/meetings/{rehearsal}/access", {"publish": False}),
        Call("post", W + "/meetings/{rehearsal}/access.json", {}),
    ),
    Row(
        "Get access to be heard in a meeting",
        frozenset({"speaker"}),
        Call("post", C + "/meetings/{rehearsal}/access", {"publish": True}),
        Call("post", W + "/meetings/{rehearsal}/access.json", {"publish": "1"}),
    ),
    Row(
        "Choose one's listening language",
        PARTICIPANTS,
        Call("put", C + "/listening", {"language": "fr"}),
        Call("post", W + "/listening/", {"language": "fr"}),
    ),
    Row(
        "Take the booth for a meeting",
        frozenset({"interpreter"}),
        Call("post", C + "/meetings/{rehearsal}/booth"),
        Call("get", W + "/booth/?meeting={rehearsal}"),
    ),
    Row(
        "Send a statement for the interpreters",
        frozenset({"speaker", "focal_point", "secretariat"}),
        Call(
            "post",
            C + "/meetings/{rehearsal}/statements",
            {"item": "{item}", "language": "fr", "speaker": "{other_speaker}"},
            files=("upload",),
        ),
        Call(
            "post",
            W + "/meetings/{rehearsal}/statements/",
            {"item": "{item}", "language": "fr", "speaker": "{other_speaker}"},
            files=("upload",),
        ),
        "A speaker sends for themselves; a focal point for the speakers of their delegation.",
    ),
    Row(
        "Read the statements for the interpreters",
        frozenset({"interpreter", "secretariat"}),
        Call("get", C + "/statements"),
        Call("get", W + "/statements/"),
    ),
    Row(
        "Download a statement for the interpreters",
        frozenset({"interpreter", "secretariat"}),
        Call("get", C + "/statements/{statement}/file"),
        Call("get", W + "/statements/{statement}/file"),
        "Interpreters until the statement is withdrawn after its meeting; the secretariat "
        "until then too, the row afterwards.",
    ),
    Row(
        "Watch the webcast",
        frozenset(
            {
                "viewer",
                "speaker",
                "focal_point",
                "presiding_officer",
                "secretariat",
                "it_support",
                "interpreter",
            }
        ),
        Call("get", C + "/webcast"),
        Call("get", W + "/webcast/"),
        "The webcast of VCC-2 is not public; once the secretariat makes it public, anyone may watch.",
    ),
    Row(
        "Read the remote participation settings",
        S,
        Call("get", C + "/remote/settings"),
        Call("get", W + "/remote/"),
    ),
    Row(
        "Change the remote participation settings",
        S,
        Call("patch", C + "/remote/settings", {"webcast_public": True}),
        Call(
            "post",
            W + "/remote/",
            {
                "action": "settings",
                "platform": "external",
                "webcast_public": "on",
                "lobby_minutes": "60",
            },
        ),
    ),
    Row(
        "Set a meeting's addresses",
        S,
        Call(
            "put",
            C + "/remote/meetings/{meeting}/links",
            {
                "speaker_url": "https://meet.example.org/s",
                "viewer_url": "https://meet.example.org/v",
            },
        ),
        Call(
            "post",
            W + "/remote/meetings/{meeting}/",
            {
                "speaker_url": "https://meet.example.org/s",
                "viewer_url": "https://meet.example.org/v",
            },
        ),
    ),
    Row(
        "Set a caption feed",
        S,
        Call(
            "put",
            C + "/remote/meetings/{meeting}/captions",
            {"language": "fr", "url": "https://captions.example.org/fr"},
        ),
        Call(
            "post",
            W + "/remote/meetings/{meeting}/",
            {"action": "caption", "language": "fr", "url": "https://captions.example.org/fr"},
        ),
    ),
    Row(
        "Add an interpreter",
        S,
        Call(
            "post",
            C + "/remote/interpreters",
            {"email": "it.support@example.org", "booth": "ar", "relay": "en"},
        ),
        Call(
            "post",
            W + "/remote/",
            {"action": "interpreter", "email": "it.support@example.org", "booth": "ar"},
        ),
    ),
    Row(
        "See who staffs the booths of a meeting",
        S,
        Call("get", C + "/remote/meetings/{meeting}/booths"),
        Call("get", W + "/remote/meetings/{meeting}/"),
    ),
    Row(
        "Ask IT support for help",
        ALL,
        Call(
            "post",
            C + "/support-requests",
            {"subject": "No sound", "name": "A. Person", "email": "a.person@example.org"},
        ),
        Call(
            "post",
            W + "/help/",
            {
                "channel": "form",
                "subject": "No sound",
                "name": "A. Person",
                "email": "a.person@example.org",
            },
        ),
    ),
    Row(
        "Read one's own request to IT support",
        frozenset({"speaker"}),
        Call("get", C + "/support-requests/{support_request}"),
        Call("get", W + "/help/{support_request}/"),
        "The request of the test's world is the speaker's; each person reads their own only.",
    ),
    Row(
        "Write to IT support on one's own request",
        frozenset({"speaker"}),
        Call("post", C + "/support-requests/{support_request}/messages", {"text": "Still none"}),
        Call("post", W + "/help/{support_request}/", {"text": "Still none"}),
    ),
    Row(
        "See the IT support desk",
        SUPPORT,
        Call("get", C + "/support-desk?status=open"),
        Call("get", W + "/support/?status=open"),
    ),
    Row(
        "Read a request at the IT support desk",
        SUPPORT,
        Call("get", C + "/support-desk/{support_request}"),
        Call("get", W + "/support/{support_request}/"),
    ),
    Row(
        "Take a support request",
        SUPPORT,
        Call("post", C + "/support-desk/{support_request}/assign", {}),
        Call("post", W + "/support/{support_request}/", {"action": "take"}),
    ),
    Row(
        "Set the status of a support request",
        SUPPORT,
        Call("post", C + "/support-desk/{support_request}/status", {"status": "waiting"}),
        Call("post", W + "/support/{support_request}/", {"action": "status", "status": "waiting"}),
    ),
    Row(
        "Answer a support request",
        SUPPORT,
        Call("post", C + "/support-desk/{support_request}/replies", {"text": "Try again now."}),
        Call("post", W + "/support/{support_request}/", {"text": "Try again now."}),
    ),
    # --- setting up a consultation
    Row(
        "Create a consultation",
        S,
        Call("post", "/api/v1/consultations", {"slug": "matrix-new", "copy_from": "{slug}"}),
        Call("get", "/en/secretariat/consultations/"),
        "Created from scratch or as a copy; the pages take three steps.",
    ),
    Row(
        "Change a consultation's settings",
        S,
        Call("patch", C + "/settings", {"viewer_capacity": 1999}),
        Call("post", W + "/settings/", {"action": "preview"}),
    ),
    # --- the Council and its Member States (secretariat pages, no consultation)
    Row(
        "See the Council terms",
        S,
        Call("get", "/api/v1/council/terms"),
        Call("get", "/en/secretariat/council/"),
    ),
    Row(
        "Enter a Council term",
        S,
        Call(
            "post",
            "/api/v1/council/terms",
            {
                "name": "2023-2026",
                "starts_on": "2023-01-01",
                "ends_on": "2026-12-31",
                "seats": [{"region": "B", "state": "CH"}],
            },
        ),
        Call(
            "post",
            "/en/secretariat/council/",
            {
                "name": "2023-2026",
                "starts_on": "2023-01-01",
                "ends_on": "2026-12-31",
                "seat_count": "48",
                "members": "B,CH",
                "action": "save",
            },
        ),
        "One seat of 48: allowed roles are refused for that reason.",
    ),
    Row(
        "Import a Council term from a file",
        S,
        Call("post", "/api/v1/council/terms/import", {"dry_run": "true"}, files=("upload",)),
        Call(
            "post",
            "/en/secretariat/council/",
            {"seat_count": "48", "action": "preview"},
            files=("upload",),
        ),
    ),
    Row(
        "See a Council term's seats",
        S,
        Call("get", "/api/v1/council/terms/{term}"),
        Call("get", "/en/secretariat/council/{term}/"),
    ),
    Row(
        "Change a Council term's name or dates",
        S,
        Call("patch", "/api/v1/council/terms/{term}", {"ends_on": "2022-12-30"}),
        Call(
            "post",
            "/en/secretariat/council/{term}/",
            {
                "action": "term",
                "name": "2019-2022",
                "starts_on": "2019-01-01",
                "ends_on": "2022-12-30",
                "seat_count": "48",
            },
        ),
    ),
    Row(
        "Replace a Council term's members",
        S,
        Call(
            "put", "/api/v1/council/terms/{term}/seats", {"seats": [{"region": "B", "state": "CH"}]}
        ),
        Call("post", "/en/secretariat/council/{term}/", {"action": "seats", "members": "B,CH"}),
        "One seat of 48: allowed roles are refused for that reason.",
    ),
    Row(
        "See the losses of the right to vote",
        S,
        Call("get", "/api/v1/voting-rights"),
        Call("get", "/en/secretariat/voting-rights/"),
    ),
    Row(
        "Record a loss of the right to vote",
        S,
        Call("post", "/api/v1/voting-rights", {"state": "DE", "since": "2020-01-01"}),
        Call(
            "post",
            "/en/secretariat/voting-rights/",
            {"state": "{de}", "since": "2020-01-01", "reason": "arrears"},
        ),
    ),
    Row(
        "Restore the right to vote",
        S,
        Call("post", "/api/v1/voting-rights/{loss}/restore", {"until": "2020-11-01"}),
        Call("post", "/en/secretariat/voting-rights/{loss}/restore/", {"until": "2020-11-01"}),
    ),
    Row(
        "See the Sector Members",
        S,
        Call("get", "/api/v1/sector-members"),
        Call("get", "/en/secretariat/sector-members/"),
    ),
    Row(
        "Enter a Sector Member",
        S,
        Call("post", "/api/v1/sector-members", {"name": "Radio Co (demo)", "sector": "R"}),
        Call("post", "/en/secretariat/sector-members/", {"name": "Radio Co (demo)", "sector": "R"}),
    ),
    Row(
        "See the Sector Members a consultation invites",
        S,
        Call("get", C + "/sector-members"),
        Call("get", W + "/sector-members/"),
    ),
    Row(
        "Invite a Sector Member",
        S,
        Call("post", C + "/sector-members", {"sector_member": "{sector_member}"}),
        Call(
            "post",
            W + "/sector-members/",
            {"action": "invite", "sector_member": "{sector_member}"},
        ),
        "It is invited already: allowed roles are refused for that reason.",
    ),
    Row(
        "Withdraw a Sector Member's invitation",
        S,
        Call("post", C + "/sector-members/{sector_member}/uninvite"),
        Call(
            "post",
            W + "/sector-members/",
            {"action": "uninvite", "sector_member": "{sector_member}"},
        ),
    ),
    # --- the people of a consultation
    Row(
        "See who staffs the consultation and who is invited",
        S,
        Call("get", C + "/people"),
        Call("get", W + "/people/"),
    ),
    Row(
        "Invite a focal point or another role",
        S,
        Call("post", C + "/invitations", {"email": "new.fr@example.org", "state": "FR"}),
        Call(
            "post",
            W + "/people/invite/",
            {
                "email": "new.fr@example.org",
                "role": "focal_point",
                "delegation": "state:FR",
                "language": "en",
            },
        ),
    ),
    Row(
        "Invite people from a CSV file (preview)",
        S,
        Call("post", C + "/invitations/import", files=("file",)),
        Call("post", W + "/people/import/", files=("file",)),
        "The file sent is a PDF: allowed roles are refused for that reason.",
    ),
    Row(
        "Send an invitation again",
        S,
        Call("post", C + "/invitations/{invitation}/resend"),
        Call("post", W + "/people/invitations/{invitation}/", {"action": "resend"}),
    ),
    Row(
        "Withdraw an invitation",
        S,
        Call("post", C + "/invitations/{invitation}/withdraw"),
        Call("post", W + "/people/invitations/{invitation}/", {"action": "withdraw"}),
    ),
    Row(
        "Withdraw an appointment (a focal point's)",
        S,
        Call("post", C + "/appointments/{focal_appointment}/withdraw"),
        Call("post", W + "/people/appointments/{focal_appointment}/withdraw/"),
    ),
    Row(
        "Withdraw a state's voting focal point",
        S,
        Call("post", C + "/voting-focal-points/{voting}/withdraw"),
        Call("post", W + "/people/voting/{voting}/withdraw/"),
    ),
    # --- tokens
    Row(
        "Create a personal API token",
        ACCOUNTS,
        Call("post", "/api/v1/tokens", {"name": "matrix"}, session=True),
        None,
        "From the signed-in browser session only (a token cannot mint another).",
    ),
]


def markdown_table() -> str:
    header = "| action | " + " | ".join(ROLES) + " | web page |"
    rule = "|---|" + "---|" * len(ROLES) + "---|"
    lines = [header, rule]
    for row in ROWS:
        cells = ["allow" if role in row.allowed else "deny" for role in ROLES]
        lines.append(
            f"| {row.action} | " + " | ".join(cells) + f" | {'yes' if row.web else 'API only'} |"
        )
    return "\n".join(lines)


def notes() -> str:
    return "\n".join(f"- **{row.action}**: {row.note}" for row in ROWS if row.note)


if __name__ == "__main__":
    print(markdown_table())
