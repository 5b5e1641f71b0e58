"""``dsr serve``'s waitress server and its connections."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from waitress.adjustments import Adjustments

from dsr_app.server.serving import Channel, make_server


def _channel(requests: int, waiting: int, closing: bool = False) -> Channel:
    """A Channel in a given state, without a socket (only writable() is asked)."""
    channel = Channel.__new__(Channel)
    channel.adj = Adjustments()
    channel.outbuf_lock = threading.Condition()
    channel.requests = [object()] * requests
    channel.total_outbufs_len = waiting
    channel.will_close = closing
    channel.close_when_flushed = False
    return channel


@contextmanager
def _held_by_a_task(channel: Channel) -> Iterator[None]:
    """The channel's output lock, held by another thread (as a task holds it)."""
    held, done = threading.Event(), threading.Event()

    def task() -> None:
        with channel.outbuf_lock:
            held.set()
            done.wait()

    thread = threading.Thread(target=task)
    thread.start()
    held.wait()
    try:
        yield
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize(
    ("requests", "waiting", "closing", "locked", "writable"),
    [
        (0, 0, False, False, False),  # idle
        (0, 120, False, False, True),  # a finished answer still to send
        (1, 0, False, True, False),  # a task running, nothing to send
        (1, 120, False, False, True),  # the task's output, the lock free
        (1, 120, False, True, False),  # the task is sending it: nothing to do
        (1, 120, True, True, False),  # closing, but only once the task lets go
        (0, 0, True, False, True),  # closing
    ],
)
def test_channel_is_left_alone_while_its_task_holds_it(
    requests, waiting, closing, locked, writable
):
    channel = _channel(requests, waiting, closing)
    if locked:
        with _held_by_a_task(channel):
            assert channel.writable() is writable
    else:
        assert channel.writable() is writable


def test_make_server_gives_every_connection_a_channel(app):
    server = make_server(app, "127.0.0.1", 0, 1)
    try:
        assert server.channel_class is Channel
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
