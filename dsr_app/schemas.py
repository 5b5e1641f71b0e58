"""marshmallow schemas: the one definition of every input shape and its errors."""

from __future__ import annotations

import re
from datetime import date, datetime

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only: no ``"yes"``, ``1`` or ``"true"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictString(fields.String):
    """A string, never a number or other value coerced into one."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


def iso_datetime(value: str) -> None:
    """Accept ISO 8601 date-times (``2025-01-31T10:00:00Z``) and dates."""
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not an ISO 8601 date-time.") from exc


def single_line(value: str) -> None:
    """Refuse control characters (line breaks included) in one-line fields."""
    if _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


def sha256_hex(value: str) -> None:
    """64 hexadecimal digits."""
    if not _HEX64.fullmatch(value):
        raise ValidationError("Not a hex SHA-256 (64 hexadecimal digits).")


def _line(max_len: int, required: bool = False, min_len: int = 0) -> StrictString:
    return StrictString(
        required=required,
        validate=[validate.Length(min=min_len, max=max_len), single_line],
    )


class ManifestRecordSchema(Schema):
    """One record of a training-data manifest (contract section 3)."""

    class Meta:
        # Unknown fields are kept, not dropped (contract section 3).
        unknown = INCLUDE

    record_id = _line(1024, required=True, min_len=1)
    dataset = _line(256, min_len=1)
    text = StrictString(required=True)
    source = _line(256)
    kind = _line(256)
    author_id = _line(1024)
    author_handle = _line(256)
    created_at = StrictString(validate=iso_datetime)
    visibility = _line(64)
    author_is_minor = StrictBoolean()
    lang = _line(64)
    url = _line(8192)
    content_sha256 = StrictString(validate=sha256_hex)


def birth_date(value: str) -> None:
    """A calendar date ``YYYY-MM-DD``."""
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not a date (YYYY-MM-DD).") from exc


class AccountSchema(Schema):
    """One account of the platform registry (contract section 4)."""

    class Meta:
        unknown = INCLUDE

    account_id = _line(1024, required=True, min_len=1)
    handle = _line(256)
    display_name = _line(512)
    email = _line(320)
    phone = _line(64)
    country = StrictString(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    birth_date = StrictString(validate=birth_date)
