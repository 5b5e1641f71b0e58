"""``dsr serve``'s waitress server and its connections."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from dsr_app.server.serving import make_server


def test_make_server_listens_where_asked_with_the_threads_asked(app):
    server = make_server(app, "127.0.0.1", 0, 3)
    try:
        assert server.effective_host == "127.0.0.1" and int(server.effective_port) > 0
        assert server.adj.threads == 3 and server.adj.ident == "dsr_app"
    finally:
        server.close()
        server.task_dispatcher.shutdown()


def test_live_server_answers_many_requests_on_one_connection(live_server):
    """Keep-alive answers, small and large (the OpenAPI document), arrive whole."""
    address = urlsplit(live_server)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        for n in range(10):
            path = "/api/v1/openapi.json" if n % 2 else "/healthz"
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, path
            assert len(body) == int(resp.headers["Content-Length"])
            if n % 2:
                assert json.loads(body)["openapi"].startswith("3.")
    finally:
        conn.close()


def test_rate_limit_counters_are_swept_once_a_second_and_still_expire(app, monkeypatch):
    """The limiter's store sweeps expired counters every second, not every 10 ms
    (limits' MemoryStorage); a counter past its window is gone on the next read all
    the same."""
    import time as time_module

    from dsr_app.server.ratelimit import EXTENSION
    from dsr_app.server.security import SweptMemoryStorage

    assert isinstance(app.extensions[EXTENSION].storage, SweptMemoryStorage)  # in use
    storage = SweptMemoryStorage("dsr-memory://")
    storage.timer.join()  # the sweep limits starts at creation (10 ms)
    assert storage.incr("k", expiry=60) == 1
    assert storage.timer.interval == SweptMemoryStorage.SWEEP_SECONDS
    assert storage.incr("k", expiry=60) == 2
    now = time_module.time()
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: now + 61)
    assert storage.get("k") == 0  # expired on read, before any sweep


def test_threads_hitting_limits_at_once_start_one_sweep(monkeypatch):
    """Many request threads find the sweep finished at the same moment: one starts
    the next, and none fails (a 500 under the issue 7 load run)."""
    import threading

    from dsr_app.server.security import SweptMemoryStorage

    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 3600)
    storage = SweptMemoryStorage("dsr-memory://")
    storage.timer.join()  # the sweep limits starts at creation (10 ms)
    started.clear()
    barrier = threading.Barrier(8)
    failures = []

    def hit(n: int) -> None:
        barrier.wait()
        try:
            storage.incr(f"k{n}", expiry=60)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    threads = [threading.Thread(target=hit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    storage.timer.cancel()
    assert failures == [] and len(started) == 1
