"""``/api/v1/requests``: filing, verification, limits, ownership, no oracle, IDOR."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from dsr_app import create_app, deadlines
from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from tests.conftest import (
    REGISTRY,
    assert_api_error,
    bearer,
    latest_code,
    new_request,
    outbox,
    verify,
)


@pytest.mark.parametrize("kind", ["access", "objection", "erasure"])
def test_each_request_type_reaches_in_review(api, db_path, kind):
    created = new_request(api, type=kind, phone="+49 151 23456789")
    assert created["status"] == "pending_verification"
    assert len(created["status_token"]) >= 43  # 256 bits, URL-safe base64
    resp = verify(api, db_path, created, "email", "zoe@example.eu")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "in_review", "verified_channels": ["email"]}
    resp = verify(api, db_path, created, "phone", "+4915123456789")
    assert resp.get_json()["verified_channels"] == ["email", "phone"]
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    body = status.get_json()
    assert body["type"] == kind and body["status"] == "in_review"
    assert set(body) == {
        "id",
        "type",
        "status",
        "received_at",
        "due_at",
        "answered_at",  # contract section 5: null until a decision letter
        "verified_channels",
        "removals",
        "letters",  # the issued letters (contract section 5, v2)
    }
    assert body["answered_at"] is None


def test_phone_verified_first_keeps_request_pending(api, db_path):
    created = new_request(api, phone="+4915123456789")
    resp = verify(api, db_path, created, "phone", "+4915123456789")
    assert resp.get_json() == {
        "status": "pending_verification",
        "verified_channels": ["phone"],
    }


def test_create_stores_normalised_fields(api, db_path):
    created = new_request(
        api,
        email="Zoe@Example.EU",
        phone="0151/23456789",
        handles=["@Zoe.Mueller", "zoe.mueller", "Other_1"],
        country="de",
        language="de-AT",
    )
    db = open_db(db_path)
    row = db["requests"].get(created["id"])
    assert row["email"] == "Zoe@example.eu"  # email-validator keeps the local part
    assert row["email_canonical"] == "Zoe@example.eu"
    assert row["phone"] == "+4915123456789"
    assert row["country"] == "DE" and row["language"] == "de"
    handles = [
        r["handle"]
        for r in db["request_handles"].rows_where(
            "request_id = ?", [created["id"]], order_by="handle"
        )
    ]
    assert handles == ["other_1", "zoe.mueller"]
    assert row["status_token_hash"] != created["status_token"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "rectification"}, "type"),
        ({"type": None}, "type"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"full_name": "Zoë\nMüller"}, "full_name"),
        ({"full_name": 7}, "full_name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "zoe@example.eu\r\nBcc: x@example.org"}, "email"),
        ({"email": None}, "email"),
        ({"phone": "1"}, "phone"),
        ({"phone": "+49 151 2345678901234"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"handles": ["ok"] * 21}, "handles"),
        ({"handles": ["x" * 65]}, "handles"),
        ({"handles": ["bad handle!"]}, "handles"),
        ({"handles": "zoe"}, "handles"),
        ({"country": "US"}, "country"),
        ({"country": "CH"}, "country"),
        ({"country": None}, "country"),
        ({"language": "es"}, "language"),
        ({"details": "x" * 5001}, "details"),
        ({"details": "nul \x00 byte"}, "details"),
        ({"status": "completed"}, "status"),
        ({"verified_channels": ["email"]}, "verified_channels"),
        ({"due_at": "2099-01-01"}, "due_at"),
    ],
)
def test_create_rejects_bad_field(api, db_path, change, field):
    body = {
        "type": "access",
        "full_name": "Zoë",
        "email": "zoe@example.eu",
        "country": "DE",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    assert_api_error(api.post("/api/v1/requests", json=body), 400, field)
    assert open_db(db_path)["requests"].count == 0
    assert outbox(db_path) == []


def test_create_accepts_details_with_line_breaks(api):
    new_request(api, details="line one\nline two\ttabbed")


def test_body_over_64_kib_is_413(api):
    resp = api.post(
        "/api/v1/requests",
        data='{"details": "' + "x" * 70_000 + '"}',
        content_type="application/json",
    )
    assert_api_error(resp, 413)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("type=access", "application/x-www-form-urlencoded"),
        ("{}", "text/plain"),
        ("", None),
    ],
)
def test_body_that_is_not_json_is_415(api, data, content_type):
    resp = api.post("/api/v1/requests", data=data, content_type=content_type)
    assert_api_error(resp, 415)


@pytest.mark.parametrize("data", ["{bad", "[1, 2]", '"text"', "\xff"])
def test_malformed_json_is_400_with_errors(api, data):
    resp = api.post("/api/v1/requests", data=data, content_type="application/json")
    assert resp.status_code == 400
    assert set(resp.get_json()) == {"errors"}


def test_unknown_paths_and_methods_answer_json(api):
    assert_api_error(api.get("/api/v1/nothing"), 404)
    assert_api_error(api.delete("/api/v1/requests"), 405)


# --- codes -------------------------------------------------------------------------


def _verify(api, created, channel, code):
    return api.post(
        f"/api/v1/requests/{created['id']}/verify",
        json={"channel": channel, "code": code},
        headers=bearer(created),
    )


def _resend(api, created, channel):
    return api.post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": channel},
        headers=bearer(created),
    )


def _later(monkeypatch, delta: timedelta):
    start = deadlines.now()
    monkeypatch.setattr(deadlines, "now", lambda: start + delta)


def test_wrong_code_is_400(api, db_path):
    created = new_request(api)
    code = latest_code(db_path, "zoe@example.eu")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    assert_api_error(_verify(api, created, "email", wrong), 400, "code")


def test_expired_code_is_400(api, db_path, monkeypatch):
    created = new_request(api)
    code = latest_code(db_path, "zoe@example.eu")
    _later(monkeypatch, timedelta(minutes=10, seconds=1))
    assert_api_error(_verify(api, created, "email", code), 400, "code")


def test_code_within_ten_minutes_works(api, db_path, monkeypatch):
    created = new_request(api)
    code = latest_code(db_path, "zoe@example.eu")
    _later(monkeypatch, timedelta(minutes=9, seconds=59))
    assert _verify(api, created, "email", code).status_code == 200


def test_replayed_code_is_refused(api, db_path):
    created = new_request(api)
    code = latest_code(db_path, "zoe@example.eu")
    assert _verify(api, created, "email", code).status_code == 200
    assert_api_error(_verify(api, created, "email", code), 400, "code")


def test_code_of_another_request_is_refused(api, db_path):
    first = new_request(api, email="a@example.org")
    second = new_request(api, email="b@example.org")
    code_a = latest_code(db_path, "a@example.org")
    assert_api_error(_verify(api, second, "email", code_a), 400, "code")
    assert _verify(api, first, "email", code_a).status_code == 200


def test_code_of_another_channel_is_refused(api, db_path):
    created = new_request(api, phone="+4915123456789")
    email_code = latest_code(db_path, "zoe@example.eu")
    assert_api_error(_verify(api, created, "phone", email_code), 400, "code")


def test_five_wrong_tries_block_even_the_right_code_until_resend(
    api, db_path, monkeypatch
):
    created = new_request(api)
    code = latest_code(db_path, "zoe@example.eu")
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        assert_api_error(_verify(api, created, "email", wrong), 400, "code")
    blocked = _verify(api, created, "email", code)
    assert_api_error(blocked, 429)
    assert blocked.headers["Retry-After"]
    _later(monkeypatch, timedelta(seconds=61))
    assert _resend(api, created, "email").status_code == 200
    fresh = latest_code(db_path, "zoe@example.eu")
    assert _verify(api, created, "email", fresh).status_code == 200


def test_ten_wrong_tries_per_channel_end_it(api, db_path, monkeypatch):
    created = new_request(api)
    for round_ in range(2):
        code = latest_code(db_path, "zoe@example.eu")
        wrong = f"{(int(code) + 1) % 10**8:08d}"
        for _ in range(5):
            _verify(api, created, "email", wrong)
        _later(monkeypatch, timedelta(seconds=61 * (round_ + 1)))
        if round_ == 0:
            assert _resend(api, created, "email").status_code == 200
    assert_api_error(_resend(api, created, "email"), 409)
    assert_api_error(_verify(api, created, "email", "00000000"), 409)


def test_resend_voids_the_old_code(api, db_path, monkeypatch):
    created = new_request(api)
    old = latest_code(db_path, "zoe@example.eu")
    _later(monkeypatch, timedelta(seconds=61))
    assert _resend(api, created, "email").status_code == 200
    new = latest_code(db_path, "zoe@example.eu")
    if new != old:  # one chance in 10^8 that they are equal
        assert_api_error(_verify(api, created, "email", old), 400, "code")
    assert _verify(api, created, "email", new).status_code == 200


def test_resend_needs_60_seconds_and_at_most_3_an_hour(api, db_path, monkeypatch):
    created = new_request(api)
    too_soon = _resend(api, created, "email")
    assert_api_error(too_soon, 429)
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 60
    start = deadlines.now()
    for minute in (2, 4, 6):
        monkeypatch.setattr(
            deadlines, "now", lambda m=minute: start + timedelta(minutes=m)
        )
        assert _resend(api, created, "email").status_code == 200
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(minutes=8))
    limited = _resend(api, created, "email")
    assert_api_error(limited, 429)
    assert int(limited.headers["Retry-After"]) > 60
    assert len(outbox(db_path, "zoe@example.eu")) == 4


def test_resend_for_a_request_without_phone_is_404(api):
    created = new_request(api)
    assert_api_error(_resend(api, created, "phone"), 404)


def test_parallel_guesses_cannot_exceed_the_limit(api_app, db_path):
    """30 threads guess at once: exactly 5 wrong tries are counted for the code."""
    client = api_app.test_client()
    created = new_request(client)
    code = latest_code(db_path, "zoe@example.eu")
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        wrong = f"{(int(code) + 1 + n) % 10**8:08d}"
        c = api_app.test_client()
        resp = _verify(c, created, "email", wrong)
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(statuses)) == [400, 429]
    assert statuses.count(400) == 5
    db = open_db(db_path)
    assert (
        db.execute("SELECT wrong_tries FROM verification_attempts").fetchone()[0] == 5
    )
    assert_api_error(_verify(client, created, "email", code), 429)


# --- ownership ---------------------------------------------------------------------


def _owned(db_path, request_id: str) -> list[str]:
    db = open_db(db_path)
    run_pending(db)
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT account_id FROM owned_accounts WHERE request_id = ?"
            " ORDER BY 1",
            [request_id],
        )
    ]


def test_verified_email_owns_the_registry_accounts_with_it(api, db_path, run):
    run("accounts", "import", REGISTRY)
    created = new_request(api, email="zoe@EXAMPLE.eu", handles=["zoe.mueller", "max"])
    verify(api, db_path, created, "email", "zoe@example.eu")
    assert _owned(db_path, created["id"]) == ["acc-1"]
    db = open_db(db_path)
    verified = dict(
        db.execute(
            "SELECT handle, verified FROM request_handles WHERE request_id = ?",
            [created["id"]],
        ).fetchall()
    )
    assert verified == {"zoe.mueller": 1, "max": 0}  # max belongs to someone else


@pytest.mark.parametrize(
    "email",
    [
        "z.oe@example.eu",  # dot trick
        "zoe+dsr@example.eu",  # plus trick
        "ZOE@example.eu",  # the local part is compared as given
        "zоe@example.eu",  # Cyrillic о, a homoglyph
        "zoe@example.eu.evil.example",
    ],
)
def test_lookalike_emails_own_nothing(api, db_path, run, email):
    run("accounts", "import", REGISTRY)
    created = new_request(api, email=email)
    to = open_db(db_path)["requests"].get(created["id"])["email"]
    verify(api, db_path, created, "email", to)
    assert _owned(db_path, created["id"]) == []


def test_verified_phone_widens_ownership(api, db_path, run):
    run("accounts", "import", REGISTRY)
    created = new_request(api, email="other@example.org", phone="+49 170 12345678")
    verify(api, db_path, created, "email", "other@example.org")
    assert _owned(db_path, created["id"]) == []
    verify(api, db_path, created, "phone", "+4917012345678")
    assert _owned(db_path, created["id"]) == ["acc-2"]


def test_unverified_phone_owns_nothing(api, db_path, run):
    run("accounts", "import", REGISTRY)
    created = new_request(api, email="other@example.org", phone="+4917012345678")
    verify(api, db_path, created, "email", "other@example.org")
    assert _owned(db_path, created["id"]) == []


# --- no oracle, IDOR ---------------------------------------------------------------

_VOLATILE_HEADERS = {"Content-Length", "X-RateLimit-Reset", "Date", "Set-Cookie"}


def _shape(resp) -> tuple:
    body = resp.get_json()
    headers = sorted(
        (k, v) for k, v in resp.headers.items() if k not in _VOLATILE_HEADERS
    )
    return resp.status_code, sorted(body), headers


def test_create_and_verify_answer_alike_for_known_and_unknown_people(api, db_path, run):
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    known = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "Zoë",
            "email": "zoe@example.eu",
            "country": "DE",
        },
    )
    unknown = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "Nobody",
            "email": "nobody@example.net",
            "country": "DE",
        },
    )
    assert _shape(known) == _shape(unknown)
    mails = outbox(db_path)
    assert mails[0]["subject"] == mails[1]["subject"]
    # The code, the link's token and the reference (the request's id) differ.
    pattern = r"\d{8}|/r/\S+|(?<![\w-])[\w-]{22}(?![\w-])"
    masked = [__import__("re").sub(pattern, "X", m["body"]) for m in mails]
    assert masked[0] == masked[1]
    answers = [
        verify(api, db_path, known.get_json(), "email", "zoe@example.eu"),
        verify(api, db_path, unknown.get_json(), "email", "nobody@example.net"),
    ]
    assert _shape(answers[0]) == _shape(answers[1])
    assert answers[0].get_json() == answers[1].get_json()


def test_idor_every_requester_endpoint_answers_alike(api, db_path):
    mine = new_request(api, email="a@example.org")
    theirs = new_request(api, email="b@example.org")
    calls = [
        ("get", "", None),
        ("post", "/verify", {"channel": "email", "code": "12345678"}),
        ("post", "/resend", {"channel": "email"}),
    ]
    for method, suffix, body in calls:
        answers = []
        for request_id, headers in [
            (theirs["id"], bearer(mine)),  # someone else's request
            (theirs["id"], {}),  # no token
            (theirs["id"], {"Authorization": "Bearer wrong"}),
            (theirs["id"], {"Authorization": f"Basic {theirs['status_token']}"}),
            ("does-not-exist", bearer(mine)),
        ]:
            resp = getattr(api, method)(
                f"/api/v1/requests/{request_id}{suffix}", json=body, headers=headers
            )
            answers.append((resp.status_code, resp.get_json()))
        assert answers == [(404, {"error": "not found"})] * 5, (method, suffix)
    # None of this touched their codes.
    assert verify(api, db_path, theirs, "email", "b@example.org").status_code == 200


def test_status_token_is_not_accepted_in_the_url(api):
    created = new_request(api)
    resp = api.get(f"/api/v1/requests/{created['id']}?token={created['status_token']}")
    assert_api_error(resp, 404)
    resp = api.get(
        f"/api/v1/requests/{created['id']}?access_token={created['status_token']}"
    )
    assert_api_error(resp, 404)


def test_unverified_request_expires_after_14_days(api, monkeypatch):
    created = new_request(api)
    _later(monkeypatch, timedelta(days=14, minutes=1))
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    assert status.get_json()["status"] == "expired"
    assert_api_error(_verify(api, created, "email", "00000000"), 409)


def test_expiry_is_stored_by_the_next_request_and_waits_for_no_lock(
    api, db_path, monkeypatch
):
    from dsr_app.cases.filing import expire_stale

    created = new_request(api)
    db = open_db(db_path)
    db.execute("PRAGMA busy_timeout = 50")
    writer = open_db(db_path)
    writer.execute("BEGIN IMMEDIATE")  # an ingest holding the write lock
    assert expire_stale(db, deadlines.now()) == 0  # nothing stale: no lock needed
    writer.execute("ROLLBACK")
    _later(monkeypatch, timedelta(days=14, minutes=1))
    new_request(api, email="other@example.org")
    row = db.execute(
        "SELECT status FROM requests WHERE id = ?", [created["id"]]
    ).fetchone()
    assert row == ("expired",)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log")]
    assert actions.count("expired") == 1
    db.close()
    writer.close()


def test_verified_request_does_not_expire(api, db_path, monkeypatch):
    created = new_request(api)
    verify(api, db_path, created, "email", "zoe@example.eu")
    _later(monkeypatch, timedelta(days=30))
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    assert status.get_json()["status"] == "in_review"


def test_due_at_is_one_month_from_receipt(api, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr(
        deadlines, "now", lambda: datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    )
    assert new_request(api)["due_at"] == "2025-02-28"


# --- abuse limits, headers, OpenAPI ------------------------------------------------


def test_create_is_rate_limited_per_address_with_retry_after(db_path):
    app = create_app(
        {"TESTING": True, "DB": str(db_path), "RATE_LIMIT_CREATE": "2 per hour"}
    )
    client = app.test_client()
    for n in range(2):
        new_request(client, email=f"p{n}@example.org")
    resp = client.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "X",
            "email": "p9@example.org",
            "country": "DE",
        },
    )
    assert_api_error(resp, 429)
    assert int(resp.headers["Retry-After"]) > 0


def test_create_is_limited_per_target_email(api):
    for _ in range(3):
        new_request(api)
    resp = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "X",
            "email": "ZOE@example.eu".lower(),
            "country": "DE",
        },
    )
    assert_api_error(resp, 429)
    assert resp.headers["Retry-After"]


def test_security_headers_on_api_responses(api):
    resp = api.get("/api/v1/requests/nope")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_openapi_documents_every_requester_route(api, api_app):
    spec = api.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in api_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/requests"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            assert path in documented, path
    create = spec["paths"]["/api/v1/requests"]["post"]
    assert "201" in create["responses"] and "400" in create["responses"]
    schema = spec["components"]["schemas"]
    assert {"RequestCreate", "Verify", "RequestStatus"} <= set(schema)


def test_live_server_resolves_ownership_after_answering(live_server, db_path, run):
    """Under waitress, the job runs once the verify answer has been sent."""
    import json
    import time
    import urllib.request

    run("accounts", "import", REGISTRY)

    def call(path, body, token=None):
        req = urllib.request.Request(
            f"{live_server}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)

    created = call(
        "/api/v1/requests",
        {
            "type": "access",
            "full_name": "Zoë",
            "email": "zoe@example.eu",
            "country": "DE",
        },
    )
    code = latest_code(db_path, "zoe@example.eu")
    call(
        f"/api/v1/requests/{created['id']}/verify",
        {"channel": "email", "code": code},
        created["status_token"],
    )
    db = open_db(db_path)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        owned = db.execute("SELECT account_id FROM owned_accounts").fetchall()
        if owned:
            break
        time.sleep(0.1)
    assert owned == [("acc-1",)]


def test_codes_and_tokens_never_reach_the_logs(api, db_path, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    created = new_request(api, phone="+4915123456789")
    code = latest_code(db_path, "zoe@example.eu")
    _verify(api, created, "email", "00000000")
    _verify(api, created, "email", code)
    api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    logged = caplog.text
    assert code not in logged
    assert created["status_token"] not in logged


def test_openapi_names_every_error_status_in_the_contract_shape(api):
    """No catch-all ``default``: each status a client may see is listed, and every
    error is ``{"errors": {...}}`` (400) or ``{"error": "..."}`` (contract 5)."""
    spec = api.get("/api/v1/openapi.json").get_json()
    schemas, responses = spec["components"]["schemas"], spec["components"]["responses"]
    assert schemas["FieldErrors"]["required"] == ["errors"]
    assert schemas["Error"]["required"] == ["error"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = operation["responses"]
            assert "default" not in codes, (method, path)
            assert any(code.startswith("2") for code in codes), (method, path)
            for code, answer in codes.items():
                answer = responses.get(answer.get("$ref", "").split("/")[-1], answer)
                if code.startswith("2"):
                    continue
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/FieldErrors" if code == "400" else "/Error")
            if method == "post":
                assert {"413", "415"} <= set(codes), path
            if path.startswith(("/api/v1/staff", "/api/v1/removal", "/api/v1/supp")):
                assert {"401", "403"} <= set(codes), path


def test_request_bodies_are_loaded_without_a_schema_per_request(api, monkeypatch):
    """One schema instance per view, made at start-up (issue 7)."""
    from dsr_app.schemas.requests import RequestCreateSchema

    def built(*args, **kwargs):
        pytest.fail("a schema was built for a request")

    monkeypatch.setattr(RequestCreateSchema, "__init__", built)
    assert new_request(api)["status"] == "pending_verification"


def test_a_new_request_is_normalised_once_and_returned_normalised(monkeypatch):
    from dsr_app.schemas import requests as schemas

    calls = []
    original = schemas.normalise_request

    def counted(data):
        calls.append(dict(data))
        return original(data)

    monkeypatch.setattr(schemas, "normalise_request", counted)
    loaded = schemas.RequestCreateSchema().load(
        {
            "type": "access",
            "full_name": " Zoë ",
            "email": "zoe@Example.EU",
            "phone": "0151 23456789",
            "handles": ["@Zoe.Mueller"],
            "country": "de",
            "language": "de-AT",
        }
    )
    assert len(calls) == 1
    assert loaded == {
        "type": "access",
        "full_name": "Zoë",
        "email": "zoe@example.eu",
        "phone": "+4915123456789",
        "handles": ["zoe.mueller"],
        "country": "DE",
        "language": "de",
    }


def test_deeply_nested_json_is_400_not_500(api):
    resp = api.post(
        "/api/v1/requests", data="[" * 60_000, content_type="application/json"
    )
    assert_api_error(resp, 400, "json")
    created = new_request(api)
    resp = api.post(
        f"/api/v1/requests/{created['id']}/verify",
        data='{"a": ' * 5000,
        content_type="application/json",
        headers=bearer(created),
    )
    assert_api_error(resp, 400, "json")


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ("[" * 16 + "]" * 16, False),  # as deep as allowed
        ("[" * 17 + "]" * 17, True),
        ("[" + "[]," * 40 + "[]]", False),  # many brackets, two levels
        ('{"details": "' + "[" * 40 + '"}', False),  # brackets in a string
        ('{"a": "\\\\"}' + "[" * 17, True),  # after an escaped backslash
    ],
)
def test_json_depth_is_counted_by_nesting_not_by_brackets(body, refused):
    from werkzeug.exceptions import BadRequest

    from dsr_app.api.parsing import refuse_deep_json

    if refused:
        with pytest.raises(BadRequest):
            refuse_deep_json(body.encode())
    else:
        refuse_deep_json(body.encode())


def test_jobs_are_retried_until_they_succeed(api, db_path, monkeypatch):
    from dsr_app.cases.jobs import HANDLERS

    calls = []

    def flaky(db, request_id):
        calls.append(request_id)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    monkeypatch.setitem(HANDLERS, "resolve_ownership", flaky)
    created = new_request(api)
    db = open_db(db_path)
    db.execute(
        "INSERT INTO jobs (kind, request_id, created_at) VALUES"
        " ('resolve_ownership', ?, '2026-01-01T00:00:00+00:00')",
        [created["id"]],
    )
    assert run_pending(db) == 0  # failed: kept for a retry
    assert run_pending(db) == 1
    assert db.execute("SELECT done_at IS NOT NULL, error FROM jobs").fetchone() == (
        1,
        None,
    )
