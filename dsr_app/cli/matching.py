"""``dsr sweep``: batch-match every verified request against every manifest."""

from __future__ import annotations

from pathlib import Path

import click

from dsr_app import config
from dsr_app.cli.options import (
    Progress,
    conf_option,
    db_option,
    engine_option,
    master_option,
    secret_folders,
    spark_options,
)
from dsr_app.db import open_db
from dsr_app.engines import ENGINES


@click.command(name="sweep")
@db_option
@engine_option
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Sweep these manifest files (or folders) directly, without ingesting.",
)
@click.option("--dataset", help="With --manifest: dataset of records that name none.")
@click.option("--version", "version", default="1", help="With --manifest: version.")
@click.option("--workers", type=int, help="Processes (default: one per core).")
@master_option
@conf_option
def sweep_command(
    db_path: Path | None,
    engine: str,
    manifests: tuple[Path, ...],
    dataset: str | None,
    version: str,
    workers: int | None,
    master: str | None,
    conf: tuple[str, ...],
) -> None:
    """Batch-match every verified request against every manifest."""
    from dsr_app.corpus.manifests import manifest_files
    from dsr_app.matching.sweep import sweep_requests

    spark = spark_options(engine, master, conf)
    chosen = ENGINES[engine]
    path = config.resolve_db_path(db_path)
    db = open_db(path)
    files = manifest_files(manifests, secret_folders(path)) if manifests else None
    with Progress("records") as progress:
        report = sweep_requests(
            db,
            str(path),
            files,
            dataset,
            version,
            workers,
            progress,
            run=chosen.sweep,
            searched_by=chosen.searched_by,
            **spark,
        )
    for request_id, found in sorted(report.matches.items()):
        kinds = sorted({f"{m.match_kind}/{m.matched_on}" for m in found})
        click.echo(f"{request_id}: {len(found)} match(es) ({', '.join(kinds)})")
    total = sum(len(v) for v in report.matches.values())
    click.echo(
        f"swept {report.records:,} records for {len(report.matches)} request(s) with"
        f" matches; {total:,} matches"
    )
