"""Invitations from a CSV file: the preview, then all of them sent in one transaction, or
none, with every problem named by its line."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plenary.core.errors import DomainError
from plenary.core.models import OutboxMessage
from plenary.directory.models import State
from plenary.directory.names import cldr_name
from plenary.people import importing, services
from plenary.people.models import Invitation
from tests import factories
from tests.api.conftest import activate_totp

LANGUAGES = ["en", "fr", "es", "ru", "ar", "zh-hans"]


def council_csv(consultation) -> str:
    """One focal point per Council Member State; the state written as ISO 2, ISO 3 or its
    name in one of the six languages, by turns, and each invitee's language by turns."""
    states = State.objects.filter(council_seats__term=consultation.council_term).order_by("iso2")
    lines = ["state,email,name,language"]
    for n, state in enumerate(states):
        language = LANGUAGES[n % 6]
        written = [state.iso2, state.iso3, cldr_name(state.iso2, language)][n % 3]
        lines.append(
            f'"{written}",fp.{state.iso2.lower()}@example.org,Focal {state.iso2},{language}'
        )
    return "\n".join(lines) + "\n"


@pytest.fixture
def secretariat_client(client, secretariat_user):
    activate_totp(secretariat_user)
    client.force_login(secretariat_user)
    return client


def upload(client, content: bytes, name="people.csv"):
    return client.post(
        "/en/c/vcc-2/people/import/", {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def test_48_focal_points_from_one_file(secretariat_client, consultation, capsys):
    text = council_csv(consultation)
    assert text.count("\n") == 49  # the header and the 48 Council Member States
    preview = upload(secretariat_client, text.encode())
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert len(plan.rows) == 48 and not Invitation.objects.exists()
    assert {row["state"] for row in plan.rows} >= {"Switzerland", "China", "Saudi Arabia"}
    started = time.perf_counter()
    sent = secretariat_client.post(
        "/en/c/vcc-2/people/import/send/", {"digest": preview.context["digest"]}
    )
    seconds = time.perf_counter() - started
    assert sent.status_code == 302
    assert Invitation.objects.filter(consultation=consultation).count() == 48
    mails = OutboxMessage.objects.filter(to__0__startswith="fp.")
    assert mails.count() == 48
    assert {m.language for m in mails} == set(LANGUAGES)
    assert (
        OutboxMessage.objects.get(to=["fp.ch@example.org"]).language
        == LANGUAGES[
            [
                s.iso2
                for s in State.objects.filter(
                    council_seats__term=consultation.council_term
                ).order_by("iso2")
            ].index("CH")
            % 6
        ]
    )
    with capsys.disabled():
        print(f"\n48 focal points invited from one CSV in {seconds:.2f} s (48 mails queued)")
    # The same file again: every row is already invited, nothing is sent twice.
    again = upload(secretariat_client, text.encode())
    assert again.status_code == 400 and len(again.context["problems"]) == 48


def test_several_problems_at_once_by_line_and_nothing_sent(secretariat_client, consultation):
    text = (
        "state,email,name\n"
        "Atlantis,a@example.org,A\n"  # line 2: no such state
        "DE,de@example.org,D\n"
        "DE,de@example.org,D\n"  # line 4: line 3 again
        "FR,not-an-address,F\n"  # line 5
        "CH,focal.point.ch@example.org,Already\n"  # line 6: holds it
        "Allemagne,other.de@example.org,Fine\n"
    )
    answer = upload(secretariat_client, text.encode())
    assert answer.status_code == 400
    problems = answer.context["problems"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 4", "line 5", "line 6"]
    assert "Atlantis" in problems[0] and "line 3" in problems[1]
    assert "not-an-address" in problems[2] and "already holds" in problems[3]
    assert (
        not Invitation.objects.exists()
        and not OutboxMessage.objects.filter(to=["de@example.org"]).exists()
    )


def test_an_address_already_invited_for_that_role_and_state(consultation):
    secretariat = factories.secretariat()
    services.invite(
        consultation, email="de@example.org", state=State.objects.get(iso2="DE"), actor=secretariat
    )
    rows = importing.read(b"DEU,de@example.org\nFR,fr@example.org\n")
    with pytest.raises(DomainError) as refused:
        services.import_invitations(consultation, rows, actor=secretariat, apply=True)
    assert refused.value.code == "already_invited"
    assert refused.value.details == [
        "line 1: E-mail address: de@example.org has already been invited to this role."
    ]
    assert Invitation.objects.count() == 1  # France was not invited either


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffstate;email;role\nCH;new.ch@example.org;delegate\n".encode(),  # UTF-8 BOM, ;
        "state\temail\nSuisse\tnew.ch@example.org\n".encode("utf-16"),  # UTF-16 with BOM
    ],
)
def test_encodings_accepted(consultation, data):
    rows = importing.read(data)
    plan = services.import_invitations(consultation, rows, actor=factories.secretariat())
    assert [(r["state"], r["email"]) for r in plan.rows] == [("Switzerland", "new.ch@example.org")]


def test_another_encoding_is_refused_naming_the_line(secretariat_client, consultation):
    text = "state,email,name\nCH,a@example.org,A\nFR,b@example.org,Hélène\n"
    answer = upload(secretariat_client, text.encode("latin-1"))
    assert answer.status_code == 400
    assert answer.context["problems"][0].startswith("line 3: the file is not UTF-8")
    with pytest.raises(DomainError) as refused:
        importing.read(b"state,email\nCH,a@example.org\n".decode().encode("utf-16-le"))  # no BOM
    assert refused.value.code == "bad_file" and "line 1" in refused.value.user_message()


def test_a_file_over_1_mb_is_refused(secretariat_client, consultation):
    big = b"state,email\n" + b"CH,a@example.org\n" * 70_000
    assert len(big) > 1_000_000
    answer = upload(secretariat_client, big)
    assert answer.status_code == 400
    assert "1000 kB" in answer.content.decode()
    with pytest.raises(DomainError) as refused:
        importing.read(big)
    assert refused.value.code == "too_large"
    assert not Invitation.objects.exists()


def test_a_stale_preview_sends_nothing(secretariat_client, consultation):
    preview = upload(secretariat_client, b"CH,new.ch@example.org\n")
    assert preview.status_code == 200
    answer = secretariat_client.post("/en/c/vcc-2/people/import/send/", {"digest": "0" * 64})
    assert answer.status_code == 302
    assert not Invitation.objects.exists()


def test_a_header_without_the_state_column(consultation):
    with pytest.raises(DomainError) as refused:
        importing.read(b"name,email\nA,a@example.org\n")
    assert "state" in refused.value.user_message()
