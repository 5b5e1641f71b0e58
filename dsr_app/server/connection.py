"""The store connection of a web request: one per server thread, kept on ``g``."""

from __future__ import annotations

import threading

import sqlite_utils
from flask import Flask, current_app, g

from dsr_app import db as store
from dsr_app.sql import release


def get_db() -> sqlite_utils.Database:
    """The request's connection: its thread's, opened on first use and kept.

    flaskr opens one per request, but SQLite reads the whole schema again for
    every new connection, a large part of a status poll's CPU (issue 7, load run;
    docs/benchmarks.md).
    """
    if "db" not in g:
        g.db = thread_db(current_app)
    return g.db


def thread_db(app: Flask) -> sqlite_utils.Database:
    """This thread's kept connection to ``app``'s store, opened on first use.

    Each server thread keeps its own, since a connection never crosses threads
    (issue 7: reading the schema again on every request was measurably slower;
    see docs/benchmarks.md); the job runner, a process of its own, keeps one too
    (cases/runner.py).
    """
    kept = app.extensions["dsr_db"]
    if getattr(kept, "db", None) is None:
        kept.db = store.connect(app.config["DB"])  # init_app migrated it
    return kept.db


def close_thread_db(app: Flask) -> None:
    """Close this thread's kept connection to ``app``'s store, if it has one: an
    app that is done with (a test's) must not keep its file open until the
    process ends (a thread's kept connection otherwise lives as long as it)."""
    kept = app.extensions["dsr_db"]
    db = getattr(kept, "db", None)
    if db is not None:
        kept.db = None
        db.close()


def close_db(_exc: BaseException | None = None) -> None:
    """End the request's use of its connection; roll back what it left open."""
    db = g.pop("db", None)
    if db is not None:
        release(db)


def init_app(app: Flask) -> None:
    """Register the per-request teardown and create or migrate the store at start-up
    (requests then connect without checking the migrations again)."""
    app.extensions["dsr_db"] = threading.local()  # thread_db's connections
    app.teardown_appcontext(close_db)
    store.open_db(app.config["DB"]).close()
