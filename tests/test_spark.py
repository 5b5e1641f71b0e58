"""The Spark engine gives what the local engine gives (issue 8).

Runs PySpark with ``local[2]`` on this machine (Java 17+ and the ``[spark]`` extra,
both installed by .ci/run). One Spark session serves the whole module.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from dsr_app.db import open_db
from dsr_app.demo import load_demo
from dsr_app.engines import ENGINES
from dsr_app.matching.search import identity_for
from dsr_app.matching.sweep import sweep
from dsr_app.removal.shards import apply_shards, shard_pairs
from dsr_app.removal.targets import load_lists
from tests.matching.test_rules import FIXTURES, PERSONAS, _keyed, file_verified_request

pytestmark = pytest.mark.spark

MASTER = "local[2]"
CONF = {"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "4"}
SPARK_APPLY = ENGINES["spark"].apply_shards


@pytest.fixture(scope="module")
def spark():
    from dsr_app.spark import session as start

    session = start(MASTER, CONF)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo world, one verified objection per persona, and the manifests."""
    folder = tmp_path_factory.mktemp("spark-demo")
    db_path = folder / "dsr.sqlite3"
    db = open_db(db_path)
    load_demo(db)
    accounts = {a["account_id"]: a for a in db["accounts"].rows}
    requests = {p: file_verified_request(db, accounts[p]) for p in PERSONAS}
    identities = [identity_for(db, r) for r in requests.values()]
    entries = json.loads((FIXTURES / "manifests.json").read_text())
    yield db, db_path, requests, identities, entries
    db.close()


