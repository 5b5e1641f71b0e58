"""Throttling of staff logins: failures counted per client address, per account
and address, and per account from anywhere (issue 16, finding 7).

A try is admitted (and counted as a failure in advance, so that tries made in
parallel are counted exactly) before its password is checked; a success takes its
count back, so successes never count. Refused tries are not counted and their
passwords are not checked.

Failures of an account from anywhere do not lock it: past ``ACCOUNT_FREE`` of them
in a day, each further try from a browser it was not used in before must wait a
delay that doubles with every failure, up to ``DELAY_CAP``. A browser that logged
in to the account before (``trusted``: the web layer's device cookie, OWASP's
"device cookies") is not slowed down, so that a guesser elsewhere cannot keep the
real user out; it stays bound by the limits per address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from dsr_app.deadlines import seconds_until, window_wait
from dsr_app.errors import TooManyAttempts
from dsr_app.sql import write_transaction

#: Failed logins per client address (any account) within ``WINDOW``: password
#: spraying from one address.
PER_ADDRESS = 10
#: Failed logins per account and client address within ``WINDOW``.
PER_ACCOUNT_ADDRESS = 5
WINDOW = timedelta(minutes=15)
#: Failed logins of one account, from any address and untrusted browser, within
#: ``ACCOUNT_WINDOW`` before each further try waits (typos of a few browsers).
ACCOUNT_FREE = 10
ACCOUNT_WINDOW = timedelta(hours=24)
#: The longest wait between two tries of an account under attack: one guess per
#: quarter hour, 96 a day, however many addresses the guesser has.
DELAY_CAP = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempt:
    """An admitted try, counted as a failure until :func:`succeeded` says otherwise."""

    id: int
    account: str
    address: str


def account_key(email: str) -> str:
    """The account a try names, as counted: a hash of the e-mail as typed (folded),
    known or not, so that typed text (sometimes a password) is not kept."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def account_delay(failures: int) -> timedelta:
    """The wait after an account's latest failure, given its untrusted failures:
    none below ``ACCOUNT_FREE``, then 1, 2, 4 … seconds up to ``DELAY_CAP``."""
    if failures < ACCOUNT_FREE:
        return timedelta(0)
    # Capped before the power is taken: 2**n seconds overflows timedelta soon.
    doublings = min(
        failures - ACCOUNT_FREE, int(DELAY_CAP.total_seconds()).bit_length()
    )
    return min(timedelta(seconds=2**doublings), DELAY_CAP)


def admit(
    db: sqlite_utils.Database,
    email: str,
    address: str,
    trusted: bool,
    at: datetime,
) -> Attempt:
    """Admit a login try and count it as a failure, or refuse it.

    :raises TooManyAttempts: a limit is reached; ``retry_after`` is the real wait
        in seconds (until the oldest failure that fills the limit leaves its window,
        or the account's delay has passed).
    """
    account = account_key(email)
    with write_transaction(db):
        db.execute(
            "DELETE FROM login_failures WHERE at < ?",
            [(at - max(WINDOW, ACCOUNT_WINDOW)).isoformat()],
        )
        since = (at - WINDOW).isoformat()
        waits = [
            _full_window_wait(
                db, "address = ?", [address], since, PER_ADDRESS, at, WINDOW
            ),
            _full_window_wait(
                db,
                "account = ? AND address = ?",
                [account, address],
                since,
                PER_ACCOUNT_ADDRESS,
                at,
                WINDOW,
            ),
        ]
        if not trusted:
            waits.append(_account_wait(db, account, at))
        wait = max(waits)
        if wait > 0:
            raise TooManyAttempts("too many login attempts", retry_after=wait)
        attempt_id = db.execute(
            "INSERT INTO login_failures (account, address, trusted, at)"
            " VALUES (?, ?, ?, ?)",
            [account, address, int(trusted), at.isoformat()],
        ).lastrowid
    return Attempt(attempt_id, account, address)


def succeeded(db: sqlite_utils.Database, attempt: Attempt) -> None:
    """Take back a try's count (successes never count), and forgive the typos made
    before it from the same address; failures from elsewhere stay counted."""
    db.execute(
        "DELETE FROM login_failures WHERE id = ? OR (account = ? AND address = ?)",
        [attempt.id, attempt.account, attempt.address],
    )


def _full_window_wait(
    db: sqlite_utils.Database,
    where: str,
    params: list,
    since: str,
    limit: int,
    at: datetime,
    window: timedelta,
) -> int:
    """Seconds until fewer than ``limit`` failures matching ``where`` are in the
    window, 0 when there are fewer already."""
    rows = db.execute(
        f"SELECT at FROM login_failures WHERE {where} AND at > ?"
        " ORDER BY at DESC LIMIT ?",
        [*params, since, limit],
    )
    return window_wait((datetime.fromisoformat(r[0]) for r in rows), limit, window, at)


def _account_wait(db: sqlite_utils.Database, account: str, at: datetime) -> int:
    """Seconds until an untrusted try of ``account`` may come, 0 when it may now."""
    failures, latest = db.execute(
        "SELECT count(*), max(at) FROM login_failures"
        " WHERE account = ? AND trusted = 0 AND at > ?",
        [account, (at - ACCOUNT_WINDOW).isoformat()],
    ).fetchone()
    ready = datetime.fromisoformat(latest) + account_delay(failures) if latest else at
    return seconds_until(ready, at)
