"""Removal lists applied to a manifest of many shards, all outputs or none.

``dsr removals apply`` with several ``--manifest`` shards, or a folder of them,
writes one output shard per input shard. Each is written into a staging folder
beside its output (by this machine's processes or by Spark: dsr_app/engines.py)
and renamed into place only when all are complete; a failure anywhere removes the
staging folder and leaves every output as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dsr_app.corpus.manifests import manifest_files
from dsr_app.errors import BadInput
from dsr_app.removal.apply import ApplyReport, apply
from dsr_app.removal.leftovers import staging_prefix, sweep_dead
from dsr_app.removal.targets import Hits, Targets

Results = list[tuple[ApplyReport, Hits]]


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


def apply_each(
    jobs: list[tuple[Path, Path]],
    targets: Targets,
    progress: Callable[[int], None] | None = None,
) -> Results:
    """The local engine: each (input, output) pair in turn, in this process (a
    big JSON Lines file is split across the cores by ``apply``); ``progress`` is
    told the records read as they are."""
    results = []
    for in_path, out_path in jobs:
        targets.reset()
        applied = apply(in_path, out_path, targets, progress=progress)
        results.append((applied, targets.hits()))
    return results


def apply_shards(
    pairs: list[tuple[Path, Path]],
    targets: Targets,
    run: Callable[..., Results] = apply_each,
    progress: Callable[[int], None] | None = None,
    **options,
) -> ApplyReport:
    """Apply the lists to every shard; outputs appear only once all are written.

    :param run: the engine's apply-shards function (``apply_each``, or Spark's
        through dsr_app/engines.py), called with ``progress`` (told the records
        read) and ``options`` (Spark's master, conf).

    One shard is written by ``apply`` (atomic on its own). Several are written into
    a staging folder beside their outputs and renamed into place only when all are
    complete. Staging folders of killed runs on this host are removed by the next
    run, like ``apply``'s temporary files.
    """
    if len(pairs) == 1:
        (in_path, out_path), staged = pairs[0], None
        out_path.parent.mkdir(parents=True, exist_ok=True)
        jobs = [(in_path, out_path)]
    else:
        staged = _staging(pairs)
        jobs = [(i, stage) for i, stage, _ in staged]
    leftovers = sum(
        sweep_dead(folder, staging_prefix())
        for folder in {out.parent for _, out in pairs}
    )
    try:
        results = run(jobs, targets, progress=progress, **options)
        for _, stage, out_path in staged or ():
            os.replace(stage, out_path)
    finally:
        for root in {stage.parent for _, stage, _ in staged or ()}:
            shutil.rmtree(root, ignore_errors=True)
    targets.reset()
    for _, hits in results:
        targets.merge(hits)
    return ApplyReport(
        sum(r.read for r, _ in results),
        sum(r.removed for r, _ in results),
        tuple(targets.tally()),
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
            prefix = f"{staging_prefix()}{os.getpid()}-"
            roots[parent] = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
        staged.append((in_path, roots[parent] / out_path.name, out_path))
    return staged
