"""``dsr removals apply`` / ``verify`` on manifests: only listed records go, the
rest stays byte for byte, nothing half-written (removal/apply.py, shards.py)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import RECORDS_JSONL, RECORDS_PARQUET
from tests.removal.conftest import save_list


def test_apply_removes_listed_records_and_keeps_others_byte_for_byte(
    objection, run, tmp_path
):
    _, document = objection
    rl = save_list(tmp_path, document)
    out = tmp_path / "out.jsonl"
    result = run(
        "removals", "apply", "--list", rl, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "5 records read, 3 removed" in result.output
    kept = [
        line
        for line in RECORDS_JSONL.read_bytes().splitlines(keepends=True)
        if json.loads(line)["record_id"] in ("t-3", "t-4")
    ]
    assert out.read_bytes() == b"".join(kept)
    assert run("removals", "verify", "--list", rl, "--manifest", out).exit_code == 0
    present = run("removals", "verify", "--list", rl, "--manifest", RECORDS_JSONL)
    assert present.exit_code == 1 and "still present: tiny t-1" in present.output


def test_apply_removes_what_killed_runs_for_the_same_out_left(objection, run, tmp_path):
    import subprocess
    import sys

    from dsr_app.removal.leftovers import temp_prefix

    _, document = objection
    rl = save_list(tmp_path, document)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.jsonl"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)  # that process has exited
    prefix = temp_prefix(out)
    stale = [f"{prefix}{dead_pid}-abc123", f"{prefix}{dead_pid}-abc123.0"]
    kept = [
        f"{prefix}{os.getpid()}-live99",  # a run still writing (this process)
        f".{out.name}.dsr-apply-otherhost-{dead_pid}-xyz",  # another host's run
        f"{temp_prefix(out_dir / 'other.jsonl')}{dead_pid}-q",  # another OUT
    ]
    for name in stale + kept:
        (out_dir / name).write_bytes(b"partial")
    result = run(
        "removals", "apply", "--list", rl, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "removed 2 temporary file(s) of an interrupted run" in result.output
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([*kept, out.name])


def test_apply_on_gzip_and_parquet(objection, run, tmp_path):
    _, document = objection
    rl = save_list(tmp_path, document)
    gz_in = tmp_path / "in.jsonl.gz"
    gz_in.write_bytes(gzip.compress(RECORDS_JSONL.read_bytes()))
    gz_out = tmp_path / "out.jsonl.gz"
    assert (
        run(
            "removals", "apply", "--list", rl, "--manifest", gz_in, "--out", gz_out
        ).exit_code
        == 0
    )
    assert len(gzip.decompress(gz_out.read_bytes()).splitlines()) == 2
    pq_out = tmp_path / "out.parquet"
    assert (
        run(
            "removals",
            "apply",
            "--list",
            rl,
            "--manifest",
            RECORDS_PARQUET,
            "--out",
            pq_out,
        ).exit_code
        == 0
    )
    before, after = pq.read_table(RECORDS_PARQUET), pq.read_table(pq_out)
    assert after.schema == before.schema
    assert after.column("record_id").to_pylist() == ["t-3", "t-4"]
    assert run("removals", "verify", "--list", rl, "--manifest", pq_out).exit_code == 0


def test_tampered_list_or_wrong_key_writes_nothing(objection, run, tmp_path):
    _, document = objection
    tampered = json.loads(json.dumps(document))
    tampered["entries"].append(
        {
            "dataset": "tiny",
            "record_id": "t-4",
            "content_sha256": "",
            "reason": "mention",
        }
    )
    bad = save_list(tmp_path, tampered, "bad.json")
    out = tmp_path / "out.jsonl"
    result = run(
        "removals", "apply", "--list", bad, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 2 and "signature does not check" in result.output
    assert not out.exists()
    good = save_list(tmp_path, document)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    import base64

    wrong = base64.b64encode(other).decode()
    result = run(
        "removals",
        "apply",
        "--list",
        good,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        out,
        "--public-key",
        wrong,
    )
    assert result.exit_code == 2 and not out.exists()
    assert (
        run(
            "removals",
            "verify",
            "--list",
            good,
            "--manifest",
            RECORDS_JSONL,
            "--public-key",
            "not base64!",
        ).exit_code
        == 2
    )
    assert not any(p.name.startswith(".dsr-apply-") for p in tmp_path.iterdir())


def test_several_lists_and_a_missing_input(
    objection, api, staff, db_path, run, tmp_path
):
    _, document = objection
    rl = save_list(tmp_path, document)
    key_file = tmp_path / "key.txt"
    key_file.write_text(run("keys", "public").output)
    out = tmp_path / "out.jsonl"
    result = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--list",
        rl,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        out,
        "--public-key",
        key_file,
    )
    assert result.exit_code == 0 and "3 removed" in result.output
    missing = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--manifest",
        tmp_path / "none.jsonl",
        "--out",
        out,
    )
    assert missing.exit_code == 2


def test_apply_splits_a_big_file_across_processes_keeping_line_order(
    objection, run, tmp_path, monkeypatch
):
    from dsr_app.removal import apply as removal_apply

    _, document = objection
    rl = save_list(tmp_path, document)
    big = tmp_path / "big.jsonl"
    lines = RECORDS_JSONL.read_bytes().splitlines(keepends=True)
    big.write_bytes(b"".join(lines * 400))
    monkeypatch.setattr(removal_apply, "_PARALLEL_MIN_BYTES", 1024)
    out = tmp_path / "out.jsonl"
    result = run("removals", "apply", "--list", rl, "--manifest", big, "--out", out)
    assert (
        result.exit_code == 0 and "2,000 records read, 1,200 removed" in result.output
    )
    kept = [line for line in lines if json.loads(line)["record_id"] in ("t-3", "t-4")]
    assert out.read_bytes() == b"".join(kept * 400)


def test_several_shards_appear_together_and_a_killed_runs_staging_is_removed(
    objection, run, tmp_path
):
    """Shards are staged and renamed into place together; the staging folder a
    killed run of this host left is removed by the next run, a live one is not."""
    import subprocess
    import sys

    from dsr_app.removal.leftovers import staging_prefix

    _, document = objection
    rl = save_list(tmp_path, document)
    shards = tmp_path / "in"
    shards.mkdir()
    lines = Path(RECORDS_JSONL).read_bytes().splitlines(keepends=True)
    (shards / "a.jsonl").write_bytes(b"".join(lines[:3]))
    (shards / "b.jsonl").write_bytes(b"".join(lines[3:]))
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = out / f"{staging_prefix()}{int(dead.stdout)}-abc"
    live = out / f"{staging_prefix()}{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "a.jsonl").write_bytes(b"partial")
    result = run("removals", "apply", "--list", rl, "--manifest", shards, "--out", out)
    assert result.exit_code == 0, result.output
    assert "removed 1 temporary file(s) of an interrupted run" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["a.jsonl", "b.jsonl", live.name]
    )
    kept = (out / "a.jsonl").read_bytes() + (out / "b.jsonl").read_bytes()
    assert b'"t-1"' not in kept and b'"t-3"' in kept
    assert run("removals", "verify", "--list", rl, "--manifest", out).exit_code == 0


def test_apply_with_dataset_option_and_output_mode(tmp_path, run, db_path):
    from dsr_app.config import instance_dir
    from dsr_app.signing import sign

    folder = instance_dir(db_path)
    manifest = tmp_path / "nodataset.jsonl"
    manifest.write_text(
        '{"record_id": "a", "text": "x"}\n{"record_id": "b", "text": "y"}\n'
    )
    manifest.chmod(0o644)
    document = sign(
        {
            "format": "dsr-removal-list/1",
            "id": "rl_t",
            "entries": [
                {
                    "dataset": "ds",
                    "record_id": "a",
                    "content_sha256": "",
                    "reason": "mention",
                }
            ],
            "suppression": [],
        },
        folder,
    )
    rl = tmp_path / "rl.json"
    rl.write_text(json.dumps(document))
    out = tmp_path / "out.jsonl"
    result = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--manifest",
        manifest,
        "--out",
        out,
        "--dataset",
        "ds",
    )
    assert (
        result.exit_code == 0 and "1 removed, 0 list entries not found" in result.output
    )
    assert out.read_text() == '{"record_id": "b", "text": "y"}\n'
    assert out.stat().st_mode & 0o777 == 0o644
    present = run(
        "removals", "verify", "--list", rl, "--manifest", manifest, "--dataset", "ds"
    )
    assert present.exit_code == 1 and "still present: ds a" in present.output
