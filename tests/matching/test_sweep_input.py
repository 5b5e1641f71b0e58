"""Reading blocks of JSON lines for the sweep: one row per line, or the slow path."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.matching import sweep_input
from dsr_app.matching.sweep import Matcher, sweep_lines, sweep_records
from dsr_app.matching.sweep_input import (
    block_lines,
    block_rows,
    file_records,
    lines_at,
    parsed,
    python_lines_at,
)
from tests.matching.test_prefilter import ZOE
from tests.matching.test_rules import _keyed

_RECORD = orjson.dumps({"record_id": "1", "text": "hi Zoë Müller-Łukasik"})


@pytest.fixture(params=["compiled", "python"])
def line_counter(request, monkeypatch):
    """block_rows with _scan.lines, and with the Python it falls back to."""
    if request.param == "python":
        monkeypatch.setattr(sweep_input, "_lines", sweep_input.python_lines)
    return request.param


@pytest.mark.parametrize(
    "block",
    [
        _RECORD + b"\n" + _RECORD + b"\n",
        _RECORD + b"\r\n" + _RECORD,  # CRLF, and a last line without a break
        b" " + _RECORD + b" \n",
    ],
)
def test_block_rows_reads_one_row_per_line(block, line_counter):
    found = block_rows(block)
    assert [bytes(row.text) for row in found] == [
        b'"hi Zo\xc3\xab M\xc3\xbcller-\xc5\x81ukasik"'
    ] * len(block_lines(block))


@pytest.mark.parametrize(
    "block",
    [
        _RECORD + b" " + _RECORD + b"\n",  # two on a line
        _RECORD + b"\n\n" + _RECORD + b"\n",  # a blank line
        _RECORD + b"\n  \n",  # spaces only
        b'{"record_id": "1",\n"text": "split"}\n',  # one record over two lines
        b'{"text": "a"}\n[1]\n',  # not a record
        b'{"text": "a"}\n{"text": "a"\n',  # not JSON
    ],
)
def test_block_rows_leaves_blocks_that_are_not_one_record_a_line(block, line_counter):
    assert block_rows(block) is None


@pytest.mark.parametrize("lines_at", [lines_at, python_lines_at])
def test_lines_at_gives_lines_by_number(lines_at):
    block = b"zero\none\ntwo\nthree"
    assert lines_at(block, [1, 3]) == {1: b"one", 3: b"three"}
    assert lines_at(block, [0]) == {0: b"zero"}
    assert lines_at(block, []) == {}
    assert lines_at(b"a\n\nb\n", [1, 2, 3]) == {1: b"", 2: b"b", 3: b""}
    with pytest.raises(ValueError):
        lines_at(block, [4])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"a", b"\n", b"\r", b"{}", b"\x00"])).map(b"".join),
    st.sets(st.integers(0, 12)),
)
def test_compiled_lines_at_is_the_python_one(block, wanted):
    wanted = sorted(n for n in wanted if n <= block.count(b"\n"))
    assert lines_at(block, wanted) == python_lines_at(block, wanted)
    assert sweep_input.lines_at is not python_lines_at  # the compiled one


# Lines a block is made of: records that concern Zoë or not, and every way a line
# can fail to be one record (which the fast path must not read as records).
_LINES = [
    _RECORD,
    orjson.dumps({"record_id": "2", "text": "nothing", "author_id": "acc-1"}),
    orjson.dumps({"record_id": "3", "text": "mail zoe.m@example.eu"}),
    orjson.dumps({"record_id": "4", "text": "} {"}),
    orjson.dumps({"text": "no id, @zoe_ml"}),
    b"",
    b"   ",
    _RECORD + b" " + _RECORD,
    b'{"record_id": "5", "text":',
    b'"Zo\\u00eb M\\u00fcller-\\u0141ukasik"}',
    b'{"record_id": "6", "text": 5}',
    b"{not json",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), max_size=12), st.sampled_from([b"\n", b"\r\n"])
)
def test_sweep_lines_reads_a_block_as_its_lines_one_by_one(lines, newline):
    """Whatever a block holds, the sweep counts and matches what reading each
    line on its own gives."""
    block = b"".join(line + newline for line in lines)
    matcher = Matcher([ZOE])
    fast = sweep_lines(matcher, [block], "posts", "v1")
    records = file_records(parsed(block_lines(block)), "posts", "v1")
    slow = sweep_records(matcher, ((r, None) for r in records))
    assert fast.records == slow.records
    assert fast.scope == slow.scope
    assert _keyed(m for v in fast.matches.values() for m in v) == _keyed(
        m for v in slow.matches.values() for m in v
    )


def test_blocks_of_a_file_part_hold_its_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in _LINES))
    blocks = list(sweep_input.part_blocks(("file", str(path), (), None, "1")))
    assert b"".join(blocks) == path.read_bytes()
    part = ("range", str(path), 0, path.stat().st_size, (), None, "1")
    assert b"".join(sweep_input.part_blocks(part)) == path.read_bytes()


def test_sweeping_one_file_keeps_matches_found_elsewhere(tmp_path, run):
    from dsr_app.db import open_db
    from dsr_app.demo import load_demo
    from tests.matching.test_rules import file_verified_request, found

    db = open_db(tmp_path / "s.sqlite3")
    load_demo(db)
    zoe = db["accounts"].get("acc-900001")
    request_id = file_verified_request(db, zoe)
    before = set(found(db, request_id))
    shard = tmp_path / "shard.jsonl"
    shard.write_text(
        json.dumps(
            {
                "record_id": "new",
                "dataset": "public-posts",
                "text": "hi @zoe.mueller",
                "author_handle": 5,
            }
        )
        + "\n"
        + json.dumps(
            {"record_id": "new2", "dataset": "public-posts", "text": "hi @zoe.mueller"}
        )
        + "\n"
    )
    result = run(
        "sweep",
        "--manifest",
        str(shard),
        "--version",
        "2025-01",
        "--db",
        str(tmp_path / "s.sqlite3"),
        db=False,
    )
    assert result.exit_code == 0, result.output
    after = set(found(db, request_id))
    assert before <= after  # nothing found elsewhere was deleted
    assert ("public-posts", "2025-01", "new2", "mention", "handle") in after
    assert not any(k[2] == "new" for k in after)  # a bad line is skipped
