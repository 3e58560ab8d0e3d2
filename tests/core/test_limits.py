"""A request's body is refused before it is read when it is too large or when its sender has
no credential where one is needed (plenary.core.limits, an ASGI middleware), under the real
server: `plenary serve` in a process of its own, spoken to over raw sockets, so that what is
measured is when the answer comes while the body is not sent.

`plenary serve` runs without DEBUG, and an error reaches the user as the house's error page
or JSON error, without a traceback."""

import contextlib
import datetime
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from pypdf import PdfWriter

from plenary.consultations.models import Consultation
from plenary.contributions import filecheck
from plenary.contributions.models import Contribution
from tests import factories

from ..api.conftest import user_token
from ..faults.processes import free_port, wait_until

SRC = Path(__file__).resolve().parents[2] / "src"
MB = 1024 * 1024
UPLOAD_API = "/api/v1/consultations/vcc-2/contributions/upload"
UPLOAD_PAGE = "/en/c/vcc-2/contributions/upload/"
# An API endpoint open to anonymous callers (a registration request).
OPEN_API = "/api/v1/consultations/vcc-2/registrations"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
    return f"postgres://{auth}{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _plain_environment(var_dir, **extra) -> dict:
    """The environment of an operator who set nothing but where the database is."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLENARY_", "DJANGO_", "PYTEST_")) and key != "DATABASE_URL"
    }
    env.update(PYTHONPATH=str(SRC), PLENARY_VAR_DIR=str(var_dir), **extra)
    return env


@contextlib.contextmanager
def _serve(var_dir, database_url: str):
    port = free_port()
    log = (Path(var_dir) / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "plenary.cli", "serve", "--port", str(port)],
        env=_plain_environment(var_dir, DATABASE_URL=database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _answers(port), 60, "plenary serve")
        yield port, process
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/health")
        conn.getresponse().read()
        return True
    return False


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """`plenary serve` on the test database, warmed up (the first request imports the URL
    configuration and the views)."""
    with _serve(tmp_path_factory.mktemp("serve"), _database_url()) as (port, process):
        for path in ("/en/", OPEN_API, UPLOAD_API):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
            conn.getresponse().read()
        yield port, process


def _head(method: str, path: str, headers: dict) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Answer:
    def __init__(self, raw: bytes, seconds: float):
        head, _sep, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {
            name.lower(): value.strip()
            for name, value in (line.split(":", 1) for line in lines[1:])
        }
        self.seconds = seconds

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def _read_answer(sock, started: float, timeout: float = 5.0) -> Answer:
    """The whole answer (the server closes the connection after a refusal)."""
    sock.settimeout(timeout)
    raw = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        raw += chunk
        head, sep, body = raw.partition(b"\r\n\r\n")
        length = [
            line.split(b":", 1)[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ]
        if sep and length and len(body) >= int(length[0]):
            break
    return Answer(raw, time.monotonic() - started)


def _send_head_only(port: int, method: str, path: str, headers: dict) -> Answer:
    """Send the request line and headers, none of the body, and wait for the answer."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.monotonic()
        sock.sendall(_head(method, path, headers))
        return _read_answer(sock, started)


