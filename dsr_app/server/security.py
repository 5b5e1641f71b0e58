"""Cross-cutting web protections: rate limits, CSRF, headers, cookies, secrets."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from limits.storage import Storage

from dsr_app import config
from dsr_app.server.ratelimit import init_rate_limits


class SweptMemoryStorage(Storage):
    """An in-process store of fixed-window counters (server/ratelimit.py), whose
    expired counters are swept once a second.

    A custom store is limits' documented extension point: a ``Storage`` subclass,
    registered for the ``dsr-memory://`` scheme by ``STORAGE_SCHEME``. limits' own
    ``MemoryStorage`` sweeps every 10 ms, walking every key limited in the last
    hour (each address, mailbox and request): about a sixth of the server's CPU in
    the issue 7 load run, and it has no setting for that. A counter past its
    window is dropped when it is next read, so the sweep only gives memory back.
    """

    STORAGE_SCHEME = ["dsr-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counts: dict[str, int] = {}
        self.expirations: dict[str, float] = {}
        self._lock = threading.Lock()
        self._timer_lock = threading.Lock()
        # The first sweep runs at once (there is nothing to sweep): ``timer`` is
        # always a started thread, and the next one starts when a counter moves.
        self.timer = threading.Timer(0, self._sweep)
        self.timer.daemon = True
        self.timer.start()

    @property
    def base_exceptions(self) -> type[Exception]:
        """Nothing this store raises stands for an unreachable store."""
        return ValueError

    def _sweep(self) -> None:
        now = time.time()
        with self._lock:
            for key, expiry in list(self.expirations.items()):
                if expiry <= now:
                    del self.counts[key], self.expirations[key]

    def _schedule_sweep(self) -> None:
        if self.timer.is_alive():
            return
        # Every request thread comes here once the sweep has run: one starts the
        # next (setting up a shared timer in place let two start it: a 500 in the
        # issue 7 load run).
        with self._timer_lock:
            if not self.timer.is_alive():
                timer = threading.Timer(self.SWEEP_SECONDS, self._sweep)
                timer.daemon = True
                timer.start()
                self.timer = timer

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s counter, which expires ``expiry`` seconds
        after its first count."""
        self._schedule_sweep()
        now = time.time()
        with self._lock:
            if self.expirations.get(key, 0) <= now:
                self.counts[key] = 0
                self.expirations[key] = now + expiry
            self.counts[key] += amount
            return self.counts[key]

    def get(self, key: str) -> int:
        """``key``'s count in its current window (0 once the window has passed)."""
        with self._lock:
            if self.expirations.get(key, 0) <= time.time():
                self.counts.pop(key, None)
                self.expirations.pop(key, None)
            return self.counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends (now, for a key without one)."""
        return self.expirations.get(key, time.time())

    def check(self) -> bool:
        """The store is in this process: always reachable."""
        return True

    def reset(self) -> int:
        """Drop every counter; how many there were."""
        with self._lock:
            count = len(self.counts)
            self.counts.clear()
            self.expirations.clear()
        return count

    def clear(self, key: str) -> None:
        """Drop ``key``'s counter."""
        with self._lock:
            self.counts.pop(key, None)
            self.expirations.pop(key, None)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened without building its signer when the
    request sends no session cookie (every API call: issue 7, load run)."""

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


csrf = CSRFProtect()

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


#: ``Sec-Fetch-Site`` of a request this site's own pages made, or the address bar
#: (``none``). ``same-site`` is not one: a sibling subdomain is not our pages.
OWN_FETCH_SITES = ("same-origin", "none")


def from_own_pages(fetch_metadata_required: bool = True) -> bool:
    """Whether this site's own pages (or the address bar) made the request: the one
    cross-site check of the staff session (issue 16, finding 12).

    ``Sec-Fetch-Site`` decides when the browser sent it; an ``Origin``, when there
    is one, must be ours too (behind a proxy, the public one of ``PUBLIC_URL``).

    :param fetch_metadata_required: refuse a request without ``Sec-Fetch-Site``.
        Audited downloads do: a GET can be forged by any ``<img>``, and an older
        browser can use a token. A state-changing session call (API POST) may fall
        back to the Origin check instead: browsers send Origin on every cross-origin
        POST, and the Lax session cookie is not sent with a cross-site one anyway.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is None:
        if fetch_metadata_required:
            return False
    elif site not in OWN_FETCH_SITES:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = {request.host_url.rstrip("/")}
    public = urlsplit(current_app.config.get("PUBLIC_URL") or "")
    if public.netloc:
        ours.add(f"{public.scheme}://{public.netloc}")
    return origin in ours


