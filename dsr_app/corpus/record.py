"""What a manifest record is (contract section 3): its fields and their limits, how
a parsed line is checked as one, its policy flags and its key.

``ManifestRecordSchema`` is the one definition; the limits here are read off it, so
ingest's fast check (``line_values``), the sweep's partial decode
(``matching.sweep_input.Row``, built from ``READ_STRINGS``) and the removal key
never restate them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from operator import is_not

from marshmallow import ValidationError, validate

from dsr_app.schemas.fields import iso_datetime, sha256_hex, single_line
from dsr_app.schemas.records import ManifestRecordSchema

SCHEMA = ManifestRecordSchema()
NON_PUBLIC, MINOR = 1, 2
POLICY_FLAG_NAMES = {NON_PUBLIC: "non_public", MINOR: "minor"}
# An absent optional value in a prepared row, turned into NULL by the INSERT
# (ingest._INSERT_RECORD): the sqlite3 module binds None through its adapter lookup,
# a seventh of a row's insert. No valid value can equal it: one-line fields refuse
# control characters, and created_at, extra and author_is_minor are never this
# string.
ABSENT = "\x01"


def _max_length(name: str) -> int:
    """The most characters the schema allows in field ``name``."""
    return next(
        check.max
        for check in SCHEMA.fields[name].validators
        if isinstance(check, validate.Length)
    )


# The one-line fields (no control characters, a length limit), by their limit.
ONE_LINE = {
    name: _max_length(name)
    for name, field in SCHEMA.fields.items()
    if single_line in field.validators
}
OPTIONAL_STRINGS = {
    name: limit for name, limit in ONE_LINE.items() if not SCHEMA.fields[name].required
}
KNOWN_FIELDS = frozenset(SCHEMA.fields)
# null is absent, as in Parquet (contract section 3): the optional fields
NULLABLE = tuple(name for name, field in SCHEMA.fields.items() if not field.required)
# The optional one-line fields in the order of their columns (migrations.m001),
# dataset last (not a column).
LINE_NAMES = (
    "source",
    "kind",
    "author_id",
    "author_handle",
    "visibility",
    "lang",
    "url",
    "dataset",
)
_LINE_LIMITS = tuple(OPTIONAL_STRINGS[name] for name in LINE_NAMES)
_RECORD_ID_MAX = ONE_LINE["record_id"]
_SHORTEST_LIMIT = min(OPTIONAL_STRINGS.values())
_is_value = partial(is_not, None)

# The string fields the matching rules read of a record besides its text: a record
# where one of them is not a string is one ingest refuses, and the sweep skips.
# A stored record's columns as the matchers read them from the store (the
# per-request search, the sweep over the index, copies of removed texts).
STORED_COLUMNS = (
    "id",
    "dataset",
    "dataset_version",
    "record_id",
    "text",
    "author_id",
    "author_handle",
    "lang",
    "policy_flags",
    "content_sha256",
)

READ_STRINGS = ("record_id", "dataset", "author_id", "author_handle", "lang")


def line_values(rec: dict) -> list | None:
    """The one-line optional fields in ``LINE_NAMES`` order (``ABSENT`` where
    missing) if the schema certainly accepts ``rec``, else ``None`` (it may not:
    ask ``schema_error``).

    Plain checks for the common case; the schema names the field of a bad line.
    """
    get = rec.get
    record_id = get("record_id")
    if type(record_id) is not str or not 0 < len(record_id) <= _RECORD_ID_MAX:
        return None
    if type(get("text")) is not str or get("dataset") == "":
        return None
    # Whole-record tests in C (map, filter, join) instead of a Python step a field:
    # join refuses a value that is not a string, one isprintable() pass covers all
    # (control characters are not printable), and values within the smallest
    # length limit need no test a field.
    values = list(map(get, LINE_NAMES))
    present = list(filter(_is_value, values))
    present.append(record_id)
    try:
        line = "".join(present)
        if not line.isprintable():
            single_line(line)
    except (TypeError, ValidationError):
        return None
    if max(map(len, present)) > _SHORTEST_LIMIT and any(
        len(value) > max_len
        for value, max_len in zip(values, _LINE_LIMITS, strict=True)
        if value is not None
    ):
        return None
    if len(present) <= len(values):  # some field is absent
        values = [ABSENT if value is None else value for value in values]
    created = get("created_at")
    digest = get("content_sha256")
    try:
        if created is not None:
            if type(created) is not str:
                return None
            iso_datetime(created)
        if digest is not None:
            if type(digest) is not str:
                return None
            sha256_hex(digest)
    except ValidationError:
        return None
    minor = get("author_is_minor")
    if minor is not None and type(minor) is not bool:
        return None
    return values


def schema_error(rec: dict) -> tuple[str, str]:
    """The first (field, message) the schema reports for ``rec``."""
    errors = SCHEMA.validate(rec)
    for field in ("record_id", "dataset", "text", *sorted(errors)):
        if field in errors:
            messages = errors[field]
            if isinstance(messages, dict):  # nested errors: flatten the first
                messages = next(iter(messages.values()))
            return field, " ".join(str(m) for m in messages)
    return "", "invalid record"


def policy_flags(rec: Mapping) -> int:
    """A record's policy flags: ``NON_PUBLIC`` unless its visibility is absent or
    ``public``, ``MINOR`` if its author is a minor."""
    visibility = rec.get("visibility")
    return (NON_PUBLIC if visibility not in (None, "public") else 0) | (
        MINOR if rec.get("author_is_minor") is True else 0
    )


def policy_flag_names(flags: int) -> list[str]:
    """``["non_public", "minor"]`` for a flags bit set."""
    return [name for bit, name in POLICY_FLAG_NAMES.items() if flags & bit]


def record_key(rec: Mapping) -> tuple:
    """(dataset, record_id, content hash, author_id) of a parsed record: what a
    removal list names it by (``removal.targets.Targets.hit``)."""
    text = rec.get("text")
    digest = rec.get("content_sha256")
    if not isinstance(digest, str) or not digest:
        digest = (
            hashlib.sha256(text.encode("utf-8")).hexdigest()
            if isinstance(text, str)
            else ""
        )
    author = rec.get("author_id")
    return (
        rec.get("dataset"),
        rec.get("record_id"),
        digest.lower(),
        author if isinstance(author, str) else None,
    )


def read_record(rec: object, dataset: str | None, version: str) -> dict | None:
    """A parsed line as the matching rules read it, or ``None`` for one ingest
    would refuse for the types the rules depend on (``dsr ingest`` reports those):
    not an object, a text that is not a string, a ``READ_STRINGS`` field that is
    not a string or null, or no record id or dataset (its own or ``dataset``).
    Other faults do not hide a record from a sweep. Its ``policy_flags`` are worked
    out when it turns out to concern someone."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        return None
    for name in READ_STRINGS:  # a loop, not any(): this runs for every record
        value = rec.get(name)
        if value is not None and not isinstance(value, str):
            return None
    rec["dataset"] = rec.get("dataset") or dataset
    rec["dataset_version"] = version
    return rec if rec["dataset"] and rec.get("record_id") else None
