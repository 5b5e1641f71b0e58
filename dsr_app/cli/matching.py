"""``dsr sweep``: batch-match every verified request against every manifest."""

from __future__ import annotations

from pathlib import Path

import click

from dsr_app.cli.options import (
    conf_option,
    db_option,
    engine_option,
    locate,
    master_option,
    secret_folders,
    spark_options,
)
from dsr_app.cli.progress import Progress, lines_in
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
    path = locate(db_path).db
    db = open_db(path)
    protected = secret_folders(path)
    files = manifest_files(manifests, protected) if manifests else None
    with Progress("records", lambda: _records(path, files, protected)) as progress:
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


def _records(path: Path, files: list[Path] | None, protected: list[Path]) -> int:
    """How many records the sweep reads: the files', else the index's (counted on
    a connection of the progress bar's thread)."""
    if files is not None:
        return lines_in(files, protected)
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]
    finally:
        conn.close()
