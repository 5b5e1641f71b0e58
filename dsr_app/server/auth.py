"""Who the staff user of a call is, and the role check: one for the API (a bearer
token or the staff session) and the staff pages (the session)."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, session, url_for

from dsr_app import deadlines
from dsr_app.server.connection import get_db
from dsr_app.server.security import from_own_pages
from dsr_app.staff.sessions import session_user
from dsr_app.staff.tokens import staff_for_token


def session_staff() -> dict | None:
    """The staff user logged in in this browser (the session), or ``None``."""
    if "staff_user" not in g:
        g.staff_user = session_user(get_db(), session.get("staff_sid"), deadlines.now())
    return g.staff_user


def current_staff() -> dict | None:
    """The staff user of this call: by bearer token, or else by the web session
    (contract section 5), or ``None``.

    A call that changes something on the strength of the session cookie must come
    from our own pages: a browser names another origin in ``Origin`` or
    ``Sec-Fetch-Site``, and such a call is refused (cross-site request forgery). The
    API's JSON bodies and the Lax cookie guard the same door.
    """
    if "staff" not in g:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            g.staff = (
                staff_for_token(get_db(), token.strip(), deadlines.now())
                if scheme.lower() == "bearer"
                else None
            )
        else:
            user = session_staff()
            if user is not None and not _same_origin():
                abort(403, "a staff session may only be used from this site's pages")
            g.staff = user
    return g.staff


def _same_origin() -> bool:
    """Whether a session-authenticated call may proceed (reads always may)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    # A browser without Fetch Metadata falls back to the Origin check (see there).
    return from_own_pages(fetch_metadata_required=False)


def require_role(*roles: str, login: str | None = None):
    """Let only staff users with one of ``roles`` through; 403 for another role.

    Without ``login`` (the API): the user of :func:`current_staff`, 401 without
    one. With ``login``, the endpoint of the login page (the staff pages): the
    session's user, and a redirect to that page, back here after, without one.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = session_staff() if login else current_staff()
            if user is None and login:
                return redirect(url_for(login, next=request.path))
            if user is None:
                abort(401, "a valid staff token (or staff session) is required")
            if user["role"] not in roles:
                abort(403, "your role may not do this")
            return view(*args, **kwargs)

        return wrapped

    return decorator
