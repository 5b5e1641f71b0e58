"""Private files: the instance folder 0700 and every file in it 0600 (issue 16).

The store holds staff password hashes, requesters' contacts and the outbox with
live codes; the instance folder holds the keys. Only the account that runs dsr
may read them: every ``dsr`` command and ``create_app`` set the umask to 077, the
store is created 0600 before SQLite opens it (SQLite gives its -wal and -shm the
store's mode), and a start on an instance that others can reach warns, or
refuses with ``dsr serve --strict`` / ``DSR_STRICT_FILE_MODES=1``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dsr_app.errors import BadInput

PRIVATE_UMASK = 0o077  # group and others get no bit of what we create
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")  # the store's files, by SQLite


def private_umask() -> None:
    """Make every file and folder this process creates its owner's alone."""
    os.umask(PRIVATE_UMASK)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (never through a link).

    For the store: created by SQLite it would get 0644 under a usual umask, and its
    -wal and -shm would copy that.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        os.close(os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except FileExistsError:
        pass


@dataclass(frozen=True)
class Exposed:
    """A folder or file of the instance that group or others may use."""

    path: Path
    mode: int
    folder: bool

    def __str__(self) -> str:
        wanted = "700" if self.folder else "600"
        return (
            f"{self.path} is mode {self.mode:04o}: group or others can read it"
            f" (chmod {wanted} {self.path})"
        )


def exposed_paths(db_path: Path, instance: Path) -> list[Exposed]:
    """The instance folder, the store's folder, every file and folder directly in
    the instance folder and the store's files whose mode gives group or others any
    access, in path order. Links are not followed (their own mode means nothing)."""
    store = Path(db_path).absolute()
    candidates = {Path(instance).absolute(), store.parent}
    candidates |= {store.with_name(store.name + s) for s in STORE_SUFFIXES}
    try:
        candidates |= {Path(e.path).absolute() for e in os.scandir(instance)}
    except OSError:
        pass  # not made yet: created private
    found = []
    for path in sorted(candidates):
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & PRIVATE_UMASK:
            continue
        found.append(Exposed(path, stat.S_IMODE(st.st_mode), stat.S_ISDIR(st.st_mode)))
    return found


def check_private(
    db_path: Path, instance: Path, strict: bool, warn: Callable[[str], None]
) -> None:
    """Warn about every exposed path of the instance (``exposed_paths``), one line
    each; with ``strict``, then refuse.

    :raises BadInput: ``strict`` and something is exposed.
    """
    found = exposed_paths(db_path, instance)
    for item in found:
        warn(f"warning: {item}")
    if found and strict:
        raise BadInput(
            str(found[0].path),
            f"group or others can read {len(found)} path(s) of the instance"
            " (listed above): refusing to start (strict file modes)",
        )
