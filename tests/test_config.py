"""Configuration order: defaults, then DSR_* environment, then the factory argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_app import create_app
from dsr_app.config import DEFAULT_DB, env_settings, resolve_db_path
from dsr_app.errors import BadInput


def test_resolve_db_path_prefers_option_then_env_then_default(monkeypatch):
    monkeypatch.setenv("DSR_DB", "/tmp/from-env.sqlite3")
    assert resolve_db_path("/tmp/option.sqlite3") == Path("/tmp/option.sqlite3")
    assert resolve_db_path() == Path("/tmp/from-env.sqlite3")
    monkeypatch.delenv("DSR_DB")
    assert resolve_db_path() == DEFAULT_DB == Path("instance/dsr.sqlite3")


def test_dsr_home_holds_the_store_when_neither_db_nor_dsr_db_is_given(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("DSR_DB")
    monkeypatch.setenv("DSR_HOME", str(tmp_path / "home"))
    assert resolve_db_path() == tmp_path / "home" / "dsr.sqlite3"
    assert resolve_db_path("/tmp/option.sqlite3") == Path("/tmp/option.sqlite3")
    app = create_app()  # the app finds the instance the CLI finds
    assert app.config["DB"] == str(tmp_path / "home" / "dsr.sqlite3")
    assert app.config["INSTANCE_DIR"] == str(tmp_path / "home")
    monkeypatch.setenv("DSR_DB", str(tmp_path / "env.sqlite3"))
    assert resolve_db_path() == tmp_path / "env.sqlite3"


def test_create_app_reads_env_then_argument(monkeypatch, tmp_path):
    monkeypatch.setenv("DSR_MAX_JSON_DEPTH", "32")
    monkeypatch.setenv("DSR_MAX_LINE_BYTES", "1000")
    app = create_app({"DB": str(tmp_path / "x.sqlite3"), "MAX_LINE_BYTES": 2000})
    assert app.config["MAX_JSON_DEPTH"] == 32
    assert app.config["MAX_LINE_BYTES"] == 2000
    assert app.config["DB"] == str(tmp_path / "x.sqlite3")


def test_create_app_uses_dsr_db(monkeypatch, tmp_path):
    monkeypatch.setenv("DSR_DB", str(tmp_path / "env.sqlite3"))
    app = create_app()
    assert app.config["DB"] == str(tmp_path / "env.sqlite3")
    assert (tmp_path / "env.sqlite3").exists()


def test_secret_key_is_created_once_per_instance(tmp_path):
    first = create_app({"DB": str(tmp_path / "a.sqlite3")}).config["SECRET_KEY"]
    second = create_app({"DB": str(tmp_path / "a.sqlite3")}).config["SECRET_KEY"]
    assert first == second and len(first) == 32
    assert (tmp_path / "flask_secret_key").stat().st_mode & 0o777 == 0o600


def test_bad_numeric_env_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DSR_MAX_LINE_BYTES", "lots")
    with pytest.raises(BadInput, match="DSR_MAX_LINE_BYTES: must be a whole number"):
        env_settings()


def test_cli_reports_bad_env_setting_in_one_line(run, monkeypatch):
    from tests.conftest import RECORDS_JSONL

    monkeypatch.setenv("DSR_MAX_LINE_BYTES", "lots")
    result = run("ingest", RECORDS_JSONL)
    assert result.exit_code == 2
    assert "DSR_MAX_LINE_BYTES: must be a whole number" in result.output
    assert "Traceback" not in result.output


def test_home_page_and_health(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Objection (Art. 21)" in page.get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_instance_secret_is_never_read_half_written(tmp_path, monkeypatch):
    """Threads asking for a new secret at once all get the whole of the same one.

    The load run's first 50 requests raced for the code-hashing key: one read the
    file its creator had not written yet, hashed its code with an empty key, and
    its right code was then refused.
    """
    import secrets
    import threading
    import time

    from dsr_app import config

    real = secrets.token_bytes

    def slow_token_bytes(n):
        time.sleep(0.05)  # a creator that is slow to write
        return real(n)

    monkeypatch.setattr(config.secrets, "token_bytes", slow_token_bytes)
    start = threading.Barrier(8)
    got: list[bytes] = []

    def ask():
        start.wait()
        got.append(config.instance_secret(tmp_path, "code_hmac_key"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1 and len(got[0]) == 32
    assert (tmp_path / "code_hmac_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["code_hmac_key"]


def test_write_once_keeps_the_first_writers_file(tmp_path):
    from dsr_app.config import write_once

    path = tmp_path / "keys" / "signing.pem"
    assert write_once(path, b"first") == b"first"
    assert write_once(path, b"second") == b"first"
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing.pem"]


def test_an_empty_secret_file_is_refused_not_used(tmp_path):
    """A key file left empty (a crash of an older version, a bad restore) is an
    error: codes are never hashed with an empty key."""
    import pytest

    from dsr_app.config import instance_secret
    from dsr_app.errors import Unavailable

    (tmp_path / "code_hmac_key").write_bytes(b"")
    with pytest.raises(Unavailable, match="is empty"):
        instance_secret(tmp_path, "code_hmac_key")


def test_the_code_key_is_read_from_its_file_once_per_app(app, monkeypatch):
    from dsr_app import config
    from dsr_app.server.security import code_key

    with app.app_context():
        first = code_key()
        monkeypatch.setattr(config, "instance_secret", lambda *a: pytest.fail("read"))
        assert code_key() == first and len(first) == 32


def test_audit_key_and_anchors_follow_the_apps_instance_dir(tmp_path, db_path):
    """Review of issue 16: create_app given INSTANCE_DIR and AUDIT_ANCHOR_PATH in
    test_config (not the environment) put its other secrets there, while the audit
    log keyed and anchored in the store's folder (config.setting read the
    environment only). One resolver: both agree."""
    from dsr_app import deadlines
    from dsr_app.anchors import anchor_path, write_anchor
    from dsr_app.audit import instance_of
    from dsr_app.db import open_db
    from tests.conftest import new_request

    keys, anchors = tmp_path / "keys", tmp_path / "elsewhere" / "anchors.jsonl"
    app = create_app(
        {
            "TESTING": True,
            "DB": str(db_path),
            "INSTANCE_DIR": str(keys),
            "AUDIT_ANCHOR_PATH": str(anchors),
            "RATE_LIMITS": 0,
        }
    )
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    new_request(client)  # appends a keyed audit entry
    assert (keys / "audit_hmac_key").is_file()
    assert not (db_path.parent / "audit_hmac_key").exists()
    db = open_db(db_path)
    try:
        assert instance_of(db) == Path(app.config["INSTANCE_DIR"]) == keys
        assert anchor_path(db) == anchors
        write_anchor(db, deadlines.now())
    finally:
        db.close()
    assert anchors.is_file() and not (keys / "audit_anchors.jsonl").exists()


def test_a_missing_audit_key_is_one_line_and_503_not_a_traceback(db_path):
    """Review of issue 16: with ``audit_hmac_key`` gone after a keyed entry,
    ``dsr staff token`` ended in a RuntimeError traceback and the API in a 500.

    The CLI runs in subprocesses: this process must not have the key cached."""
    import os
    import subprocess
    import sys

    from tests.conftest import assert_api_error

    def dsr(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dsr_app", *args, "--db", str(db_path)],
            input=input,
            capture_output=True,
            text=True,
            env=os.environ,
            timeout=120,
        )

    email = "legal@staff.example"
    added = dsr("staff", "add", email, "--role", "legal", "--password-stdin",
                input="a long demo password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert dsr("staff", "token", email).returncode == 0  # a keyed audit entry
    (db_path.parent / "audit_hmac_key").unlink()
    made = dsr("staff", "token", email)
    assert made.returncode == 1, made.stderr
    (line,) = made.stderr.splitlines()
    assert "audit_hmac_key is missing: restore it from a backup" in line
    api = create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0})
    client = api.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    resp = client.post(  # filing a request appends an audit entry
        "/api/v1/requests",
        json={"type": "objection", "full_name": "Zoë", "email": "zoe@example.eu",
              "country": "DE"},
    )  # fmt: skip
    body = assert_api_error(resp, 503)
    assert "audit_hmac_key" not in body["error"]  # no server path to the public
