"""Reading manifest files: byte ranges of JSON lines."""

from __future__ import annotations

import random

import pytest

from dsr_app.corpus import manifests
from dsr_app.corpus.manifests import jsonl_range, jsonl_range_blocks


def _by_readline(path, start: int, end: int) -> list[bytes]:
    """What jsonl_range means, one readline at a time."""
    out = []
    with open(path, "rb") as fh:
        if start:
            fh.seek(start - 1)
            if fh.read(1) != b"\n":
                fh.readline()
        while fh.tell() < end and (line := fh.readline()):
            out.append(line)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_byte_ranges_give_every_line_once_whatever_the_chunk(
    tmp_path, monkeypatch, seed
):
    rng = random.Random(seed)
    chunk = rng.choice([1, 3, 7, 64])
    monkeypatch.setattr(manifests, "_CHUNK", chunk)
    path = tmp_path / "m.jsonl"
    for _ in range(50):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 60)))
        path.write_bytes(data)
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, 3)))
        bounds = sorted({0, *cuts, len(data)})
        got = []
        for start, end in zip(bounds, bounds[1:], strict=False):
            lines = list(jsonl_range(path, start, end))
            assert lines == _by_readline(path, start, end)
            blocks = list(jsonl_range_blocks(path, start, end, chunk))
            assert b"".join(blocks) == b"".join(lines)
            # every block whole lines: only the file's last may lack its break
            assert all(b.endswith(b"\n") for b in blocks[:-1])
            got += lines
        assert b"".join(got) == data