def _rss(process) -> int:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _stream_past(port: int, path: str, headers: dict, limit: int) -> tuple[Answer, int]:
    """A chunked body (no Content-Length) sent until it is just past `limit`; the answer and
    how much was sent."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(_head("POST", path, {**headers, "Transfer-Encoding": "chunked"}))
        chunk, sent = b"x" * 65536, 0
        while sent <= limit:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        return _read_answer(sock, time.monotonic()), sent


# --- without a credential, or too large: no body is read --------------------------------------


@pytest.mark.django_db
def test_a_declared_body_over_the_limit_is_refused_from_its_headers(server):
    port, _process = server
    page = _send_head_only(
        port,
        "POST",
        "/fr/c/vcc-2/agenda/edit/",
        {"Content-Length": "2000000000", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status == 413
    assert page.seconds < 1.0, page.seconds
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr"' in page.text
    assert "Votre envoi dépasse 1 Mo" in page.text
    assert "Traceback" not in page.text

    api = _send_head_only(
        port,
        "POST",
        OPEN_API,
        {
            "Content-Length": "2000000000",
            "Content-Type": "application/json",
            "Accept-Language": "fr",
        },
    )
    assert api.status == 413
    assert api.seconds < 1.0, api.seconds
    assert api.json()["code"] == "too_large"
    assert "Votre envoi dépasse 1 Mo" in api.json()["detail"]
    print(f"413 from the headers: page {page.seconds:.3f} s, API {api.seconds:.3f} s")


@pytest.mark.django_db
def test_an_anonymous_upload_is_refused_before_its_body(server):
    port, _process = server
    declared = {"Content-Length": "200000000", "Content-Type": "multipart/form-data; boundary=b"}
    api = _send_head_only(port, "POST", UPLOAD_API, {**declared, "Accept-Language": "fr"})
    assert api.status == 401
    assert api.seconds < 1.0, api.seconds
    assert api.json() == {
        "detail": "Connectez-vous ou utilisez un jeton d'API.",
        "code": "not_authenticated",
    }
    forged = _send_head_only(
        port, "POST", UPLOAD_API, {**declared, "Authorization": "Bearer plen_not-a-token"}
    )
    assert forged.status == 401
    assert forged.seconds < 1.0, forged.seconds

    page = _send_head_only(port, "POST", UPLOAD_PAGE, declared)
    assert page.status == 302
    assert page.headers["location"] == f"/en/accounts/login/?next={UPLOAD_PAGE}"
    assert page.seconds < 1.0, page.seconds
    print(
        f"before the body: API 401 {api.seconds:.3f} s, forged token {forged.seconds:.3f} s, "
        f"page to sign-in {page.seconds:.3f} s"
    )
    unknown = _send_head_only(port, "POST", UPLOAD_PAGE, {**declared, "Cookie": "sessionid=nobody"})
    assert unknown.status == 302
    assert unknown.headers["location"].startswith("/en/accounts/login/")


@pytest.mark.django_db
def test_a_chunked_body_is_refused_once_past_the_limit(server):
    port, _process = server
    answer, sent = _stream_past(
        port, OPEN_API, {"Content-Type": "application/json"}, settings.PLENARY_MAX_BODY_BYTES
    )
    assert answer.status == 413
    assert answer.json()["code"] == "too_large"
    assert sent < settings.PLENARY_MAX_BODY_BYTES + 2 * 65536
    print(f"chunked body refused after {sent / MB:.2f} MB sent, in {answer.seconds:.3f} s")


def test_plenary_serve_without_debug_serves_the_static_files(server):
    port, _process = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/static/plenary/css/plenary.css")
    response = conn.getresponse()
    assert response.status == 200
    assert response.read()


@pytest.mark.django_db
def test_a_multipart_body_without_a_boundary_is_said_so(server):
    port, _process = server
    page = _send_head_only(
        port,
        "POST",
        "/en/c/vcc-2/agenda/edit/",
        {"Content-Length": "10", "Content-Type": "multipart/form-data"},
    )
    assert page.status == 400
    assert "The form could not be read; send it again." in page.text
    api = _send_head_only(
        port,
        "POST",
        OPEN_API,
        {"Content-Length": "10", "Content-Type": "multipart/form-data; boundary="},
    )
    assert api.status == 400
    assert api.json()["code"] == "bad_form"


# --- with a credential: the upload goes through, and still stops at its limit -----------------


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _multipart(
    filename: str, data: bytes, boundary: str = "plenary-test-boundary"
) -> tuple[bytes, str]:
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="upload"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _post(port: int, path: str, body: bytes, headers: dict):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.django_db(transaction=True)
def test_a_focal_point_uploads_and_a_large_body_still_stops(server, vcc2):
    port, process = server
    Consultation.objects.filter(pk=vcc2.consultation.pk).update(
        starts_on=datetime.date(2099, 1, 5)  # the deadline is ahead
    )
    token = user_token(factories.focal_point("CH"))
    auth = {"Authorization": f"Bearer {token}"}

    # A file name of 2,000 characters: accepted, the title cut, the file stored under a
    # name of the site's own.
    body, content_type = _multipart("n" * 1996 + ".pdf", _pdf())
    status, content = _post(port, UPLOAD_API, body, {**auth, "Content-Type": content_type})
    assert status == 201, content
    contribution = Contribution.objects.get(pk=json.loads(content)["id"])
    assert contribution.title == "n" * 251 + ".pdf"
    assert Path(contribution.file.name).name.startswith("vcc-2-")

    declared = _send_head_only(
        port,
        "POST",
        UPLOAD_API,
        {
            **auth,
            "Content-Length": "2000000000",
            "Content-Type": content_type,
            "Accept-Language": "fr",
        },
    )
    assert declared.status == 413
    assert declared.seconds < 1.0, declared.seconds
    assert declared.json() == {"detail": "Le fichier dépasse 10 Mo.", "code": "too_large"}
    print(f"413 with a token, from the headers: {declared.seconds:.3f} s")

    before = _rss(process)
    streamed, sent = _stream_past(
        port,
        UPLOAD_API,
        {**auth, "Content-Type": content_type},
        settings.PLENARY_MAX_UPLOAD_BODY_BYTES,
    )
    grown = _rss(process) - before
    assert streamed.status == 413
    assert streamed.json()["code"] == "too_large"
    assert sent < settings.PLENARY_MAX_UPLOAD_BODY_BYTES + 2 * 65536
    # Django keeps 2.5 MB of a body in memory and the rest in a temporary file.
    assert grown < settings.PLENARY_MAX_UPLOAD_BODY_BYTES, grown
    print(f"RSS grew by {grown / MB:.1f} MB for a body cut at {sent / MB:.1f} MB")


# --- settings, DEBUG and the error pages -------------------------------------------------------


def test_the_upload_limit_holds_the_largest_file_and_its_form():
    assert settings.PLENARY_MAX_UPLOAD_FILE_BYTES == filecheck.MAX_BYTES
    assert settings.PLENARY_MAX_UPLOAD_BODY_BYTES >= filecheck.MAX_BYTES + 64 * 1024
    assert settings.PLENARY_MAX_BODY_BYTES < settings.PLENARY_MAX_UPLOAD_BODY_BYTES


_DEBUG_PROBE = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps(settings.DEBUG))
"""


