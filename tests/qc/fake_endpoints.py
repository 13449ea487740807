"""Far ends for notification tests: a tiny SMTP server and a webhook receiver on localhost, each
told how to answer (fail or accept) and keeping what it received."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: FakeSMTPServer = self.server  # type: ignore[assignment]
        self.reply("220 fake.test ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake.test")
            elif verb == "MAIL":
                if server.refuse:
                    self.reply("451 4.3.0 Mailbox busy, try again later")
                else:
                    self.reply("250 OK")
            elif verb == "RCPT":
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line)
                server.messages.append(b"".join(lines).decode(errors="replace"))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP, ...
                self.reply("250 OK")


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.refuse = True  # answer MAIL FROM with 451 until told otherwise
        self.messages: list[str] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class FakeWebhook(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        received = self.received = []
        self.statuses: list[int] = []  # answers in turn; 200 once they run out

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(
                    {
                        "type": self.headers.get("Content-Type"),
                        "json": json.loads(body),
                        "body": body,
                        "headers": dict(self.headers),
                    }
                )
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def _serve(server):
    # Polled often, so that shutting it down after a test takes a moment, not half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def smtp_server():
    server = FakeSMTPServer()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook():
    server = FakeWebhook()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def refused_port():
    """A localhost port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
