"""``dsr report``: the transparency report for publication (issue 19, item 5)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from dsr_app.cli.options import db_option, existing_store


@click.command(name="report")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: the report's document; csv: one table, a row per model version"
    " and per month (column section).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of stdout.",
)
def report(db_path, fmt: str, output: Path | None) -> None:
    """Print the transparency report: counts per model version and per month, no
    personal data (docs/training.md)."""
    from dsr_app import deadlines
    from dsr_app.server.responses import csv_cell
    from dsr_app.training.report import report_table, transparency_report

    found = transparency_report(existing_store(db_path), deadlines.now())
    if fmt == "json":
        text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        # Names are staff input: a cell a spreadsheet would run is neutralised.
        writer.writerows([csv_cell(v) for v in row] for row in report_table(found))
        text = out.getvalue()
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"report written to {output}", err=True)
