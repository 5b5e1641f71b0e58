"""The ``dsr`` command: thin click adapters over the domain functions."""

from __future__ import annotations

import sqlite3
import sys
from enum import IntEnum
from pathlib import Path

import click

from dsr_app import config, file_modes
from dsr_app.db import open_db
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


def _open(db_path: Path | None):
    return open_db(config.resolve_db_path(db_path))


def _secret_folders(db_path: Path | None) -> list[Path]:
    """Folders no manifest is read from: the store's and the instance's."""
    return config.secret_folders(config.resolve_db_path(db_path))


@click.group(cls=DsrGroup)
@click.version_option(package_name="dsr_app")
def cli() -> None:
    """dsr_app: GDPR access, objection and erasure requests for AI training data."""
    file_modes.private_umask()  # what any command creates is ours alone (issue 16)


@cli.command()
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
    from dsr_app.demo import load_demo
    from dsr_app.server.serving import serve as serve_app

    path = config.resolve_db_path(db_path)
    # The app first: it checks the instance's file modes before the demo writes.
    app = create_app({"DB": str(path), **({"STRICT_FILE_MODES": 1} if strict else {})})
    if demo:
        db = open_db(path)
        report = load_demo(db, echo=lambda line: click.echo(line, err=True))
        db.close()
        click.echo(report.summary(), err=True)
    _anchor_audit_log(path)  # the head as the server found it (issue 16, finding 14)
    click.echo(f"Serving dsr_app on http://{host}:{port}/ (database: {path})")
    if demo:
        for login in report.staff:
            click.echo(f"  demo login: {login}")
    sys.stdout.flush()
    serve_app(app, host, port, threads)


def _anchor_audit_log(path: Path) -> None:
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
            _echo_broken(check)
    finally:
        db.close()


@cli.command(name="ingest")
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
    from dsr_app.corpus.ingest import ingest, limits_from_settings

    db = _open(db_path)
    last_manifest = db.execute("SELECT coalesce(max(id), 0) FROM manifests").fetchone()
    try:
        with _progress("records") as progress:
            report = ingest(
                db,
                paths,
                dataset,
                version,
                skip_invalid,
                limits_from_settings(config.settings()),
                workers,
                progress=progress,
                protected=_secret_folders(db_path),
            )
    finally:
        # Also when a later file failed: the files committed before it are new data
        # that open requests must be searched against.
        new = db.execute(
            "SELECT count(*) FROM manifests WHERE id > ?", last_manifest
        ).fetchone()[0]
        if new:
            from dsr_app.cases.jobs import search_after_ingest

            instance = config.instance_dir(config.resolve_db_path(db_path))
            searched = search_after_ingest(db, instance)
            if searched:
                click.echo(f"searched again for {searched} request(s)", err=True)
    for item in report.files:
        if item.rejects:
            click.echo(
                f"{item.path}: {item.rejects:,} rejected line(s) written to "
                f"{item.path.name}.rejects.jsonl",
                err=True,
            )
    click.echo(report.summary())


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--to", "to", help="Only messages to this address or number.")
def outbox(db_path: Path | None, as_json: bool, to: str | None) -> None:
    """List the messages the app "sent" with the outbox backend (newest last)."""
    import json

    from dsr_app.messaging import outbox_messages

    if to:
        from dsr_app.identifiers import parse_phone

        to = parse_phone(to) or to.strip()  # "+49 151 …" finds "+49151…"
    messages = outbox_messages(_open(db_path), to)
    if as_json:
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    for m in messages:
        click.echo(
            f"#{m['id']} {m['created_at']} {m['channel']} to {m['to']}: {m['subject']}"
        )
        click.echo("    " + m["body"].replace("\n", "\n    ").rstrip())


_engine_option = click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: this machine's cores; spark: Apache Spark (extra [spark]).",
)
_master_option = click.option(
    "--master",
    help="With --engine spark: the Spark master (default: spark-submit's, else"
    " local[*]).",
)
_conf_option = click.option(
    "--conf",
    "conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="With --engine spark: a Spark setting, passed through; repeatable.",
)


def _spark_options(engine: str, master: str | None, conf: tuple[str, ...]) -> dict:
    """Check that Spark options come with --engine spark; parse --conf."""
    if engine != "spark":
        if master or conf:
            raise BadInputError("--master and --conf need --engine spark")
        return {}
    from dsr_app.spark_engine import parse_conf

    return {"master": master, "conf": parse_conf(conf)}


@cli.command(name="sweep")
@db_option
@_engine_option
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
@_master_option
@_conf_option
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

    spark = _spark_options(engine, master, conf)
    path = config.resolve_db_path(db_path)
    db = open_db(path)
    files = manifest_files(manifests, _secret_folders(path)) if manifests else None
    with _progress("records") as progress:
        report = sweep_requests(
            db, str(path), files, dataset, version, workers, progress, spark=spark
        )
    for request_id, found in sorted(report.matches.items()):
        kinds = sorted({f"{m.match_kind}/{m.matched_on}" for m in found})
        click.echo(f"{request_id}: {len(found)} match(es) ({', '.join(kinds)})")
    total = sum(len(v) for v in report.matches.values())
    click.echo(
        f"swept {report.records:,} records for {len(report.matches)} request(s) with"
        f" matches; {total:,} matches"
    )


