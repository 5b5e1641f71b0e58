"""Prepared batches of a manifest file, in file order: by worker processes for a big
file, so that the writing process (ingest.py) only writes."""

from __future__ import annotations

import marshal
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from dsr_app.corpus.manifests import Limits, jsonl_blocks, parquet_rows
from dsr_app.corpus.records import Batch, Rejected, prepare_batch

# Files smaller than this are prepared in-process: starting workers costs more.
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024
_BLOCK_BYTES = 2 * 1024 * 1024


def prepared_batches(
    path: Path,
    fmt: str,
    dataset: str | None,
    version: str,
    limits: Limits,
    workers: int | None,
    batch_size: int,
    first_id: int,
    manifest_id: int,
    protected: Sequence[Path] = (),
) -> Iterator[Batch]:
    """Batches ready to insert, in file order; big files are prepared by workers.

    The record on line n gets id ``first_id - 1 + n``, so that workers build
    complete rows and this process only writes (a blank or rejected line leaves a
    gap, which integer primary keys allow). JSON Lines go to the workers as blocks
    of whole lines, Parquet as rows. The file is read here, never in a worker
    (``protected``: see ``manifests.open_manifest``).
    """
    if fmt == "parquet":
        source = _chunks(parquet_rows(path, batch_size, protected), batch_size)
        task = "parquet"
    else:
        source = jsonl_blocks(path, limits, _BLOCK_BYTES, protected)
        task = "jsonl"
    args = (first_id - 1, manifest_id, dataset, version, limits.max_json_depth)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1 or path.stat().st_size < _PARALLEL_MIN_BYTES:
        for chunk in source:
            yield prepare_batch(task, chunk, *args)
        return
    # A bounded window of batches in flight keeps memory flat whatever the file size
    # (Executor.map would read the whole input ahead).
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: deque[Future] = deque()
        for chunk in source:
            window.append(pool.submit(_in_worker, task, chunk, *args))
            if len(window) >= workers * 2:
                yield _unpack(window.popleft().result())
        while window:
            yield _unpack(window.popleft().result())


def _in_worker(*args) -> bytes:
    """``prepare_batch`` in a worker process, answered in marshal format.

    marshal moves plain lists and tuples about twice as fast as pickle moves named
    tuples: at 25,000 records/s the transfer matters.
    """
    batch = prepare_batch(*args)
    return marshal.dumps((*batch[:-1], [tuple(r) for r in batch.rejects]))


def _unpack(payload: bytes) -> Batch:
    """The inverse of ``_in_worker``."""
    *fields, rejects = marshal.loads(payload)
    return Batch(*fields, [Rejected(*r) for r in rejects])


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    """Lists of ``size`` items (the last one shorter)."""
    while chunk := list(islice(items, size)):
        yield chunk
