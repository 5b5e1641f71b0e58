"""Applying removal lists to one manifest file, and checking that they were applied.

Used by training pipelines through ``dsr removals apply`` and ``verify`` (several
shards: removal/shards.py). Signatures are checked before anything is read or
written (removal/targets.py). ``apply`` streams: every record that stays is written
exactly as it was (JSON Lines byte for byte; Parquet with its schema and row
order), into a temporary file renamed over OUT only when complete. The temporary
files of killed runs are removed by the next run (removal/leftovers.py).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from dsr_app.corpus.manifests import (
    FORMATS,
    Limits,
    jsonl_lines,
    jsonl_range,
    manifest_format,
    open_manifest,
)
from dsr_app.corpus.record import record_key
from dsr_app.errors import BadInput
from dsr_app.pool import fork_map
from dsr_app.removal.leftovers import sweep_leftovers, temp_prefix
from dsr_app.removal.targets import Targets


@dataclass(frozen=True)
class ApplyReport:
    """What one application did."""

    read: int
    removed: int
    not_found: int
    leftovers: int = 0  # temporary files of killed runs, removed

    def summary(self) -> str:
        line = (
            f"{self.read:,} records read, {self.removed:,} removed, "
            f"{self.not_found:,} list entries not found"
        )
        if self.leftovers:
            line += (
                f"; removed {self.leftovers} temporary file(s) of an interrupted run"
            )
        return line


def _jsonl_kept(path: Path, targets: Targets) -> Iterator[tuple[bool, bytes]]:
    for _, line in jsonl_lines(path, Limits(), targets.protected):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield False, line  # not ours to judge: kept as it was
            continue
        listed = isinstance(rec, dict) and targets.hit(*record_key(rec))
        yield listed, line


def apply(
    in_path: Path, out_path: Path, targets: Targets, parallel: bool = True
) -> ApplyReport:
    """Write IN minus the listed records to OUT (atomically).

    ``parallel``: a big JSON Lines file is split across this machine's cores (off
    inside a Spark task, where the cluster provides the parallelism).
    """
    fmt = manifest_format(in_path)
    if fmt is None:
        raise BadInput(str(in_path), f"not a manifest ({', '.join(FORMATS)})")
    if not in_path.is_file():
        raise BadInput(str(in_path), "no such file")
    out_path = Path(out_path)
    leftovers = sweep_leftovers(out_path)
    fd, tmp = tempfile.mkstemp(
        dir=out_path.parent, prefix=f"{temp_prefix(out_path)}{os.getpid()}-"
    )
    os.close(fd)
    read = removed = 0
    try:
        if fmt == "parquet":
            read, removed = _apply_parquet(in_path, Path(tmp), targets)
        elif (
            parallel
            and fmt == "jsonl"
            and not out_path.name.endswith(".gz")
            and (in_path.stat().st_size > _PARALLEL_MIN_BYTES)
        ):
            read, removed = _apply_parallel(in_path, Path(tmp), targets)
        else:
            opener = gzip.open if out_path.name.endswith(".gz") else open
            with opener(tmp, "wb") as out:
                for listed, line in _jsonl_kept(in_path, targets):
                    read += 1
                    if listed:
                        removed += 1
                    else:
                        out.write(line)
        os.chmod(tmp, in_path.stat().st_mode & 0o777)  # mkstemp made it 0600
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ApplyReport(read, removed, len(targets.keys - targets.found), leftovers)


_PARALLEL_MIN_BYTES = 64 * 1024 * 1024


_SHARED: Targets | None = None  # set in forked workers by _share


def _share(targets: Targets) -> None:
    global _SHARED
    _SHARED = targets


def _apply_range(job: tuple[Path, int, int, Path]):
    """One worker's share: its byte range of IN minus the listed records, into its
    part file."""
    path, start, end, part = job
    targets = _SHARED
    targets.found = set()
    read = removed = 0
    with open(part, "wb") as out:
        for line in jsonl_range(path, start, end, targets.protected):
            if not line.strip():
                out.write(line)
                continue
            read += 1
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                out.write(line)
                continue
            if isinstance(rec, dict) and targets.hit(*record_key(rec)):
                removed += 1
            else:
                out.write(line)
    return read, removed, targets.found


def _apply_parallel(in_path: Path, tmp: Path, targets: Targets) -> tuple[int, int]:
    """Both cores: the file split into byte ranges, the parts joined in order.

    Workers are forked with the targets, so they share the parent's copy (a list of
    100,000 entries is not pickled once per worker).
    """
    size = in_path.stat().st_size
    workers = max(2, os.cpu_count() or 2)
    step = size // workers + 1
    parts = [tmp.with_name(f"{tmp.name}.{n}") for n in range(workers)]
    jobs = [
        (in_path, n * step, min(size, (n + 1) * step), parts[n]) for n in range(workers)
    ]
    read = removed = 0
    try:
        for r, m, found in fork_map(_apply_range, jobs, workers, _share, (targets,)):
            read, removed = read + r, removed + m
            targets.found |= found
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while chunk := fh.read(1 << 22):
                        out.write(chunk)
    finally:
        for part in parts:
            if part.exists():
                part.unlink()
    return read, removed


def _apply_parquet(in_path: Path, tmp: Path, targets: Targets) -> tuple[int, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    read = removed = 0
    with open_manifest(in_path, targets.protected) as fh:
        source = pq.ParquetFile(fh)
        with pq.ParquetWriter(tmp, source.schema_arrow) as writer:
            for batch in source.iter_batches(batch_size=10_000):
                rows = batch.to_pylist()
                keep = [not targets.hit(*record_key(r)) for r in rows]
                read += len(rows)
                removed += keep.count(False)
                table = pa.Table.from_batches([batch]).filter(pa.array(keep))
                writer.write_table(table)
    return read, removed


def still_present(in_path: Path, targets: Targets) -> list[tuple[str, str]]:
    """Listed records that are still in IN (sorted)."""
    if manifest_format(in_path) == "parquet":
        import pyarrow.parquet as pq

        with open_manifest(in_path, targets.protected) as fh:
            for batch in pq.ParquetFile(fh).iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    targets.hit(*record_key(row))
    else:
        for _ in _jsonl_kept(in_path, targets):
            pass
    return sorted(targets.found)
