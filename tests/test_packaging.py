"""A non-editable install carries the templates and the demo fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wheel(source: Path, out: Path, **env: str) -> Path:
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
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    (wheel,) = out.glob("dsr_app-*.whl")
    return wheel


def test_wheel_ships_templates_and_fixtures(tmp_path):
    wheel = _wheel(ROOT, tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dsr_app/templates/base.html" in names
    assert "dsr_app/templates/pages/home.html" in names
    assert "dsr_app/fixtures/manifests.json" in names
    assert "dsr_app/fixtures/manifests/captions-2025-03.parquet" in names
    # the catalogs translators edit (dsr_app/i18n, dsr_app/review/letter_texts)
    for lang in ("en", "de", "fr"):
        assert f"dsr_app/i18n/{lang}.toml" in names
        assert f"dsr_app/review/letter_texts/{lang}.toml" in names
    assert "dsr_app/cli/__init__.py" in names
    # the compiled prefilter (hatch_build.py), with the wheel tagged for it
    for module in ("dsr_app/_squash.", "dsr_app/matching/_scan."):
        assert any(n.startswith(module) and n.endswith(".so") for n in names)
    assert not wheel.name.endswith("-none-any.whl")
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "dsr = dsr_app.cli:cli" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_without_a_c_compiler_the_wheel_is_built_without_the_extension(tmp_path):
    source = tmp_path / "src"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    wheel = _wheel(source, tmp_path / "out", CC="/bin/false", LDSHARED="/bin/false")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dsr_app/matching/prefilter.py" in names
    assert not any(n.endswith(".so") for n in names)
    assert wheel.name.endswith("-py3-none-any.whl")
