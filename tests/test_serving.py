"""``dsr serve``'s waitress server and its connections."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from waitress.adjustments import Adjustments

from dsr_app.serving import Channel, make_server

HIGH = Adjustments().outbuf_high_watermark


def _channel(requests: int, waiting: int, closing: bool = False) -> Channel:
    """A Channel in a given state, without a socket (only writable() is asked)."""
    channel = Channel.__new__(Channel)
    channel.adj = Adjustments()
    channel.requests = [object()] * requests
    channel.total_outbufs_len = waiting
    channel.will_close = closing
    channel.close_when_flushed = False
    return channel


@pytest.mark.parametrize(
    ("requests", "waiting", "closing", "writable"),
    [
        (0, 0, False, False),  # idle
        (0, 120, False, True),  # a finished answer still to send
        (1, 0, False, False),  # a task running
        (1, 120, False, False),  # a task writing: it sends its own output
        (1, 120, True, True),  # closing: the loop finishes the job
        (1, HIGH + 1, False, True),  # the task waits for the loop to drain it
    ],
)
def test_channel_leaves_a_running_tasks_output_to_the_task(
    requests, waiting, closing, writable
):
    assert _channel(requests, waiting, closing).writable() is writable


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
