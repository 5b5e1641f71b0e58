"""Turn one manifest record into a row for the store, or into the reason it is bad.

Pure functions over plain data, so ingest can run them in worker processes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import NamedTuple

import orjson

from .identifiers import fold, text_identifier_keys
from .manifests import row_as_line
from .schemas import ManifestRecordSchema

NON_PUBLIC, MINOR = 1, 2
# An absent optional value in a prepared row, turned into NULL by the INSERT
# (ingest._INSERT_RECORD): the sqlite3 module binds None through its adapter lookup,
# 1 µs a value, a seventh of a row's insert. No valid value can equal it: one-line
# fields refuse control characters, and created_at, extra and author_is_minor are
# never this string.
ABSENT = "\x01"
POLICY_FLAG_NAMES = {NON_PUBLIC: "non_public", MINOR: "minor"}

OPTIONAL_STRINGS = {
    "dataset": 256,
    "source": 256,
    "kind": 256,
    "author_id": 1024,
    "author_handle": 256,
    "visibility": 64,
    "lang": 64,
    "url": 8192,
}
KNOWN_FIELDS = {
    "record_id",
    "text",
    "created_at",
    "author_is_minor",
    "content_sha256",
    *OPTIONAL_STRINGS,
}
_NULLABLE = ("created_at", "author_is_minor", "content_sha256", *OPTIONAL_STRINGS)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_SCHEMA = ManifestRecordSchema()


class Prepared(NamedTuple):
    """A valid record: its row values, identifier keys and text for the FTS index.

    Named tuples, not dataclasses: batches of them cross process boundaries, and
    tuples pickle several times faster.
    """

    line_no: int
    row: tuple
    keys: tuple[str, ...]
    folded: str
    flags: int


class Rejected(NamedTuple):
    """A bad line: where, which field, why, and the line as it was."""

    line_no: int
    field: str
    reason: str
    raw: bytes


def policy_flag_names(flags: int) -> list[str]:
    """``["non_public", "minor"]`` for a flags bit set."""
    return [name for bit, name in POLICY_FLAG_NAMES.items() if flags & bit]


def _quick_valid(rec: dict) -> bool:
    """True only for records the schema certainly accepts (the common, fast case)."""
    record_id = rec.get("record_id")
    if not (isinstance(record_id, str) and 0 < len(record_id) <= 1024):
        return False
    if not isinstance(rec.get("text"), str):
        return False
    one_line = [record_id]
    for name, max_len in OPTIONAL_STRINGS.items():
        value = rec.get(name)
        if value is not None:
            if not (isinstance(value, str) and len(value) <= max_len):
                return False
            one_line.append(value)
    if rec.get("dataset") == "" or _CONTROL.search("".join(one_line)):
        return False
    created = rec.get("created_at")
    if created is not None:
        if not isinstance(created, str):
            return False
        try:
            datetime.fromisoformat(created)
        except ValueError:
            return False
    minor = rec.get("author_is_minor")
    if minor is not None and not isinstance(minor, bool):
        return False
    digest = rec.get("content_sha256")
    return digest is None or (
        isinstance(digest, str) and _HEX64.fullmatch(digest) is not None
    )


def schema_error(rec: dict) -> tuple[str, str]:
    """The first (field, message) the schema reports for ``rec``."""
    errors = _SCHEMA.validate(rec)
    for field in ("record_id", "dataset", "text", *sorted(errors)):
        if field in errors:
            messages = errors[field]
            if isinstance(messages, dict):  # nested errors: flatten the first
                messages = next(iter(messages.values()))
            return field, " ".join(str(m) for m in messages)
    return "", "invalid record"


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
    raw: bytes,
    dataset: str | None,
    version: str,
    max_depth: int = 64,
) -> Prepared | Rejected:
    """Validate one parsed record and build its row (columns: migrations.m001)."""
    if not isinstance(rec, dict):
        return Rejected(line_no, "", "not a JSON object", raw)
    if None in rec.values():
        for name in _NULLABLE:
            if name in rec and rec[name] is None:
                del rec[name]  # null is absent, as in Parquet (contract section 3)
    if not _quick_valid(rec):
        return Rejected(line_no, *schema_error(rec), raw)
    own_dataset = rec.get("dataset")
    if own_dataset is None and dataset is None:
        return Rejected(line_no, "dataset", "Missing data (or give --dataset).", raw)
    if dataset is not None and own_dataset is not None and own_dataset != dataset:
        return Rejected(
            line_no, "dataset", f"is {own_dataset!r} but --dataset is {dataset!r}", raw
        )
    text = rec["text"]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    given = rec.get("content_sha256")
    if given is not None and given.lower() != digest:
        return Rejected(
            line_no,
            "content_sha256",
            f"does not match text (its SHA-256 is {digest})",
            raw,
        )
    unknown = rec.keys() - KNOWN_FIELDS
    extra = {k: rec[k] for k in sorted(unknown)} if unknown else {}
    for name, value in extra.items():
        if isinstance(value, dict | list) and _depth_exceeds(value, max_depth):
            return Rejected(
                line_no, name, f"nested deeper than {max_depth} levels", raw
            )
    minor = rec.get("author_is_minor")
    visibility = rec.get("visibility")
    flags = (NON_PUBLIC if visibility is not None and visibility != "public" else 0) | (
        MINOR if minor else 0
    )
    handle = rec.get("author_handle")
    row = (
        own_dataset or dataset,
        version,
        rec["record_id"],
        text,
        digest,
        rec.get("source", ABSENT),
        rec.get("kind", ABSENT),
        rec.get("author_id", ABSENT),
        rec.get("author_handle", ABSENT),
        handle.lower() if handle else ABSENT,
        rec.get("created_at", ABSENT),
        ABSENT if visibility is None else visibility,
        ABSENT if minor is None else int(minor),
        rec.get("lang", ABSENT),
        rec.get("url", ABSENT),
        orjson.dumps(extra, default=str).decode() if extra else ABSENT,
        flags,
    )
    # unicode61 folds case itself, so ASCII text goes to the index unchanged (and
    # crosses from the worker once, not twice).
    searchable = text if text.isascii() else fold(text)
    return Prepared(line_no, row, tuple(text_identifier_keys(text)), searchable, flags)


def prepare_jsonl(
    lines: list[tuple[int, bytes]], dataset: str | None, version: str, max_depth: int
) -> list[Prepared | Rejected]:
    """Parse and prepare a batch of raw JSON lines."""
    out: list[Prepared | Rejected] = []
    for line_no, raw in lines:
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = str(exc)
            if "depth" in reason or "recursion" in reason:
                reason = "JSON nested too deeply"
            out.append(Rejected(line_no, "", f"not valid JSON: {reason}", raw))
            continue
        out.append(prepare(rec, line_no, raw, dataset, version, max_depth))
    return out


class Batch(NamedTuple):
    """Prepared records of one chunk, shaped for ``executemany``."""

    rows: list[tuple]  # (id, manifest_id, *Prepared.row)
    keys: list[tuple[str, int]]  # (identifier key, record id)
    fts: list[tuple[int, str]]  # (record id, text for the index)
    line_nos: list[int]  # line of each row, for error messages
    violations: int
    rejects: list[Rejected]


def prepare_batch(
    fmt: str,
    chunk: list[tuple[int, object]],
    first_id: int,
    manifest_id: int,
    dataset: str | None,
    version: str,
    max_depth: int,
) -> Batch:
    """Prepare a chunk of numbered JSON lines (``jsonl``) or Parquet rows (``parquet``).

    The record on the chunk's n-th line gets id ``first_id + n``.
    """
    if fmt == "jsonl":
        items = prepare_jsonl(chunk, dataset, version, max_depth)
    else:
        items = [
            prepare(row, n, row_as_line(row), dataset, version, max_depth)
            for n, row in chunk
        ]
    rows, keys, fts, line_nos, rejects = [], [], [], [], []
    violations = 0
    record = first_id - 1
    for item in items:
        record += 1
        if type(item) is Rejected:
            rejects.append(item)
            continue
        line_no, row, item_keys, searchable, flags = item
        rows.append((record, manifest_id, *row))
        if item_keys:
            keys.extend([(key, record) for key in item_keys])
        fts.append((record, searchable))
        line_nos.append(line_no)
        if flags:
            violations += 1
    return Batch(rows, keys, fts, line_nos, violations, rejects)
