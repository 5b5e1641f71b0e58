"""What every ``dsr`` command shares: exit codes, the error mapping, common options."""

from __future__ import annotations

import sqlite3
import sys
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
    """``--db PATH`` (env ``DSR_DB``, default ``./instance/dsr.sqlite3``)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite database (default: $DSR_DB, else ./instance/dsr.sqlite3).",
    )(func)


def open_store(db_path: Path | None):
    """The store at ``--db`` (or its default), opened and migrated."""
    return open_db(config.resolve_db_path(db_path))


def secret_folders(db_path: Path | None) -> list[Path]:
    """Folders no manifest is read from: the store's and the instance's."""
    return config.secret_folders(config.resolve_db_path(db_path))


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


class Progress:
    """A records/s progress bar on a terminal (stderr); silent otherwise."""

    def __init__(self, unit: str):
        self.unit, self.bar = unit, None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        self.bar = tqdm(unit=f" {self.unit}", unit_scale=True, file=sys.stderr)
        return self.bar.update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