def refuse_cross_site(by_token: bool = False) -> None:
    """403 for a staff download that writes an audit entry unless our own pages or
    the address bar asked for it (issue 16, finding 12).

    A cross-site ``<img src>`` or ``location=`` carries the staff session cookie
    (top-level navigations pass SameSite=Lax) and would add an entry in the staff
    member's name. A call with a bearer token (``by_token``) is a client's own: no
    browser attaches the header by itself. A session request without Fetch Metadata
    is refused too, not trusted: current browsers send it (Chrome 76, Firefox 90,
    Safari 16.4 and later), and an older one can still use the API with a token.
    """
    if by_token:
        return
    if not from_own_pages(fetch_metadata_required=True):
        abort(403, "downloads with the staff session must come from this site's pages")


def code_key() -> bytes:
    """The instance's key for hashing one-time codes (kept out of the database).

    Read from its file once per app, like the session key, not on every request.
    """
    key = current_app.extensions.get("dsr_code_key")
    if key is None:
        key = config.instance_secret(
            config.Path(current_app.config["INSTANCE_DIR"]), "code_hmac_key"
        )
        current_app.extensions["dsr_code_key"] = key
    return key


def run_jobs_after_response() -> None:
    """Wake the app's job runner once this response has been sent.

    The jobs run off the request path (runner.py): neither this request's thread
    nor its connection waits for them (issue 16, finding 5). An app without a
    runner only queues them (tests drain the queue themselves).
    """
    g.run_jobs = True


def _after_response_jobs(response):
    if g.pop("run_jobs", False):
        runner = current_app.extensions.get("dsr_jobs")
        if runner is not None:
            # Once the answer is out and the request's transaction has ended: the
            # queued row is committed, and the search never competes with sending.
            response.call_on_close(runner.wake)
    return response


#: Headers on every response (docs/security.md), with
#: their names in lower case; a response that sets one itself keeps its own.
_SECURITY_HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("Content-Security-Policy", _CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    )
)


def security_headers(response):
    """Headers on every response (docs/security.md)."""
    headers = response.headers
    # One pass over the response's headers, not one per header set by default
    # (Headers.setdefault scans them all each time: issue 7, load run).
    present = {name.lower() for name in headers.keys()}
    for name, lower, value in _SECURITY_HEADERS:
        if lower not in present:
            headers.add(name, value)
    if response.status_code not in (429, 503) and "retry-after" in present:
        # Retry-After means "refused, wait" (429: a limit; 503: the store is
        # busy): on no other answer.
        del headers["Retry-After"]
    personal = request.path.startswith(
        ("/api/", "/r", "/verify", "/status", "/staff", "/find")  # /r: /request, /r/…
    )
    if personal:
        headers["Cache-Control"] = "no-store"
    return response


def init_security(app: Flask) -> None:
    """Cookies, CSRF for forms, rate limits and headers for every response."""
    # Flask's own defaults are unsafe for us (docs/security.md, The web): set, not
    # setdefault, since Flask pre-fills each of these keys.
    app.config.update(
        SESSION_COOKIE_NAME="__Host-dsr_session",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: the link in an e-mail must open the status page.
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=3600,
        # Whether the per-address limits count (views) and login tries (staff).
        RATELIMIT_ENABLED=bool(int(app.config["RATE_LIMITS"])),
    )
    # Flask runs after_request hooks in reverse order of registration: the headers
    # hook goes first so that it runs last, once the limits' headers are set.
    app.after_request(security_headers)
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    init_rate_limits(app, SweptMemoryStorage())
    app.after_request(_after_response_jobs)
