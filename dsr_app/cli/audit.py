"""``dsr audit``: check the append-only audit log and anchor its head."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dsr_app.cli.options import ExitCode, db_option, existing_store


@click.group()
def audit() -> None:
    """The append-only audit log."""


def echo_broken(check) -> None:
    """The first thing wrong with the log or its anchors, on stderr."""
    bad = check.chain if not check.chain.ok else check
    if bad.first_bad is not None:
        click.echo(f"audit log broken at entry {bad.first_bad}: {bad.reason}", err=True)
    elif check.anchor_problem:
        click.echo(f"audit anchor broken: {check.anchor_problem}", err=True)


@audit.command(name="verify")
@db_option
@click.option(
    "--strict", is_flag=True, help="Also exit 1 when no valid anchor is found."
)
def audit_verify(db_path: Path | None, strict: bool) -> None:
    """Check the audit log's keyed chain and anchors; exit 1 naming the first bad
    entry or the anchor problem."""
    from dsr_app.anchors import verify_log

    check = verify_log(existing_store(db_path))
    for warning in check.warnings:
        click.echo(f"warning: {warning}", err=True)
    echo_broken(check)
    if not check.ok or (strict and check.latest is None):
        sys.exit(ExitCode.CHECK_FAILED)
    said = f"audit log intact: {check.chain.entries:,} entries"
    if check.latest:
        said += f"; latest anchor: {check.latest.entries:,} at {check.latest.at}"
    click.echo(said)


@audit.command(name="anchor")
@db_option
def audit_anchor(db_path: Path | None) -> None:
    """Append a signed anchor of the audit log's head (run it from cron)."""
    from dsr_app.anchors import anchor_path, verify_log, write_anchor
    from dsr_app.deadlines import now

    db = existing_store(db_path)
    check = verify_log(db)
    if not check.ok:  # never vouch for a log that was tampered with: alert instead
        echo_broken(check)
        sys.exit(ExitCode.CHECK_FAILED)
    anchor = write_anchor(db, now())
    click.echo(
        f"anchored {anchor['entries']:,} entries (head entry {anchor['seq']})"
        f" in {anchor_path(db)}"
    )
