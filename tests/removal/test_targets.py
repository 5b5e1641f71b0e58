"""What a removal run counts per dataset: records removed by id and by content hash,
entries not found, entries for datasets the files do not hold (issue 21, item 5;
removal/targets.py ``Targets.tally``, the summary of ``dsr removals apply``)."""

from __future__ import annotations

import hashlib
import json

import pytest

from dsr_app.config import instance_dir
from dsr_app.signing import sign


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


RECORDS = [
    {"dataset": "posts", "record_id": "p-1", "text": "a", "author_id": "acc-1"},
    {"dataset": "posts", "record_id": "p-2", "text": "b", "author_id": "acc-1"},
    # The listed post under a new id: removed by its content hash and author.
    {"dataset": "posts", "record_id": "p-3", "text": "hello", "author_id": "acc-1"},
    {"dataset": "posts", "record_id": "p-4", "text": "stays", "author_id": "acc-1"},
    {"dataset": "chats", "record_id": "c-1", "text": "c", "author_id": "acc-1"},
    # The same text by another person stays; by the same person, it goes.
    {"dataset": "chats", "record_id": "c-2", "text": "hello", "author_id": "acc-2"},
    {"dataset": "chats", "record_id": "c-3", "text": "hello", "author_id": "acc-1"},
]


def entry(dataset, record_id, text="", author=None):
    found = {"dataset": dataset, "record_id": record_id, "reason": "object"}
    if author:
        found.update(content_sha256=sha(text), author_id=author)
    return found


ENTRIES = [
    entry("posts", "p-1"),
    entry("posts", "p-2", "b", "acc-1"),
    entry("posts", "p-old", "hello", "acc-1"),  # p-3 and c-3 by hash
    entry("posts", "p-gone"),
    entry("chats", "c-1"),
    entry("chats", "c-9"),
    entry("captions", "x-1"),
    entry("captions", "x-2"),
]


@pytest.fixture
def listed(tmp_path, db_path):
    """A list of this instance touching posts, chats and captions."""
    document = sign(
        {
            "format": "dsr-removal-list/1",
            "id": "rl_two",
            "entries": ENTRIES,
            "suppression": [],
        },
        instance_dir(db_path),
    )
    path = tmp_path / "rl.json"
    path.write_text(json.dumps(document))
    return path


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize("shards", [1, 2], ids=["one file", "a shard per dataset"])
def test_apply_summary_counts_per_dataset(listed, run, tmp_path, shards):
    if shards == 1:
        manifest, out = write(tmp_path / "all.jsonl", RECORDS), tmp_path / "out.jsonl"
    else:
        manifest, out = tmp_path / "shards", tmp_path / "out"
        manifest.mkdir()
        for name in ("posts", "chats"):
            write(
                manifest / f"{name}.jsonl", [r for r in RECORDS if r["dataset"] == name]
            )
    result = run(
        "removals", "apply", "--list", listed, "--manifest", manifest, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "  captions: 2 list entries for this other dataset (none of its records read)",
        "  chats: 1 removed by id, 1 removed by content hash, 1 list entries not found",
        "  posts: 2 removed by id, 1 removed by content hash, 1 list entries not found",
        # The totals last, where scripts read them.
        "7 records read, 5 removed, 2 list entries not found,"
        " 2 list entries for other datasets",
    ]
    files = [out] if shards == 1 else sorted(out.iterdir())
    kept = [
        json.loads(x)["record_id"] for f in files for x in f.read_text().splitlines()
    ]
    assert sorted(kept) == ["c-2", "p-4"]


def test_verify_says_which_entries_it_could_not_check(listed, run, tmp_path):
    manifest = write(tmp_path / "all.jsonl", RECORDS)
    result = run("removals", "verify", "--list", listed, "--manifest", manifest)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"still present: {key}"
        for key in ("chats c-1", "chats c-3", "posts p-1", "posts p-2", "posts p-3")
    ]
    assert result.stderr == (
        "  captions: 2 list entries for this other dataset (none of its records read)\n"
    )
