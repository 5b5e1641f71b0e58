"""Load run: ``python -m benchmarks.load [--seconds 60] [--clients 50]``.

Starts ``dsr serve --demo`` (waitress, as in production) on a fresh database, then
for ``--seconds`` keeps ``--clients`` requesters busy filing requests, verifying
them with the code from the outbox and polling their status, while one legal
staff client approves or rejects verified requests through the staff API and
``dsr sweep`` runs again and again in its own process. Prints requests/s, p50/p99
latency per endpoint and errors by status, then checks that nothing was lost:
every request answered 201 is stored with the status its calls left it in, every
verification's search ran, ``dsr audit verify`` passes and no answer was a 5xx.
Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from .report import print_table
from .server import start_server

# One address sends everything here, and the per-address abuse limits
# (DSR_RATE_LIMIT_CREATE, DSR_RATE_LIMIT_VERIFY) are meant for one person: the run
# raises them, keeping the limiter itself in the path.
RAISED_LIMIT = "1000000 per hour"
POLLS = 3  # status polls per filed request
CODE = re.compile(r"(?<![\w-])\d{8}(?![\w-])")  # not inside the link's token


@dataclass
class Stats:
    """What the clients saw, shared by every thread."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # transport errors
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, http: httpx.Client, label: str, method: str, url: str, **kw):
        """One timed request; ``None`` when it never got an answer."""
        started = time.perf_counter()
        try:
            response = http.request(method, url, **kw)
        except httpx.HTTPError as exc:
            with self.lock:
                self.failures[f"{label}: {type(exc).__name__}"] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[label].append(elapsed)
            self.statuses[(label, response.status_code)] += 1
        return response


@dataclass
class Filed:
    """A request as its requester's calls left it."""

    id: str
    verified: bool = False
    decided: str | None = None  # the status a 200 decision left


class Outbox:
    """Follows the outbox table and hands each recipient its latest code."""

    def __init__(self, db: Path):
        self.conn = sqlite3.connect(db, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.last = 0
        self.codes: dict[str, str] = {}
        self.changed = threading.Condition()

    def follow(self, stop: threading.Event) -> None:
        """Read new rows every few milliseconds until ``stop``."""
        while not stop.is_set():
            rows = self.conn.execute(
                "SELECT id, recipient, body FROM outbox WHERE id > ? ORDER BY id",
                [self.last],
            ).fetchall()
            if rows:
                with self.changed:
                    for row_id, to, body in rows:
                        found = CODE.findall(body)
                        if found:
                            self.codes[to] = found[0]
                        self.last = row_id
                    self.changed.notify_all()
            else:
                time.sleep(0.005)

    def code(self, to: str, timeout: float = 10) -> str | None:
        """The code sent to ``to`` (waits for the message to be read)."""
        with self.changed:
            self.changed.wait_for(lambda: to in self.codes, timeout)
            return self.codes.pop(to, None)


def requester(n: int, url: str, stop, stats: Stats, outbox: Outbox, filed: list):
    """File, verify, poll; again and again until ``stop``."""
    with httpx.Client(base_url=url, timeout=60) as http:
        i = 0
        while not stop.is_set():
            i += 1
            email = f"load-{n}-{i}@example.org"  # 3 requests per address a day
            body = {
                "type": ("access", "objection", "erasure")[i % 3],
                "full_name": f"Load Tester {n} {i}",
                "email": email,
                "country": "DE",
            }
            made = stats.call(
                http, "POST /requests", "POST", "/api/v1/requests", json=body
            )
            if made is None or made.status_code != 201:
                continue
            created = made.json()
            item = Filed(created["id"])
            filed.append(item)
            auth = {"Authorization": f"Bearer {created['status_token']}"}
            code = outbox.code(email)
            if code is None:
                with stats.lock:
                    stats.failures["no code in the outbox"] += 1
                continue
            verified = stats.call(
                http,
                "POST /requests/{id}/verify",
                "POST",
                f"/api/v1/requests/{item.id}/verify",
                json={"channel": "email", "code": code},
                headers=auth,
            )
            item.verified = verified is not None and verified.status_code == 200
            for _ in range(POLLS):
                stats.call(
                    http,
                    "GET /requests/{id}",
                    "GET",
                    f"/api/v1/requests/{item.id}",
                    headers=auth,
                )


def legal_staff(url: str, token: str, stop, stats: Stats, filed: list) -> None:
    """Approve or reject (alternately) what the queue shows in review."""
    by_id: dict[str, Filed] = {}
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, timeout=60, headers=auth) as http:
        n = 0
        while not stop.is_set():
            queue = stats.call(
                http,
                "GET /staff/requests",
                "GET",
                "/api/v1/staff/requests",
                params={"status": "in_review", "limit": 10},  # the next 10 due
            )
            if queue is None or queue.status_code != 200:
                continue
            by_id.update({f.id: f for f in filed[len(by_id) :]})
            items = queue.json()["items"]
            if not items:
                time.sleep(0.1)
            for entry in items:
                if stop.is_set():
                    break
                n += 1
                body = (
                    {"decision": "approve"}
                    if n % 2
                    else {"decision": "reject", "reason": "not our data (load run)"}
                )
                answer = stats.call(
                    http,
                    "POST /staff/requests/{id}/decision",
                    "POST",
                    f"/api/v1/staff/requests/{entry['id']}/decision",
                    json=body,
                )
                if answer is not None and answer.status_code == 200:
                    filed_item = by_id.get(entry["id"])
                    if filed_item:
                        filed_item.decided = answer.json()["status"]


