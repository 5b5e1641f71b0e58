"""Applying removal lists to manifest files, and checking that they were applied.

Used by training pipelines through ``dsr removals apply`` and ``verify``. Signatures
are checked before anything is read or written. ``apply`` streams: every record that
stays is written exactly as it was (JSON Lines byte for byte; Parquet with its schema
and row order), into a temporary file renamed over OUT only when complete.

A run that is killed (SIGKILL, OOM, power) cannot clean up: its hidden temporary
files, as big as OUT, stay. They are named after OUT, the host and the process, so
the next run for the same OUT removes those of processes that no longer exist.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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
from dsr_app.errors import BadInput
from dsr_app.removal.lists import FORMAT
from dsr_app.signing import load_public_key, verify


@dataclass
class Targets:
    """What the lists remove: (dataset, record_id) pairs, and (content hash,
    author_id) pairs of the entries that name their record's author.

    A hash alone never removes a record: identical texts by other people ("Happy
    birthday!!", every empty post) are their items (contract section 6, v2).
    """

    keys: set[tuple[str, str]] = field(default_factory=set)
    authored: set[tuple[str, str]] = field(default_factory=set)
    entries: int = 0
    found: set[tuple[str, str]] = field(default_factory=set)
    default_dataset: str = ""  # for manifests whose records name no dataset

    def hit(self, dataset, record_id, digest, author) -> bool:
        """Whether a record is listed: by dataset and id, or by content hash and
        author together."""
        key = (dataset or self.default_dataset, record_id)
        if key in self.keys or (
            digest and author and (digest, author) in self.authored
        ):
            self.found.add(key)
            return True
        return False


def load_lists(paths: Iterable[str | Path], public_key: str) -> Targets:
    """Read and check every list; all must be signed by ``public_key``.

    :raises BadInput: an unreadable file, another format, or a signature that does
        not check (then nothing is applied at all).
    """
    key = load_public_key(public_key)
    targets = Targets()
    for path in paths:
        path = Path(path)
        try:
            document = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise BadInput(str(path), f"not a readable removal list: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BadInput(str(path), f"not a {FORMAT} document")
        if not verify(document, key):
            raise BadInput(str(path), "the signature does not check with this key")
        for entry in document.get("entries", []):
            targets.keys.add((entry["dataset"], entry["record_id"]))
            # An entry without author_id (v1 lists, anonymous records) matches by
            # dataset and record id only.
            if entry.get("content_sha256") and entry.get("author_id"):
                targets.authored.add(
                    (entry["content_sha256"].lower(), entry["author_id"])
                )
            targets.entries += 1
    return targets


def _record_key(rec: dict) -> tuple:
    """(dataset, record_id, content hash, author_id) of a manifest record, as
    ``Targets.hit`` takes them."""
    text = rec.get("text")
    digest = rec.get("content_sha256")
    if not isinstance(digest, str) or not digest:
        digest = (
            hashlib.sha256(text.encode("utf-8")).hexdigest()
            if isinstance(text, str)
            else ""
        )
    author = rec.get("author_id")
    return (
        rec.get("dataset"),
        rec.get("record_id"),
        digest.lower(),
        author if isinstance(author, str) else None,
    )


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


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"


def _temp_prefix(out_path: Path) -> str:
    """``.OUT.dsr-apply-HOST-`` (the process id and a random part follow)."""
    return f".{out_path.name}.dsr-apply-{_host()}-"


def _staging_prefix() -> str:
    """``.dsr-shards-HOST-`` (the process id and a random part follow)."""
    return f".dsr-shards-{_host()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _sweep_dead(folder: Path, prefix: str) -> int:
    """Remove what runs of this host that no longer exist left in ``folder`` under
    ``prefix`` + their process id: a run still writing keeps its own, and so does a
    run on another host sharing the folder."""
    removed = 0
    for name in glob.glob(glob.escape(str(folder / prefix)) + "*"):
        pid = Path(name).name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        if os.path.isdir(name):
            shutil.rmtree(name, ignore_errors=True)
        else:
            try:
                os.unlink(name)
            except FileNotFoundError:
                continue  # another run swept it first
        removed += 1
    return removed


def sweep_leftovers(out_path: Path) -> int:
    """Remove the temporary files that killed runs for OUT left on this host."""
    return _sweep_dead(out_path.parent, _temp_prefix(out_path))


def _jsonl_kept(path: Path, targets: Targets) -> Iterator[tuple[bool, bytes]]:
    for _, line in jsonl_lines(path, Limits()):
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield False, line  # not ours to judge: kept as it was
            continue
        listed = isinstance(rec, dict) and targets.hit(*_record_key(rec))
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
        dir=out_path.parent, prefix=f"{_temp_prefix(out_path)}{os.getpid()}-"
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


_SHARED: Targets | None = None  # inherited by forked workers, not pickled to them


def _apply_range(path: Path, start: int, end: int, part: Path):
    """One worker's share: its range of IN minus the listed records, into ``part``."""
    targets = _SHARED
    targets.found = set()
    read = removed = 0
    with open(part, "wb") as out:
        for line in jsonl_range(path, start, end):
            if not line.strip():
                out.write(line)
                continue
            read += 1
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                out.write(line)
                continue
            if isinstance(rec, dict) and targets.hit(*_record_key(rec)):
                removed += 1
            else:
                out.write(line)
    return read, removed, targets.found


def _apply_parallel(in_path: Path, tmp: Path, targets: Targets) -> tuple[int, int]:
    """Both cores: the file split into byte ranges, the parts joined in order.

    Workers are forked after the targets are set, so they share the parent's copy
    (a list of 100,000 entries is not pickled once per worker).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED
    _SHARED = targets
    size = in_path.stat().st_size
    workers = max(2, os.cpu_count() or 2)
    step = size // workers + 1
    parts = [tmp.with_name(f"{tmp.name}.{n}") for n in range(workers)]
    read = removed = 0
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [
                pool.submit(
                    _apply_range,
                    in_path,
                    n * step,
                    min(size, (n + 1) * step),
                    parts[n],
                )
                for n in range(workers)
            ]
            for future in futures:
                r, m, found = future.result()
                read, removed = read + r, removed + m
                targets.found |= found
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while chunk := fh.read(1 << 22):
                        out.write(chunk)
    finally:
        _SHARED = None
        for part in parts:
            if part.exists():
                part.unlink()
    return read, removed


def _apply_parquet(in_path: Path, tmp: Path, targets: Targets) -> tuple[int, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    read = removed = 0
    with open_manifest(in_path) as fh:
        source = pq.ParquetFile(fh)
        with pq.ParquetWriter(tmp, source.schema_arrow) as writer:
            for batch in source.iter_batches(batch_size=10_000):
                rows = batch.to_pylist()
                keep = [not targets.hit(*_record_key(r)) for r in rows]
                read += len(rows)
                removed += keep.count(False)
                table = pa.Table.from_batches([batch]).filter(pa.array(keep))
                writer.write_table(table)
    return read, removed


def still_present(in_path: Path, targets: Targets) -> list[tuple[str, str]]:
    """Listed records that are still in IN (sorted)."""
    if manifest_format(in_path) == "parquet":
        import pyarrow.parquet as pq

        with open_manifest(in_path) as fh:
            for batch in pq.ParquetFile(fh).iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    targets.hit(*_record_key(row))
    else:
        for _ in _jsonl_kept(in_path, targets):
            pass
    return sorted(targets.found)


def shard_pairs(
    inputs: list[Path], out: Path, protected: list[Path] | None = None
) -> list[tuple[Path, Path]]:
    """(input shard, output shard) pairs for ``--manifest`` paths and ``--out``.

    One file in: OUT is that file's output. Several, or a folder: OUT is a folder
    and each shard keeps its name (its path below the folder given). Every shard
    must exist before anything is written.

    :param protected: folders no manifest is read from (``manifest_files``).
    :raises BadInput: a missing shard, a file that is no manifest, a folder with
        none, or two shards that would write the same output.
    """
    from dsr_app.corpus.manifests import manifest_files

    if len(inputs) == 1 and not inputs[0].is_dir():
        found = manifest_files(inputs, protected)  # refuses a missing or unknown file
        return [(found[0], out)]
    if out.exists() and not out.is_dir():
        raise BadInput(str(out), "several shards need a folder to write to")
    pairs: dict[Path, Path] = {}
    for given in inputs:
        for shard in manifest_files([given], protected):
            name = shard.relative_to(given) if given.is_dir() else Path(shard.name)
            if out / name in pairs.values():
                raise BadInput(str(shard), f"a second shard named {name}")
            pairs[shard] = out / name
    return list(pairs.items())


def apply_shards(
    pairs: list[tuple[Path, Path]],
    targets: Targets,
    engine: str = "local",
    master: str | None = None,
    conf: dict | None = None,
) -> ApplyReport:
    """Apply the lists to every shard; outputs appear only once all are written.

    One shard is written by ``apply`` (atomic on its own). Several are written into
    a staging folder beside their outputs (one task per shard on Spark) and renamed
    into place only when all are complete; a failure anywhere removes the staging
    folder and leaves every output as it was. Staging folders of killed runs on
    this host are removed by the next run, like ``apply``'s temporary files.
    """
    if len(pairs) == 1:
        (in_path, out_path), staged = pairs[0], None
        out_path.parent.mkdir(parents=True, exist_ok=True)
        jobs = [(in_path, out_path)]
    else:
        staged = _staging(pairs)
        jobs = [(i, stage) for i, stage, _ in staged]
    leftovers = sum(
        _sweep_dead(folder, _staging_prefix())
        for folder in {out.parent for _, out in pairs}
    )
    try:
        if engine == "spark":
            from dsr_app import spark_engine

            results = spark_engine.apply_shards(jobs, targets, master, conf)
        else:
            results = []
            for in_path, out_path in jobs:
                targets.found = set()
                results.append((apply(in_path, out_path, targets), targets.found))
        for _, stage, out_path in staged or ():
            os.replace(stage, out_path)
    finally:
        for root in {stage.parent for _, stage, _ in staged or ()}:
            shutil.rmtree(root, ignore_errors=True)
    found = set().union(*(f for _, f in results))
    targets.found = found
    return ApplyReport(
        sum(r.read for r, _ in results),
        sum(r.removed for r, _ in results),
        len(targets.keys - found),
        leftovers + sum(r.leftovers for r, _ in results),
    )


def _staging(pairs: list[tuple[Path, Path]]) -> list[tuple[Path, Path, Path]]:
    """(input, staged output, final output) with one staging folder per output
    folder, named after this host and process."""
    roots: dict[Path, Path] = {}
    staged = []
    for in_path, out_path in pairs:
        parent = out_path.parent
        if parent not in roots:
            parent.mkdir(parents=True, exist_ok=True)
            prefix = f"{_staging_prefix()}{os.getpid()}-"
            roots[parent] = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
        staged.append((in_path, roots[parent] / out_path.name, out_path))
    return staged
