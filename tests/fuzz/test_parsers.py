"""Fuzz targets for the parsers that read what people and files send: scenario and data
files, and WebSocket messages of the floor and of the support chat. (Uploads have their
own targets in tests/contributions/test_filecheck.py.)

Each target runs a bounded number of generated inputs. What must hold: a bad input ends in
the parser's own refusal (DataFileError, a "refused" message), never in another
exception, never in a half-written database, never in a closed connection for anything
but a flood. PLENARY_FUZZ_EXAMPLES raises the number of inputs for a longer run."""

import asyncio
import itertools
import json
import os
import shutil

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plenary.consultations.models import Consultation
from plenary.core import yamlfile
from plenary.core.models import AuditEvent
from plenary.core.yamlfile import DataFileError
from plenary.directory.models import CouncilTerm
from plenary.directory.services import load_council_term
from plenary.remote import services as remote
from plenary.scenarios.loader import SCENARIOS_DIR, load_scenario
from tests import factories

SCALE = int(os.environ.get("PLENARY_FUZZ_EXAMPLES", "1"))


def fuzz(examples: int):
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=True,  # the same inputs in every run: a CI failure can be replayed
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


VCC2 = SCENARIOS_DIR / "vcc2"
SCENARIO_LINES = (VCC2 / "scenario.yaml").read_text(encoding="utf-8").splitlines()
TERM_LINES = (VCC2 / "council-2019-2022.yaml").read_text(encoding="utf-8").splitlines()

# Text that YAML and our loader find hard: indentation, flow syntax, anchors, tags, keys
# repeated, odd characters.
YAML_ATOMS = st.sampled_from(
    [":", "- ", "  ", "\t", "{", "}", "[", "]", "&a", "*a", "!!python/object", "?", "|", ">",
     "#", "'", '"', "\\", "\x00", "\ufeff", "é", "中", "null", "~", "2020-13-45", "12:00",
     "max_days: 5", "max_days: -1", "role: janitor", "state: XX", "\n"]
)  # fmt: skip


def mutations(lines: list[str]):
    """The file with a few lines deleted, duplicated, cut or given odd text."""

    @st.composite
    def mutate(draw):
        result = list(lines)
        for _ in range(draw(st.integers(1, 3))):
            index = draw(st.integers(0, len(result) - 1))
            kind = draw(st.sampled_from(["delete", "duplicate", "cut", "insert", "replace"]))
            if kind == "delete" and len(result) > 1:
                del result[index]
            elif kind == "duplicate":
                result.insert(index, result[index])
            elif kind == "cut":
                line = result[index]
                result[index] = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
            elif kind == "insert":
                result.insert(index, "".join(draw(st.lists(YAML_ATOMS, max_size=6))))
            else:
                line = result[index]
                at = draw(st.integers(0, len(line)))
                result[index] = line[:at] + "".join(draw(st.lists(YAML_ATOMS, max_size=3)))
        return "\n".join(result) + "\n"

    return mutate()


@fuzz(300)
@given(text=st.one_of(st.text(max_size=400), st.lists(YAML_ATOMS, max_size=40).map("".join)))
def test_the_yaml_reader_returns_a_mapping_or_a_data_file_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("yaml") / "file.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        data = yamlfile.load(path)
    except DataFileError as refusal:
        assert refusal.path == path.name
    else:
        assert isinstance(data, yamlfile.Mapping)


