"""``dsr runs`` and ``dsr gate``: training runs and the clearance gate (issue 19)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dsr_app.cli.options import (
    BadInputError,
    ExitCode,
    db_option,
    existing_store,
    locate,
    secret_folders,
)
from dsr_app.cli.progress import Progress, lines_in

ACTOR = "cli"  # the audit log's actor for changes made at the command line
STATUSES = ("planned", "training", "deployed", "retired")


def _load(schema, data: dict) -> dict:
    """Check ``data`` with the API's schema: the same field errors, exit 2."""
    from marshmallow import ValidationError

    try:
        return schema.load({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        field, messages = next(iter(_flat(exc.normalized_messages())))
        raise BadInputError(f"{field}: {' '.join(messages)}") from exc


def _flat(messages: dict, prefix: str = ""):
    """Nested messages as ``("datasets.0.dataset", [...])``."""
    for key, value in messages.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _echo_run(run: dict) -> None:
    read = run["datasets"]
    versions = ", ".join(f"{d['dataset']} {d['dataset_version']}" for d in read)
    line = f"run {run['id']}: {run['model']} {run['model_version']} ({run['status']})"
    click.echo(f"{line} on {versions}")
    if run["flagged"]:
        click.echo(f"  FLAGGED: {run['flag_reason']}")


@click.group()
def runs() -> None:
    """Training runs: which model versions read which dataset versions."""


@runs.command(name="add")
@db_option
@click.option("--model", required=True, help="Model name.")
@click.option("--model-version", required=True, help="Model version.")
@click.option(
    "--dataset",
    "datasets",
    nargs=2,
    multiple=True,
    required=True,
    metavar="NAME VERSION",
    help="An ingested dataset version the run reads; repeatable.",
)
@click.option("--status", type=click.Choice(STATUSES), default="planned")
@click.option("--started-at", help="ISO 8601 date or date-time (UTC without a zone).")
@click.option("--finished-at", help="ISO 8601 date or date-time.")
@click.option("--notes", help="Free text.")
def runs_add(db_path, model, model_version, datasets, status, **dates) -> None:
    """Register a training run (audited; flagged if it started on an uncleared
    version)."""
    from dsr_app import deadlines
    from dsr_app.schemas.training import RunCreateSchema
    from dsr_app.training.runs import add_run

    data = _load(
        RunCreateSchema(),
        {
            "model": model,
            "model_version": model_version,
            "datasets": [{"dataset": d, "dataset_version": v} for d, v in datasets],
            "status": status,
            **dates,
        },
    )
    _echo_run(add_run(existing_store(db_path), data, ACTOR, deadlines.now()))


@runs.command(name="update")
@db_option
@click.argument("run_id", type=int)
@click.option("--status", type=click.Choice(STATUSES), help="Forward only.")
@click.option("--finished-at", help="ISO 8601 date or date-time.")
@click.option("--retired-at", help="ISO 8601 (default: now, when retiring).")
@click.option("--notes", help="Free text (replaces the notes).")
def runs_update(db_path, run_id, **changes) -> None:
    """Change a run's status, finished_at, retired_at or notes (audited)."""
    from dsr_app import deadlines
    from dsr_app.schemas.training import RunUpdateSchema
    from dsr_app.training.runs import update_run

    data = _load(RunUpdateSchema(), changes)
    _echo_run(update_run(existing_store(db_path), run_id, data, ACTOR, deadlines.now()))


@runs.command(name="measure")
@db_option
@click.argument("run_id", type=int)
@click.option(
    "--kind",
    type=click.Choice(("retired", "retrained", "output_filter", "none")),
    required=True,
    help="What was done about the run's model version.",
)
@click.option("--date", "taken_on", required=True, help="The day, YYYY-MM-DD.")
@click.option("--request", "request_id", help="The one request it concerns.")
@click.option(
    "--replacement", "replacement_run_id", type=int, help="For retrained: the run."
)
@click.option("--notes", help="Free text.")
def runs_measure(db_path, run_id, **fields) -> None:
    """Record a measure taken for a run's model version (audited; letters state
    it)."""
    from dsr_app import deadlines
    from dsr_app.schemas.training import MeasureCreateSchema
    from dsr_app.training.measures import add_measure

    data = _load(MeasureCreateSchema(), fields)
    found = add_measure(existing_store(db_path), run_id, data, ACTOR, deadlines.now())
    said = f"{found['kind']} {found['taken_on']}"
    click.echo(f"measure {found['id']}: run {run_id} {said}")


@runs.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def runs_list(db_path, as_json: bool) -> None:
    """List training runs, newest first, with their flags."""
    from dsr_app.training.runs import list_runs

    found = list_runs(existing_store(db_path))
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for run in found:
        _echo_run(run)


@click.group()
def gate() -> None:
    """The clearance gate a training pipeline asks before a run."""


@gate.command(name="check")
@db_option
@click.option("--dataset", required=True, help="Dataset name.")
@click.option("--version", "version", required=True, help="Dataset version.")
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also check these files (or folders of shards) hold no listed record.",
)
def gate_check(db_path, dataset: str, version: str, manifests) -> None:
    """Print the signed clearance (JSON); exit 0 clear, 1 not clear, 2 on error."""
    from dsr_app import deadlines
    from dsr_app.corpus.manifests import manifest_files
    from dsr_app.training.clearance import clearance

    db = existing_store(db_path)
    shards, names, protected = None, None, ()
    if manifests:
        secret = secret_folders(db_path)
        shards, protected = manifest_files(manifests, secret), tuple(map(str, secret))
        names = [str(p) for p in manifests]
    folder = locate(db_path).folder
    at = deadlines.now()
    count = lambda: lines_in(shards or [], protected)  # noqa: E731
    with Progress("records", count if shards else 0) as progress:
        answer = clearance(
            db, dataset, version, folder, at, shards, names, protected, progress
        )
    click.echo(json.dumps(answer, ensure_ascii=False, sort_keys=True))
    for list_id in answer["pending_lists"]:
        click.echo(f"pending: removal list {list_id} not acknowledged", err=True)
    for item in answer.get("still_present", []):
        click.echo(f"still present: {item['dataset']} {item['record_id']}", err=True)
    if not answer["clear"]:
        sys.exit(ExitCode.CHECK_FAILED)
