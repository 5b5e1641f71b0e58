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
from collections.abc import Callable, Iterable, Iterator
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
from dsr_app.removal.targets import DatasetTally, Targets


@dataclass(frozen=True)
class ApplyReport:
    """What one application did: records read and removed, per dataset
    (``Targets.tally``), and temporary files of killed runs removed."""

    read: int
    removed: int
    datasets: tuple[DatasetTally, ...] = ()
    leftovers: int = 0  # temporary files of killed runs, removed

    @property
    def not_found(self) -> int:
        """List entries for a dataset that was read that removed nothing."""
        return sum(t.unmatched for t in self.datasets if t.read)

    @property
    def other_datasets(self) -> int:
        """List entries for datasets of which no record was read."""
        return sum(t.unmatched for t in self.datasets if not t.read)

    def summary(self) -> str:
        """A line per dataset: removed by id, by content hash, and the entries
        that removed nothing (issue 21, item 5); then the totals, last as they
        always were (scripts take the last line)."""
        lines = []
        for t in self.datasets:
            if not (t.by_id or t.by_hash or t.unmatched):
                continue  # its entries removed copies in other datasets: said there
            if t.read:
                lines.append(
                    f"  {t.dataset}: {t.by_id:,} removed by id, {t.by_hash:,} removed"
                    f" by content hash, {t.unmatched:,} list entries not found"
                )
            else:
                lines.append(
                    f"  {t.dataset}: {t.unmatched:,} list entries for this other"
                    " dataset (none of its records read)"
                )
        line = (
            f"{self.read:,} records read, {self.removed:,} removed, "
            f"{self.not_found:,} list entries not found, "
            f"{self.other_datasets:,} list entries for other datasets"
        )
        if self.leftovers:
            line += (
                f"; removed {self.leftovers} temporary file(s) of an interrupted run"
            )
        return "\n".join([*lines, line])


def _jsonl_kept(path: Path, targets: Targets) -> Iterator[tuple[bool, bytes]]:
    for _, line in jsonl_lines(path, Limits(), targets.protected):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield False, line  # not ours to judge: kept as it was
            continue
        listed = isinstance(rec, dict) and targets.hit(*record_key(rec))
        yield listed, line


Progress = Callable[[int], None] | None  # told the records read as they are


def _ticking(items: Iterable, progress: Progress, every: int = 10_000) -> Iterator:
    """``items``, telling ``progress`` every ``every`` of them and the rest at the
    end."""
    if progress is None:
        yield from items
        return
    n = 0
    for n, item in enumerate(items, 1):
        yield item
        if not n % every:
            progress(every)
    progress(n % every)


def apply(
    in_path: Path,
    out_path: Path,
    targets: Targets,
    parallel: bool = True,
    progress: Progress = None,
) -> ApplyReport:
    """Write IN minus the listed records to OUT (atomically).

    ``parallel``: a big JSON Lines file is split across this machine's cores (off
    inside a Spark task, where the cluster provides the parallelism).
    ``progress``: told the records read as they are (by the workers' share when
    split).
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
            read, removed = _apply_parquet(in_path, Path(tmp), targets, progress)
        elif (
            parallel
            and fmt == "jsonl"
            and not out_path.name.endswith(".gz")
            and (in_path.stat().st_size > _PARALLEL_MIN_BYTES)
        ):
            read, removed = _apply_parallel(in_path, Path(tmp), targets, progress)
        else:
            opener = gzip.open if out_path.name.endswith(".gz") else open
            with opener(tmp, "wb") as out:
                for listed, line in _ticking(_jsonl_kept(in_path, targets), progress):
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
    return ApplyReport(read, removed, tuple(targets.tally()), leftovers)


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
    targets.reset()
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
    return read, removed, targets.hits()


def _apply_parallel(
    in_path: Path, tmp: Path, targets: Targets, progress: Progress = None
) -> tuple[int, int]:
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
        for r, m, hits in fork_map(_apply_range, jobs, workers, _share, (targets,)):
            read, removed = read + r, removed + m
            targets.merge(hits)
            if progress:
                progress(r)
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


def _apply_parquet(
    in_path: Path, tmp: Path, targets: Targets, progress: Progress = None
) -> tuple[int, int]:
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
                if progress:
                    progress(len(rows))
                table = pa.Table.from_batches([batch]).filter(pa.array(keep))
                writer.write_table(table)
    return read, removed


def still_present(
    in_path: Path, targets: Targets, progress: Progress = None
) -> list[tuple[str, str]]:
    """Listed records that are still in IN (sorted); ``progress``: as for
    ``apply``."""
    if manifest_format(in_path) == "parquet":
        import pyarrow.parquet as pq

        with open_manifest(in_path, targets.protected) as fh:
            for batch in pq.ParquetFile(fh).iter_batches(batch_size=10_000):
                rows = batch.to_pylist()
                for row in rows:
                    targets.hit(*record_key(row))
                if progress:
                    progress(len(rows))
    else:
        for _ in _ticking(_jsonl_kept(in_path, targets), progress):
            pass
    return sorted(targets.found)
