"""``dsr serve``'s WSGI server: waitress, with a main loop that never spins."""

from __future__ import annotations

import logging

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from dsr_app.cases.runner import ProcessRunner


class Channel(HTTPChannel):
    """waitress's connection, not offered to the main loop while its task holds it.

    waitress's main loop writes a connection whenever output waits in it, even
    while the task answering it is sending that output under the connection's
    lock: the loop found the socket writable, could not take the lock and went
    round again, scanning every connection each time. In the issue 7 load run
    that was up to 30 rounds a request and a quarter of the server's CPU, as the
    task waited for the GIL with the lock in hand. Such a connection is now left
    out of the loop's select until the task lets the lock go (it wakes the loop
    when it is done, and waits on the lock when it needs the loop's help).

    Kept as a subclass (issue 17): it overrides ``writable``, the hook asyncore's
    dispatchers (waitress's wasyncore) are documented to override, and reads only
    public names (``requests``, ``total_outbufs_len``, ``outbuf_lock``,
    ``channel_class``). waitress has no setting for this (its adjustments size
    buffers and time-outs; ``send_bytes`` only decides whether the loop tries the
    lock, not whether it is woken), and without it ``dsr serve`` spends about a
    third more CPU a request (docs/benchmarks.md, "Serving").
    """

    def writable(self) -> bool:
        if self.requests and self.total_outbufs_len:
            # A task is answering: the loop could do nothing while it holds the lock.
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
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


def start_job_runner(app: Flask) -> ProcessRunner:
    """Start ``app``'s job runner (one per server process), which its views wake.

    It runs the jobs that verifications queue, off the request path (runner.py);
    the caller stops it when the server ends.
    """
    runner = ProcessRunner(app.config["DB"]).start()
    app.extensions["dsr_jobs"] = runner
    return runner


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve ``app`` until interrupted (as ``waitress.serve`` does), with its job
    runner beside it."""
    logging.basicConfig()  # waitress's warnings (queue depth, errors) on stderr
    runner = start_job_runner(app)
    try:
        server = make_server(app, host, port, threads)
        server.print_listen("Serving on http://{}:{}")
        server.run()
    finally:
        runner.stop()
