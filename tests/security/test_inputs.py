"""Hostile inputs: manifests built to break the ingest (path-like names, gzip bombs,
huge lines, deep JSON) and HTTP bodies, URLs and query strings built to break the
web app (oversized, malformed). The secure outcome is always a refusal in the
contract's shape: exit 2 naming the file, or a 4xx; never a 500, never HTML or a
traceback on the API, never a file written where the input says."""

from __future__ import annotations

import gzip
import http.client
import json
import uuid
from pathlib import Path

import pytest

from dsr_app.db import open_db
from tests.conftest import bearer, new_request, snapshot
from tests.security.helpers import (
    decide_ok,
    form_token,
    https_client,
    letter,
    staff_login,
    verified,
    world,
    write_jsonl,
)


def _count(db_path, table: str = "records") -> int:
    return open_db(db_path).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


# --- hostile manifests ----------------------------------------------------------


def test_hostile_manifest_path_like_names_stay_data(api, staff, db_path, run, tmp_path):
    """Attack: path-like dataset names and record ids in a manifest."""
    escape = f"../../../../../../../../tmp/dsr-escape-{uuid.uuid4().hex}"
    folder = tmp_path / "in" / "deep"
    folder.mkdir(parents=True)
    manifest = write_jsonl(
        folder / "paths.jsonl",
        [
            {
                "record_id": "../../etc/passwd",
                "dataset": escape,
                "text": "my post",
                "author_id": "acc-1",
                "author_handle": "../../x",
                "url": "file:///etc/passwd",
            },
            {"record_id": "/dev/zero", "dataset": "/etc", "text": 7},  # a bad line
        ],
    )
    before = _files(tmp_path)
    result = run("ingest", manifest, "--skip-invalid")
    assert result.exit_code == 0, result.output
    rejects = folder / "paths.jsonl.rejects.jsonl"
    created = _files(tmp_path) - before
    assert rejects in created
    assert {p for p in created if p.parent != db_path.parent} == {rejects}
    assert not Path(escape).exists() and not (folder / escape).resolve().exists()
    stored = (
        open_db(db_path).execute("SELECT dataset, record_id FROM records").fetchall()
    )
    assert stored == [(escape, "../../etc/passwd")]  # kept verbatim, as data
    run("accounts", "import", "tests/data/registry.jsonl")
    created_request = verified(api, db_path, type="erasure")
    decide_ok(api, staff, created_request["id"], decision="approve")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    rl = tmp_path / "rl.json"
    rl.write_text(json.dumps(document))
    out = tmp_path / "out" / "clean.jsonl"
    out.parent.mkdir()
    before = _files(tmp_path)
    result = run(
        "removals", "apply", "--list", rl, "--manifest", manifest, "--out", out
    )
    assert result.exit_code == 0 and "1 removed" in result.output, result.output
    assert _files(tmp_path) - before == {out}
    # L6: no path of ours in what staff or the requester read.
    seen = json.dumps(
        api.get(
            f"/api/v1/staff/requests/{created_request['id']}", headers=staff["legal"]
        ).get_json()
    ) + letter(api, created_request, "txt").get_data(as_text=True)
    assert str(tmp_path) not in seen and "paths.jsonl" not in seen


def test_hostile_manifest_gzip_bomb_is_refused(run, db_path, tmp_path, monkeypatch):
    """Attack: a small .jsonl.gz that inflates a thousandfold."""
    monkeypatch.setenv("DSR_GZIP_RATIO_FLOOR_BYTES", str(1024 * 1024))
    line = json.dumps({"record_id": "x", "dataset": "d", "text": "a" * 1000}) + "\n"
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as gz:
        block = line.encode() * 1000
        for _ in range(20):  # 20 MB of text
            gz.write(block)
    assert bomb.stat().st_size < 100 * 1024
    result = run("ingest", bomb, "--skip-invalid")
    assert result.exit_code == 2
    assert "gzip bomb" in result.output
    assert _count(db_path) == 0
    assert not (tmp_path / "bomb.jsonl.gz.rejects.jsonl").exists()


def test_hostile_manifest_huge_line_is_refused(run, db_path, tmp_path, monkeypatch):
    """Attack: one line far longer than any record, to exhaust memory."""
    monkeypatch.setenv("DSR_MAX_LINE_BYTES", str(64 * 1024))
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"record_id": "a", "dataset": "d", "text": "fine"}\n')
        fh.write(b'{"record_id": "b", "dataset": "d", "text": "' + b"x" * 2**20)
        fh.write(b'"}\n')
    result = run("ingest", path, "--skip-invalid")
    assert result.exit_code == 2
    assert f"{path}:2: line longer than 65,536 bytes" in result.output
    assert _count(db_path) == 0  # not even the good first line


