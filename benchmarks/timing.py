"""Timing probe: ``python -m benchmarks.timing [--samples N]``.

Can response times tell who is known to us (docs/security.md, L3: no user deduction from
messages, status codes or response times)? Against ``dsr serve --demo`` on loopback,
it times, interleaved in random order:

- filing a request with the e-mail and name of a person in the account registry
  versus with an e-mail nobody has;
- a staff login with a wrong password for an existing staff account versus for an
  address that has none (the unknown address is checked against a dummy hash);
- the next request on the same keep-alive connection right after verifying the
  e-mail of a request that names a person mentioned in the demo data versus one
  that names nobody in it (issue 16: the search that follows a verification ran on
  the connection's thread, so an outsider could tell whether a third person is in
  the training data).

For each pair it prints the medians and 90th percentiles and a two-sided
Mann-Whitney U test; it exits 1 if a pair differs at ``--alpha`` (default 0.01,
the bar of issue 16).
Rate limits are switched off for the probe (``DSR_RATE_LIMITS=0``): they would treat
both groups alike, and would stop the run.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from dsr_app.config import package_resource

from .load import percentile
from .report import print_table
from .server import start_server

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
STAFF_PASSWORD = "a long probe password"


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation with the
    tie correction; fine for samples of 20 or more)."""
    n1, n2 = len(a), len(b)
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(ranked)
    ties = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    r1 = sum(r for r, (_, group) in zip(ranks, ranked, strict=True) if group == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (u - n1 * n2 / 2) / sigma
    return 2 * (1 - statistics.NormalDist().cdf(abs(z)))


def _timed(call) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def probe_create(url: str, samples: int, rng: random.Random) -> dict[str, list]:
    """Filing for registry people versus unknown addresses (201 either way)."""
    accounts = [
        json.loads(line)
        for line in (package_resource("fixtures") / "accounts.jsonl").open()
    ]
    known = rng.sample(accounts, min(samples, len(accounts)))
    plan = [("known", a) for a in known] + [("unknown", n) for n in range(len(known))]
    rng.shuffle(plan)
    times: dict[str, list] = {"known": [], "unknown": [], "statuses": set()}
    with httpx.Client(base_url=url, timeout=30) as client:
        for group, who in plan:
            if group == "known":
                body = {"email": who["email"], "full_name": who["display_name"]}
            else:
                body = {
                    "email": f"nobody{who}-{rng.randrange(10**9)}@probe.example",
                    "full_name": "Nobody Known",
                }
            body.update(type="access", country="DE", language="en")
            seconds, response = _timed(
                lambda body=body: client.post("/api/v1/requests", json=body)
            )
            times[group].append(seconds)
            times["statuses"].add((group, response.status_code))
    return times


def probe_login(url: str, samples: int, staff_email: str, rng: random.Random):
    """A wrong password for an existing staff account versus an unknown address."""
    plan = ["known"] * samples + ["unknown"] * samples
    rng.shuffle(plan)
    times: dict[str, list] = {"known": [], "unknown": [], "statuses": set()}
    with httpx.Client(base_url=url, timeout=30) as client:
        for n, group in enumerate(plan):
            page = client.get("/staff/login")
            token = CSRF_RE.search(page.text).group(1)
            # The session cookie is Secure (__Host-); over plain loopback HTTP a
            # client keeps it back, so it is passed on by hand.
            cookie = page.headers["set-cookie"].split(";", 1)[0]
            email = staff_email if group == "known" else f"ghost{n}@staff.example"
            form = {"csrf_token": token, "email": email, "password": "wrong guess"}
            seconds, response = _timed(
                lambda form=form, cookie=cookie: client.post(
                    "/staff/login", data=form, headers={"Cookie": cookie}
                )
            )
            times[group].append(seconds)
            times["statuses"].add((group, response.status_code))
    return times


#: Names that the demo manifests never mention, as long as the personas' names.
NOBODY = (
    "Maren Quistolf-Brandt",
    "Tobiah Wrenfeldson",
    "Ilvo Trantersen",
    "Oda Kelmbrück-Sivar",
    "Jasko Verlinden",
    "Pia Ostrowel",
    "Ruven Almqvast",
)
CODE_RE = re.compile(r"(?<![\w-])\d{8}(?![\w-])")


def _latest_code(conn: sqlite3.Connection, to: str) -> str:
    """The one-time code in the newest outbox message to ``to``."""
    (body,) = conn.execute(
        "SELECT body FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1", [to]
    ).fetchone()
    return CODE_RE.findall(body)[0]


def _wait_for_jobs(conn: sqlite3.Connection, timeout: float = 60) -> None:
    """Let the work queued by the last verification finish before the next pair
    (so one pair's search never overlaps the next one's answers)."""
    deadline = time.monotonic() + timeout
    while conn.execute("SELECT count(*) FROM jobs WHERE done_at IS NULL").fetchone()[0]:
        if time.monotonic() > deadline:
            raise SystemExit("the jobs queued by verification never ran")
        time.sleep(0.01)


def probe_next_request(
    url: str, db: Path, samples: int, rng: random.Random
) -> dict[str, list]:
    """The status request that follows a verification on the same connection: for
    a request naming a person mentioned in the data versus one naming nobody.

    The requester is the prober (its own e-mail, verified with the code it got);
    only the name of the third person differs, as in the attack of issue 16.
    """
    personas = [
        json.loads(line)["display_name"]
        for line in (package_resource("fixtures") / "accounts.jsonl").open()
        if json.loads(line)["account_id"].startswith("acc-9000")
    ]
    plan = ["known"] * samples + ["unknown"] * samples
    rng.shuffle(plan)
    times: dict[str, list] = {"known": [], "unknown": [], "statuses": set()}
    conn = sqlite3.connect(db)
    try:
        # One client: every request of the run goes over one keep-alive connection.
        with httpx.Client(base_url=url, timeout=30) as client:
            for n, group in enumerate(plan):
                names = personas if group == "known" else NOBODY
                email = f"prober{n}-{rng.randrange(10**9)}@probe.example"
                filed = client.post(
                    "/api/v1/requests",
                    json={
                        "type": "access",
                        "full_name": names[n % len(names)],
                        "email": email,
                        "country": "DE",
                        "language": "en",
                    },
                ).json()
                auth = {"Authorization": f"Bearer {filed['status_token']}"}
                code = _latest_code(conn, email)
                verified = client.post(
                    f"/api/v1/requests/{filed['id']}/verify",
                    json={"channel": "email", "code": code},
                    headers=auth,
                )
                seconds, response = _timed(
                    lambda filed=filed, auth=auth: client.get(
                        f"/api/v1/requests/{filed['id']}", headers=auth
                    )
                )
                times[group].append(seconds)
                times["statuses"].add((group, response.status_code))
                times["statuses"].add((group, verified.status_code))
                _wait_for_jobs(conn)
    finally:
        conn.close()
    return times


def row(name: str, times: dict, alpha: float) -> tuple[tuple[str, str], bool]:
    """A table row for one probe, and whether the two groups differ."""
    known, unknown = times["known"], times["unknown"]
    p = mann_whitney_p(known, unknown)
    statuses = {s for _, s in times["statuses"]}
    same_status = len(statuses) == 1
    differ = p < alpha or not same_status
    value = (
        f"known {statistics.median(known) * 1000:.1f} / p90"
        f" {percentile(known, 0.9) * 1000:.1f} ms; unknown"
        f" {statistics.median(unknown) * 1000:.1f} / p90"
        f" {percentile(unknown, 0.9) * 1000:.1f} ms; status"
        f" {'/'.join(map(str, sorted(statuses)))}; Mann-Whitney p = {p:.3g}"
        f" ({'DIFFERENT' if differ else 'no difference found'})"
    )
    return (f"{name} (n = {len(known)} + {len(unknown)})", value), differ


def main(argv: list[str] | None = None) -> None:
    """Start the server, probe, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=int, default=200, help="per group (filing, next request)"
    )
    parser.add_argument("--login-samples", type=int, default=100, help="per group")
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "timing.sqlite3"
        staff_email = "probe-legal@staff.example"
        subprocess.run(
            [sys.executable, "-m", "dsr_app", "staff", "add", staff_email, "--role",
             "legal", "--password-stdin", "--db", str(db)],
            input=STAFF_PASSWORD + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip
        server, url = start_server(
            db, "--demo", log=Path(tmp) / "server.log", env={"DSR_RATE_LIMITS": "0"}
        )
        try:
            create = probe_create(url, args.samples, rng)
            login = probe_login(url, args.login_samples, staff_email, rng)
            after = probe_next_request(url, db, args.samples, rng)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows, failed = [], False
    for name, times in (
        ("filing: registry person vs unknown e-mail", create),
        ("staff login: wrong password vs unknown account", login),
        ("next request after verifying: person in the data vs not", after),
    ):
        line, differ = row(name, times, args.alpha)
        rows.append(line)
        failed |= differ
    print_table(rows)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
