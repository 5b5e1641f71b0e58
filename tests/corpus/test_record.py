"""What a manifest record is: one definition (the schema), and every reader of a
line (ingest's fast check, the sweep's partial and whole reads, the removal key)
agreeing with it on the same lines."""

from __future__ import annotations

import hashlib

import msgspec
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.corpus.record import (
    ABSENT,
    LINE_NAMES,
    MINOR,
    NON_PUBLIC,
    NULLABLE,
    ONE_LINE,
    OPTIONAL_STRINGS,
    READ_STRINGS,
    SCHEMA,
    policy_flags,
    record_key,
)
from dsr_app.corpus.records import prepare_batch
from dsr_app.matching import sweep_input
from dsr_app.matching.prefilter import json_view

_TEXT = "hi Zoë Müller, mail zoe.m@example.eu"
_HEX = hashlib.sha256(_TEXT.encode()).hexdigest()


def test_limits_are_the_schemas():
    assert ONE_LINE["record_id"] == 1024
    assert OPTIONAL_STRINGS == {
        "dataset": 256,
        "source": 256,
        "kind": 256,
        "author_id": 1024,
        "author_handle": 256,
        "visibility": 64,
        "lang": 64,
        "url": 8192,
    }
    assert sorted(LINE_NAMES) == sorted(OPTIONAL_STRINGS)
    assert set(NULLABLE) == set(SCHEMA.fields) - {"record_id", "text"}


def test_sweep_row_reads_the_records_string_fields():
    assert set(READ_STRINGS) <= set(ONE_LINE)
    assert sweep_input.Row.__struct_fields__ == ("text", *READ_STRINGS)


def _one_line(name: str) -> st.SearchStrategy:
    limit = ONE_LINE[name]
    return st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=8),
        st.sampled_from(["", "x" * limit, "é" * (limit + 1), "a\nb", "a\x7fb"]),
        st.sampled_from(["public", "private"] if name == "visibility" else ["x"]),
    )


_WRONG = st.sampled_from([5, 1.5, True, [], {"a": 1}])
_FIELDS = {name: st.one_of(_one_line(name), st.none(), _WRONG) for name in ONE_LINE}
_FIELDS |= {
    "text": st.one_of(
        st.sampled_from([_TEXT, "", "tab\tand\nbreak"]), st.none(), _WRONG
    ),
    "created_at": st.sampled_from(
        ["2025-01-31T10:00:00Z", "2025-01-31", "yesterday", None, 5]
    ),
    "author_is_minor": st.sampled_from([True, False, None, "true", 1]),
    "content_sha256": st.sampled_from([_HEX, _HEX.upper(), "0" * 64, "xyz", None, 5]),
    "extra_field": st.one_of(st.integers(-9, 9), st.text(max_size=4), st.none()),
}
# A good id and text, which the optional ones may replace.
_RECORDS = st.fixed_dictionaries({}, optional=_FIELDS).map(
    lambda fields: {"record_id": "r-1", "text": _TEXT} | fields
)
_LINES = st.one_of(
    _RECORDS.map(orjson.dumps),
    st.sampled_from([b"[1]", b'"text"', b"null", b'{"text": "a"', b"{}"]),
)


def _ingested(line: bytes):
    """What ingest makes of the line: its row, or its reject."""
    batch = prepare_batch("jsonl", (1, line + b"\n"), 0, 1, None, "v1", 64)
    return (batch.rows[0], None) if batch.rows else (None, batch.rejects[0])


def _schema_accepts(line: bytes) -> tuple[bool, dict]:
    """Whether the schema (and ingest's rules beyond it: a dataset, a matching
    hash) accept the line, with the schema's errors."""
    try:
        rec = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False, {}
    if not isinstance(rec, dict):
        return False, {}
    rec = {k: v for k, v in rec.items() if not (v is None and k in NULLABLE)}
    errors = SCHEMA.validate(rec)
    if errors or "dataset" not in rec:
        return False, errors
    given_hash = rec.get("content_sha256")
    digest = hashlib.sha256(rec["text"].encode()).hexdigest()
    return given_hash is None or given_hash.lower() == digest, errors


@settings(max_examples=600, deadline=None)
@given(_LINES)
def test_ingest_sweep_and_removal_read_a_line_alike(line):
    row, reject = _ingested(line)
    accepted, errors = _schema_accepts(line)
    # ingest's fast check decides as the schema does, and names its field
    assert (row is not None) == accepted
    if reject is not None and errors:
        assert reject.field in errors
        assert reject.line_no == 1

    whole = sweep_input.whole(line, None, "v1")
    # the sweep reads every record ingest accepts, alike
    if row is not None:
        assert whole is not None
        author = None if row[9] == ABSENT else row[9]
        assert (row[2], row[4], row[6], author) == record_key(whole)
        assert row[-1] == whole["policy_flags"] == policy_flags(whole)
        for name in READ_STRINGS:
            column = {"dataset": 2, "record_id": 4, "author_id": 9}.get(name)
            if column is not None:
                assert whole.get(name) == (
                    None if row[column] == ABSENT else row[column]
                )

    # the sweep's partial decode finds exactly the records its whole read finds
    rows = sweep_input.rows([line])
    named = (
        rows is not None
        and json_view([rows[0].text]) is not None
        and bool(rows[0].record_id)
        and bool(rows[0].dataset)
    )
    assert named == (whole is not None)
    if whole is not None:
        for name in READ_STRINGS:
            assert getattr(rows[0], name) == whole.get(name)
    block = sweep_input.block_rows(line + b"\n")
    if block is not None:
        assert block == rows


def test_policy_flags_of_each_kind_of_record():
    assert policy_flags({}) == 0
    assert policy_flags({"visibility": "public", "author_is_minor": False}) == 0
    assert policy_flags({"visibility": "followers"}) == NON_PUBLIC
    assert policy_flags({"author_is_minor": True}) == MINOR
    assert policy_flags({"visibility": "private", "author_is_minor": True}) == (
        NON_PUBLIC | MINOR
    )


def test_record_key_hashes_the_text_unless_the_record_gives_its_hash():
    rec = {"dataset": "d", "record_id": "r", "text": _TEXT, "author_id": 5}
    assert record_key(rec) == ("d", "r", _HEX, None)
    assert record_key(rec | {"content_sha256": _HEX.upper()})[2] == _HEX
    assert record_key({"text": 5}) == (None, None, "", None)
    assert record_key(msgspec.json.decode(orjson.dumps(rec))) == record_key(rec)
