"""``dsr ingest``: formats, idempotency, atomicity, rejects and refusals."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import (
    BAD_LINE_JSONL,
    RECORDS_GZ,
    RECORDS_JSONL,
    RECORDS_PARQUET,
    snapshot,
)


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.mark.parametrize("path", [RECORDS_JSONL, RECORDS_GZ, RECORDS_PARQUET])
def test_ingest_each_format_stores_every_record(run, db_path, path):
    result = run("ingest", path, "--version", "v1")
    assert result.exit_code == 0, result.output
    stored = rows(
        db_path,
        "SELECT record_id, dataset, dataset_version, author_id FROM records"
        " ORDER BY record_id",
    )
    assert stored == [
        ("t-1", "tiny", "v1", "acc-1"),
        ("t-2", "tiny", "v1", "acc-2"),
        ("t-3", "tiny", "v1", "acc-3"),
        ("t-4", "tiny", "v1", "acc-4"),
        ("t-5", "tiny", "v1", "acc-1"),
    ]
    assert "5 records, 0 rejects, 2 policy violations" in result.output


@pytest.mark.parametrize("path", [RECORDS_JSONL, RECORDS_PARQUET])
def test_ingest_keeps_unknown_fields(run, db_path, path):
    run("ingest", path)
    (extra,) = rows(db_path, "SELECT extra FROM records WHERE record_id = 't-2'")[0]
    assert "reactions" in json.loads(extra)


def test_ingest_computes_content_sha256_when_absent(run, db_path):
    run("ingest", RECORDS_JSONL)
    stored = dict(rows(db_path, "SELECT record_id, content_sha256 FROM records"))
    texts = {
        r["record_id"]: r["text"]
        for r in map(json.loads, RECORDS_JSONL.read_text().splitlines())
    }
    for record_id, text in texts.items():
        assert stored[record_id] == hashlib.sha256(text.encode()).hexdigest()


def test_ingest_flags_policy_violations(run, db_path):
    run("ingest", RECORDS_JSONL)
    flags = dict(rows(db_path, "SELECT record_id, policy_flags FROM records"))
    assert flags == {"t-1": 0, "t-2": 0, "t-3": 1, "t-4": 2, "t-5": 0}
    assert rows(db_path, "SELECT violations FROM manifests") == [(2,)]


def test_ingest_same_file_twice_changes_nothing(run, db_path):
    assert run("ingest", RECORDS_JSONL).exit_code == 0
    before = snapshot(db_path)
    again = run("ingest", RECORDS_JSONL)
    assert again.exit_code == 0
    assert "1 unchanged" in again.output
    assert snapshot(db_path) == before


def test_ingest_new_version_is_a_manifest_beside_the_old(run, db_path):
    run("ingest", RECORDS_JSONL, "--version", "2025-01")
    run("ingest", RECORDS_JSONL, "--version", "2025-06")
    versions = rows(
        db_path,
        "SELECT dataset_version, count(*) FROM records GROUP BY 1 ORDER BY 1",
    )
    assert versions == [("2025-01", 5), ("2025-06", 5)]
    assert rows(db_path, "SELECT count(*) FROM manifests") == [(2,)]


def test_ingest_bad_line_exits_2_naming_file_and_line(run, db_path):
    result = run("ingest", BAD_LINE_JSONL)
    assert result.exit_code == 2
    assert f"{BAD_LINE_JSONL}:3: text: Not a valid string." in result.output
    assert rows(db_path, "SELECT count(*) FROM records") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM manifests") == [(0,)]


def test_ingest_error_at_line_n_leaves_database_as_it_was(run, db_path, tmp_path):
    run("ingest", RECORDS_JSONL, "--version", "a")
    before = snapshot(db_path)
    # 5,000 good lines fill several batches before the bad one at line 4,999.
    records = [
        {
            "record_id": f"r{i}",
            "dataset": "big",
            "text": f"zzbatch @h{i} +49 151 {i:08d}",
        }
        for i in range(5000)
    ]
    records[4998]["author_is_minor"] = "yes"
    path = write_jsonl(tmp_path / "big.jsonl", records)
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:4999: author_is_minor: Not a valid boolean." in result.output
    assert snapshot(db_path) == before
    fts = rows(
        db_path, "SELECT count(*) FROM records_fts WHERE records_fts MATCH 'zzbatch'"
    )
    assert fts == [(0,)]


def test_ingest_skip_invalid_stores_good_lines_and_writes_rejects(
    run, db_path, tmp_path
):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(BAD_LINE_JSONL.read_bytes())
    result = run("ingest", path, "--skip-invalid")
    assert result.exit_code == 0
    assert "4 records, 1 rejects" in result.output
    rejects = path.with_name("bad.jsonl.rejects.jsonl")
    bad_line = BAD_LINE_JSONL.read_bytes().splitlines(keepends=True)[2]
    assert rejects.read_bytes() == bad_line
    stored = rows(db_path, "SELECT record_id FROM records ORDER BY 1")
    assert stored == [("t-1",), ("t-2",), ("t-4",), ("t-5",)]


def test_ingest_hash_mismatch_is_a_bad_line(run, db_path, tmp_path):
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [{"record_id": "x", "dataset": "d", "text": "a", "content_sha256": "0" * 64}],
    )
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:1: content_sha256: does not match text" in result.output


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "1: not valid JSON"),
        ("[1, 2]", "1: not a JSON object"),
        ('{"dataset": "d", "text": "t"}', "1: record_id: Missing data"),
        ('{"record_id": "x", "text": "t"}', "1: dataset: Missing data"),
        ('{"record_id": "x", "dataset": "d"}', "1: text: Missing data"),
        ('{"record_id": 7, "dataset": "d", "text": "t"}', "1: record_id: Not a valid"),
        (
            '{"record_id": "x", "dataset": "d", "text": "t", "created_at": "soon"}',
            "1: created_at: Not an ISO 8601",
        ),
        (
            '{"record_id": "a\\nb", "dataset": "d", "text": "t"}',
            "1: record_id: Must not contain control characters",
        ),
        (
            '{"record_id": "x", "dataset": "d", "text": "t", "content_sha256": "xyz"}',
            "1: content_sha256: Not a hex SHA-256",
        ),
    ],
)
def test_ingest_reports_the_bad_field(run, tmp_path, line, message):
    path = tmp_path / "one.jsonl"
    path.write_text(line + "\n")
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:{message}" in result.output


def test_ingest_dataset_option_fills_missing_dataset(run, db_path, tmp_path):
    path = write_jsonl(tmp_path / "n.jsonl", [{"record_id": "x", "text": "t"}])
    assert run("ingest", path, "--dataset", "given").exit_code == 0
    assert rows(db_path, "SELECT dataset FROM records") == [("given",)]


def test_ingest_conflicting_record_id_in_same_version_is_refused(
    run, db_path, tmp_path
):
    first = write_jsonl(
        tmp_path / "a.jsonl", [{"record_id": "x", "dataset": "d", "text": "one"}]
    )
    second = write_jsonl(
        tmp_path / "b.jsonl",
        [
            {"record_id": "y", "dataset": "d", "text": "fine"},
            {"record_id": "x", "dataset": "d", "text": "two"},
        ],
    )
    assert run("ingest", first).exit_code == 0
    result = run("ingest", second)
    assert result.exit_code == 2
    assert f"{second}:2: record_id: 'x' is already in dataset 'd'" in result.output
    assert rows(db_path, "SELECT record_id, text FROM records") == [("x", "one")]


def test_ingest_identical_record_in_another_file_counts_as_duplicate(
    run, db_path, tmp_path
):
    rec = {"record_id": "x", "dataset": "d", "text": "same"}
    write_jsonl(tmp_path / "a.jsonl", [rec])
    write_jsonl(
        tmp_path / "b.jsonl", [rec, {"record_id": "y", "dataset": "d", "text": "new"}]
    )
    assert run("ingest", tmp_path / "a.jsonl").exit_code == 0
    assert run("ingest", tmp_path / "b.jsonl").exit_code == 0
    assert rows(db_path, "SELECT record_id FROM records ORDER BY 1") == [("x",), ("y",)]


def test_ingest_directory_takes_every_manifest_in_it(run, db_path, tmp_path):
    folder = tmp_path / "shards"
    (folder / "deeper").mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(RECORDS_JSONL.read_bytes())
    (folder / "deeper" / "b.parquet").write_bytes(RECORDS_PARQUET.read_bytes())
    (folder / "notes.txt").write_text("not a manifest")
    result = run("ingest", folder, "--version", "v")
    assert result.exit_code == 0, result.output
    assert "2 file(s)" in result.output
    # Both files hold the same five records: the second adds them as duplicates.
    assert rows(db_path, "SELECT count(*) FROM records") == [(5,)]


def test_ingest_missing_path_is_refused(run, tmp_path):
    result = run("ingest", tmp_path / "nope.jsonl")
    assert result.exit_code == 2
    assert "nope.jsonl: no such file or directory" in result.output


def test_ingest_empty_directory_is_refused(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("ingest", tmp_path / "empty")
    assert result.exit_code == 2
    assert "no manifest files" in result.output


def test_ingest_unknown_extension_is_refused(run, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")
    result = run("ingest", path)
    assert result.exit_code == 2
    assert "not a manifest" in result.output


def test_ingest_refuses_gzip_bomb(run, db_path, tmp_path, monkeypatch):
    # 200 MiB of the same line compress to about 200 KiB: a ratio near 1000.
    line = json.dumps({"record_id": "x", "dataset": "d", "text": "a" * 1000}) + "\n"
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as gz:
        block = line.encode() * 1000
        for _ in range(200):
            gz.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    monkeypatch.setenv("DSR_GZIP_RATIO_FLOOR_BYTES", str(8 * 1024 * 1024))
    result = run("ingest", path, "--skip-invalid")
    assert result.exit_code == 2
    assert "gzip bomb" in result.output
    assert rows(db_path, "SELECT count(*) FROM records") == [(0,)]


def test_ingest_refuses_corrupt_gzip(run, tmp_path):
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(gzip.compress(RECORDS_JSONL.read_bytes())[:-20])
    result = run("ingest", path)
    assert result.exit_code == 2
    assert "cannot be read as gzip" in result.output


def test_ingest_refuses_a_100_mb_line(run, db_path, tmp_path):
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"record_id": "a", "dataset": "d", "text": "ok"}\n')
        fh.write(b'{"record_id": "b", "dataset": "d", "text": "')
        fh.write(b"x" * (100 * 1024 * 1024))
        fh.write(b'"}\n')
    result = run("ingest", path, "--skip-invalid")
    assert result.exit_code == 2
    assert f"{path}:2: line longer than 8,388,608 bytes" in result.output
    assert rows(db_path, "SELECT count(*) FROM records") == [(0,)]


def test_ingest_refuses_10000_deep_json(run, db_path, tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = '{"record_id": "x", "dataset": "d", "text": "t", "nest": ' + (
        "[" * 10_000 + "]" * 10_000 + "}"
    )
    path.write_text(deep + "\n")
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:1: not valid JSON: JSON nested too deeply" in result.output


def test_ingest_refuses_unknown_field_nested_beyond_limit(run, tmp_path):
    value: object = 1
    for _ in range(100):  # within orjson's limit, beyond ours (64)
        value = [value]
    path = write_jsonl(
        tmp_path / "n.jsonl",
        [{"record_id": "x", "dataset": "d", "text": "t", "v": value}],
    )
    result = run("ingest", path)
    assert result.exit_code == 2
    assert f"{path}:1: v: nested deeper than 64 levels" in result.output


def test_ingest_refuses_unreadable_parquet(run, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really")
    result = run("ingest", path)
    assert result.exit_code == 2
    assert "cannot be read as Parquet" in result.output


def test_ingest_parquet_nulls_are_absent_and_timestamps_are_iso(run, db_path, tmp_path):
    from datetime import UTC, datetime

    table = pa.table(
        {
            "record_id": ["p1"],
            "dataset": ["d"],
            "text": ["hi"],
            "created_at": pa.array([datetime(2025, 1, 2, 3, 4, tzinfo=UTC)]),
            "author_id": pa.array([None], pa.string()),
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    assert run("ingest", path).exit_code == 0
    stored = rows(db_path, "SELECT created_at, author_id, extra FROM records")
    assert stored == [("2025-01-02T03:04:00+00:00", None, None)]


def test_ingest_indexes_identifiers_and_full_text(run, db_path):
    run("ingest", RECORDS_JSONL)
    keys = rows(
        db_path,
        "SELECT t.value, r.record_id FROM text_identifiers t"
        " JOIN records r ON r.id = t.record ORDER BY 1, 2",
    )
    assert ("e:zoe@example.eu", "t-1") in keys
    assert ("p:+4915123456789", "t-2") in keys
    assert ("n:015123456789", "t-2") in keys
    assert ("h:zoe.mueller", "t-2") in keys
    hits = rows(
        db_path,
        "SELECT r.record_id FROM records_fts f JOIN records r ON r.id = f.rowid"
        " WHERE records_fts MATCH 'muller AND lukasik AND zoe'",
    )
    assert hits == [("t-1",)]


def test_ingest_summary_line_is_always_printed(run):
    result = run("ingest", RECORDS_JSONL)
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("1 file(s) (0 unchanged), 5 records, 0 rejects, 2 policy")
    assert last.endswith(" s")


def test_ingest_large_file_uses_workers_and_matches_inline(db_path, tmp_path):
    """Files big enough for worker processes give the same rows as inline preparing."""
    from dsr_app.corpus.ingest import ingest
    from dsr_app.db import open_db

    records = [
        {"record_id": f"r{i}", "dataset": "d", "text": f"Zoë {i} @h{i % 97} " * 30}
        for i in range(12_000)
    ]
    path = write_jsonl(tmp_path / "big.jsonl", records)
    assert path.stat().st_size > 4 * 1024 * 1024
    inline_db = open_db(tmp_path / "inline.sqlite3")
    parallel_db = open_db(db_path)
    ingest(inline_db, [path], workers=0)
    ingest(parallel_db, [path], workers=2)
    query = "SELECT record_id, text, content_sha256 FROM records ORDER BY id"
    assert list(inline_db.execute(query)) == list(parallel_db.execute(query))
    keys = "SELECT value, record FROM text_identifiers ORDER BY 1, 2"
    assert list(inline_db.execute(keys)) == list(parallel_db.execute(keys))
    assert orjson.loads(orjson.dumps(len(list(parallel_db.execute(query))))) == 12_000


def _author_indexes(db_path):
    return rows(
        db_path,
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        " AND tbl_name = 'records' AND name LIKE 'records_author%' ORDER BY name",
    )


def test_ingest_big_file_builds_author_indexes_again_as_they_were(
    db, db_path, tmp_path
):
    """A file that doubles the store drops the author indexes and builds them after."""
    from dsr_app.corpus.ingest import ingest

    before = _author_indexes(db_path)
    records = [
        {
            "record_id": f"r{i}",
            "dataset": "d",
            "text": "x" * 1100,
            "author_id": f"a{i % 7}",
            "author_handle": f"H{i % 5}",
        }
        for i in range(50)
    ]
    ingest(db, [write_jsonl(tmp_path / "big.jsonl", records)])
    assert _author_indexes(db_path) == before
    assert rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    plan = rows(
        db_path, "EXPLAIN QUERY PLAN SELECT id FROM records WHERE author_id = 'a3'"
    )
    assert "records_author_id" in plan[0][-1]
    assert (
        rows(db_path, "SELECT count(*) FROM records WHERE author_handle_key = 'h2'")[0][
            0
        ]
        == 10
    )


def test_ingest_big_file_with_a_bad_line_keeps_the_author_indexes(
    run, db_path, tmp_path
):
    records = [
        {"record_id": f"r{i}", "dataset": "d", "text": "x" * 1100} for i in range(50)
    ]
    path = write_jsonl(tmp_path / "big.jsonl", records)
    with path.open("a") as fh:
        fh.write('{"record_id": "bad"}\n')
    run("ingest", RECORDS_JSONL)
    before, state = _author_indexes(db_path), snapshot(db_path)
    assert len(before) == 2
    assert run("ingest", path).exit_code == 2
    assert _author_indexes(db_path) == before
    assert snapshot(db_path) == state


def test_skip_invalid_sets_aside_a_clashing_record_id(run, db_path, tmp_path):
    first = tmp_path / "a.jsonl"
    first.write_text(
        json.dumps({"record_id": "x", "dataset": "d", "text": "one"}) + "\n"
    )
    second = tmp_path / "b.jsonl"
    second.write_text(
        json.dumps({"record_id": "x", "dataset": "d", "text": "two"})
        + "\n"
        + json.dumps({"record_id": "y", "dataset": "d", "text": "fine"})
        + "\n"
    )
    run("ingest", first)
    result = run("ingest", second, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "1 records, 1 rejects" in result.output
    rejected = json.loads((tmp_path / "b.jsonl.rejects.jsonl").read_text())
    assert rejected["record_id"] == "x" and "other content" in rejected["_rejected"]


def test_erased_text_does_not_come_back_with_a_new_version(
    api, staff, db_path, run, tmp_path
):
    from dsr_app.db import open_db
    from tests.review.test_letters import decided

    decided(api, staff, db_path, run, "erasure", "en")
    again = tmp_path / "v2.jsonl"
    again.write_text(RECORDS_JSONL.read_text())
    run("ingest", again, "--version", "2")
    db = open_db(db_path)
    texts = db.execute("SELECT text FROM records WHERE record_id = 't-1'").fetchall()
    assert texts == [(None,), (None,)]
