"""Progress bars of the long commands: a percentage and the time left on a
terminal, nothing elsewhere (CI logs, pipes; issue 21, item 5).

The commands report records as they go; how many there are is counted beside the
work, in a thread, so that the first records never wait for the count: the bar
shows a rate until the count is in, then its percentage and time left.
"""

from __future__ import annotations

import gzip
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from dsr_app.corpus.manifests import manifest_format, open_manifest, parquet_num_rows


class Progress:
    """A records bar on stderr when it is a terminal; ``None`` otherwise.

    :param count: how many records there are, or a function that counts them,
        called in a thread (``lines_in``); without it the bar shows only the rate.
    """

    def __init__(self, unit: str, count: Callable[[], int] | int | None = None):
        self.unit, self.count, self.bar = unit, count, None
        self.counting: threading.Thread | None = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.count if isinstance(self.count, int) and self.count else None,
            unit=f" {self.unit}",
            unit_scale=True,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        if callable(self.count):
            self.counting = threading.Thread(target=self._total, daemon=True)
            self.counting.start()
        return self.bar.update

    def _total(self) -> None:
        try:
            total = self.count()
        except Exception:  # a file the command itself will refuse: it says why
            return
        bar = self.bar
        if bar is not None and total:
            bar.total = max(total, bar.n)
            bar.refresh()

    def __exit__(self, *exc) -> None:
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.close()


def lines_in(files: Iterable[Path], protected: Sequence[Path] = ()) -> int:
    """How many records ``files`` hold: Parquet's rows from its footer, and the
    lines of JSON Lines (what the commands count: blank lines aside)."""
    total = 0
    for path in files:
        fmt = manifest_format(path)
        if fmt == "parquet":
            total += parquet_num_rows(path, protected) or 0
            continue
        with open_manifest(path, protected) as raw:
            fh = gzip.GzipFile(fileobj=raw) if fmt == "jsonl.gz" else raw
            # Never count a gzip bomb to its end (the command refuses it itself).
            most = (os.fstat(raw.fileno()).st_size + (1 << 20)) * 1000
            last, size = b"\n", 0
            while chunk := fh.read(1 << 20):
                total += chunk.count(b"\n")
                last, size = chunk[-1:], size + len(chunk)
                if size > most:
                    return 0
            total += last != b"\n"  # a last line without its newline
    return total
