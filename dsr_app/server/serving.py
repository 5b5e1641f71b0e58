"""``dsr serve``'s WSGI server: waitress, and the app's job runner beside it."""

from __future__ import annotations

import logging

from flask import Flask
from waitress import create_server

from dsr_app.cases.runner import ProcessRunner


def make_server(app: Flask, host: str, port: int, threads: int):
    """A waitress server for ``app`` on ``host:port`` (every listening socket,
    should ``host`` name several), with waitress's own connections and settings."""
    return create_server(app, host=host, port=port, threads=threads, ident="dsr_app")


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
