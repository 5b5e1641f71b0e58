"""Per-address rate limits on views: limits' fixed windows, checked only where a
view asks for them (``rate_limited``), with the ``X-RateLimit-*`` headers and a
429's real ``Retry-After``.

Built on ``limits``' public API: no check before every request (an unlimited view
never reaches the store) and no override of another library's internals (issue 17).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

#: Where ``init_rate_limits`` keeps the app's limiter (``app.extensions``).
EXTENSION = "dsr_rate_limits"


@dataclass
class Counted:
    """One limit as this request counted it against its client's window."""

    item: RateLimitItem
    key: tuple[str, str]  # client address, endpoint
    breached: bool


@functools.lru_cache(maxsize=16)
def limits_of(setting: str) -> tuple[RateLimitItem, ...]:
    """The limits a setting such as ``"10/minute;30 per hour"`` names, shortest
    window first (the order a request counts them in)."""
    return tuple(sorted(parse_many(setting))) if setting else ()


def _count(setting: str) -> None:
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return
    limiter: FixedWindowRateLimiter = current_app.extensions[EXTENSION]
    key = (request.remote_addr or "127.0.0.1", request.endpoint or "")
    g.rate_limits = counted = []
    # One instant for every wait this answer tells, so that the words of a page
    # and its Retry-After are the same number (issue 20, item 5).
    g.rate_limit_clock = time.time()
    for item in limits_of(config[setting]):
        allowed = limiter.hit(item, *key)
        counted.append(Counted(item, key, breached=not allowed))
        if not allowed:
            # Counting stops at the first refusal: a longer window keeps its room.
            # The error page says the wait in words (server/errors.error_page).
            raise TooManyRequests(description=str(item), retry_after=refusal_wait())


def rate_limited(setting: str, methods: tuple[str, ...] | None = None) -> Callable:
    """Limit a view per client address to the limits in config ``setting``, read
    on each request (``methods``: only these methods count)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if methods is None or request.method in methods:
                _count(setting)
            return view(*args, **kwargs)

        return limited

    return decorate


def refusal_wait(own: int | None = None) -> int | None:
    """The seconds a refusal of this request lasts: the longest of ``own`` (our
    refusal's wait, ``TooManyAttempts.retry_after``) and of the waits of the
    limits counted for it that have no room left (``_retry_after``), for a page
    to say in words what its Retry-After says."""
    counted = g.get("rate_limits")
    if not counted:
        return own
    limiter: FixedWindowRateLimiter = current_app.extensions[EXTENSION]
    stats = [limiter.get_window_stats(c.item, *c.key) for c in counted]
    return _retry_after(own, counted, stats)


def _retry_after(own: int | None, counted: list[Counted], stats: list) -> int | None:
    """A 429's Retry-After: the seconds until the refused action would be accepted
    (issue 16, finding 13).

    The longest of our own refusal's wait (``TooManyAttempts.retry_after``, the
    answer's header) and of the view's limits that have no room left, since each
    refuses until it lifts; a refusal of ours that waiting does not lift carries
    none. A window's wait is never the reset of another limit beside it: a resend
    refused for its 60-second cool-down once said 3600 (the verify limit's hour).
    """
    if own is None and not any(c.breached for c in counted):
        return None
    waits = [own] if own is not None else []
    now = g.get("rate_limit_clock") or time.time()
    waits += [
        max(1, math.ceil(reset - now))
        for c, (reset, remaining) in zip(counted, stats, strict=True)
        if c.breached or remaining <= 0
    ]
    return max(waits)


def limit_headers(response):
    """A limited view's answer: ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset``
    of its refused limit (else its shortest), and a 429's wait."""
    counted = g.pop("rate_limits", None)
    if not counted:
        return response
    limiter: FixedWindowRateLimiter = current_app.extensions[EXTENSION]
    stats = [limiter.get_window_stats(c.item, *c.key) for c in counted]
    shown = next((n for n, c in enumerate(counted) if c.breached), 0)
    reset_at = int(stats[shown].reset_time + 1)
    headers = response.headers
    headers.add("X-RateLimit-Limit", str(counted[shown].item.amount))
    headers.add("X-RateLimit-Remaining", str(stats[shown].remaining))
    headers.add("X-RateLimit-Reset", str(reset_at))
    own = headers.get("Retry-After")
    if response.status_code == 429:
        wait = _retry_after(None if own is None else int(own), counted, stats)
        if wait is None:
            headers.pop("Retry-After", None)
        else:
            headers["Retry-After"] = str(wait)
    # A 503 keeps its own wait (a busy store's): the limits did not refuse it, so
    # the window's reset, up to an hour, is not when to come back (Flask-Limiter's
    # answer, kept by issue 17, told that).
    return response


def init_rate_limits(app: Flask, storage: Storage) -> None:
    """Count the app's limited views in ``storage`` (fixed windows) and add their
    headers to the answers."""
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage)
    app.after_request(limit_headers)