@cli.group()
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
    user_id = add_staff(_open(db_path), email, role, password)
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
    issued = new_token(_open(db_path), email, lifetime, deadlines.now())
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
    tokens = list_tokens(_open(db_path), email, at)
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

    revoked = revoke_tokens(_open(db_path), email, deadlines.now(), token_id)
    click.echo(f"{len(revoked)} token(s) revoked")


def _utc(at) -> str:
    """An instant as ``2026-01-05T09:00:00Z``."""
    from datetime import UTC

    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cli.group()
def audit() -> None:
    """The append-only audit log."""


def _existing_store(db_path: Path | None):
    """The store, opened; exit 2 if there is none (never create one to check it)."""
    path = config.resolve_db_path(db_path)
    if not path.is_file():
        raise BadInputError(f"no store at {path}")
    return open_db(path)


def _echo_broken(check) -> None:
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

    check = verify_log(_existing_store(db_path))
    for warning in check.warnings:
        click.echo(f"warning: {warning}", err=True)
    _echo_broken(check)
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

    db = _existing_store(db_path)
    check = verify_log(db)
    if not check.ok:  # never vouch for a log that was tampered with: alert instead
        _echo_broken(check)
        sys.exit(ExitCode.CHECK_FAILED)
    anchor = write_anchor(db, now())
    click.echo(
        f"anchored {anchor['entries']:,} entries (head entry {anchor['seq']})"
        f" in {anchor_path(db)}"
    )


@cli.group()
def removals() -> None:
    """Removal lists: apply them to manifests and check that they were applied."""


def _public_key(db_path: Path | None, given: str | None) -> str:
    if given:
        return given
    from dsr_app.signing import public_key_b64

    path = config.resolve_db_path(db_path)
    return public_key_b64(config.instance_dir(path, config.settings()["INSTANCE_DIR"]))


_list_option = click.option(
    "--list",
    "lists",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A removal list (JSON); repeatable.",
)
_key_option = click.option(
    "--public-key", help="Base64 public key, or a file holding it (default: ours)."
)
_dataset_option = click.option(
    "--dataset", default="", help="Dataset of records that name none (as at ingest)."
)


_manifests_option = click.option(
    "--manifest",
    "manifests",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A manifest file, or a folder of shards; repeatable.",
)


@removals.command(name="apply")
@db_option
@_list_option
@_manifests_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file; a folder for several shards (one output per input shard).",
)
@_key_option
@_dataset_option
@_engine_option
@_master_option
@_conf_option
def removals_apply(
    db_path, lists, manifests, out, public_key, dataset, engine, master, conf
) -> None:
    """Write the manifest minus the listed records to OUT (signatures checked first)."""
    from dsr_app.removal.apply import apply_shards, load_lists, shard_pairs

    spark = _spark_options(engine, master, conf)
    targets = load_lists(lists, _public_key(db_path, public_key))
    targets.default_dataset = dataset
    pairs = shard_pairs(list(manifests), out, _secret_folders(db_path))
    click.echo(apply_shards(pairs, targets, engine, **spark).summary())


@removals.command(name="verify")
@db_option
@_list_option
@_manifests_option
@_key_option
@_dataset_option
def removals_verify(db_path, lists, manifests, public_key, dataset) -> None:
    """Exit 0 if none of the listed records is in the manifest, else 1 and list them."""
    from dsr_app.corpus.manifests import manifest_files
    from dsr_app.removal.apply import load_lists, still_present

    shards = manifest_files(manifests, _secret_folders(db_path))
    targets = load_lists(lists, _public_key(db_path, public_key))
    targets.default_dataset = dataset
    for shard in shards:  # what is found accumulates in targets.found
        still_present(shard, targets)
    present = sorted(targets.found)
    for dataset, record_id in present:
        click.echo(f"still present: {dataset} {record_id}")
    if present:
        sys.exit(ExitCode.CHECK_FAILED)
    click.echo("none of the listed records is present")


@cli.group()
def keys() -> None:
    """The key pair that signs removal lists."""


@keys.command(name="public")
@db_option
def keys_public(db_path: Path | None) -> None:
    """Print the Ed25519 public key that signs removal lists (base64)."""
    click.echo(_public_key(db_path, None))


@cli.group()
def accounts() -> None:
    """The platform account registry."""


@accounts.command(name="import")
@db_option
@click.argument("path", type=click.Path(path_type=Path))
def accounts_import(db_path: Path | None, path: Path) -> None:
    """Load or update accounts from a JSON Lines registry file (upsert by id)."""
    from dsr_app.corpus.accounts import import_accounts

    click.echo(import_accounts(_open(db_path), path).summary())


class _progress:
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