@pytest.mark.parametrize("depth", [100, 100_000])
def test_hostile_manifest_deep_json_is_refused(run, db_path, tmp_path, depth):
    """Attack: a manifest line with JSON nested deeper than any record."""
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"record_id": "x", "dataset": "d", "text": "t", "nest": '
        + "[" * depth
        + "]" * depth
        + "}\n"
    )
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:1:" in result.output
    assert _count(db_path) == 0


# --- oversized bodies ---------------------------------------------------------------


def test_oversized_bodies_are_refused_with_413_never_500(api, web, staff, db_path):
    """Attack: bodies over 64 KiB, and forms of thousands of fields, everywhere."""
    created = new_request(api)
    big = json.dumps({"details": "x" * 70_000})
    for url, headers in (
        ("/api/v1/requests", {}),
        (f"/api/v1/requests/{created['id']}/verify", bearer(created)),
        (f"/api/v1/staff/requests/{created['id']}/decision", staff["legal"]),
    ):
        resp = api.post(url, data=big, content_type="application/json", headers=headers)
        assert resp.status_code == 413 and resp.mimetype == "application/json", url
        assert set(resp.get_json()) == {"error"}
    for path in ("/request", "/staff/login", "/verify"):
        token = form_token(web, path if path != "/verify" else "/request")
        resp = web.post(path, data={"csrf_token": token, "details": "x" * 70_000})
        assert resp.status_code == 413 and resp.mimetype == "text/html", path
    many = {f"f{n}": "x" for n in range(2000)}
    many["csrf_token"] = form_token(web, "/request")
    resp = web.post("/request", data=many, content_type="multipart/form-data")
    assert resp.status_code == 413
    assert open_db(db_path)["requests"].count == 1


def test_oversized_chunked_body_on_a_live_server_is_413(live_server, db_path):
    """Attack: an oversized body sent chunked, without Content-Length."""
    port = int(live_server.rsplit(":", 1)[1])

    def post(path, body, content_type, length=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        if length is None:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(length))
        conn.endheaders()
        if length is None:
            for i in range(0, len(body), 8192):
                part = body[i : i + 8192]
                conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            conn.send(b"0\r\n\r\n")
        else:
            conn.send(body[:length])
        resp = conn.getresponse()
        answer = resp.status, resp.getheader("Content-Type"), resp.read()
        conn.close()
        return answer

    body = json.dumps(
        {"type": "access", "full_name": "Z", "email": "z@example.org", "country": "DE"}
    ).encode()
    huge = body[:-1] + b', "details": "' + b"x" * 100_000 + b'"}'
    status, ctype, data = post("/api/v1/requests", huge, "application/json")
    assert (status, ctype) == (413, "application/json")
    assert json.loads(data) == {"error": "the body is larger than 64 KiB"}
    status, ctype, _ = post(
        "/request", b"details=" + b"x" * 100_000, "application/x-www-form-urlencoded"
    )
    assert status == 413 and ctype.startswith("text/html")
    # A Content-Length that cuts the JSON short: invalid input, not a crash.
    status, ctype, data = post("/api/v1/requests", body, "application/json", 10)
    assert (status, ctype) == (400, "application/json") and "errors" in json.loads(data)
    status, _, _ = post("/api/v1/requests", body, "application/json")  # chunked, fine
    assert status == 201
    assert open_db(db_path)["requests"].count == 1


# --- malformed bodies -----------------------------------------------------------------

MALFORMED = [
    b"",
    b"null",
    b"1",
    b"[]",
    b'"text"',
    b"{bad",
    b'{"a": 1} trailing',
    b"\xff\xfe\x00{",
    b"\xef\xbb\xbf{}",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"type": 1e999999}',
    b'{"type": {"$ne": 1}}',
    b'{"type": ["access"]}',
    b'{"type": "access", "type": "erasure"}',
    b'{"channel": ["email"], "code": 12345678}',
    b'{"channel": "email", "code": "\\u0000"}',
    b'{"channel": "email", "code": "\\ud800"}',
    b'{"channel": "email", "code": "' + b"9" * 1000 + b'"}',
    b'{"full_name": "\\ud800", "type": "access", "email": "a@b.de", "country": "DE"}',
    b'{"full_name": "Z", "type": "access", "email": "a@b.de", "country": "DE",'
    b' "details": "\\udfff\\ud800"}',
    b'{"\\ud800": 1}',
    b'{"details": "\\ud800"}',
    b'{"handles": [null]}',
    b'{"handles": ["\\ud800"]}',
    b'{"handles": {"a": 1}}',
    b'{"phone": "\\ud800"}',
    b'{"decision": "reject", "reason": "\\ud800"}',
    b'{"decision": "approve", "include": ["\\ud800"]}',
    b'{"decision": "approve", "include": "x"}',
    b'{"decision": "approve", "include": [1]}',
    b'{"dataset": "\\ud800", "dataset_version": "1"}',
    b'{"dataset": null, "dataset_version": []}',
    b"[" * 17 + b"]" * 17,
    b'{"a": ' * 17 + b"1" + b"}" * 17,
]


