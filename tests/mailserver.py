"""A real SMTP server (aiosmtpd) on a free local port, and the worker that delivers the
outbox to it: what the mail tests run (the fixture `smtp_inbox` is in tests/conftest.py)."""

import socket

from aiosmtpd.controller import Controller
from django.core.management import call_command


class Inbox:
    """The SMTP handler: every envelope received, in order."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(settings):
    """Start a server and point Django's SMTP backend at it; (inbox, controller)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    return inbox, controller


def run_worker() -> None:
    """One pass of the background worker over the queued tasks (mail among them)."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