@pytest.mark.django_db
@fuzz(60)
@given(text=mutations(TERM_LINES))
def test_a_damaged_council_term_file_is_refused_whole(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("term") / "council.yaml"
    path.write_text(text, encoding="utf-8")
    terms = CouncilTerm.objects.count()
    try:
        load_council_term(path)
    except DataFileError as refusal:
        assert refusal.path == path.name
        assert CouncilTerm.objects.count() == terms


@pytest.mark.django_db
@fuzz(12)
@given(text=mutations(SCENARIO_LINES))
def test_a_damaged_scenario_loads_whole_or_not_at_all(tmp_path_factory, vcc2, text):
    folder = tmp_path_factory.mktemp("scenario") / "vcc2"
    shutil.copytree(VCC2, folder)
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    consultations, events = Consultation.objects.count(), AuditEvent.objects.count()
    try:
        load_scenario(str(folder))
    except DataFileError as refusal:
        assert refusal.path in {"scenario.yaml", "agenda.yaml", "council-2019-2022.yaml"}
        assert Consultation.objects.count() == consultations
        assert AuditEvent.objects.count() == events
    else:
        assert Consultation.objects.count() in {consultations, consultations + 1}


# --- WebSocket messages ----------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
FLOOR_MESSAGES = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
    JSON_VALUES.map(json.dumps),
    st.fixed_dictionaries(
        {"op": st.sampled_from(["ask", "withdraw", "point_of_order", "sync", "object", "", "x"])},
        optional={
            "v": JSON_VALUES,
            "c": st.sampled_from(["vcc-2", "other", ""]) | st.text(max_size=10),
            "kind": st.sampled_from(["object", "defer_document", "suspend", "<b>", ""]),
        },
    ).map(json.dumps),
    st.just("x" * 5000),
).filter(bool)  # an empty frame is not a text frame
CHAT_MESSAGES = st.one_of(
    FLOOR_MESSAGES,
    st.fixed_dictionaries({"op": st.just("say"), "text": JSON_VALUES}).map(json.dumps),
    st.fixed_dictionaries({"op": st.just("say"), "text": st.text(max_size=2100)}).map(json.dumps),
)


def _cookie(client):
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _open(path, cookie):
    from plenary.asgi import application

    communicator = WebsocketCommunicator(
        application,
        path,
        headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, _code = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def _exchange(communicator, messages, *, greeting: bool):
    """Send each message; every answer must be JSON of a known type, and the connection
    must still answer afterwards unless it was closed for a flood (4429)."""
    if greeting:
        assert json.loads(await communicator.receive_from(timeout=5))["type"] == "snapshot"
    for message in messages:
        await communicator.send_to(text_data=message)
    while not await communicator.receive_nothing(timeout=0.2):
        answer = await communicator.receive_output(timeout=10)
        if answer["type"] == "websocket.close":
            assert answer.get("code") == 4429
            return
        data = json.loads(answer["text"])
        assert data["type"] in {"snapshot", "refused", "message", "done"}, data
    await communicator.disconnect()


@pytest.fixture
def floor_cookies(transactional_db, vcc2, client, chair):
    consultation = vcc2.consultation
    factories.on_the_floor(consultation, "1.2", actor=chair)
    cookies = {}
    for iso2, speaker in (("CH", True), ("FR", False)):
        person = factories.participant(consultation, iso2, speaker=speaker)
        browser = client.__class__()
        browser.get(f"/j/{factories.link(person)}")
        cookies[iso2] = _cookie(browser)
    return cookies


@pytest.mark.django_db(transaction=True)
@fuzz(40)
@given(messages=st.lists(FLOOR_MESSAGES, min_size=1, max_size=5), who=st.sampled_from(["CH", "FR"]))
def test_floor_messages_are_answered_or_refused_and_the_socket_stays_up(
    floor_cookies, messages, who
):
    async def scenario():
        communicator = await _open("/ws/consultations/vcc-2/floor/", floor_cookies[who])
        await _exchange(communicator, messages, greeting=True)

    asyncio.run(scenario())


@pytest.fixture
def chat_person(transactional_db, vcc2, client):
    person = factories.participant(vcc2.consultation, "EG", speaker=False)
    browser = client.__class__()
    browser.get(f"/j/{factories.link(person)}")
    return person, _cookie(browser)


@pytest.mark.django_db(transaction=True)
@fuzz(40)
@given(messages=st.lists(CHAT_MESSAGES, min_size=1, max_size=5))
def test_chat_messages_are_stored_as_text_or_refused(chat_person, messages):
    person, cookie = chat_person
    request = remote.open_request(
        person.consultation, channel="chat", subject=f"fuzz {next(_numbers)}", participant=person
    )

    async def scenario():
        communicator = await _open(f"/ws/consultations/vcc-2/support/{request.pk}/", cookie)
        await _exchange(communicator, messages, greeting=False)

    asyncio.run(scenario())
    for body in request.messages.values_list("body", flat=True):
        assert 0 < len(body) <= remote.MAX_MESSAGE


_numbers = itertools.count(1)
