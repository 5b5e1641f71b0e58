"""The staff login's device cookie: a browser that logged in to an account before
carries it, and its tries are not slowed down by failures from elsewhere
(staff/logins.py, OWASP's "device cookies"), so a guesser cannot keep the real
user out."""

from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from dsr_app.staff.logins import account_key

DEVICE_COOKIE = "__Host-dsr_device"
DEVICE_LIFETIME = 30 * 24 * 3600  # seconds


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="dsr-staff-device")


def trusted_device(email: str) -> bool:
    """Whether this browser logged in to the account named ``email`` before."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return False
    try:
        held = _signer().loads(cookie, max_age=DEVICE_LIFETIME)
    except BadData:
        return False
    return held == account_key(email)


def remember_device(response: Response, email: str) -> None:
    """Give this browser the device cookie of the account named ``email``."""
    response.set_cookie(
        DEVICE_COOKIE,
        _signer().dumps(account_key(email)),
        max_age=DEVICE_LIFETIME,
        secure=True,
        httponly=True,
        samesite="Strict",
    )
