"""``dsr serve``'s WSGI server: waitress, with a main loop that never spins."""

from __future__ import annotations

import logging

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server


class Channel(HTTPChannel):
    """waitress's connection, leaving a running task's output to that task.

    waitress's main loop writes a connection whenever output waits in it, even
    while the task answering it is writing that output under its lock: the loop
    found the socket writable, could not take the lock and went round again,
    scanning every connection each time. Under the issue 7 load run that was up to
    30 rounds a request and a quarter of the server's CPU. A task sends its own
    output as it writes (waitress sends from the first byte) and wakes the loop
    when it ends, so a busy connection needs the loop only when it is closing or
    its output passed the high-water mark (the task then waits for the loop).
    """

    def writable(self) -> bool:
        busy = self.requests and not (self.will_close or self.close_when_flushed)
        if busy and self.total_outbufs_len <= self.adj.outbuf_high_watermark:
            return False
        return bool(super().writable())


def make_server(app: Flask, host: str, port: int, threads: int):
    """A waitress server for ``app`` on ``host:port`` whose connections are
    ``Channel``s (every listening socket, should ``host`` name several)."""
    sockets: dict = {}
    server = create_server(
        app, map=sockets, host=host, port=port, threads=threads, ident="dsr_app"
    )
    for dispatcher in sockets.values():
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = Channel
    return server


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve ``app`` until interrupted (as ``waitress.serve`` does)."""
    logging.basicConfig()  # waitress's warnings (queue depth, errors) on stderr
    server = make_server(app, host, port, threads)
    server.print_listen("Serving on http://{}:{}")
    server.run()
