"""Turn manifest records into rows for the store, a batch at a time, or into the
reasons they are bad (what a record is: ``record.py``).

Pure functions over plain data, so ingest can run them in worker processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import NamedTuple

import orjson

from dsr_app.corpus.manifests import row_as_line
from dsr_app.corpus.record import (
    ABSENT,
    KNOWN_FIELDS,
    NULLABLE,
    line_values,
    policy_flags,
    schema_error,
)
from dsr_app.identifiers import index_text, text_identifier_keys


class Prepared(NamedTuple):
    """A valid record: its row, identifier keys and text for the FTS index."""

    line_no: int
    row: tuple  # every column of records, in order
    keys: set[str]
    folded: str
    flags: int


class Rejected(NamedTuple):
    """A bad line: where, which field, why, and the line as it was."""

    line_no: int
    field: str
    reason: str
    raw: bytes


def _depth_exceeds(value, limit: int) -> bool:
    """Whether a JSON value nests deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def prepare(
    rec,
    line_no: int,
    record: int,
    manifest_id: int,
    dataset: str | None,
    version: str,
    max_depth: int = 64,
) -> Prepared | Rejected:
    """Validate one parsed record and build its row (columns: migrations.m001) with
    id ``record``; a ``Rejected`` has no ``raw`` yet (the caller has the line)."""
    if type(rec) is not dict:
        return Rejected(line_no, "", "not a JSON object", b"")
    if None in rec.values():
        for name in NULLABLE:
            if name in rec and rec[name] is None:
                del rec[name]  # null is absent, as in Parquet (contract section 3)
    values = line_values(rec)
    if values is None:
        return Rejected(line_no, *schema_error(rec), b"")
    source, kind, author_id, handle, visibility, lang, url, own_dataset = values
    if own_dataset == ABSENT:
        if dataset is None:
            return Rejected(
                line_no,
                "dataset",
                "Missing data (or give --dataset).",
                b"",
            )
        own_dataset = dataset
    elif dataset is not None and own_dataset != dataset:
        return Rejected(
            line_no,
            "dataset",
            f"is {own_dataset!r} but --dataset is {dataset!r}",
            b"",
        )
    text = rec["text"]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    given = rec.get("content_sha256")
    if given is not None and given.lower() != digest:
        return Rejected(
            line_no,
            "content_sha256",
            f"does not match text (its SHA-256 is {digest})",
            b"",
        )
    extra = ABSENT
    if not rec.keys() <= KNOWN_FIELDS:
        unknown = {k: rec[k] for k in sorted(rec.keys() - KNOWN_FIELDS)}
        for name, value in unknown.items():
            if isinstance(value, dict | list) and _depth_exceeds(value, max_depth):
                return Rejected(
                    line_no,
                    name,
                    f"nested deeper than {max_depth} levels",
                    b"",
                )
        extra = orjson.dumps(unknown, default=str).decode()
    minor = rec.get("author_is_minor")
    flags = policy_flags(rec)
    row = (
        record,
        manifest_id,
        own_dataset,
        version,
        rec["record_id"],
        text,
        digest,
        source,
        kind,
        author_id,
        handle,
        handle.lower() if handle else ABSENT,  # ABSENT.lower() is ABSENT
        rec.get("created_at", ABSENT),
        visibility,
        ABSENT if minor is None else int(minor),
        lang,
        url,
        extra,
        flags,
    )
    # ASCII text goes to the index unchanged (crossing from the worker once, not
    # twice): unicode61 folds case itself.
    return Prepared(line_no, row, text_identifier_keys(text), index_text(text), flags)


class Batch(NamedTuple):
    """Prepared records of one chunk, shaped for ``executemany``."""

    rows: list[tuple]  # Prepared.row
    keys: list[tuple[str, int]]  # (identifier key, record id)
    fts: list[tuple[int, str]]  # (record id, text for the index)
    line_nos: list[int]  # line of each row, for error messages
    violations: int
    rejects: list[Rejected]


def prepare_batch(
    fmt: str,
    chunk: tuple[int, bytes] | list[tuple[int, dict]],
    base_id: int,
    manifest_id: int,
    dataset: str | None,
    version: str,
    max_depth: int,
) -> Batch:
    """Prepare a block of JSON Lines (``jsonl``: the number of its first line and the
    block, from ``manifests.jsonl_blocks``) or numbered Parquet rows (``parquet``).

    The record on line n gets id ``base_id + n``, so ids follow the file wherever
    it is prepared (a blank or bad line leaves a gap).
    """
    rows, keys, fts, line_nos, rejects = [], [], [], [], []
    violations = 0
    for line_no, rec, raw in _jsonl_records(*chunk) if fmt == "jsonl" else _rows(chunk):
        if type(rec) is Rejected:
            rejects.append(rec)
            continue
        record = base_id + line_no
        out = prepare(rec, line_no, record, manifest_id, dataset, version, max_depth)
        if type(out) is Rejected:
            rejects.append(out._replace(raw=row_as_line(rec) if raw is None else raw))
            continue
        line_nos.append(line_no)
        rows.append(out.row)
        if out.keys:
            keys.extend([(key, record) for key in out.keys])
        fts.append((record, out.folded))
        if out.flags:
            violations += 1
    return Batch(rows, keys, fts, line_nos, violations, rejects)


def _jsonl_records(first: int, block: bytes) -> Iterator[tuple[int, object, bytes]]:
    """(line number, parsed record or ``Rejected``, line) for each non-blank line
    (without its line end, which the rejects file puts back)."""
    lines = block.split(b"\n")
    ends = block.endswith(b"\n")
    if ends:
        lines.pop()  # the empty rest after the last line end
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line or line.isspace():
            continue  # blank lines are skipped but counted
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            raw = line + b"\n" if ends or i < last else line
            yield first + i, _json_error(first + i, raw), raw
            continue
        yield first + i, rec, line


def _json_error(line_no: int, raw: bytes) -> Rejected:
    """The reason a line is not JSON (the message names the place in the line as
    the file holds it, line end included)."""
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
    if "depth" in reason or "recursion" in reason:
        reason = "JSON nested too deeply"
    return Rejected(line_no, "", f"not valid JSON: {reason}", raw)


def _rows(chunk: list[tuple[int, dict]]) -> Iterator[tuple[int, dict, None]]:
    """Parquet rows as (row number, row, no line: one is written for a reject)."""
    for row_no, row in chunk:
        yield row_no, row, None
