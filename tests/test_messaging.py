"""Messaging backends: the outbox, and SMTP against a fake server on loopback."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes

import pytest

from dsr_app.errors import BadInput
from dsr_app.messaging import Message, outbox_messages, send


class _FakeSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message; records envelope and data."""

    def handle(self) -> None:
        box = self.server.received  # type: ignore[attr-defined]
        self.wfile.write(b"220 fake\r\n")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == "MAIL":
                envelope["from"] = command
                self.wfile.write(b"250 ok\r\n")
            elif verb == "RCPT":
                envelope["rcpt"].append(command.split(":", 1)[1])
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                envelope["data"] = data
                box.append(envelope)
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeSMTP)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _config(server, **extra):
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_FROM": "privacy@example.org",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": server.server_address[1],
        **extra,
    }


def test_smtp_sends_to_exactly_one_recipient_without_header_injection(db, smtp_server):
    send(
        db,
        _config(smtp_server),
        Message(
            "email",
            "zoe@example.eu",
            "Your code\r\nBcc: attacker@example.org",
            "Your code: 12345678\n",
        ),
    )
    (envelope,) = smtp_server.received
    assert envelope["rcpt"] == ["<zoe@example.eu>"]
    mail = message_from_bytes(envelope["data"])
    assert mail["To"] == "zoe@example.eu"
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"]
    assert "12345678" in mail.get_payload(decode=True).decode()
    assert outbox_messages(db) == []  # sent, not stored


def test_smtp_sends_sms_through_the_mail_gateway(db, smtp_server):
    send(
        db,
        _config(smtp_server, SMS_EMAIL_GATEWAY="sms.example.net"),
        Message("sms", "+4915123456789", "Code", "Your code: 12345678"),
    )
    assert smtp_server.received[0]["rcpt"] == ["<+4915123456789@sms.example.net>"]


def test_smtp_without_sms_gateway_refuses_sms(db, smtp_server):
    with pytest.raises(BadInput, match="DSR_SMS_EMAIL_GATEWAY"):
        send(db, _config(smtp_server), Message("sms", "+4915123456789", "C", "B"))


def test_unknown_backend_is_a_clear_error(db):
    with pytest.raises(BadInput, match="DSR_MAIL_BACKEND"):
        send(db, {"MAIL_BACKEND": "pigeon"}, Message("email", "a@b.c", "s", "b"))


def test_outbox_stores_messages_in_order(db):
    for n in range(3):
        send(db, {"MAIL_BACKEND": "outbox"}, Message("email", f"{n}@x.org", "s", "b"))
    assert [m["to"] for m in outbox_messages(db)] == ["0@x.org", "1@x.org", "2@x.org"]


def test_failed_mail_delivery_still_answers_201(db_path):
    import socket

    from dsr_app import create_app
    from tests.conftest import new_request

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(
        {
            "TESTING": True,
            "DB": str(db_path),
            "RATE_LIMITS": 0,
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
        }
    )
    client = app.test_client()
    created = new_request(client, phone="+4915123456789")
    assert created["status"] == "pending_verification"
