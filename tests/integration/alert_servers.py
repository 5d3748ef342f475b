"""Real servers on loopback that receive alerts: an SMTP server (aiosmtpd, with
authentication) and an HTTP server for the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.integration.workers import free_port

SMTP_USER = "alerts"
SMTP_PASSWORD = "smtp-Pa55word-for-tests"
WEBHOOK_TOKEN = "hook-T0ken-for-tests"


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    refused_logins: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        self.messages.append(message_from_bytes(raw))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if not ok:
            self.refused_logins += 1
        # handled=False: aiosmtpd answers 535 itself on a refusal
        return AuthResult(success=ok, handled=False)

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@dataclass
class Webhook:
    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answer: int = 204

    def bodies(self, status: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.calls if status is None or c["status"] == status]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(
        box,
        hostname=box.host,
        port=box.port,
        authenticator=box.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/hooks/claimbridge")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            if hook.answer < 300:
                hook.calls.append(body)
                hook.headers.append(dict(self.headers.items()))
            self.send_response(hook.answer)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def alerts_section(mailbox: Mailbox, webhook: Webhook, check_every: str = "1s") -> str:
    """The configuration's `alerts:` section for these servers (secrets from the environment:
    CB_ALERT_TOKEN, CB_SMTP_PASSWORD)."""
    return f"""alerts:
  check_every: {check_every}
  webhook:
    url: {webhook.url}
    token: !env CB_ALERT_TOKEN
  email:
    host: {mailbox.host}
    port: {mailbox.port}
    security: none
    username: {SMTP_USER}
    password: !env CB_SMTP_PASSWORD
    sender: claimbridge@example.com
    recipients: [it@example.com]
"""


ALERT_ENV = {"CB_ALERT_TOKEN": WEBHOOK_TOKEN, "CB_SMTP_PASSWORD": SMTP_PASSWORD}
