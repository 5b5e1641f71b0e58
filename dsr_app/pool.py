"""One function over many parts in forked worker processes: the sweep and the
removal apply share this.

Forked, not spawned: a worker inherits what its initialiser is handed (a matcher of
10,000 requesters, a removal list of 100,000 entries) from the parent's memory
instead of receiving a pickled copy each.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

P = TypeVar("P")
R = TypeVar("R")


def forks(workers: int, parts: Sequence) -> bool:
    """Whether ``fork_map`` forks for these: more than one worker and one part."""
    return workers > 1 and len(parts) > 1


def fork_map(
    func: Callable[[P], R],
    parts: Sequence[P],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[R]:
    """``func`` of each part, in the parts' order, as each is done.

    In ``workers`` forked processes, each first running ``initializer(*initargs)``;
    in this process (``initializer`` run here once) when ``forks`` says no.
    """
    if not forks(workers, parts):
        if initializer is not None:
            initializer(*initargs)
        yield from map(func, parts)
        return
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=initializer,
        initargs=initargs,
    ) as pool:
        yield from pool.map(func, parts)
