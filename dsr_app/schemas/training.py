"""Schemas of training runs and of the clearance gate's answer (contract section
5, "Training runs and clearance")."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dsr_app.schemas.fields import (
    StrictString,
    iso_datetime,
    line_field,
    multi_line,
)

RUN_STATUSES = ("planned", "training", "deployed", "retired")


def _date() -> StrictString:
    """An ISO 8601 date or date-time (UTC when it names no zone)."""
    return StrictString(
        allow_none=True,
        validate=[validate.Length(max=40), iso_datetime],
        metadata={"description": "ISO 8601 date or date-time; UTC without a zone."},
    )


def _notes() -> StrictString:
    return StrictString(
        allow_none=True, validate=[validate.Length(max=4000), multi_line]
    )


class RunDatasetSchema(Schema):
    """A dataset version a run reads: one that was ingested."""

    dataset = line_field(256, required=True, min_len=1)
    dataset_version = line_field(256, required=True, min_len=1)


class RunCreateSchema(Schema):
    """A training run to register."""

    model = line_field(200, required=True, min_len=1)
    model_version = line_field(200, required=True, min_len=1)
    datasets = fields.List(
        fields.Nested(RunDatasetSchema),
        required=True,
        validate=validate.Length(min=1, max=100),
    )
    status = StrictString(required=True, validate=validate.OneOf(RUN_STATUSES))
    started_at = _date()
    finished_at = _date()
    notes = _notes()


class RunUpdateSchema(Schema):
    """What may change on a run: status (forward only), dates, notes."""

    status = StrictString(validate=validate.OneOf(RUN_STATUSES))
    finished_at = _date()
    retired_at = _date()
    notes = _notes()


class RunSchema(Schema):
    """A training run as stored, with its flag (issue 19, item 2)."""

    id = fields.Integer()
    model = fields.String()
    model_version = fields.String()
    datasets = fields.List(fields.Nested(RunDatasetSchema))
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    retired_at = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    flagged = fields.Boolean(
        metadata={"description": "Started on a version that was not clear then."}
    )
    flag_reason = fields.String(allow_none=True)
    created_at = fields.String()
    created_by = fields.String()
    updated_at = fields.String()


class RunsSchema(Schema):
    """Every training run, newest first."""

    items = fields.List(fields.Nested(RunSchema))


class SignatureSchema(Schema):
    """An Ed25519 signature over the canonical JSON (contract section 6)."""

    alg = fields.String()
    key_id = fields.String()
    value = fields.String()


class ClearanceSchema(Schema):
    """Whether a dataset version may be trained on, signed."""

    dataset = fields.String()
    dataset_version = fields.String()
    clear = fields.Boolean()
    pending_lists = fields.List(fields.String())
    checked_at = fields.String()
    signature = fields.Nested(SignatureSchema)


MEASURE_KINDS = ("retired", "retrained", "output_filter", "none")


class MeasureCreateSchema(Schema):
    """A measure taken for a trained model version (issue 19, item 4)."""

    kind = StrictString(
        required=True,
        validate=validate.OneOf(MEASURE_KINDS),
        metadata={
            "description": "retired; retrained (a version trained without the"
            " data: name it in replacement_run_id); output_filter (the person's"
            " identifiers filtered from its output: name the request); none."
        },
    )
    taken_on = StrictString(
        required=True,
        validate=validate.Length(equal=10),
        metadata={"description": "The day it was taken, YYYY-MM-DD."},
    )
    request_id = line_field(64)
    replacement_run_id = fields.Integer(strict=True, allow_none=True)
    notes = _notes()


class MeasureSchema(MeasureCreateSchema):
    """A measure as recorded."""

    id = fields.Integer()
    run_id = fields.Integer()
    recorded_at = fields.String()
    recorded_by = fields.String()


class MeasuresSchema(Schema):
    """The measures of one run, oldest first."""

    items = fields.List(fields.Nested(MeasureSchema))
