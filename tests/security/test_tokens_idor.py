"""Status tokens and object-level access: tampered tokens, tokens in URLs, and
another request's id with my own credentials (IDOR) on every requester and staff
URL. Contract section 5: a missing or wrong token, another request's id and an id
that does not exist all get the same answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from flask.sessions import SecureCookieSessionInterface

from dsr_app import create_app
from tests.conftest import assert_api_error, bearer, new_request, outbox, snapshot
from tests.review.test_letters import decided
from tests.security.helpers import (
    ZOE_EMAIL,
    case,
    decide,
    form_token,
    https_client,
    verified,
    world,
)

VOLATILE = {"Date"}


def _seen(resp) -> tuple:
    headers = sorted((k, v) for k, v in resp.headers.items() if k not in VOLATILE)
    return resp.status_code, resp.get_data(), headers


# Every requester URL: (method, path after /api/v1/requests/<id>, JSON body).
REQUESTER_CALLS = [
    ("get", "", None),
    ("post", "/verify", {"channel": "email", "code": "12345678"}),
    ("post", "/resend", {"channel": "email"}),
    ("post", "/reply", {"details": "it is me"}),
    ("get", "/letter", None),
    ("get", "/letter?format=pdf", None),
    ("get", "/letter?format=txt", None),
    ("get", "/data", None),
]


def _call(api, method, request_id, suffix, body, headers):
    return getattr(api, method)(
        f"/api/v1/requests/{request_id}{suffix}", json=body, headers=headers
    )


def test_tampered_status_tokens_are_refused_like_unknown_ids(api):
    """Attack: edit, cut, extend or re-wrap a status token to reach its request."""
    created = new_request(api)
    token = created["status_token"]
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    variants = [
        f"Bearer {flipped}",
        f"Bearer {token[:-1]}",
        f"Bearer {token}x",
        f"Bearer {token.upper()}",
        f"Bearer {token} {token}",
        f"Basic {token}",
        f"Token {token}",
        token,
        "Bearer ",
        "Bearer",
        f"Bearer {created['id']}",
    ]
    unknown = _seen(_call(api, "get", "no-such-request", "", None, bearer(created)))
    assert unknown[0] == 404
    for value in variants:
        for method, suffix, body in REQUESTER_CALLS:
            resp = _call(
                api, method, created["id"], suffix, body, {"Authorization": value}
            )
            assert resp.status_code == 404, (value, suffix)
            assert resp.get_json() == {"error": "not found"}
        resp = _call(api, "get", created["id"], "", None, {"Authorization": value})
        assert _seen(resp) == unknown, value
    assert _call(api, "get", created["id"], "", None, bearer(created)).status_code == (
        200
    )


def test_status_token_in_the_url_is_refused_and_never_logged(
    logged_server, web, db_path
):
    """Attack: the status token in a query string, a body field or a link."""
    url, log = logged_server

    def call(path, method="GET", body=None, token=None):
        req = urllib.request.Request(
            f"{url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    status, body = call(
        "/api/v1/requests",
        "POST",
        {"type": "access", "full_name": "Zoë", "email": ZOE_EMAIL, "country": "DE"},
    )
    assert status == 201
    created = json.loads(body)
    token, rid = created["status_token"], created["id"]
    refused = [
        call(f"/api/v1/requests/{rid}?token={token}"),
        call(f"/api/v1/requests/{rid}?status_token={token}"),
        call(f"/api/v1/requests/{rid}?access_token={token}"),
        call(f"/api/v1/requests/{rid}?Authorization=Bearer%20{token}"),
        call(f"/api/v1/requests/{rid}/letter?format=html&token={token}"),
    ]
    assert refused == [(404, b'{"error":"not found"}\n')] * 5
    in_body = call(
        f"/api/v1/requests/{rid}/verify",
        "POST",
        {"channel": "email", "code": "12345678", "status_token": token},
    )
    assert in_body[0] == 400  # an unknown field, refused before anything is read
    assert "status_token" in json.loads(in_body[1])["errors"]
    # The e-mailed link takes a link token, never the status token.
    link = web.get(f"/r/{token}")
    assert link.status_code == 303 and token not in link.headers["Location"]
    opened = web.post("/r", data={"csrf_token": form_token(web, "/r")})
    assert opened.status_code == 404
    assert web.get("/status").status_code == 404
    assert call(f"/api/v1/requests/{rid}", token=token)[0] == 200  # the header works
    logged = log.read_text()
    assert "Serving dsr_app" in logged  # the log is the server's own
    assert token not in logged
    # Stored only as a hash.
    assert token not in json.dumps(snapshot(db_path), ensure_ascii=False)


def test_idor_every_requester_url_answers_like_an_unknown_id(api, staff, db_path, run):
    """Attack: my own valid token with the id of someone else's answered request."""
    theirs = decided(api, staff, db_path, run, "access", "en")  # letter and data
    mine = new_request(api, email="attacker@example.org", full_name="Mal Lory")
    before = snapshot(db_path)
    mails = len(outbox(db_path))
    for method, suffix, body in REQUESTER_CALLS:
        own = _call(api, method, theirs["id"], suffix, body, bearer(theirs))
        assert own.status_code != 404, suffix  # with their token, it is there
        answers = [
            _seen(_call(api, method, rid, suffix, body, headers))
            for rid, headers in [
                (theirs["id"], bearer(mine)),  # someone else's request
                ("does-not-exist", bearer(mine)),
                (theirs["id"], {}),
                (theirs["id"], {"Authorization": "Bearer wrong"}),
            ]
        ]
        assert answers[0][0] == 404, suffix
        assert answers == [answers[0]] * 4, suffix
    # The probes changed nothing of theirs (no wrong try counted, no code sent).
    after = snapshot(db_path)
    for table in ("requests", "verification_codes", "verification_attempts"):
        assert after[table] == before[table], table
    assert len(outbox(db_path)) == mails  # no code sent to anyone


