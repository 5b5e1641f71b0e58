"""What every ``dsr`` command shares: exit codes, the error mapping, common options."""

from __future__ import annotations

import sqlite3
from enum import IntEnum
from pathlib import Path

import click

from dsr_app import config
from dsr_app.db import open_db
from dsr_app.engines import ENGINES
from dsr_app.errors import DsrError, Unavailable


class ExitCode(IntEnum):
    """Exit statuses of every ``dsr`` command (contract section 1)."""

    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2


class BadInputError(click.ClickException):
    """Bad usage or bad input: one line on stderr, exit 2."""

    exit_code = ExitCode.BAD_INPUT


class DsrGroup(click.Group):
    """A click group that turns domain errors into one-line messages, not tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Unavailable as exc:
            # The instance needs repair (a missing key), not other input: exit 1,
            # as for a damaged store below, so that scripts tell it from exit 2.
            raise click.ClickException(exc.message) from exc
        except DsrError as exc:
            raise BadInputError(exc.message) from exc
        except sqlite3.DatabaseError as exc:
            # A locked, read-only or corrupt store: say so in one line.
            raise click.ClickException(f"database error: {exc}") from exc
        except OSError as exc:
            raise BadInputError(f"{exc.filename or ''}: {exc.strerror or exc}") from exc


def db_option(func):
    """``--db PATH`` (else ``DSR_DB``, ``DSR_HOME``, ``./instance``: locate)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite store (default: $DSR_DB, else dsr.sqlite3 in $DSR_HOME, else"
        " ./instance/dsr.sqlite3).",
    )(func)


def locate(db_path: Path | None) -> config.Instance:
    """The instance of ``--db`` (``config.locate_instance``): how every command
    finds its store and its keys."""
    return config.locate_instance(db_path)


def where(found: config.Instance) -> str:
    """What chose an instance, for messages: ``--db``, ``DSR_DB``, ``DSR_HOME``,
    or the default and how to choose another."""
    if found.chosen_by.startswith("the default"):
        return f"{found.chosen_by}; give --db, or set DSR_DB or DSR_HOME"
    return f"from {found.chosen_by}"


def open_store(db_path: Path | None):
    """The store, opened and migrated, and created if missing: only for commands
    that set an instance up or add to it (serve, ingest, accounts import, staff
    add, sweep)."""
    return open_db(locate(db_path).db)


def existing_instance(db_path: Path | None) -> config.Instance:
    """The instance of ``--db``; exit 2 naming the path looked at if it has no
    store, so that a command run from the wrong folder never leaves an empty store
    or a new key behind (issue 21, item 5)."""
    found = locate(db_path)
    if not found.db.is_file():
        raise BadInputError(f"no store at {found.db.absolute()} ({where(found)})")
    return found


def existing_store(db_path: Path | None):
    """The store of ``existing_instance``, opened (never created)."""
    return open_db(existing_instance(db_path).db)


def secret_folders(db_path: Path | None) -> list[Path]:
    """Folders no manifest is read from: the store's and the instance's."""
    return config.secret_folders(locate(db_path).db)


engine_option = click.option(
    "--engine",
    type=click.Choice(list(ENGINES)),
    default="local",
    show_default=True,
    help="local: this machine's cores; spark: Apache Spark (extra [spark]).",
)
master_option = click.option(
    "--master",
    help="With --engine spark: the Spark master (default: spark-submit's, else"
    " local[*]).",
)
conf_option = click.option(
    "--conf",
    "conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="With --engine spark: a Spark setting, passed through; repeatable.",
)


def spark_options(engine: str, master: str | None, conf: tuple[str, ...]) -> dict:
    """Check that Spark options come with --engine spark; parse --conf."""
    if engine != "spark":
        if master or conf:
            raise BadInputError("--master and --conf need --engine spark")
        return {}
    from dsr_app.spark import parse_conf

    return {"master": master, "conf": parse_conf(conf)}
