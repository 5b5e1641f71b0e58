"""``dsr serve``: the web app on a production WSGI server, the demo data optional."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dsr_app.cli.audit import echo_broken
from dsr_app.cli.options import db_option, locate
from dsr_app.db import open_db


@click.command()
@db_option
@click.option("--demo", is_flag=True, help="Load the demo fixtures first (idempotent).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option("--threads", default=8, show_default=True, type=int, help="Workers.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse to start if others can read the instance (DSR_STRICT_FILE_MODES).",
)
def serve(
    db_path: Path | None, demo: bool, host: str, port: int, threads: int, strict: bool
) -> None:
    """Run the web app on a production WSGI server (waitress)."""
    from dsr_app import create_app
    from dsr_app.demo import demo_config, load_demo
    from dsr_app.server.serving import serve as serve_app

    path = locate(db_path).db
    # The app first: it checks the instance's file modes before the demo writes.
    app = create_app(
        {
            "DB": str(path),
            **({"STRICT_FILE_MODES": 1} if strict else {}),
            **(demo_config() if demo else {}),
        }
    )
    if demo:
        db = open_db(path)
        report = load_demo(db, echo=lambda line: click.echo(line, err=True))
        db.close()
        click.echo(report.summary(), err=True)
    anchor_audit_log(path)  # the head as the server found it (issue 16, finding 14)
    click.echo(f"Serving dsr_app on http://{host}:{port}/ (database: {path})")
    if demo:
        for login in report.staff:
            click.echo(f"  demo login: {login}")
    sys.stdout.flush()
    serve_app(app, host, port, threads)


def anchor_audit_log(path: Path) -> None:
    """Append a signed anchor of the audit log's head, once the log and its
    anchors check; a log that does not is never anchored: the server starts, and
    says why on stderr."""
    from dsr_app.anchors import verify_log, write_anchor
    from dsr_app.deadlines import now

    db = open_db(path)
    try:
        check = verify_log(db)
        if check.ok:
            write_anchor(db, now())
        else:
            click.echo("warning: the audit log was not anchored:", err=True)
            echo_broken(check)
    finally:
        db.close()
