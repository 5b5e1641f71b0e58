"""The transparency report's answer (issue 19, item 5; docs/formats.md)."""

from __future__ import annotations

from marshmallow import Schema, fields

from dsr_app.schemas.training import RunDatasetSchema


def _count(description: str, allow_none: bool = False) -> fields.Integer:
    return fields.Integer(allow_none=allow_none, metadata={"description": description})


class ModelVersionCountsSchema(Schema):
    """One training run (a model version) and the requests touching its data."""

    model = fields.String()
    model_version = fields.String()
    status = fields.String()
    started_at = fields.String(
        allow_none=True, metadata={"description": "null: not started yet."}
    )
    datasets = fields.List(fields.Nested(RunDatasetSchema))
    objections = _count("Objections whose removal lists touch a version it read.")
    erasures = _count("Erasures whose removal lists touch a version it read.")
    items = _count("Their list entries found in those versions.")
    removed_before_run = _count(
        "Items acknowledged removed at or before the run's start; null: not started.",
        allow_none=True,
    )
    removed_after_start = _count(
        "Items acknowledged removed after the run's start; null: not started.",
        allow_none=True,
    )
    pending = _count("Items not acknowledged removed yet.")


class MonthCountsSchema(Schema):
    """The requests received in one month (the controller's calendar)."""

    month = fields.String(metadata={"description": "YYYY-MM"})
    received = _count("Requests received.")
    answered = _count("Of those, answered (a decision letter issued).")
    answered_on_time = _count("Answered on or before their due date.")
    extended = _count("Extended (Art. 12(3)).")
    refused = _count("Refused (status rejected).")
    median_days_to_answer = fields.Float(
        allow_none=True,
        metadata={"description": "Receipt to answer, answered ones; null: none."},
    )


class ReportSchema(Schema):
    """The transparency report: counts only, no personal data."""

    format = fields.String(metadata={"description": "dsr-transparency-report/1"})
    generated_at = fields.String()
    model_versions = fields.List(fields.Nested(ModelVersionCountsSchema))
    months = fields.List(fields.Nested(MonthCountsSchema))
