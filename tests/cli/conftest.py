"""What the CLI tests share: a working folder away from any instance."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """Another working folder than the instance's, with no DSR_* set."""
    monkeypatch.delenv("DSR_DB")
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder
