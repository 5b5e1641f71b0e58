"""SIGKILL in the middle of ``dsr ingest`` and ``dsr removals apply`` (issue 7, part 5).

A killed ingest leaves the store exactly as it was (one file is one transaction), and
a killed apply leaves OUT as it was (it is written aside and renamed when complete).
Each run is killed only once it shows real progress, found by polling with a
deadline; a run that finishes first is tried again on an input twice as big.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from benchmarks.synthetic import record
from dsr_app.db import open_db
from dsr_app.removal.lists import FORMAT
from dsr_app.signing import public_key_b64, sign
from tests.conftest import RECORDS_JSONL, snapshot

pytestmark = pytest.mark.crash

DEADLINE = 60  # seconds a run may take to show progress (a loaded 2-core machine)
MAX_RECORDS = 800_000  # doubling stops here: past it something else is wrong


def write_manifest(path: Path, n: int) -> Path:
    """``n`` synthetic records of about 700 bytes, each with its own id and text.

    Built from 1,000 serialised records with the id spliced in (fast enough to make
    100,000 records in well under a second); no ``content_sha256``, so every line's
    hash is that of its own text.
    """
    rng = random.Random(7)
    templates = []
    for i in range(1000):
        rec = record(rng, i, "crash")
        rec.pop("content_sha256", None)
        rec["record_id"] = "@ID@"
        rec["text"] += " #@ID@"
        templates.append(orjson.dumps(rec).split(b"@ID@"))
    gz = path.name.endswith(".gz")
    with gzip.open(path, "wb", compresslevel=1) if gz else open(path, "wb") as fh:
        for i in range(n):
            before, between, after = templates[i % 1000]
            rid = b"r%09d" % i
            fh.write(b"".join((before, rid, between, rid, after, b"\n")))
    return path


def dsr(*args) -> subprocess.Popen:
    """``dsr ARGS`` in its own process group (so its workers can be killed too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dsr_app", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_when(proc: subprocess.Popen, progressed: Callable[[], bool]) -> bool:
    """SIGKILL ``proc`` as soon as ``progressed()``; False if it finished first.

    The main process is killed first (the crash), then whatever is left of its
    group (worker processes it started), and both are reaped.
    """
    deadline = time.monotonic() + DEADLINE
    while proc.poll() is None:
        if progressed():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while _group_alive(proc.pid):
                assert time.monotonic() < deadline + 30, "workers did not die"
                time.sleep(0.02)
            proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL
            return True
        assert time.monotonic() < deadline, "no sign of progress before the deadline"
        time.sleep(0.01)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return False


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies awaiting their reaper
    do not count: a container's init may be slow to reap, or not reap at all)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            return True
    return False


def read_position(pid: int, path: Path) -> int:
    """How far process ``pid`` has read ``path`` (its file offset), or -1."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            try:
                if os.readlink(fd) == str(path.resolve()):
                    info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
                    return int(re.search(r"^pos:\s*(\d+)", info, re.M).group(1))
            except (OSError, AttributeError):
                continue  # closed meanwhile
    except OSError:
        pass  # the process is gone
    return -1


def write_locked(db_path: Path) -> bool:
    """Whether a writer holds the store's write lock (a transaction is open)."""
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc), exc
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def store_checks(db_path: Path) -> dict:
    """Integrity of the file and of the full-text index, and what a search finds."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("INSERT INTO records_fts (records_fts) VALUES ('integrity-check')")
        return {
            "integrity": conn.execute("PRAGMA integrity_check").fetchall(),
            "fts_hallo": conn.execute(
                "SELECT rowid FROM records_fts WHERE records_fts MATCH 'hallo'"
            ).fetchall(),
            "records": conn.execute("SELECT count(*) FROM records").fetchone()[0],
            "manifests": conn.execute("SELECT count(*) FROM manifests").fetchone()[0],
        }
    finally:
        conn.close()


def killed_mid_run(attempt: Callable[[int], dict | None], n: int) -> dict:
    """``attempt(n)`` on ever bigger inputs until one run is killed mid-way."""
    while (state := attempt(n)) is None:
        n *= 2  # it finished before it could be killed: a bigger input, never a skip
        assert n <= MAX_RECORDS, "every run finished before it could be killed"
    return state


def _ingest_attempt(tmp_path: Path, n: int) -> dict | None:
    """A store with data in it, then ``dsr ingest`` of ``n`` records, killed."""
    work = tmp_path / f"ingest-{n}"
    work.mkdir()
    db_path = work / "dsr.sqlite3"
    open_db(db_path).close()
    # Something already in the store, full-text and identifiers included.
    first = dsr("ingest", RECORDS_JSONL, "--db", db_path)
    assert first.communicate(timeout=60) and first.returncode == 0
    before = snapshot(db_path)
    checks = store_checks(db_path)
    assert checks["integrity"] == [("ok",)] and checks["fts_hallo"]
    manifest = write_manifest(work / "big.jsonl", n)
    size = manifest.stat().st_size
    proc = dsr("ingest", manifest, "--db", db_path)

    def mid_transaction() -> bool:
        # The write lock is held and the file read past 60%: the reader runs at most
        # 3 batches (15,000 lines) ahead of the writer, so thousands of records are
        # inserted by then, none committed.
        return read_position(proc.pid, manifest) >= 0.6 * size and write_locked(db_path)

    if not kill_when(proc, mid_transaction):
        return None
    return {
        "n": n,
        "work": work,
        "db_path": db_path,
        "manifest": manifest,
        "before": before,
        "checks": checks,
    }


def test_ingest_killed_mid_transaction_leaves_the_store_as_it_was(tmp_path):
    state = killed_mid_run(lambda n: _ingest_attempt(tmp_path, n), 50_000)
    db_path, checks, n = state["db_path"], state["checks"], state["n"]

    assert snapshot(db_path) == state["before"]  # no manifest, record, key, FTS row
    assert store_checks(db_path) == checks
    assert not list(state["work"].glob("*.rejects.jsonl*"))

    rerun = dsr("ingest", state["manifest"], "--db", db_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"1 file(s) (0 unchanged), {n:,} records, 0 rejects" in out
    after = store_checks(db_path)
    assert after["integrity"] == [("ok",)] and after["fts_hallo"] == checks["fts_hallo"]
    assert after["records"] == checks["records"] + n
    assert after["manifests"] == checks["manifests"] + 1


def _signed_list(folder: Path, record_ids: list[str]) -> Path:
    """A removal list signed with the product's own key and signing function."""
    document = sign(
        {
            "format": FORMAT,
            "id": "rl_crash",
            "request_id": "crash-test",
            "request_type": "objection",
            "legal_basis": "GDPR Art. 21(1)",
            "issued_at": "2026-01-01T00:00:00Z",
            "approved_by": "1",
            "entries": [
                {
                    "dataset": "crash",
                    "record_id": rid,
                    "content_sha256": "",
                    "reason": "mention",
                }
                for rid in record_ids
            ],
            "suppression": [],
        },
        folder,
    )
    path = folder / "rl.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path


