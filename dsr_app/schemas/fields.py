"""Strict field types and the validators every schema shares."""

from __future__ import annotations

import re
from datetime import date, datetime

from marshmallow import ValidationError, fields, validate

from dsr_app import bidi

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What else breaks a line in a plain-text viewer: NEL and the other C1 controls,
# LINE SEPARATOR and PARAGRAPH SEPARATOR (str.splitlines() splits at each).
_TYPED_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only: no ``"yes"``, ``1`` or ``"true"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictString(fields.String):
    """A string, never a number or other value coerced into one, and never one
    that cannot be stored: JSON may spell lone surrogates (``"\\ud800"``), which
    no UTF-8 encoder (SQLite's, an HMAC's) accepts."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if _SURROGATE.search(value):
            raise self.make_error("invalid_utf8")
        return value


def iso_datetime(value: str) -> None:
    """Accept ISO 8601 date-times (``2025-01-31T10:00:00Z``) and dates."""
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not an ISO 8601 date-time.") from exc


def birth_date(value: str) -> None:
    """A calendar date ``YYYY-MM-DD``."""
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not a date (YYYY-MM-DD).") from exc


def single_line(value: str) -> None:
    """Refuse control characters (line breaks included) in one-line fields."""
    if _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


def multi_line(value: str) -> None:
    """Free text: line breaks and tabs allowed, other control characters not."""
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValidationError("Must not contain control characters.")


def typed_line(value: str) -> None:
    """Refuse, in a one-line field a requester types, every control character
    (C0 and C1) and the Unicode line and paragraph separators: a name goes into
    plain-text letters, where any of them would start a forged line. Refuse the
    bidirectional controls too, naming them without echoing them: they would show
    a name or address reordered on staff pages and in letters (issue 16, finding
    11). Free text keeps them; pages and letters show them as markers (bidi.py)."""
    errors = []
    if names := bidi.controls(value):
        errors.append(f"Must not contain {bidi.refusal(names)}.")
    if _TYPED_CONTROL.search(value):
        errors.append("Must not contain control characters.")
    if errors:
        raise ValidationError(errors)


def sha256_hex(value: str) -> None:
    """64 hexadecimal digits."""
    if not _HEX64.fullmatch(value):
        raise ValidationError("Not a hex SHA-256 (64 hexadecimal digits).")


def line_field(max_len: int, required: bool = False, min_len: int = 0) -> StrictString:
    """A one-line string of ``min_len`` to ``max_len`` characters."""
    return StrictString(
        required=required,
        validate=[validate.Length(min=min_len, max=max_len), single_line],
    )
