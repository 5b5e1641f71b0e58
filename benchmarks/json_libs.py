"""orjson and msgspec on our paths: ``python -m benchmarks.json_libs [--records N]``.

Side by side, in turns (``--repeat``), on synthetic manifest lines
(``synthetic.record``): ingest's decode of a line, the encode of a record, the
sweep's rows of a block (``sweep_input.block_rows``: msgspec's typed decode of a
few fields, the text kept as raw JSON) against what orjson would do instead (every
line decoded whole, the same fields taken), and apply's decode of a line and its
removal key. Prints the best time of each and the ratio.
"""

from __future__ import annotations

import argparse
import random
import time

import msgspec
import orjson

from dsr_app.corpus.record import record_key
from dsr_app.matching import sweep_input

from .report import print_table
from .synthetic import record

_FIELDS = ("record_id", "dataset", "author_id", "author_handle", "lang")


def _orjson_rows(lines: list[bytes]) -> list[tuple]:
    """What the sweep would read with orjson: each line whole, then its fields."""
    rows = []
    for line in lines:
        rec = orjson.loads(line)
        rows.append((rec["text"], *(rec.get(name) for name in _FIELDS)))
    return rows


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    """Time each pair and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = random.Random(1)
    records = [record(rng, i) for i in range(args.records)]
    lines = [orjson.dumps(rec) for rec in records]
    block = b"\n".join(lines) + b"\n"
    assert len(sweep_input.block_rows(block)) == len(lines)
    msg_decode, msg_encode = msgspec.json.decode, msgspec.json.encode
    pairs = [
        (
            "ingest: decode a line (dict)",
            lambda: [orjson.loads(line) for line in lines],
            lambda: [msg_decode(line) for line in lines],
        ),
        (
            "encode a record",
            lambda: [orjson.dumps(rec) for rec in records],
            lambda: [msg_encode(rec) for rec in records],
        ),
        (
            "sweep: a block's rows",
            lambda: _orjson_rows(lines),
            lambda: sweep_input.block_rows(block),
        ),
        (
            "apply: decode a line, its removal key",
            lambda: [record_key(orjson.loads(line)) for line in lines],
            lambda: [record_key(msg_decode(line)) for line in lines],
        ),
    ]
    rows = [("records, MB of JSON Lines", f"{len(lines):,}, {len(block) / 1e6:.1f}")]
    for name, with_orjson, with_msgspec in pairs:
        a = b = float("inf")
        for _ in range(args.repeat):  # in turns, so drift hits both alike
            a = min(a, _best(with_orjson, 1))
            b = min(b, _best(with_msgspec, 1))
        per = 1e6 / len(lines)
        rows.append(
            (
                name,
                f"orjson {a * per:.2f} µs, msgspec {b * per:.2f} µs a line "
                f"(msgspec / orjson {b / a:.2f})",
            )
        )
    print_table(rows)


if __name__ == "__main__":
    main()
