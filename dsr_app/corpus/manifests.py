"""Read manifest files (.jsonl, .jsonl.gz, .parquet) as numbered lines, with limits.

A reader never trusts the file: a missing path, a gzip bomb, an endless line or a
corrupt Parquet footer ends in a ``ManifestRefused`` naming the file and the reason,
never in a crash or an unbounded allocation.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import stat
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from dsr_app import config
from dsr_app.errors import BadInput

FORMATS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl.gz", ".parquet": "parquet"}
REJECTS_SUFFIX = ".rejects.jsonl"


class ManifestRefused(BadInput):
    """A whole file cannot be read: ``field`` is the file (and line, if known)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile file from exhausting memory."""

    max_line_bytes: int = 8 * 1024 * 1024
    max_gzip_ratio: int = 200
    gzip_ratio_floor: int = 64 * 1024 * 1024
    max_json_depth: int = 64


def manifest_format(path: Path) -> str | None:
    """``jsonl``, ``jsonl.gz`` or ``parquet`` from the file name, else ``None``."""
    name = path.name.lower()
    if name.endswith(REJECTS_SUFFIX):
        return None  # our own rejects files are never manifests
    for suffix, fmt in sorted(FORMATS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    return None


def manifest_files(
    paths: Iterable[str | Path], protected: Iterable[Path] | None = None
) -> list[Path]:
    """Expand the arguments of ``dsr ingest``: files as given, directories' manifests.

    Symbolic links are refused, given or found at any depth, as are manifests that
    are not regular files: a link named ``b.jsonl`` to the signing key had ingest
    copy the key into a rejects file (issue 16). So is a folder that is or holds
    a ``protected`` folder, and any other name (a hard link) for a file in one.

    :param protected: the store's and the instance's folders
        (``config.secret_folders``); by default those of ``DSR_DB``'s store.
    :raises BadInput: a path that does not exist, a link, a file of no known format,
        a protected folder, or a directory without any manifest file.
    """
    if protected is None:
        protected = config.secret_folders(config.resolve_db_path())
    secrets = _Secrets(protected)
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        try:
            st = path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            raise BadInput(str(path), "no such file or directory") from None
        if stat.S_ISLNK(st.st_mode):
            raise _refused_link(path)
        if stat.S_ISDIR(st.st_mode):
            inside = _folder_manifests(path, secrets)
            if not inside:
                raise BadInput(
                    str(path), "no manifest files (.jsonl, .jsonl.gz, .parquet) in it"
                )
            found.extend(inside)
        elif stat.S_ISREG(st.st_mode):
            if not manifest_format(path):
                raise BadInput(
                    str(path), "not a manifest (expected .jsonl, .jsonl.gz or .parquet)"
                )
            secrets.check_file(path, st)
            found.append(path)
        else:
            raise BadInput(str(path), "not a regular file or directory")
    return found


def _refused_link(path: Path) -> ManifestRefused:
    return ManifestRefused(
        str(path), "is a symbolic link; manifests are read from regular files only"
    )


def _folder_manifests(root: Path, secrets: _Secrets) -> list[Path]:
    """The manifests below ``root``, sorted; never through a link (each entry is
    looked at with lstat, and a link anywhere refuses the folder)."""
    found, folders = [], [root]
    while folders:
        folder = folders.pop()
        secrets.check_folder(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                if entry.is_symlink():
                    raise _refused_link(path)
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path)
                elif manifest_format(path):
                    if not entry.is_file(follow_symlinks=False):
                        raise ManifestRefused(str(path), "not a regular file")
                    secrets.check_file(path, entry.stat(follow_symlinks=False))
                    found.append(path)
    return sorted(found)


class _Secrets:
    """The protected folders, and the files in them that are no manifests (the
    store, its -wal and -shm, the keys), by device and inode: another name for
    one of them is refused whatever it is called."""

    def __init__(self, folders: Iterable[Path]):
        self.folders: set[tuple[int, int]] = set()
        self.files: set[tuple[int, int]] = set()
        for folder in folders:
            try:
                st = os.stat(folder)
                entries = list(os.scandir(folder))
            except OSError:
                continue  # not made yet: nothing in it to protect
            self.folders.add((st.st_dev, st.st_ino))
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not manifest_format(
                    Path(entry.name)
                ):
                    held = entry.stat(follow_symlinks=False)
                    self.files.add((held.st_dev, held.st_ino))

    def check_folder(self, folder: Path) -> None:
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in self.folders:
            raise ManifestRefused(
                str(folder),
                "is the instance folder (the store and its keys); manifests are"
                " never read from it",
            )

    def check_file(self, path: Path, st: os.stat_result) -> None:
        if (st.st_dev, st.st_ino) in self.files:
            raise ManifestRefused(
                str(path), "is a file of the instance folder (the store or a key)"
            )


def _refuse_secret(path: Path, st: os.stat_result, protected: Sequence[Path]) -> None:
    """Refuse the opened file if it is the store, its -wal or -shm, or a key: of
    the ``protected`` folders, or of ``DSR_DB``'s store (a reader given none).

    Scanned at each open: a key made after the listing is covered too."""
    folders = [*protected, *config.secret_folders(config.resolve_db_path())]
    _Secrets(folders).check_file(path, st)


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO's open would wait for a writer
    | getattr(os, "O_CLOEXEC", 0)
)


def open_manifest(path: Path, protected: Sequence[Path] = ()) -> BinaryIO:
    """``path`` opened for reading if it is a regular file, never through a link.

    Every reader of manifests opens them here: O_NOFOLLOW refuses a link in the
    last place, and the descriptor opened is the one checked (fstat) and read,
    so nothing can be swapped in between (issue 16). A link higher up the path
    (a folder swapped after the listing) is followed by the open, so the file
    opened is compared by device and inode with the files of the ``protected``
    folders (those ``manifest_files`` was given; every reader below takes them).

    :raises ManifestRefused: a link, a missing file, one that is not regular, or
        a file of a protected folder (the store or a key).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ManifestRefused(str(path), "no such file") from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise _refused_link(path) from None
        raise ManifestRefused(str(path), f"cannot be opened: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ManifestRefused(str(path), "not a regular file")
        _refuse_secret(path, st, protected)
        os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    fh.raw.name = str(path)  # for messages: the fd number otherwise
    return fh


def file_sha256(path: Path, protected: Sequence[Path] = ()) -> str:
    """SHA-256 of the file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open_manifest(path, protected) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _GzipGuard:
    """Counts compressed bytes consumed and output produced to stop gzip bombs."""

    def __init__(self, raw, path: Path, limits: Limits):
        self.raw, self.path, self.limits = raw, path, limits
        self.produced = 0

    def check(self, produced: int) -> None:
        self.produced += produced
        if self.produced <= self.limits.gzip_ratio_floor:
            return
        consumed = max(self.raw.tell(), 1)
        if self.produced > consumed * self.limits.max_gzip_ratio:
            raise ManifestRefused(
                str(self.path),
                f"refused as a gzip bomb: it inflates more than "
                f"{self.limits.max_gzip_ratio}x",
            )


def jsonl_lines(
    path: Path, limits: Limits, protected: Sequence[Path] = ()
) -> Iterator[tuple[int, bytes]]:
    """Numbered raw lines of a JSON Lines file (gzip-compressed if it ends in .gz).

    Blank lines are skipped but counted, so numbers match what an editor shows.
    """
    gzipped = manifest_format(path) == "jsonl.gz"
    with open_manifest(path, protected) as raw:
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        guard = _GzipGuard(raw, path, limits) if gzipped else None
        line_no = 0
        try:
            while True:
                line = fh.readline(limits.max_line_bytes + 1)
                if not line:
                    return
                line_no += 1
                if guard:
                    guard.check(len(line))
                if len(line) > limits.max_line_bytes:
                    raise ManifestRefused(
                        f"{path}:{line_no}",
                        f"line longer than {limits.max_line_bytes:,} bytes; "
                        "the file is refused",
                    )
                if line.strip():
                    yield line_no, line
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a truncated stream raises EOFError.
            raise ManifestRefused(
                str(path), f"cannot be read as {'gzip' if gzipped else 'a file'}: {exc}"
            ) from exc


def jsonl_blocks(
    path: Path,
    limits: Limits,
    size: int = 4 * 1024 * 1024,
    protected: Sequence[Path] = (),
) -> Iterator[tuple[int, bytes]]:
    """Whole lines of a JSON Lines file, about ``size`` bytes at a time, each block
    with the number of its first line (``records._jsonl_records`` splits them).

    The limits of ``jsonl_lines``, in a few C calls a block instead of a Python
    step a line: ingest reads in the one writing process, where every µs a record
    counts. Blocks are no bigger than a line may be, so only a line that spans
    blocks can be too long.
    """
    gzipped = manifest_format(path) == "jsonl.gz"
    most = limits.max_line_bytes
    size = max(1, min(size, most))

    def too_long(line_no: int) -> ManifestRefused:
        return ManifestRefused(
            f"{path}:{line_no}",
            f"line longer than {most:,} bytes; the file is refused",
        )

    with open_manifest(path, protected) as raw:
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        guard = _GzipGuard(raw, path, limits) if gzipped else None
        line_no, carry = 1, b""  # carry: the start of line line_no, without its end
        try:
            while data := fh.read(size):
                if guard:
                    guard.check(len(data))
                end = data.rfind(b"\n")
                if end < 0:
                    carry += data
                    if len(carry) > most:
                        raise too_long(line_no)
                    continue
                if len(carry) + data.find(b"\n") + 1 > most:
                    raise too_long(line_no)
                block, carry = carry + data[: end + 1], data[end + 1 :]
                yield line_no, block
                line_no += block.count(b"\n")
                if len(carry) > most:
                    raise too_long(line_no)
            if carry:
                yield line_no, carry
        except (OSError, EOFError, zlib.error) as exc:
            # gzip.BadGzipFile is an OSError; a truncated stream raises EOFError.
            raise ManifestRefused(
                str(path), f"cannot be read as {'gzip' if gzipped else 'a file'}: {exc}"
            ) from exc


def _json_safe(value):
    """Parquet values (timestamps, dates, bytes) as JSON types."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError


def parquet_rows(
    path: Path, batch_size: int = 2000, protected: Sequence[Path] = ()
) -> Iterator[tuple[int, dict]]:
    """Numbered rows of a Parquet file as dicts; a null field is an absent field."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open_manifest(path, protected) as fh:
        try:
            pf = pq.ParquetFile(fh)
            row_no = 0
            for batch in pf.iter_batches(batch_size=batch_size):
                for row in batch.to_pylist():
                    row_no += 1
                    # Parquet's typed timestamps and dates become ISO 8601 strings,
                    # as the manifest format writes them.
                    yield (
                        row_no,
                        {
                            k: v.isoformat() if isinstance(v, datetime | date) else v
                            for k, v in row.items()
                            if v is not None
                        },
                    )
        except (pa.ArrowException, OSError) as exc:
            raise ManifestRefused(
                str(path), f"cannot be read as Parquet: {exc}"
            ) from exc


def parquet_num_rows(path: Path, protected: Sequence[Path] = ()) -> int | None:
    """Row count from a Parquet footer, or ``None`` if it cannot be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with open_manifest(path, protected) as fh:
            return pq.ParquetFile(fh).metadata.num_rows
    except (pa.ArrowException, OSError, ManifestRefused):
        return None


def row_as_line(row: dict) -> bytes:
    """A Parquet row as one JSON line, for rejects files."""
    return orjson.dumps(row, default=_json_safe) + b"\n"


_CHUNK = 1 << 20  # bytes read at a time by jsonl_range
_SWEEP_CHUNK = 1 << 19  # jsonl_range_blocks': see there


def jsonl_range(
    path: Path, start: int, end: int, protected: Sequence[Path] = ()
) -> Iterator[bytes]:
    """The raw lines of a plain .jsonl file that begin in the byte range [start, end),
    each with its line break (the file's last line without one, if it has none).

    Splitting a file into ranges this way gives every line to exactly one range, so
    workers can share a file without reading any line twice or losing one.
    """
    for block in jsonl_range_blocks(path, start, end, _CHUNK, protected):
        lines = block.split(b"\n")
        last = lines.pop()  # b"" after a line break, else the file's last line
        for line in lines:
            yield line + b"\n"
        if last:
            yield last


def jsonl_range_blocks(
    path: Path,
    start: int,
    end: int,
    chunk: int = _SWEEP_CHUNK,
    protected: Sequence[Path] = (),
) -> Iterator[bytes]:
    """The lines of ``jsonl_range`` as they stand in the file, in blocks of about
    ``chunk`` bytes: each block whole lines, every one with its line break but the
    file's last line if it has none. For readers that take lines by the hundred (the
    sweep: half a megabyte of lines, with what is made of them, leaves more of the
    processor's cache to its automaton than a megabyte; about 10% faster here)."""
    with open_manifest(path, protected) as fh:
        if start:
            fh.seek(start - 1)
            if fh.read(1) != b"\n":
                fh.readline()  # the line in progress belongs to the range before
        # ``pending``: the start of a line whose end is not read yet, at ``position``
        position, pending = fh.tell(), []
        while position < end:
            data = fh.read(chunk)
            if not data:
                if pending:
                    yield b"".join(pending)
                return
            pending.append(data)
            if b"\n" not in data:  # a long line: joined once, when its end comes
                continue
            block = b"".join(pending)
            if position + len(block) > end:
                # the range's last line: the one that holds byte end - 1
                cut = block.find(b"\n", end - 1 - position)
                if cut >= 0:
                    yield block[: cut + 1]
                    return
                pending = [block]  # that line goes on past what is read
                continue
            cut = block.rfind(b"\n") + 1
            yield block[:cut]
            pending, position = (
                [block[cut:]] if cut < len(block) else [],
                position + cut,
            )
