"""``dsr ingest`` and ``dsr accounts``: load the corpus and the account registry."""

from __future__ import annotations

from pathlib import Path

import click

from dsr_app import config
from dsr_app.cli.options import db_option, locate, open_store, secret_folders
from dsr_app.cli.progress import Progress, lines_in


@click.command(name="ingest")
@db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dataset", help="Dataset name for records that carry none.")
@click.option("--version", "version", help="Dataset version (default: 1).")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Store the good lines; write bad ones to <file>.rejects.jsonl.",
)
@click.option(
    "--workers", type=int, help="Worker processes (default: one per core; 0: none)."
)
def ingest_command(
    db_path: Path | None,
    paths: tuple[Path, ...],
    dataset: str | None,
    version: str | None,
    skip_invalid: bool,
    workers: int | None,
) -> None:
    """Index manifest files (.jsonl, .jsonl.gz, .parquet, or directories of them)."""
    from dsr_app.cases.jobs import manifest_mark, search_after_ingest
    from dsr_app.corpus.ingest import ingest, limits_from_settings
    from dsr_app.corpus.manifests import manifest_files

    db = open_store(db_path)
    mark = manifest_mark(db)
    protected = secret_folders(db_path)
    count = lambda: lines_in(manifest_files(paths, protected), protected)  # noqa: E731
    try:
        with Progress("records", count) as progress:
            report = ingest(
                db,
                paths,
                dataset,
                version,
                skip_invalid,
                limits_from_settings(config.settings()),
                workers,
                progress=progress,
                protected=protected,
            )
    finally:
        # Also when a later file failed: the files committed before it are new data
        # that open requests must be searched against.
        if searched := search_after_ingest(db, mark, locate(db_path).folder):
            click.echo(f"searched again for {searched} request(s)", err=True)
    for item in report.files:
        if item.rejects:
            click.echo(
                f"{item.path}: {item.rejects:,} rejected line(s) written to "
                f"{item.path.name}.rejects.jsonl",
                err=True,
            )
    click.echo(report.summary())


@click.group()
def accounts() -> None:
    """The platform account registry."""


@accounts.command(name="import")
@db_option
@click.argument("path", type=click.Path(path_type=Path))
def accounts_import(db_path: Path | None, path: Path) -> None:
    """Load or update accounts from a JSON Lines registry file (upsert by id)."""
    from dsr_app.corpus.accounts import import_accounts

    click.echo(import_accounts(open_store(db_path), path).summary())