def _shards(source: Path, folder: Path, count: int) -> list[Path]:
    """Split a demo manifest into ``count`` shards of its own format."""
    folder.mkdir(parents=True, exist_ok=True)
    if source.name.endswith(".parquet"):
        table = pq.read_table(source)
        step = -(-table.num_rows // count)
        paths = []
        for n in range(count):
            path = folder / f"part-{n:05d}.parquet"
            pq.write_table(table.slice(n * step, step), path)
            paths.append(path)
        return paths
    lines = gzip.decompress(source.read_bytes()).splitlines(keepends=True)
    step = -(-len(lines) // count)
    paths = []
    for n in range(count):
        path = folder / f"part-{n:05d}.jsonl"
        path.write_bytes(b"".join(lines[n * step : (n + 1) * step]))
        paths.append(path)
    return paths


def _matches(report) -> set[tuple]:
    return _keyed(m for found in report.matches.values() for m in found)


def test_executors_run_the_drivers_python(spark):
    # not "python3" from PATH, which need not have dsr_app and its libraries
    found = spark.sparkContext.parallelize([0], 1).map(lambda _: sys.executable)
    assert found.collect() == [sys.executable]


def test_spark_sweep_of_the_demo_manifests_equals_the_local_sweep(spark, world):
    from dsr_app.matching import spark_sweep

    _, _, _, identities, entries = world
    total = 0
    for entry in entries:
        path = FIXTURES / entry["path"]
        local = sweep(identities, manifests=[path], version=entry["version"])
        on_spark = spark_sweep.sweep(
            identities, [path], version=entry["version"], master=MASTER
        )
        assert on_spark.records == local.records > 0
        assert on_spark.scope == local.scope
        assert _matches(on_spark) == _matches(local)
        total += len(_matches(local))
    assert total > 80  # own content, mentions and weak names are all in there


def test_spark_sweep_of_a_multi_shard_copy_equals_the_local_sweep(
    spark, world, tmp_path
):
    """Shards in both formats, several partitions each; own content comes in
    through the join on author_id (it is in the results)."""
    from dsr_app.matching import spark_sweep

    _, _, _, identities, entries = world
    for entry in entries:
        shards = _shards(FIXTURES / entry["path"], tmp_path / entry["version"], 3)
        whole = sweep(
            identities, manifests=[FIXTURES / entry["path"]], version=entry["version"]
        )
        on_spark = spark_sweep.sweep(
            identities, shards, version=entry["version"], master=MASTER
        )
        assert on_spark.records == whole.records
        assert _matches(on_spark) == _matches(whole)
    own = {m for m in _matches(on_spark) if m[4] == "own"}
    assert own  # the join found owned accounts' posts


def test_dsr_sweep_engine_spark_stores_matches(spark, world, run):
    db, db_path, requests, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(".jsonl.gz"))
    result = run(
        "sweep",
        "--engine",
        "spark",
        "--master",
        MASTER,
        "--conf",
        "spark.sql.shuffle.partitions=4",
        "--manifest",
        str(FIXTURES / entry["path"]),
        "--version",
        entry["version"],
        "--db",
        str(db_path),
        db=False,
    )
    assert result.exit_code == 0, result.output
    assert "swept " in result.output
    engines = {
        r[0] for r in db.execute("SELECT DISTINCT engine FROM searches").fetchall()
    }
    assert "spark" in engines
    swept = db.execute(
        "SELECT count(*) FROM searches WHERE engine = 'spark' AND request_id IN"
        f" ({','.join('?' * len(requests))})",
        list(requests.values()),
    ).fetchone()[0]
    assert swept == len(requests)


def test_spark_options_need_the_spark_engine(run, tmp_path):
    result = run("sweep", "--master", "local[2]", "--manifest", str(tmp_path))
    assert result.exit_code == 2
    assert "--engine spark" in result.output
    result = run(
        "sweep", "--engine", "spark", "--conf", "nonsense", "--manifest", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


# --- removals apply ----------------------------------------------------------------


@pytest.fixture(scope="module")
def removal_list(world, tmp_path_factory):
    """A signed list issued by the product for an approved objection."""
    from dsr_app.review import decisions

    db, db_path, requests, _, _ = world
    request_id = requests[PERSONAS[0]]
    staff_id = db.execute(
        "INSERT INTO staff_users (email, password_hash, role, created_at)"
        " VALUES ('legal@spark.example', 'x', 'legal', '2026-01-01T00:00:00Z')"
    ).lastrowid
    db.conn.commit()
    decisions.decide(
        db,
        request_id,
        "approve",
        {"id": staff_id, "email": "legal@spark.example", "role": "legal"},
        datetime.now(UTC),
        instance=db_path.parent,
    )
    doc = db.execute(
        "SELECT document FROM removal_lists WHERE request_id = ?", [request_id]
    ).fetchone()[0]
    path = tmp_path_factory.mktemp("lists") / "list.json"
    path.write_text(doc)
    entries = orjson.loads(doc)["entries"]
    assert entries
    return path, db_path, entries


def _targets(removal_list):
    from dsr_app.signing import public_key_b64

    path, db_path, _ = removal_list
    return load_lists([path], public_key_b64(db_path.parent))


@pytest.mark.parametrize("source", ["jsonl.gz", "parquet"])
def test_spark_apply_of_shards_equals_the_local_apply(
    spark, world, removal_list, tmp_path, source
):
    _, _, _, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(source))
    shards = _shards(FIXTURES / entry["path"], tmp_path / "in", 3)
    pairs = shard_pairs([tmp_path / "in"], tmp_path / "local")
    local = apply_shards(pairs, _targets(removal_list))
    pairs = shard_pairs([tmp_path / "in"], tmp_path / "spark")
    on_spark = apply_shards(pairs, _targets(removal_list), SPARK_APPLY, master=MASTER)
    assert (on_spark.read, on_spark.removed, on_spark.not_found) == (
        local.read,
        local.removed,
        local.not_found,
    )
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == sorted(
        s.name for s in shards
    )  # one output shard per input shard, no staging left behind
    for shard in shards:
        mine, theirs = tmp_path / "local" / shard.name, tmp_path / "spark" / shard.name
        if source == "parquet":
            assert pq.read_table(theirs).equals(pq.read_table(mine))
            assert pq.read_schema(theirs).equals(pq.read_schema(shard))
        else:
            assert theirs.read_bytes() == mine.read_bytes()
    if source != "parquet":
        assert local.removed > 0  # the list names records of this dataset


def test_dsr_removals_apply_engine_spark_then_verify(
    spark, world, removal_list, tmp_path, run
):
    path, db_path, listed = removal_list
    _, _, _, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(".jsonl.gz"))
    shards = _shards(FIXTURES / entry["path"], tmp_path / "in", 4)
    out = tmp_path / "out"
    args = ["--list", str(path), "--db", str(db_path)]
    result = run(
        "removals",
        "apply",
        *args,
        "--manifest",
        str(tmp_path / "in"),
        "--out",
        str(out),
        "--engine",
        "spark",
        "--master",
        MASTER,
        db=False,
    )
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    kept = b"".join(p.read_bytes() for p in sorted(out.iterdir()))
    original = b"".join(s.read_bytes() for s in shards)
    assert 0 < len(kept) < len(original)
    verify = run("removals", "verify", *args, "--manifest", str(out), db=False)
    assert verify.exit_code == 0, verify.output
    inputs = str(tmp_path / "in")
    before = run("removals", "verify", *args, "--manifest", inputs, db=False)
    assert before.exit_code == 1
    assert "still present" in before.output


