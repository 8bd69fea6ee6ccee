"""Test helpers: real local SMTP and webhook servers.

Only tests import this module (it needs aiosmtpd, a test dependency). The
servers listen on 127.0.0.1 only.
"""
import email
import email.policy
import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator




def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """aiosmtpd handler that keeps what it accepts; set `reject_with` to fail DATA."""

    messages: list[ReceivedMail] = field(default_factory=list)
    reject_with: str | None = None  # e.g. "451 4.3.0 Try again later"
    rejected: int = 0
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_DATA(self, server, session, envelope):
        if self.reject_with:
            self.rejected += 1
            return self.reject_with
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[SmtpRecorder]:
    """A real SMTP server on 127.0.0.1 recording the mails it receives."""
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    recorder.port = free_port()
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class WebhookRecorder:
    """Records POSTs; answers `status` (set it to 500 to simulate an outage)."""

    requests: list[ReceivedRequest] = field(default_factory=list)
    status: int = 200
    url: str = ""


# The server answers from its own threads while the test reads the recorder.
_RECORDER_LOCK = threading.Lock()


@contextmanager
def webhook_server() -> Iterator[WebhookRecorder]:
    """A real HTTP server on 127.0.0.1 recording webhook calls."""
    recorder = WebhookRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with _RECORDER_LOCK:
                recorder.requests.append(ReceivedRequest(self.path, dict(self.headers.items()), body))
                status = recorder.status
            payload = b"ok" if status < 400 else b"simulated failure"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/duban"
    # A short poll interval keeps shutdown() (and so each test) fast.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="webhook-test-server", daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
