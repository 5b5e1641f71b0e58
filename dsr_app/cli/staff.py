"""``dsr staff``: staff users (legal, training, admin) and their API tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dsr_app import config
from dsr_app.cli.options import db_option, existing_store, open_store


@click.group()
def staff() -> None:
    """Staff users (legal, training, admin) and their API tokens."""


@staff.command(name="add")
@db_option
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["legal", "training", "admin"]),
    required=True,
    help="What the user may do.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin's first line."
)
def staff_add(
    db_path: Path | None, email: str, role: str, password_stdin: bool
) -> None:
    """Create a staff user (the password is prompted for, or read from stdin)."""
    from dsr_app.staff.accounts import add_staff

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user_id = add_staff(open_store(db_path), email, role, password)
    click.echo(f"staff user {user_id} added: {email.strip().lower()} ({role})")


@staff.command(name="token")
@db_option
@click.argument("email")
def staff_token(db_path: Path | None, email: str) -> None:
    """Print a new API token for a staff user (shown once; stored hashed), valid
    for DSR_STAFF_TOKEN_DAYS days (default 90). The token is the output's last
    word."""
    from dsr_app import deadlines
    from dsr_app.staff.tokens import new_token, token_lifetime

    lifetime = token_lifetime(config.settings()["STAFF_TOKEN_DAYS"])
    issued = new_token(existing_store(db_path), email, lifetime, deadlines.now())
    click.echo(f"token {issued.id} expires {_utc(issued.expires_at)}")
    click.echo(f"API token for {issued.email}: {issued.token}")  # last: a contract


@staff.command(name="tokens")
@db_option
@click.argument("email")
def staff_tokens(db_path: Path | None, email: str) -> None:
    """List a staff user's API tokens: id, created, expires, last used, revoked
    (times in UTC) and state; never the tokens themselves."""
    from dsr_app import deadlines
    from dsr_app.staff.tokens import list_tokens

    at = deadlines.now()
    tokens = list_tokens(existing_store(db_path), email, at)
    row = "{:<6} {:<20} {:<20} {:<20} {:<20} {}"
    click.echo(row.format("id", "created", "expires", "last_used", "revoked", "state"))
    for t in tokens:
        times = (t.created_at, t.expires_at, t.last_used_at, t.revoked_at)
        shown = [_utc(v) if v else "-" for v in times]
        shown[2] = shown[2] if t.last_used_at else "never"
        click.echo(row.format(t.id, *shown, t.state(at)))


@staff.command(name="revoke")
@db_option
@click.argument("email")
@click.option(
    "--token",
    "token_id",
    type=int,
    metavar="ID",
    help="Revoke only the token with this id (see `dsr staff tokens`).",
)
def staff_revoke(db_path: Path | None, email: str, token_id: int | None) -> None:
    """Revoke one API token of a staff user (--token ID), or every one of them and
    their web sessions."""
    from dsr_app import deadlines
    from dsr_app.staff.tokens import revoke_tokens

    revoked = revoke_tokens(existing_store(db_path), email, deadlines.now(), token_id)
    click.echo(f"{len(revoked)} token(s) revoked")


def _utc(at) -> str:
    """An instant as ``2026-01-05T09:00:00Z``."""
    from datetime import UTC

    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
