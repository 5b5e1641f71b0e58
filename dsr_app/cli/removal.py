"""``dsr removals``, ``dsr keys`` and ``dsr outbox``: what training teams run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dsr_app.cli.options import (
    BadInputError,
    ExitCode,
    conf_option,
    db_option,
    engine_option,
    existing_instance,
    existing_store,
    locate,
    master_option,
    secret_folders,
    spark_options,
    where,
)
from dsr_app.cli.progress import Progress, lines_in
from dsr_app.engines import ENGINES


@click.group()
def removals() -> None:
    """Removal lists: apply them to manifests and check that they were applied."""


def _public_key(db_path: Path | None, given: str | None) -> str:
    """``--public-key``, else the instance's own key; never a new one: a key made
    here would only make every list fail as if it had been tampered with."""
    if given:
        return given
    from dsr_app.signing import KEY_FILE, public_key_b64

    found = locate(db_path)
    if not (found.folder / KEY_FILE).is_file():
        raise BadInputError(
            f"no signing key at {(found.folder / KEY_FILE).absolute()}"
            f" ({where(found)}): give --public-key (`dsr keys public` of the"
            " instance that issued the lists)"
        )
    return public_key_b64(found.folder)


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
@engine_option
@master_option
@conf_option
def removals_apply(
    db_path, lists, manifests, out, public_key, dataset, engine, master, conf
) -> None:
    """Write the manifest minus the listed records to OUT (signatures checked first)."""
    from dsr_app.removal.shards import apply_shards, shard_pairs
    from dsr_app.removal.targets import load_lists

    spark = spark_options(engine, master, conf)
    targets = load_lists(lists, _public_key(db_path, public_key))
    targets.default_dataset = dataset
    protected = secret_folders(db_path)
    targets.protected = tuple(str(folder) for folder in protected)
    pairs = shard_pairs(list(manifests), out, protected)
    count = lambda: lines_in([i for i, _ in pairs], protected)  # noqa: E731
    with Progress("records", count) as progress:
        applied = apply_shards(
            pairs, targets, ENGINES[engine].apply_shards, progress, **spark
        )
    click.echo(applied.summary())


@removals.command(name="verify")
@db_option
@_list_option
@_manifests_option
@_key_option
@_dataset_option
def removals_verify(db_path, lists, manifests, public_key, dataset) -> None:
    """Exit 0 if none of the listed records is in the manifest, else 1 and list them."""
    from dsr_app.corpus.manifests import manifest_files
    from dsr_app.removal.apply import still_present
    from dsr_app.removal.targets import load_lists

    protected = secret_folders(db_path)
    shards = manifest_files(manifests, protected)
    targets = load_lists(lists, _public_key(db_path, public_key))
    targets.default_dataset = dataset
    targets.protected = tuple(str(folder) for folder in protected)
    with Progress("records", lambda: lines_in(shards, protected)) as progress:
        for shard in shards:  # what is found accumulates in targets.found
            still_present(shard, targets, progress)
    present = sorted(targets.found)
    for dataset, record_id in present:
        click.echo(f"still present: {dataset} {record_id}")
    # Entries of datasets these files do not hold were not checked: say so, so
    # that "none present" is not read as covering them (issue 21, item 5).
    for t in targets.tally():
        if not t.read and t.unmatched:
            click.echo(
                f"  {t.dataset}: {t.unmatched:,} list entries for this other dataset"
                " (none of its records read)",
                err=True,
            )
    if present:
        sys.exit(ExitCode.CHECK_FAILED)
    click.echo("none of the listed records is present")


@click.group()
def keys() -> None:
    """The key pair that signs removal lists."""


@keys.command(name="public")
@db_option
def keys_public(db_path: Path | None) -> None:
    """Print the Ed25519 public key that signs removal lists (base64)."""
    from dsr_app.signing import public_key_b64

    # The instance's key is made on first use, but only for an existing instance.
    click.echo(public_key_b64(existing_instance(db_path).folder))


@click.command()
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
    messages = outbox_messages(existing_store(db_path), to)
    if as_json:
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    for m in messages:
        click.echo(
            f"#{m['id']} {m['created_at']} {m['channel']} to {m['to']}: {m['subject']}"
        )
        click.echo("    " + m["body"].replace("\n", "\n    ").rstrip())
