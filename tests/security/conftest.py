"""Fixtures of the attack battery: staff users made once per session, a
browser-like client, a canary web site, an SMTP sink and a ``dsr serve`` whose
log the tests can read."""

from __future__ import annotations

import http.server
import socketserver
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner

from dsr_app import deadlines
from dsr_app.cli import cli
from dsr_app.db import open_db
from tests.conftest import start_server
from tests.security.helpers import PASSWORD, https_client


@pytest.fixture(scope="session")
def _staff_rows(tmp_path_factory) -> tuple[list, list, dict]:
    """One staff user per role and an API token each, made once with the CLI
    (Argon2id is slow on purpose: three hashes per test would double the time)."""
    path = tmp_path_factory.mktemp("staff") / "staff.sqlite3"
    runner, headers = CliRunner(), {}
    for role in ("legal", "training", "admin"):
        email = f"{role}@staff.example"
        added = runner.invoke(
            cli,
            ["staff", "add", email, "--role", role, "--password-stdin"]
            + ["--db", str(path)],
            input=PASSWORD + "\n",
        )
        assert added.exit_code == 0, added.output
        made = runner.invoke(cli, ["staff", "token", email, "--db", str(path)])
        headers[role] = {"Authorization": f"Bearer {made.output.split()[-1]}"}
    db = open_db(path)
    try:
        users = [dict(r) for r in db.query("SELECT * FROM staff_users")]
        tokens = [dict(r) for r in db.query("SELECT * FROM staff_tokens")]
    finally:
        db.close()
    return users, tokens, headers


@pytest.fixture
def staff(_staff_rows, db_path) -> dict[str, dict[str, str]]:
    """Authorization headers of one staff user per role (as tests/conftest.py's
    fixture, with the users and token hashes copied in instead of hashed again)."""
    users, tokens, headers = _staff_rows
    db = open_db(db_path)
    try:
        db["staff_users"].insert_all(users)
        db["staff_tokens"].insert_all(tokens)
    finally:
        db.close()
    return {role: dict(h) for role, h in headers.items()}


@pytest.fixture
def web(api_app):
    """A browser-like client of the app with abuse limits off."""
    return https_client(api_app)


# --- a canary: a loopback web site that records every request it gets -------------


class Site:
    """A web site on a loopback port: serves ``pages`` (path -> HTML) and records
    every requested path in ``hits``."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.hits: list[str] = []
        self.pages: dict[str, str] = {}


class _Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def do_GET(self):  # noqa: N802 - http.server's name
        self.site.hits.append(self.path)
        page = self.site.pages.get(self.path, "canary")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page.encode())

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def canary():
    """A :class:`Site` on a free loopback port, for the length of the test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    site = Site(server.server_address[1])
    server.RequestHandlerClass = type("Handler", (_Handler,), {"site": site})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


# --- an SMTP sink: what a real mail server would receive ------------------------------


class _SmtpSession(socketserver.StreamRequestHandler):
    mails: list[dict]

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        mail: dict = {"rcpt": [], "data": b""}
        while line := self.rfile.readline():
            verb = line.decode("latin-1").strip().split(" ")[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == "MAIL":
                mail["from"] = line.decode("latin-1").strip()
                self.reply("250 OK")
            elif verb == "RCPT":
                mail["rcpt"].append(line.decode("latin-1").strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                mail["data"] = data
                self.mails.append(mail)
                mail = {"rcpt": [], "data": b""}
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_sink():
    """An SMTP server on a loopback port: ``(port, mails)``, each mail a dict with
    its ``rcpt`` commands and raw ``data``."""
    mails: list[dict] = []
    handler = type("Sink", (_SmtpSession,), {"mails": mails})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], mails
    server.shutdown()
    server.server_close()


# --- dsr serve with its log kept -----------------------------------------------------


@pytest.fixture
def logged_server(db_path, tmp_path):
    """``dsr serve`` on a free loopback port, its output kept: ``(url, log path)``."""
    log = tmp_path / "serving.log"
    proc, url = start_server(db_path, log=log)
    try:
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def clock(monkeypatch):
    """``deadlines.now`` frozen; ``clock(seconds)`` moves it to start + seconds."""
    start = deadlines.now()

    def move(seconds: float = 0) -> None:
        monkeypatch.setattr(
            deadlines, "now", lambda: start + timedelta(seconds=seconds)
        )

    move(0)
    return move
