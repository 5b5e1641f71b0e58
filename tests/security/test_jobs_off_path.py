"""The work after a verification runs off the request path (issue 16, finding 5).

The ownership and search work that a verification queues ran on the connection's
thread once the answer was sent, so the next request on the same keep-alive
connection waited for it, longer when the person named is in the data: an
outsider could learn whether a third person is mentioned in the training data.
``dsr serve`` now runs a job runner process beside waitress that the request only
wakes (dsr_app/cases/runner.py). The runner is stopped (SIGSTOP) while the requests are
made, so its job is still waiting when they return; no sleeps, no timings.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import threading

import psutil
import pytest

from dsr_app import create_app
from dsr_app.cases.runner import ProcessRunner
from dsr_app.server.serving import make_server, start_job_runner
from tests.conftest import latest_code, new_request, start_server, verify
from tests.security.helpers import ZOE_EMAIL, world


def _jobs(db_path) -> list[tuple]:
    """The requests' jobs (not the pointer index's, which an ingest queues)."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            "SELECT request_id, claimed_at IS NOT NULL, done_at IS NOT NULL, attempts"
            " FROM jobs WHERE request_id IS NOT NULL ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def _count(db_path, table: str, request_id: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(
            f"SELECT count(*) FROM {table} WHERE request_id = ?", [request_id]
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def served(db_path, run):
    """The app on a real waitress server with its job runner, as ``dsr serve``
    runs them (serving.serve): ``(port, runner)``."""
    world(run)
    app = create_app({"DB": str(db_path), "RATE_LIMITS": 0})
    runner = start_job_runner(app)
    runner.drain()  # up, and idle
    server = make_server(app, "127.0.0.1", 0, 2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port, runner
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        assert runner.stop() == 0
        thread.join(30)


def _call(
    conn: http.client.HTTPConnection, method: str, path: str, body=None, token=None
):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body else None, headers)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_verify_and_next_request_on_its_connection_return_while_the_job_waits(
    served, db_path
):
    """Attack: verify a request naming a third person, then time the next request
    on the same connection (it waited for the search before issue 16)."""
    port, runner = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        status, created = _call(
            conn,
            "POST",
            "/api/v1/requests",
            {"type": "access", "full_name": "Zoë Müller-Łukasik", "email": ZOE_EMAIL}
            | {"country": "DE"},
        )
        assert status == 201, created
        socket = conn.sock
        code = latest_code(db_path, ZOE_EMAIL)
        os.kill(runner.pid, signal.SIGSTOP)  # the job can neither start nor end
        try:
            status, _ = _call(
                conn,
                "POST",
                f"/api/v1/requests/{created['id']}/verify",
                {"channel": "email", "code": code},
                created["status_token"],
            )
            assert status == 200
            status, _ = _call(
                conn,
                "GET",
                f"/api/v1/requests/{created['id']}",
                token=created["status_token"],
            )
            assert status == 200
            assert conn.sock is socket  # one keep-alive connection throughout
            # Both answered while the job was still waiting: nobody ran it.
            assert _jobs(db_path) == [(created["id"], 0, 0, 0)]
            assert _count(db_path, "searches", created["id"]) == 0
        finally:
            os.kill(runner.pid, signal.SIGCONT)
    finally:
        conn.close()
    runner.drain()  # the woken runner has run it, once
    assert _jobs(db_path) == [(created["id"], 1, 1, 1)]
    assert _count(db_path, "owned_accounts", created["id"]) == 1
    assert _count(db_path, "matches", created["id"]) > 0


def test_jobs_left_pending_run_once_when_runners_start(api, db_path, run):
    """A crash or restart loses no job, and two runners never run one twice."""
    world(run)
    ids = []
    for email in (ZOE_EMAIL, "max@example.eu"):
        created = new_request(api, email=email)
        assert verify(api, db_path, created, "email", email).status_code == 200
        ids.append(created["id"])
    # The test client's app has no runner: the jobs wait in the table, as they do
    # when a server stops before running them.
    assert [job[1:] for job in _jobs(db_path)] == [(0, 0, 0)] * 2
    runners = [ProcessRunner(db_path).start() for _ in range(2)]
    try:
        for runner in runners:
            runner.drain()
    finally:
        assert [runner.stop() for runner in runners] == [0, 0]
    assert _jobs(db_path) == [(ids[0], 1, 1, 1), (ids[1], 1, 1, 1)]
    assert [_count(db_path, "searches", i) for i in ids] == [1, 1]


def test_dsr_serve_runs_one_runner_that_ends_with_it_even_when_killed(db_path):
    """No worker outlives its server (it would keep a connection to the store)."""
    proc, _ = start_server(db_path, log=db_path.parent / "serve.log")
    try:
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert [w.cmdline()[1:3] for w in workers] == [["-m", "dsr_app.cases.runner"]]
    finally:
        proc.kill()
        proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=30)  # its stdin closed with it
    assert alive == []
