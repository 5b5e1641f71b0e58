"""What killed runs of ``dsr removals apply`` left behind, found and removed.

A run that is killed (SIGKILL, OOM, power) cannot clean up: its hidden temporary
files, as big as OUT, and its staging folders stay. They are named after the host
and the process, so the next run removes those of processes that no longer exist.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
from pathlib import Path


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"


def temp_prefix(out_path: Path) -> str:
    """``.OUT.dsr-apply-HOST-`` (the process id and a random part follow)."""
    return f".{out_path.name}.dsr-apply-{_host()}-"


def staging_prefix() -> str:
    """``.dsr-shards-HOST-`` (the process id and a random part follow)."""
    return f".dsr-shards-{_host()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_dead(folder: Path, prefix: str) -> int:
    """Remove what runs of this host that no longer exist left in ``folder`` under
    ``prefix`` + their process id: a run still writing keeps its own, and so does a
    run on another host sharing the folder."""
    removed = 0
    for name in glob.glob(glob.escape(str(folder / prefix)) + "*"):
        pid = Path(name).name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        if os.path.isdir(name):
            shutil.rmtree(name, ignore_errors=True)
        else:
            try:
                os.unlink(name)
            except FileNotFoundError:
                continue  # another run swept it first
        removed += 1
    return removed


def sweep_leftovers(out_path: Path) -> int:
    """Remove the temporary files that killed runs for OUT left on this host."""
    return sweep_dead(out_path.parent, temp_prefix(out_path))
