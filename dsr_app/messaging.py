"""Sending e-mail and SMS: the ``outbox`` backend stores, the ``smtp`` one sends."""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import sqlite_utils

from dsr_app.deadlines import now
from dsr_app.errors import BadInput

log = logging.getLogger(__name__)
_LINE_BREAKS = re.compile(r"[\r\n\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Message:
    """One message to one recipient."""

    channel: str  # "email" or "sms"
    to: str
    subject: str
    body: str


def _one_line(value: str) -> str:
    """Header-safe text: no CR, LF or other control characters (no header injection)."""
    return _LINE_BREAKS.sub(" ", value).strip()


def _outbox(db: sqlite_utils.Database, config: Mapping, message: Message) -> None:
    db.execute(
        "INSERT INTO outbox (channel, recipient, subject, body, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [message.channel, message.to, message.subject, message.body, now().isoformat()],
    )


def _smtp(db: sqlite_utils.Database, config: Mapping, message: Message) -> None:
    to = message.to
    if message.channel == "sms":
        gateway = config.get("SMS_EMAIL_GATEWAY")
        if not gateway:
            raise BadInput("DSR_SMS_EMAIL_GATEWAY", "needed to send SMS over SMTP")
        to = f"{to}@{gateway}"
    mail = EmailMessage()
    mail["From"] = _one_line(str(config["MAIL_FROM"]))
    mail["To"] = _one_line(to)
    mail["Subject"] = _one_line(message.subject)
    mail.set_content(message.body)
    host, port = str(config["SMTP_HOST"]), int(config["SMTP_PORT"])
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(str(config["SMTP_USER"]), str(config["SMTP_PASSWORD"]))
        # One recipient, given explicitly: never taken from headers.
        smtp.send_message(mail, to_addrs=[_one_line(to)])


BACKENDS: dict[str, Callable[[sqlite_utils.Database, Mapping, Message], None]] = {
    "outbox": _outbox,
    "smtp": _smtp,
}


def send(db: sqlite_utils.Database, config: Mapping, message: Message) -> None:
    """Send ``message`` with the configured backend (``MAIL_BACKEND``)."""
    backend = BACKENDS.get(str(config.get("MAIL_BACKEND", "outbox")))
    if backend is None:
        raise BadInput("DSR_MAIL_BACKEND", f"must be one of {', '.join(BACKENDS)}")
    clean = Message(
        message.channel, _one_line(message.to), _one_line(message.subject), message.body
    )
    backend(db, config, clean)


def deliver(db: sqlite_utils.Database, config: Mapping, message: Message) -> bool:
    """Send, but never fail the caller's answer: the request is stored by now, and
    the person can ask for a new code. A failure is logged without the body (it
    holds the code)."""
    try:
        send(db, config, message)
    except (smtplib.SMTPException, OSError, BadInput) as exc:
        log.warning(
            "could not send %s to recipient #%s: %s",
            message.channel,
            hashlib.sha256(message.to.encode()).hexdigest()[:8],
            exc,
        )
        return False
    return True


def outbox_messages(db: sqlite_utils.Database, to: str | None = None) -> list[dict]:
    """Stored messages, oldest first, in the contract's shape (section 2)."""
    where, params = ("WHERE recipient = ?", [to]) if to else ("", [])
    return [
        {
            "id": row["id"],
            "channel": row["channel"],
            "to": row["recipient"],
            "subject": row["subject"],
            "body": row["body"],
            "created_at": row["created_at"],
        }
        for row in db.query(f"SELECT * FROM outbox {where} ORDER BY id", params)
    ]
