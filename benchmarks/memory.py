"""Peak memory of a process tree: shared pages counted once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psutil


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and all its children, shared pages counted once
    (the sum of PSS; plain RSS would count pages shared by forked workers twice)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except psutil.Error:
            pass
    return total


class Peak:
    """The largest ``tree_rss`` seen so far, in bytes."""

    bytes: int = 0


@contextmanager
def peak_of_tree(
    proc: psutil.Process | None = None, interval: float = 0.05
) -> Iterator[Peak]:
    """Sample ``proc`` (default: this process) and its children while the block
    runs."""
    peak, done, proc = Peak(), threading.Event(), proc or psutil.Process()

    def sample() -> None:
        while True:
            try:
                peak.bytes = max(peak.bytes, tree_rss(proc))
            except psutil.Error:
                pass
            if done.wait(interval):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
