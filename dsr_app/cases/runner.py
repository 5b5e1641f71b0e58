"""The job runner: the queue of jobs.py worked off the request path.

A verification queues its ownership and search work in the ``jobs`` table and
only wakes the runner; it never waits for it, nor does the next request on its
connection (issue 16, finding 5: when that work ran on the connection's thread,
the next answer came measurably later for a name that is in the data, which told
an outsider whether a third person is mentioned in the training data; the
measurements are in docs/benchmarks.md).

``dsr serve`` runs one :class:`ProcessRunner` beside the server: a worker process,
not a thread, because a thread's search still held the server's GIL while the next
answer waited for it (with a thread, the timing probe still told the two groups
apart: docs/benchmarks.md). The worker runs the jobs left pending at start, then
one pass per wake (after a random pause of up to ``WAKE_JITTER_SECONDS``), and
polls every ``POLL_SECONDS`` for jobs queued by other processes or left by a
crash; ``jobs.run_pending`` claims each job, so it runs once however many runners
there are. Apps without a runner (``create_app`` alone, as in tests) only queue:
tests drain the queue with ``jobs.run_pending`` (tests/security/helpers.run_jobs)
or with a runner's :meth:`ProcessRunner.drain`.
"""

from __future__ import annotations

import logging
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlite_utils

from dsr_app.cases.jobs import run_pending
from dsr_app.db import connect
from dsr_app.sql import release

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
# A woken worker waits a random time up to this before its pass, so that the next
# requests of the one who woke it rarely run beside its search: even in a process
# of its own at a low priority (nice 10; nice 19 and SCHED_IDLE did no better), a
# search running beside them still slowed them (shared cores and caches) more for
# a name in the data, enough for the timing probe to tell (docs/benchmarks.md).
WAKE_JITTER_SECONDS = 0.5
_WAKE, _DRAIN, _GONE = b"w", b"d", b"\0"
_jitter = random.SystemRandom()


def run_all(db: sqlite_utils.Database) -> None:
    """Run pending jobs until a pass finds none that it could run."""
    try:
        while run_pending(db):
            pass
    except Exception:  # noqa: BLE001 - the runner outlives a failed pass
        # A job's own failure is kept on its row by run_pending; this is the store
        # failing (locked past the busy timeout, disk full): the next wake retries.
        log.exception("the job runner's pass failed")
    finally:
        release(db)


class ProcessRunner:
    """Runs the queue in a worker process (``python -m dsr_app.cases.runner DB``).

    The worker's stdin is the wake channel: the server writes a byte without ever
    blocking (a full pipe already holds a wake). The worker ends when its stdin
    closes, as it does when the server ends, even when it is killed.
    """

    def __init__(self, db_path: str | Path, poll: float = POLL_SECONDS):
        self.db_path = Path(db_path).resolve()
        self.poll = poll
        self._proc: subprocess.Popen | None = None
        self._drain_lock = threading.Lock()

    def start(self) -> ProcessRunner:
        """Start the worker; it first runs the jobs left pending."""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", __name__, str(self.db_path), str(self.poll)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        os.set_blocking(self._proc.stdin.fileno(), False)
        return self

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._proc.pid

    def wake(self) -> None:
        """Ask for a pass; returns at once."""
        try:
            os.write(self._proc.stdin.fileno(), _WAKE)
        except BlockingIOError:
            pass  # the pipe is full of wakes the worker has yet to read
        except OSError:
            # The worker is gone: its jobs wait in the table for the next runner.
            log.error("the job runner has stopped (exit status %s)", self._proc.poll())

    def drain(self) -> None:
        """Return once every job queued before this call has been run (or tried)."""
        with self._drain_lock:  # one ask in flight: its answer is the next byte
            fd = self._proc.stdin.fileno()
            while True:
                try:
                    os.write(fd, _DRAIN)
                    break
                except BlockingIOError:
                    select.select([], [fd], [])
            if not self._proc.stdout.read(1):
                raise RuntimeError("the job runner has stopped")

    def stop(self, timeout: float | None = 30) -> int | None:
        """Close the wake channel: the worker finishes its job and ends (killed
        after ``timeout`` seconds). Returns its exit status."""
        if self._proc is None:
            return None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()
        return self._proc.returncode


def _pause(wake_fd: int, seconds: float) -> bytes:
    """Wait ``seconds`` unless a drain comes first; what came meanwhile (ending
    with ``_GONE`` if the server went)."""
    deadline = time.monotonic() + seconds
    came = b""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([wake_fd], [], [], left)
        if not ready:
            break
        more = os.read(wake_fd, 4096)
        came += more or _GONE
        if not more or _DRAIN in more:
            break
    return came


def work(db_path: str, poll: float = POLL_SECONDS) -> None:
    """The worker process: a pass at start, then one per wake (or poll) until the
    server's end of stdin closes; a drain is answered on stdout after its pass."""
    # Ctrl-C in a terminal reaches the whole group: the server stops us by closing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Where both share a busy CPU, the server's answers go first.
    os.nice(10)
    wake_fd, answer_fd = sys.stdin.fileno(), sys.stdout.fileno()
    db = connect(db_path)
    drains = 0
    try:
        while True:
            run_all(db)
            if drains:
                os.write(answer_fd, _DRAIN * drains)
            ready, _, _ = select.select([wake_fd], [], [], poll)
            asked = os.read(wake_fd, 4096) if ready else _WAKE
            if ready and asked and _DRAIN not in asked:
                asked += _pause(wake_fd, _jitter.uniform(0, WAKE_JITTER_SECONDS))
            if not asked or asked.endswith(_GONE):
                return  # the server is gone (its jobs wait in the table)
            drains = asked.count(_DRAIN)
    finally:
        db.close()


if __name__ == "__main__":
    work(sys.argv[1], float(sys.argv[2]))