def _contract_error(resp) -> bool:
    """A 4xx in the contract's JSON shape."""
    if not 400 <= resp.status_code < 500 or resp.mimetype != "application/json":
        return False
    body = resp.get_json()
    if resp.status_code == 400:
        return set(body) == {"errors"} and all(
            isinstance(m, list) and all(isinstance(x, str) for x in m)
            for m in body["errors"].values()
        )
    return set(body) == {"error"} and isinstance(body["error"], str)


def test_malformed_bodies_never_answer_500_or_html(api, staff, db_path, run):
    """Attack: malformed JSON (surrogates, NaN, deep, wrong types) on every endpoint."""
    world(run)
    created = verified(api, db_path)
    decide_ok(api, staff, created["id"], decision="approve")
    list_id = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ][0]["id"]
    pending = new_request(api, email="p@example.org", phone="+4916012345678")
    endpoints = [
        ("/api/v1/requests", {}),
        (f"/api/v1/requests/{pending['id']}/verify", bearer(pending)),
        (f"/api/v1/requests/{pending['id']}/resend", bearer(pending)),
        (f"/api/v1/requests/{pending['id']}/reply", bearer(pending)),
        (f"/api/v1/staff/requests/{pending['id']}/decision", staff["legal"]),
        (f"/api/v1/removal-lists/{list_id}/ack", staff["training"]),
    ]
    before = snapshot(db_path)
    for url, headers in endpoints:
        for body in MALFORMED:
            resp = api.post(
                url, data=body, content_type="application/json", headers=headers
            )
            assert _contract_error(resp), (url, body[:60], resp.status_code)
    after = snapshot(db_path)
    assert after["requests"] == before["requests"]
    assert after["removal_acks"] == before["removal_acks"]


def test_malformed_urls_and_query_strings_never_answer_500(api, web, staff):
    """Attack: odd ids, encodings and parameters in URLs."""
    created = new_request(api)
    rid = created["id"]
    api_paths = [
        "/api/v1/requests/%00",
        "/api/v1/requests/%ED%A0%80",
        "/api/v1/requests/..%2f..%2fetc%2fpasswd",
        "/api/v1/requests/" + "a" * 10_000,
        f"/api/v1/requests/{rid}?format=%ff",
        f"/api/v1/requests/{rid}/letter?format=exe",
        f"/api/v1/requests/{rid}/letter?format=%ED%A0%80",
        f"/api/v1/requests/{rid}/letter?format=html&format=pdf",
        "/api/v1/staff/requests?status=%ff&type=%00",
        f"/api/v1/staff/requests/{rid}/letter?format[]=pdf",
        "/api/v1/removal-lists/%ff?format=xlsx",
    ]
    for path in api_paths:
        for headers in ({}, bearer(created), staff["legal"], staff["training"]):
            resp = api.get(path, headers=headers)
            assert resp.status_code < 500, path
            if resp.status_code >= 400:
                assert _contract_error(resp), path
    page_paths = [
        "/%ff",
        "/r/%ED%A0%80",
        "/r/" + "a" * 10_000,
        "/status?lang=%ff",
        "/request?type=%00",
        "/staff/requests/%ff",
        "/staff/login?next=//evil.example",
        "/staff/login?next=https://evil.example/",
        "/static/../../etc/passwd",
    ]
    for path in page_paths:
        resp = web.get(path)
        assert resp.status_code < 500 and resp.mimetype == "text/html", path
    # The login's next= never leaves our staff pages (no open redirect).
    browser = https_client(web.application)
    staff_login(browser)
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        token = form_token(browser, "/staff/login")
        resp = browser.post(
            f"/staff/login?next={target}",
            data={
                "csrf_token": token,
                "email": "legal@staff.example",
                "password": "a long demo password",
            },
        )
        assert resp.headers["Location"] == "/staff/", target