def _temp_bytes(folder: Path, keep: set[str]) -> int:
    """Bytes in files of ``folder`` that are neither inputs nor the output."""
    total = 0
    for entry in os.scandir(folder):
        if entry.name not in keep:
            try:
                total += entry.stat().st_size
            except FileNotFoundError:
                pass  # renamed or removed meanwhile
    return total


def _apply_attempt(
    tmp_path: Path, suffix: str, out_exists: bool, n: int
) -> dict | None:
    """``dsr removals apply`` of a signed list to ``n`` records, killed mid-run."""
    work = tmp_path / f"apply-{n}"
    work.mkdir()
    keys = tmp_path / "keys"
    manifest = write_manifest(work / f"in{suffix}", n)
    listed = [f"r{i:09d}" for i in range(0, n, 97)]
    out = work / "out.jsonl"
    if out_exists:
        out.write_bytes(b'{"record_id": "from an earlier run"}\n')
    raw = gzip.decompress(manifest.read_bytes()) if suffix.endswith(".gz") else None
    expected_size = len(raw) if raw is not None else manifest.stat().st_size
    state = {
        "n": n,
        "work": work,
        "manifest": manifest,
        "lines": (raw or manifest.read_bytes()).splitlines(keepends=True),
        "listed": listed,
        "out": out,
        "previous": out.read_bytes() if out_exists else None,
        "known": {manifest.name, out.name},
        "args": [
            "--list", _signed_list(keys, listed), "--manifest", manifest,
            "--out", out, "--public-key", public_key_b64(keys),
        ],
    }  # fmt: skip
    proc = dsr("removals", "apply", *state["args"])

    def mid_run() -> bool:  # a third of the output is written, aside from OUT
        return _temp_bytes(work, state["known"]) >= expected_size / 3

    return state if kill_when(proc, mid_run) else None


@pytest.mark.parametrize(
    "suffix, start, out_exists",
    [
        # .jsonl.gz: read and written by one process (the sequential path).
        (".jsonl.gz", 100_000, False),
        # plain .jsonl over 64 MiB: split across processes, parts joined at the end.
        (".jsonl", 110_000, True),
    ],
)
def test_removals_apply_killed_mid_run_leaves_out_as_it_was(
    tmp_path, suffix, start, out_exists
):
    state = killed_mid_run(
        lambda n: _apply_attempt(tmp_path, suffix, out_exists, n), start
    )
    work, out, known = state["work"], state["out"], state["known"]
    if out_exists:
        assert out.read_bytes() == state["previous"]
    else:
        assert not out.exists()
    # Whatever the killed run left is hidden, and nothing else holds its output.
    leftovers = {p.name for p in work.iterdir()} - known
    assert leftovers and all(name.startswith(".") for name in leftovers), leftovers
    if suffix == ".jsonl":  # killed while the per-core parts existed
        assert any(name.endswith((".0", ".1")) for name in leftovers), leftovers

    rerun = dsr("removals", "apply", *state["args"])
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert f"{state['n']:,} records read, {len(state['listed']):,} removed" in stdout
    assert f"removed {len(leftovers)} temporary file(s) of an interrupted run" in stdout
    gone = set(state["listed"])
    kept = [x for x in state["lines"] if json.loads(x)["record_id"] not in gone]
    assert out.read_bytes() == b"".join(kept)  # every other line, byte for byte
    rl, key = state["args"][1], state["args"][-1]
    verify = dsr(
        "removals", "verify", "--list", rl, "--manifest", out, "--public-key", key
    )
    stdout, stderr = verify.communicate(timeout=300)
    assert verify.returncode == 0, stdout + stderr
    # The rerun cleared what the killed run left behind.
    assert {p.name for p in work.iterdir()} == known