def sweeper(db: Path, stop, runs: list, pause: float) -> None:
    """``dsr sweep`` (one worker), again ``pause`` seconds after each run ends."""
    while not stop.is_set():
        started = time.monotonic()
        argv = [sys.executable, "-m", "dsr_app", "sweep", "--db", str(db)]
        done = subprocess.run(argv + ["--workers", "1"], capture_output=True, text=True)
        runs.append((time.monotonic() - started, done.returncode, done.stderr[-500:]))
        stop.wait(pause)


def dsr(db: Path, *args: str, stdin: str | None = None) -> str:
    """Run a ``dsr`` command on the load database; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "dsr_app", *args, "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"dsr {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def check_store(db: Path, filed: list[Filed]) -> list[str]:
    """Every request answered 201 is stored, in the state its calls left it."""
    conn = sqlite3.connect(db)
    rows = dict(conn.execute("SELECT id, status FROM requests"))
    searched = {r[0] for r in conn.execute("SELECT DISTINCT request_id FROM searches")}
    open_jobs = conn.execute("SELECT count(*) FROM jobs WHERE done_at IS NULL")
    problems = []
    pending = open_jobs.fetchone()[0]
    if pending:
        problems.append(f"{pending} job(s) never ran")
    for item in filed:
        status = rows.get(item.id)
        if status is None:
            problems.append(f"{item.id}: answered 201 but not stored")
        elif item.decided and status != item.decided:
            problems.append(f"{item.id}: decided {item.decided}, stored {status}")
        elif item.verified and status not in ("in_review", "completed", "rejected"):
            problems.append(f"{item.id}: verified, stored {status}")
        elif item.verified and item.id not in searched:
            problems.append(f"{item.id}: verified, never searched")
        elif not item.verified and status != "pending_verification":
            problems.append(f"{item.id}: not verified, stored {status}")
    conn.close()
    return problems


def wait_for_jobs(db: Path, timeout: float = 30) -> None:
    """Give the jobs that run after the last answers time to finish."""
    conn = sqlite3.connect(db)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = conn.execute(
            "SELECT count(*) FROM jobs WHERE done_at IS NULL AND attempts < 5"
        ).fetchone()[0]
        if not left:
            break
        time.sleep(0.2)
    conn.close()


@dataclass
class Run:
    """What one load run did and measured."""

    stats: Stats
    filed: list[Filed]
    sweeps: list[tuple[float, int, str]]
    seconds: float
    server_cpu: float
    client_cpu: float
    server_log: str


def cpu_seconds(proc: psutil.Process) -> float:
    """User and system CPU time of a process so far."""
    times = proc.cpu_times()
    return times.user + times.system


def server_cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of ``dsr serve`` so far, with its job runner's (a child process that
    does the searches after verifications: issue 16)."""
    return cpu_seconds(proc) + sum(
        cpu_seconds(child) for child in proc.children(recursive=True)
    )


