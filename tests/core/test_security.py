"""Hostile input: a Content Security Policy without inline scripts, no inline script in any
template, secure cookies and HSTS in production, and lock-out after failed logins."""

import json
import os
import secrets
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from plenary.core.models import User

TEMPLATES = Path(django_settings.BASE_DIR)
PASSWORD = "correct horse battery staple 42"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "path", ["/en/c/vcc-2/", "/ar/c/vcc-2/agenda/", "/en/accounts/login/", "/zh-hans/states/"]
)
def test_pages_send_a_policy_that_allows_only_our_own_scripts(client, vcc2, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"][0] == "'self'"
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


class _InlineCode(HTMLParser):
    """Finds script elements without src (other than JSON data) and on… event handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        data = attributes.get("type") in ("application/json", "application/ld+json")
        if tag == "script" and "src" not in attributes and not data:
            self.found.append(f"<script> at line {self.getpos()[0]}")
        for name, value in attrs:
            # `{% if online %}` inside a tag reads as an attribute without a value.
            if name.startswith("on") and value is not None:
                self.found.append(f"{name}= at line {self.getpos()[0]}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{name}=javascript: at line {self.getpos()[0]}")


def test_no_template_has_an_inline_script_or_event_handler():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 30
    found = {}
    for template in templates:
        parser = _InlineCode()
        parser.feed(template.read_text(encoding="utf-8"))
        if parser.found:
            found[str(template.relative_to(TEMPLATES))] = parser.found
    assert found == {}


def test_the_inline_code_finder_finds_what_the_policy_would_block():
    parser = _InlineCode()
    parser.feed(
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json">{}</script>'
        '<button onclick="go()">Go</button><a href="javascript:go()">x</a>'
        "<option {% if online %}selected{% endif %}>"
    )
    assert parser.found == [
        "<script> at line 1",
        "onclick= at line 1",
        "href=javascript: at line 1",
    ]


_PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client

response = Client().get("/health", secure=True, headers={"host": "plenary.example.org"})
plain = Client().get("/health", headers={"host": "plenary.example.org"})
print(json.dumps({
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "language_cookie_secure": settings.LANGUAGE_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "debug": settings.DEBUG,
    "hsts": response.get("Strict-Transport-Security"),
    "csp": response.get("Content-Security-Policy"),
    "http_redirects_to": [plain.status_code, plain.get("Location")],
}))
"""


def _production_env(tmp_path, **extra) -> dict:
    env = {
        **os.environ,
        "PLENARY_VAR_DIR": str(tmp_path),
        "PLENARY_SECRET_KEY": secrets.token_urlsafe(64),
        "PLENARY_ALLOWED_HOSTS": "plenary.example.org",
        "DJANGO_SETTINGS_MODULE": "plenary.settings",
        **extra,
    }
    for development_only in ("DATABASE_URL", "PLENARY_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(development_only, None)
    return env


def test_production_settings_send_hsts_and_keep_cookies_on_https(tmp_path):
    env = _production_env(tmp_path, PLENARY_PRODUCTION="1")

    done = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "session_cookie_secure": True,
        "csrf_cookie_secure": True,
        "language_cookie_secure": True,
        "session_cookie_httponly": True,
        "debug": False,
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "csp": seen["csp"],
        "http_redirects_to": [301, "https://plenary.example.org/health"],
    }
    assert "script-src 'self'" in seen["csp"]


def test_without_production_there_is_no_hsts(tmp_path):
    env = _production_env(tmp_path)
    env.pop("PLENARY_PRODUCTION", None)

    done = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["hsts"] is None
    assert seen["session_cookie_secure"] is False


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = _production_env(tmp_path, PLENARY_PRODUCTION="1")

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "plenary.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


# --- Lock-out after failed logins -------------------------------------------------------

WRONG = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."


@pytest.fixture
def account(db):
    return User.objects.create_user(email="delegate@example.org", password=PASSWORD)


def _sign_in(client, password: str):
    return client.post(
        "/en/accounts/login/", {"login": "delegate@example.org", "password": password}
    )


def _failures_allowed(settings) -> tuple[int, float]:
    """The per-account limit of ACCOUNT_RATE_LIMITS["login_failed"]: (attempts, seconds)."""
    from allauth.core.internal.ratelimit import parse_rates

    (per_account,) = [
        rate
        for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"])
        if rate.per == "key"
    ]
    return per_account.amount, per_account.duration


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(
    client, account, settings
):
    attempts, _window = _failures_allowed(settings)
    assert attempts == 5
    for _ in range(attempts):
        response = _sign_in(client, "not the password")
        assert response.status_code == 200
        assert WRONG in response.content.decode()

    refused = _sign_in(client, PASSWORD)

    assert refused.status_code == 200
    assert LOCKED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another client, another address: still refused, the lock is on the account.
    from django.test import Client

    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert (
        LOCKED
        in elsewhere.post(
            "/en/accounts/login/", {"login": "delegate@example.org", "password": PASSWORD}
        ).content.decode()
    )


def test_the_right_password_is_accepted_again_once_the_window_has_passed(client, account, settings):
    # The configured window is five minutes; the same rule with a window of a few seconds.
    window = 6
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": f"10/m/ip,3/{window}s/key"}
    for _ in range(3):
        assert WRONG in _sign_in(client, "not the password").content.decode()
    last_failure = time.monotonic()
    assert LOCKED in _sign_in(client, PASSWORD).content.decode()

    time.sleep(max(0, last_failure + window + 0.5 - time.monotonic()))
    accepted = _sign_in(client, PASSWORD)

    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)
