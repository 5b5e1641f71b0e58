"""Schemas of removal lists, their acknowledgements and the suppression list."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dsr_app.schemas.fields import StrictString


class RemovalStatusSchema(Schema):
    """A dataset version a request's removal touches, and when a training team
    acknowledged it (null while pending)."""

    dataset = fields.String()
    dataset_version = fields.String()
    acknowledged_at = fields.String(allow_none=True)


class RemovalListItemSchema(Schema):
    """A removal list, as listed for training teams."""

    id = fields.String()
    request_id = fields.String()
    issued_at = fields.String()
    entries = fields.Integer()
    acks = fields.List(fields.Nested(RemovalStatusSchema))


class RemovalListsSchema(Schema):
    """Every removal list, newest first."""

    items = fields.List(fields.Nested(RemovalListItemSchema))


class AcknowledgementsSchema(Schema):
    """A removal list's acknowledgements."""

    id = fields.String()
    acks = fields.List(fields.Nested(RemovalStatusSchema))


class SuppressedSchema(Schema):
    """One identifier to keep out of future training, as a keyed hash."""

    type = fields.String()
    hmac_sha256 = fields.String()


class SuppressionListSchema(Schema):
    """Every suppressed identifier (nothing in clear)."""

    items = fields.List(fields.Nested(SuppressedSchema))


class ListFormatSchema(Schema):
    """Which format of a removal list."""

    format = StrictString(load_default="json", validate=validate.OneOf(("json", "csv")))


class AckSchema(Schema):
    """Which dataset version a training team removed the entries from."""

    dataset = StrictString(required=True, validate=validate.Length(min=1, max=256))
    dataset_version = StrictString(
        required=True, validate=validate.Length(min=1, max=256)
    )