def test_idor_staff_urls_give_no_existence_oracle(api, staff, db_path, run):
    """Attack: staff URLs with a requester token or lesser role (IDOR, oracle)."""
    world(run)
    real = verified(api, db_path)
    decide(api, staff, real["id"], decision="approve")
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    real_list = lists["items"][0]["id"]
    # (method, path, body, a role allowed, a role refused or None)
    calls = [
        ("get", "/api/v1/staff/requests/{}", None, "legal", "training"),
        (
            "post",
            "/api/v1/staff/requests/{}/decision",
            {"decision": "reject"},
            "admin",
            "training",
        ),
        ("get", "/api/v1/staff/requests/{}/letter", None, "legal", "training"),
        ("get", "/api/v1/removal-lists/{}", None, "legal", None),
        (
            "post",
            "/api/v1/removal-lists/{}/ack",
            {"dataset": "tiny", "dataset_version": "1"},
            "training",
            "legal",
        ),
    ]
    before = snapshot(db_path)
    for method, path, body, allowed, refused in calls:
        ids = (real_list, "rl_made_up") if "removal" in path else (real["id"], "x")
        probes = [(bearer(real), 401), ({}, 401)]  # the requester's own token
        if refused:
            probes.append((staff[refused], 403))
        for headers, status in probes:
            answers = [
                _seen(getattr(api, method)(path.format(i), json=body, headers=headers))
                for i in ids
            ]
            assert answers[0][0] == status, (path, status)
            assert answers[0] == answers[1], (path, status)
        made_up = getattr(api, method)(
            path.format(ids[1]), json=body, headers=staff[allowed]
        )
        assert_api_error(made_up, 404)
    assert snapshot(db_path) == before


def test_idor_decision_cannot_take_another_requests_matches(api, staff, db_path, run):
    """Attack: put another case's matches in a decision (IDOR by match id)."""
    world(run)
    victim = verified(api, db_path)
    other = verified(api, db_path, email="max@example.org", full_name="Max Mustermann")
    theirs = [m["match_id"] for m in case(api, staff, victim["id"])["matches"]]
    assert theirs
    before = snapshot(db_path)
    for field in ("include", "exclude"):
        resp = decide(api, staff, other["id"], decision="approve", **{field: theirs})
        assert_api_error(resp, 400, field)
    assert snapshot(db_path) == before


def test_idor_forged_web_session_cannot_open_another_request(api_app, api, db_path):
    """Attack: put another request's id into the browser session cookie."""
    theirs = new_request(api, email=ZOE_EMAIL)
    other_key = create_app(
        {"TESTING": True, "DB": str(db_path), "SECRET_KEY": "attacker's own key"}
    )
    for app, status in ((other_key, 404), (api_app, 200)):  # forged, then genuine
        serializer = SecureCookieSessionInterface().get_signing_serializer(app)
        cookie = serializer.dumps({"requests": [theirs["id"]]})
        browser = https_client(api_app)
        browser.set_cookie("__Host-dsr_session", cookie, domain="localhost")
        assert browser.get("/status").status_code == status
        assert browser.get("/verify").status_code == status
    # A staff session is kept on the server: a forged cookie naming a session id
    # that the server never issued opens nothing either.
    serializer = SecureCookieSessionInterface().get_signing_serializer(api_app)
    browser = https_client(api_app)
    browser.set_cookie(
        "__Host-dsr_session",
        serializer.dumps({"staff_sid": "made-up"}),
        domain="localhost",
    )
    assert browser.get("/staff/").status_code == 302
