"""Issue 16, findings 11 and 15: Unicode bidirectional controls in names and texts
(refused in one-line fields, shown as markers in free text on staff pages and in
letters), and staff API tokens that expire and can be listed and revoked one by one."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from dsr_app import create_app, deadlines
from dsr_app.db import open_db
from dsr_app.migrations import migrations
from tests.conftest import RECORDS_JSONL, assert_api_error, outbox, snapshot
from tests.security.helpers import (
    PASSWORD,
    ZOE_EMAIL,
    body_text,
    decide_ok,
    form_token,
    https_client,
    letter,
    staff_login,
    verified,
    world,
    write_jsonl,
)

# Every bidirectional control of Unicode UAX #9: embeddings and overrides, isolates,
# the implicit marks and the Arabic letter mark.
BIDI = [
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200e",
    "\u200f",
    "\u061c",
]
RAW = re.compile("[" + "".join(BIDI) + "]")
CREATE = {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"}


def _name(char: str) -> str:
    return f"U+{ord(char):04X}"


# --- finding 11: one-line fields refuse bidirectional controls ----------------------


SPELLINGS = {
    "full_name": lambda c: f"Zoë{c}kisakuŁ-rellüM",
    "email": lambda c: f"zoe{c}@example.eu",
    "phone": lambda c: f"+49151{c}23456789",
    "handles": lambda c: [f"zoe{c}.mueller"],
    "country": lambda c: f"D{c}E",
    "language": lambda c: f"{c}de",
}


@pytest.mark.parametrize(
    ("field", "char"),
    [("full_name", c) for c in BIDI]
    + [(f, c) for f in list(SPELLINGS)[1:] for c in ("\u202e", "\u2067")],
    ids=lambda v: _name(v) if len(v) == 1 else v,
)
def test_one_line_fields_refuse_bidi_controls_naming_them(
    api, web, db_path, field, char
):
    """Attack: a right-to-left override (or any bidirectional control) in a name,
    address or code, so that staff pages and letters show it reordered."""
    before = snapshot(db_path)
    value = SPELLINGS[field](char)
    resp = api.post("/api/v1/requests", json={**CREATE, field: value})
    body = assert_api_error(resp, 400, field)
    message = json.dumps(body["errors"][field], ensure_ascii=False)
    assert _name(char) in message
    assert not RAW.search(message)  # named, never echoed
    form = {**CREATE, field: " ".join(value) if field == "handles" else value}
    page = web.post(
        "/request", data={**form, "csrf_token": form_token(web, "/request")}
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and _name(char) in error.group(1), html
    assert not RAW.search(html)  # the value typed comes back marked, not raw
    assert snapshot(db_path) == before
    assert outbox(db_path) == []


def test_a_reply_refuses_bidi_controls_in_handles_and_phone(api, staff, db_path, run):
    """Attack: the same controls slipped in later, through a reply to staff."""
    world(run)
    created = verified(api, db_path, type="access")
    decide_ok(api, staff, created["id"], decision="request_info", reason="which?")
    headers = {"Authorization": f"Bearer {created['status_token']}"}
    url = f"/api/v1/requests/{created['id']}/reply"
    for field, value, char in (
        ("handles", ["zoe\u202e"], "U+202E"),
        ("phone", "+4915\u2066123456", "U+2066"),
    ):
        resp = api.post(url, json={field: value}, headers=headers)
        assert char in " ".join(assert_api_error(resp, 400, field)["errors"][field])
    # Free text keeps them (shown as markers, below).
    resp = api.post(url, json={"details": "it is \u202emine"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\u200f"], ids=_name)
def test_staff_add_refuses_bidi_controls_in_the_email(run, db_path, char):
    """Attack (careless operator): a staff e-mail that reads as another one."""
    result = run(
        "staff", "add", f"legal{char}@staff.example", "--role", "legal",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 2
    assert _name(char) in result.output and not RAW.search(result.output)
    db = open_db(db_path)
    assert db["staff_users"].count == 0


# --- finding 11: free text shows them as markers -----------------------------------


def _bidi_manifest(tmp_path):
    return write_jsonl(
        tmp_path / "bidi.jsonl",
        [
            {
                "record_id": "b-1",
                "dataset": "bidi",
                "text": "my post \u202eTXET LAGEL\u202c and \u2066isolated\u2069",
                "author_id": "acc-1",
            },
            {
                "record_id": "b-2",
                "dataset": "bidi",
                "text": f"write to {ZOE_EMAIL} \u202egnissim",
                "author_id": "acc-2",
            },
        ],
    )


def test_bidi_controls_in_free_text_are_markers_on_staff_pages_and_letters(
    api, api_app, staff, db_path, run, tmp_path
):
    """Attack: request details, a decision's reason, a post and a name stored before
    this rule that carry bidirectional controls, to reorder what staff and requesters
    read."""
    world(run, RECORDS_JSONL, _bidi_manifest(tmp_path))
    access = verified(
        api, db_path, type="access", details="please \u202eesaele\u202c \u200fnow"
    )
    refused = verified(api, db_path, type="objection")
    # A name stored before one-line fields refused these (or by another tool).
    db = open_db(db_path)
    db.execute(
        "UPDATE requests SET full_name = ? WHERE id = ?",
        ["Zoë\u202ekisakuŁ", access["id"]],
    )
    db.close()
    browser = https_client(api_app)
    staff_login(browser)
    page = browser.get(f"/staff/requests/{access['id']}").get_data(as_text=True)
    for marker in ("[U+202E]", "[U+202C]", "[U+200F]", "[U+2066]", "[U+2069]"):
        assert marker in page, marker
    assert "Zoë[U+202E]kisakuŁ" in page
    assert not RAW.search(page)
    draft = browser.get(f"/staff/requests/{access['id']}/letter?format=txt")
    assert "[U+202E]TXET LAGEL[U+202C]" in draft.get_data(as_text=True)

    decide_ok(api, staff, access["id"], decision="approve")
    decide_ok(
        api, staff, refused["id"], decision="reject", reason="unfounded \u202eton\u202c"
    )
    for fmt in ("html", "txt", "pdf"):
        text = body_text(letter(api, access, fmt))
        assert "[U+202E]TXET LAGEL[U+202C]" in text, fmt
        assert "[U+2066]isolated[U+2069]" in text, fmt
        assert "Zoë[U+202E]kisakuŁ" in text, fmt
        assert not RAW.search(text), fmt
        reason = body_text(letter(api, refused, fmt))
        assert "unfounded [U+202E]ton[U+202C]" in reason, fmt
        assert not RAW.search(reason), fmt
    page = browser.get(f"/staff/requests/{refused['id']}").get_data(as_text=True)
    assert "unfounded [U+202E]ton[U+202C]" in page and not RAW.search(page)


# --- finding 15: staff API tokens expire, are listed and revoked one by one --------

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUEUE = "/api/v1/staff/requests"


def _at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(deadlines, "now", lambda: when)


def _token(run, email: str = "legal@staff.example") -> str:
    made = run("staff", "token", email)
    assert made.exit_code == 0, made.output
    return made.output.split()[-1]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _add(run, email: str = "legal@staff.example", role: str = "legal") -> None:
    added = run(
        "staff", "add", email, "--role", role, "--password-stdin", input=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output


def _audit(db_path, action: str) -> list[dict]:
    db = open_db(db_path)
    try:
        return [
            json.loads(r["detail"])
            for r in db.query(
                "SELECT detail FROM audit_log WHERE action = ? ORDER BY seq", [action]
            )
        ]
    finally:
        db.close()


@pytest.mark.parametrize(("setting", "days"), [(None, 90), ("7", 7)])
def test_staff_tokens_expire_and_then_answer_like_unknown_ones(
    api, run, db_path, monkeypatch, setting, days
):
    """Attack: use a staff token found in an old script or log, months later."""
    if setting:
        monkeypatch.setenv("DSR_STAFF_TOKEN_DAYS", setting)
    _add(run)
    _at(monkeypatch, START)
    made = run("staff", "token", "legal@staff.example")
    token = made.output.split()[-1]
    assert token.startswith("dsr_staff_")
    expires = START + timedelta(days=days)
    assert f"expires {expires:%Y-%m-%dT%H:%M:%SZ}" in made.output
    _at(monkeypatch, expires - timedelta(seconds=1))
    assert api.get(QUEUE, headers=_bearer(token)).status_code == 200
    _at(monkeypatch, expires)
    expired = api.get(QUEUE, headers=_bearer(token))
    unknown = api.get(QUEUE, headers=_bearer("dsr_staff_" + "x" * 43))
    assert_api_error(expired, 401)
    assert (expired.status_code, expired.get_json()) == (401, unknown.get_json())
    # A new token works again; the old one stays dead.
    assert api.get(QUEUE, headers=_bearer(_token(run))).status_code == 200
    assert api.get(QUEUE, headers=_bearer(token)).status_code == 401


@pytest.mark.parametrize("days", ["0", "-1", "100000"])
def test_a_token_lifetime_out_of_bounds_is_refused(run, monkeypatch, days):
    """Careless operator: a lifetime of no days, or of centuries."""
    monkeypatch.setenv("DSR_STAFF_TOKEN_DAYS", days)
    _add(run)
    made = run("staff", "token", "legal@staff.example")
    assert made.exit_code == 2
    assert "DSR_STAFF_TOKEN_DAYS" in made.output and "dsr_staff_" not in made.output


def test_staff_tokens_are_listed_without_secrets_and_revoked_one_at_a_time(
    api, run, db_path, monkeypatch
):
    """Attack: a leaked token can only be ended by ending every token of its user
    (and nobody can see which tokens exist, or whether one is still used)."""
    _add(run)
    _add(run, "admin@staff.example", "admin")
    _at(monkeypatch, START)
    first = _token(run)
    _at(monkeypatch, START + timedelta(hours=1))
    second = _token(run)
    other = _token(run, "admin@staff.example")
    _at(monkeypatch, START + timedelta(hours=2))
    assert api.get(QUEUE, headers=_bearer(first)).status_code == 200

    listed = run("staff", "tokens", "legal@staff.example")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == [
        "id", "created", "expires", "last_used", "revoked", "state"
    ]  # fmt: skip
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == ["1", "2"]  # only this user's, oldest first
    assert rows[0][1:] == [
        "2026-01-05T09:00:00Z", "2026-04-05T09:00:00Z", "2026-01-05T11:00:00Z", "-",
        "live",
    ]  # fmt: skip
    assert rows[1][1:] == [
        "2026-01-05T10:00:00Z", "2026-04-05T10:00:00Z", "never", "-", "live"
    ]  # fmt: skip
    db = open_db(db_path)
    hashes = [r["token_hash"] for r in db.query("SELECT token_hash FROM staff_tokens")]
    db.close()
    for secret in (first, second, other, *hashes, "dsr_staff_"):
        assert secret not in listed.output

    # Another user's token id is not this user's to revoke.
    refused = run("staff", "revoke", "legal@staff.example", "--token", "3")
    assert refused.exit_code == 2 and "token 3" in refused.output
    assert api.get(QUEUE, headers=_bearer(other)).status_code == 200

    revoked = run("staff", "revoke", "legal@staff.example", "--token", "1")
    assert revoked.exit_code == 0 and "1 token(s) revoked" in revoked.output
    assert api.get(QUEUE, headers=_bearer(first)).status_code == 401
    assert api.get(QUEUE, headers=_bearer(second)).status_code == 200
    again = run("staff", "revoke", "legal@staff.example", "--token", "1")
    assert "0 token(s) revoked" in again.output
    rows = [
        line.split() for line in run("staff", "tokens", "legal@staff.example")
        .output.splitlines()[1:]
    ]  # fmt: skip
    assert rows[0][-2:] == ["2026-01-05T11:00:00Z", "revoked"]
    assert rows[1][-2:] == ["-", "live"]
    _at(monkeypatch, START + timedelta(days=90, hours=1))
    listed = run("staff", "tokens", "legal@staff.example").output.splitlines()
    assert listed[2].split()[-1] == "expired"

    # Without --token: every token of the user, as before.
    _at(monkeypatch, START + timedelta(hours=3))
    everything = run("staff", "revoke", "legal@staff.example")
    assert "1 token(s) revoked" in everything.output
    assert api.get(QUEUE, headers=_bearer(other)).status_code == 200  # not theirs

    assert [d["token"] for d in _audit(db_path, "staff_token_issued")] == [1, 2, 3]
    assert _audit(db_path, "staff_tokens_listed") == [{"staff": 1}] * 3
    assert [d["tokens"] for d in _audit(db_path, "staff_tokens_revoked")] == [
        [1],
        [],
        [2],
    ]


def test_revoking_unknown_users_or_tokens_says_so_in_one_line(run):
    """Careless operator: a wrong e-mail or id is a clear error, never a traceback."""
    _add(run)
    for args, says in (
        (("tokens", "nobody@staff.example"), "no staff user nobody@staff.example"),
        (("revoke", "nobody@staff.example"), "no staff user nobody@staff.example"),
        (("revoke", "legal@staff.example", "--token", "99"), "has no token 99"),
    ):
        result = run("staff", *args)
        assert result.exit_code == 2, args
        assert says in result.output and "Traceback" not in result.output
    assert run("staff", "revoke", "legal@staff.example", "--token", "x").exit_code == 2


def test_tokens_made_before_the_expiry_rule_expire_90_days_after_they_were_made(
    db_path, monkeypatch
):
    """Attack: a token issued before tokens expired stays valid for ever."""
    old = sqlite_utils.Database(db_path)
    migrations.apply(old, stop_before="m015_staff_token_expiry")
    old["staff_users"].insert(
        {
            "email": "legal@staff.example",
            "role": "legal",
            "password_hash": "x",
            "created_at": START.isoformat(),
        }
    )
    tokens = {
        "dsr_staff_" + "a" * 43: START,
        "dsr_staff_" + "b" * 43: START + timedelta(days=30),
    }
    for token, made in tokens.items():
        old["staff_tokens"].insert(
            {
                "staff_id": 1,
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "created_at": made.isoformat(),
            }
        )
    old.close()
    db = open_db(db_path)  # applies m015
    expiry = [r[0] for r in db.execute("SELECT expires_at FROM staff_tokens")]
    db.close()
    assert expiry == [
        (START + timedelta(days=90)).isoformat(),
        (START + timedelta(days=120)).isoformat(),
    ]
    api = https_client(
        create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0})
    )
    first, second = (_bearer(t) for t in tokens)
    _at(monkeypatch, START + timedelta(days=100))
    assert api.get(QUEUE, headers=first).status_code == 401
    assert api.get(QUEUE, headers=second).status_code == 200


def test_a_token_row_without_an_expiry_is_refused(api, run, db_path):
    """Fail closed: a token whose expiry is missing (a hand-made row) is no token."""
    _add(run)
    token = _token(run)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE staff_tokens SET expires_at = NULL")
    conn.commit()
    conn.close()
    assert_api_error(api.get(QUEUE, headers=_bearer(token)), 401)