@pytest.mark.parametrize(
    ("extra", "debug"),
    [
        ({}, False),
        ({"PLENARY_DEBUG": "1"}, True),
        (
            {
                "PLENARY_DEBUG": "1",
                "PLENARY_PRODUCTION": "1",
                "PLENARY_SECRET_KEY": "s" * 60,
            },
            False,
        ),
    ],
)
def test_debug_is_off_unless_asked_for_outside_production(tmp_path, extra, debug):
    done = subprocess.run(
        [sys.executable, "-c", _DEBUG_PROBE],
        env=_plain_environment(tmp_path, DJANGO_SETTINGS_MODULE="plenary.settings", **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) is debug


def test_a_server_error_under_plenary_serve_shows_no_traceback(tmp_path):
    # A database without its tables: every page that reads it fails.
    empty = tmp_path / "empty.sqlite3"
    with _serve(tmp_path, f"sqlite:///{empty}") as (port, _process):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/en/")
        page = conn.getresponse()
        text = page.read().decode()
        assert page.status == 500
        assert "Something went wrong" in text
        assert "Traceback" not in text
        assert "OperationalError" not in text

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v1/consultations")
        api = conn.getresponse()
        body = api.read()
        assert api.status == 500
        assert json.loads(body)["code"] == "server_error"
        assert b"Traceback" not in body
        assert b"OperationalError" not in body
