"""A non-editable install carries the templates and the demo fixtures."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_templates_and_fixtures(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("dsr_app-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dsr_app/templates/base.html" in names
    assert "dsr_app/templates/pages/home.html" in names
    assert "dsr_app/fixtures/manifests.json" in names
    assert "dsr_app/fixtures/manifests/captions-2025-03.parquet" in names
    assert "dsr_app/cli.py" in names
    # the compiled prefilter view (hatch_build.py), with the wheel tagged for it
    assert any(n.startswith("dsr_app/_squash.") and n.endswith(".so") for n in names)
    assert not wheel.name.endswith("-none-any.whl")
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "dsr = dsr_app.cli:cli" in zipfile.ZipFile(wheel).read(entry_points).decode()