def test_spark_apply_refuses_a_bad_signature_or_a_missing_shard_before_writing(
    spark, world, removal_list, tmp_path, run
):
    path, db_path, _ = removal_list
    _, _, _, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(".jsonl.gz"))
    shards = _shards(FIXTURES / entry["path"], tmp_path / "in", 2)
    tampered = tmp_path / "tampered.json"
    doc = orjson.loads(path.read_bytes())
    doc["entries"] = doc["entries"][1:] + doc["entries"][:1]
    doc["entries"][0]["record_id"] += "x"
    tampered.write_bytes(orjson.dumps(doc))
    out = tmp_path / "out"
    common = ["--db", str(db_path), "--engine", "spark", "--master", MASTER]
    bad = run(
        "removals", "apply", "--list", str(tampered), "--manifest", str(shards[0]),
        "--manifest", str(shards[1]), "--out", str(out), *common, db=False,
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "signature" in bad.output
    assert not out.exists()
    missing = run(
        "removals", "apply", "--list", str(path), "--manifest", str(shards[0]),
        "--manifest", str(tmp_path / "in" / "part-00009.jsonl"), "--out", str(out),
        *common, db=False,
    )  # fmt: skip
    assert missing.exit_code == 2
    assert "part-00009.jsonl" in missing.output
    assert not out.exists()


def test_a_failed_shard_leaves_every_output_as_it_was(
    spark, world, removal_list, tmp_path
):
    """One unreadable shard fails the job: no output shard appears, an older output
    is untouched, and no staging folder is left."""
    _, _, _, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(".parquet"))
    shards = _shards(FIXTURES / entry["path"], tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / shards[0].name).write_bytes(b"older output")
    shards[1].write_bytes(b"PAR1 not really parquet")
    pairs = shard_pairs([tmp_path / "in"], out)
    with pytest.raises(Exception):  # noqa: B017 - Spark wraps the task's error
        apply_shards(pairs, _targets(removal_list), SPARK_APPLY, master=MASTER)
    assert sorted(p.name for p in out.iterdir()) == [shards[0].name]
    assert (out / shards[0].name).read_bytes() == b"older output"
    shutil.rmtree(out)


