"""Schemas of manifest records and registry accounts (contract sections 3, 4)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, validate

from dsr_app.schemas.fields import (
    StrictBoolean,
    StrictString,
    birth_date,
    iso_datetime,
    line_field,
    sha256_hex,
)


class ManifestRecordSchema(Schema):
    """One record of a training-data manifest (contract section 3)."""

    class Meta:
        # Unknown fields are kept, not dropped (contract section 3).
        unknown = INCLUDE

    record_id = line_field(1024, required=True, min_len=1)
    dataset = line_field(256, min_len=1)
    text = StrictString(required=True)
    source = line_field(256)
    kind = line_field(256)
    author_id = line_field(1024)
    author_handle = line_field(256)
    created_at = StrictString(validate=iso_datetime)
    visibility = line_field(64)
    author_is_minor = StrictBoolean()
    lang = line_field(64)
    url = line_field(8192)
    content_sha256 = StrictString(validate=sha256_hex)


class AccountSchema(Schema):
    """One account of the platform registry (contract section 4)."""

    class Meta:
        unknown = INCLUDE

    account_id = line_field(1024, required=True, min_len=1)
    handle = line_field(256)
    display_name = line_field(512)
    email = line_field(320)
    phone = line_field(64)
    country = StrictString(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    birth_date = StrictString(validate=birth_date)
