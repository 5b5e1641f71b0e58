"""Fixtures of the letter tests: a clock the letters' dates can be read against,
and the test world of accounts and records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dsr_app import deadlines
from tests.conftest import REGISTRY


@pytest.fixture
def clock(monkeypatch):
    """``deadlines.now`` at Mon 2 Mar 2026, 10:00 UTC; ``clock.move(days=…)``."""

    class Clock:
        at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

        def move(self, **delta) -> None:
            self.at += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(deadlines, "now", lambda: clock.at)
    return clock


@pytest.fixture
def world(run):
    """The registry's accounts and tests/data/records.jsonl, ingested."""
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