def load(db: Path, args: argparse.Namespace, log: Path) -> Run:
    """Serve ``db`` and drive it with the clients and the sweep for ``--seconds``."""
    # --demo data; the abuse limits raised (see RAISED_LIMIT)
    server, url = start_server(
        db,
        "--demo",
        "--threads",
        str(args.threads),
        log=log,
        env={
            "DSR_RATE_LIMIT_CREATE": RAISED_LIMIT,
            "DSR_RATE_LIMIT_VERIFY": RAISED_LIMIT,
        },
    )
    try:
        email = "load-legal@example.org"
        password = "a long load-run password\n"
        dsr(
            db,
            "staff",
            "add",
            email,
            "--role",
            "legal",
            "--password-stdin",
            stdin=password,
        )
        token = dsr(db, "staff", "token", email).split()[-1]
        stats, filed, sweeps = Stats(), [], []
        stop, read_all = threading.Event(), threading.Event()
        outbox = Outbox(db)
        helpers = [
            threading.Thread(target=outbox.follow, args=(read_all,)),
            threading.Thread(target=sweeper, args=(db, stop, sweeps, args.sweep_pause)),
        ]
        clients = [
            threading.Thread(target=legal_staff, args=(url, token, stop, stats, filed))
        ] + [
            threading.Thread(
                target=requester, args=(n, url, stop, stats, outbox, filed)
            )
            for n in range(args.clients)
        ]
        server_cpu = server_cpu_seconds(psutil.Process(server.pid))
        client_cpu = cpu_seconds(psutil.Process())
        started = time.monotonic()
        for thread in helpers + clients:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in clients:
            thread.join()
        seconds = time.monotonic() - started
        server_cpu = server_cpu_seconds(psutil.Process(server.pid)) - server_cpu
        client_cpu = cpu_seconds(psutil.Process()) - client_cpu
        read_all.set()
        for thread in helpers:
            thread.join()
        wait_for_jobs(db)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return Run(
        stats,
        filed,
        sweeps,
        seconds,
        server_cpu,
        client_cpu,
        log.read_text(errors="replace"),
    )


def check(db: Path, run: Run) -> list[str]:
    """What went wrong: lost or inconsistent requests, the audit chain, 5xx."""
    problems = check_store(db, run.filed)
    audit = subprocess.run(
        [sys.executable, "-m", "dsr_app", "audit", "verify", "--db", str(db)],
        capture_output=True,
        text=True,
    )
    if audit.returncode:
        problems.append(f"dsr audit verify: {audit.stdout} {audit.stderr}".strip())
    statuses = run.stats.statuses
    server_errors = sum(n for (_, status), n in statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answer(s) with a 5xx status")
    if run.stats.failures:
        problems.append(f"no answer: {dict(run.stats.failures)}")
    if "Traceback" in run.server_log:
        problems.append("the server logged a traceback:\n" + run.server_log[-3000:])
    failed = [r for r in run.sweeps if r[1]]
    if failed:
        problems.append(f"dsr sweep failed: {failed[0][2]}")
    return problems


def table(run: Run, problems: list[str]) -> list[tuple[str, str]]:
    """The rows of the printed table."""
    total = sum(len(v) for v in run.stats.latencies.values())
    rows = [
        ("requests, all endpoints", f"{total:,}"),
        ("requests/s, all endpoints", f"{total / run.seconds:,.0f}  (target >= 200)"),
        ("CPU per request: server", f"{run.server_cpu / total * 1000:.2f} ms"),
        ("CPU per request: these clients", f"{run.client_cpu / total * 1000:.2f} ms"),
        ("requests filed (201)", f"{len(run.filed):,}"),
        ("verified (200)", f"{sum(f.verified for f in run.filed):,}"),
        ("decided by staff (200)", f"{sum(bool(f.decided) for f in run.filed):,}"),
    ]
    for label, values in sorted(run.stats.latencies.items()):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        rows.append((f"{label}: p50 / p99", f"{p50:,.1f} ms / {p99:,.1f} ms"))
    errors = [
        f"{label} {status}: {n}"
        for (label, status), n in sorted(run.stats.statuses.items())
        if status >= 400
    ]
    rows.append(("errors by status", ", ".join(errors) or "none"))
    if run.sweeps:
        times = [r[0] for r in run.sweeps]
        rows.append(
            (
                "dsr sweep runs alongside",
                f"{len(times)}, {min(times):.1f}–{max(times):.1f} s each",
            )
        )
    rows.append(("checks", "passed" if not problems else f"{len(problems)} failed"))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the load, print the table, check; exit 1 if a check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="dsr serve --threads")
    parser.add_argument(
        "--sweep-pause", type=float, default=20.0, help="seconds between sweeps"
    )
    parser.add_argument("--dir", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "load.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        run = load(db, args, folder / "serve.log")
        problems = check(db, run)
    print(
        f"dsr serve --demo (waitress, {args.threads} threads) on 127.0.0.1;"
        f" {args.clients} requesters and 1 legal staff client for {run.seconds:.0f} s;"
        f" DSR_RATE_LIMIT_CREATE and DSR_RATE_LIMIT_VERIFY raised to {RAISED_LIMIT!r}"
        f" (per client address, the limits would stop {args.clients} clients on"
        " one address)"
    )
    print_table(table(run, problems))
    for problem in problems[:20]:
        print(f"check failed: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