def test_a_line_that_is_not_utf8_is_skipped_by_both_engines(spark, world, tmp_path):
    """Spark reads lines as bytes: a broken line is not read with replacement
    characters (and matched) where the local engine cannot read it."""
    from dsr_app.matching import spark_sweep

    _, _, _, identities, _ = world
    email = next(i.email for i in identities if i.email)
    good = {"record_id": "ok-1", "dataset": "d", "text": f"write to {email} today"}
    bad = dict(good, record_id="bad-1")
    shard = tmp_path / "mixed.jsonl"
    shard.write_bytes(
        orjson.dumps(good)
        + b"\n"
        + orjson.dumps(bad).replace(b"today", b"to\xffday")
        + b"\n"
    )
    local = sweep(identities, manifests=[shard])
    on_spark = spark_sweep.sweep(identities, [shard], master=MASTER)
    assert {m[3] for m in _matches(local)} == {"ok-1"}
    assert _matches(on_spark) == _matches(local)
    assert on_spark.records == local.records == 1


def test_the_readme_spark_submit_form_runs(world, tmp_path):
    """spark-submit runs dsr_app/spark_main.py as the dsr command, with its own
    master (no --master in the dsr arguments)."""
    import subprocess
    import sys

    import dsr_app.spark_main

    submit = Path(sys.executable).with_name("spark-submit")
    _, db_path, requests, _, entries = world
    entry = next(e for e in entries if e["path"].endswith(".parquet"))
    result = subprocess.run(
        [
            str(submit),
            "--master",
            "local[1]",
            "--conf",
            "spark.ui.enabled=false",
            dsr_app.spark_main.__file__,
            "sweep",
            "--engine",
            "spark",
            "--manifest",
            str(FIXTURES / entry["path"]),
            "--version",
            entry["version"],
            "--db",
            str(db_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = pq.ParquetFile(FIXTURES / entry["path"]).metadata.num_rows
    assert f"swept {rows:,} records" in result.stdout


def test_spark_sweep_over_the_index_equals_the_local_one(spark, world):
    """``dsr sweep --engine spark`` with no --manifest sweeps the indexed records."""
    from dsr_app.matching import spark_sweep

    _, db_path, _, identities, _ = world
    local = sweep(identities, db_path=str(db_path), workers=2)
    on_spark = spark_sweep.sweep(identities, db_path=str(db_path), master=MASTER)
    assert on_spark.records == local.records == 20_057
    assert _matches(on_spark) == _matches(local)


def test_odd_shards_are_read_alike_by_both_engines(spark, world, tmp_path):
    """Shards named like Hadoop's hidden files or globs, a Parquet manifest whose
    own columns are named like the join's, nanosecond timestamps: one reader."""
    import pyarrow as pa

    from dsr_app.matching import spark_sweep

    _, _, _, identities, entries = world
    entry = next(e for e in entries if e["path"].endswith(".parquet"))
    table = pq.read_table(FIXTURES / entry["path"])
    nulls = pa.nulls(table.num_rows)
    table = (
        table.append_column("owners", nulls.cast(pa.string()))
        .append_column("author_key", nulls.cast(pa.string()))
        .append_column("record", nulls.cast(pa.binary()))
        .append_column(
            "seen_at",
            pa.array([0] * table.num_rows, pa.int64()).cast(pa.timestamp("ns")),
        )
    )
    odd = tmp_path / "_hidden[1].parquet"
    pq.write_table(table, odd)
    jsonl = _shards(FIXTURES / entries[0]["path"], tmp_path / "j", 1)[0]
    hidden = jsonl.with_name(".part {x}.jsonl")
    jsonl.rename(hidden)
    for shard, version in ((odd, entry["version"]), (hidden, entries[0]["version"])):
        local = sweep(identities, manifests=[shard], version=version)
        on_spark = spark_sweep.sweep(identities, [shard], version=version)
        assert on_spark.records == local.records > 0
        assert _matches(on_spark) == _matches(local)
    # the Parquet shard's own "owners" column did not stand in for the join's
    assert any(
        m[4] == "own"
        for m in _matches(
            spark_sweep.sweep(identities, [odd], version=entry["version"])
        )
    )
