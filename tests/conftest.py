"""Shared fixtures: a real SQLite file per test, the app, the CLI runner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsr_app import create_app
from dsr_app.cli import cli
from dsr_app.db import open_db

DATA = Path(__file__).parent / "data"
RECORDS_JSONL = DATA / "records.jsonl"
RECORDS_GZ = DATA / "records.jsonl.gz"
RECORDS_PARQUET = DATA / "records.parquet"
BAD_LINE_JSONL = DATA / "bad_line.jsonl"
REGISTRY = DATA / "registry.jsonl"


def pytest_report_header(config) -> str:
    """FTS5 behaviour varies between SQLite versions: say which one ran."""
    return f"SQLite {sqlite3.sqlite_version}"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Every test gets its own DSR_DB and no other DSR_* setting from the caller."""
    import os

    for key in list(os.environ):
        if key.startswith("DSR_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DSR_DB", str(tmp_path / "env-default.sqlite3"))


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "dsr.sqlite3"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def app(db_path):
    return create_app({"TESTING": True, "DB": str(db_path)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner():
    return CliRunner()


@pytest.fixture
def run(cli_runner, db_path):
    """Run ``dsr ARGS --db <test db>``; returns the click Result."""

    def invoke(*args: str, db: bool = True):
        argv = [str(a) for a in args]
        if db:
            argv += ["--db", str(db_path)]
        return cli_runner.invoke(cli, argv, catch_exceptions=False)

    return invoke


def snapshot(db_path: Path) -> dict[str, list]:
    """Every row of every table (FTS shadow tables included), to compare states."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'records_fts' ORDER BY name"
            )
        ]
        return {
            t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables
        }
    finally:
        conn.close()
