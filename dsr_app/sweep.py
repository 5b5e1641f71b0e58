"""Batch matching: every verified request against every record, in one pass.

The pass costs about the same whatever the number of requests: identifiers written in
a record are looked up in dictionaries, and all requesters' name spellings are found
at once by an Aho-Corasick automaton; only the (record, requester) pairs so found go
through the shared rules of matching.py. Work is split across processes: by id range
over the indexed records, by byte range of a .jsonl file, by row group of a Parquet
file, or by file.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import orjson
import sqlite_utils

from .identifiers import fold, text_identifier_keys
from .manifests import jsonl_range
from .matching import Identity, Match, TextView, match_record, name_text
from .records import MINOR, NON_PUBLIC

_PHONE_TAIL = 7  # digits compared before an international number is parsed


class Matcher:
    """All requesters' identifiers, arranged to find candidates in one look."""

    def __init__(self, identities: Iterable[Identity]):
        self.identities = list(identities)
        self.by_author: dict[str, set[int]] = defaultdict(set)
        self.by_author_handle: dict[str, set[int]] = defaultdict(set)
        self.by_key: dict[str, set[int]] = defaultdict(set)
        # The last digits of every verified phone, by how many: an international
        # spelling is parsed only when it ends like one of them.
        self.phone_tails: dict[int, set[str]] = defaultdict(set)
        self.names = ahocorasick.Automaton()
        self.name_words = [
            [variant.split() for variant in identity.names]
            for identity in self.identities
        ]
        words: dict[str, set[int]] = defaultdict(set)
        for n, identity in enumerate(self.identities):
            for account in identity.account_ids:
                self.by_author[account].add(n)
            for handle in identity.verified_handles:
                self.by_author_handle[handle].add(n)
            keys = set(identity.phone_keys())
            if identity.email_key:
                keys.add("e:" + identity.email_key)
            keys.update(
                "h:" + h for h in identity.verified_handles | identity.other_handles
            )
            for key in keys:
                self.by_key[key].add(n)
            if identity.phone:
                tail = min(_PHONE_TAIL, len(identity.phone_national))
                self.phone_tails[tail].add(identity.phone[-tail:])
            # The automaton looks for one word of each spelling, its longest (names'
            # longest words are their rarest: "novak", not "jan"); match_record then
            # checks the whole name.
            for variant in identity.names:
                words[max(variant.split(), key=lambda w: (len(w), w))].add(n)
        for word, owners in words.items():
            self.names.add_word(word, (word, frozenset(owners)))
        self._has_names = bool(words)
        if self._has_names:
            self.names.make_automaton()

    def _wanted_digits(self, digits: str) -> bool:
        return any(digits[-n:] in tails for n, tails in self.phone_tails.items())

    def candidates(
        self, record: Mapping, authors: Iterable[int] | None = None
    ) -> set[int]:
        """Requesters that ``record`` could concern (a superset of the matches).

        ``authors``: the owners of the record's ``author_id``, when a join has
        already looked them up (the Spark engine); else they are looked up here.
        """
        found: set[int] = set()
        if authors is not None:
            found.update(authors)
        else:
            author = record.get("author_id")
            if author and author in self.by_author:
                found |= self.by_author[author]
        handle = (record.get("author_handle") or "").lower()
        if handle and handle in self.by_author_handle:
            found |= self.by_author_handle[handle]
        text = record.get("text") or ""
        for key in text_identifier_keys(text, self._wanted_digits):
            if key in self.by_key:
                found |= self.by_key[key]
        if self._has_names and text:
            folded = fold(text)
            named: set[int] = set()
            for end, (word, owners) in self.names.iter(folded):
                start = end - len(word) + 1
                # whole words only: neither neighbour is a letter or digit
                if (start == 0 or not folded[start - 1].isalnum()) and (
                    end + 1 == len(folded) or not folded[end + 1].isalnum()
                ):
                    named |= owners
            named -= found
            # One word of a name is common ("muller"): a requester counts only when
            # every word of a spelling is in the text, and then the whole spelling
            # as match_record looks for it (name_text costs more than the words).
            named = {
                n
                for n in named
                if any(all(w in folded for w in words) for words in self.name_words[n])
            }
            if named:
                spaced = name_text(text)
                found.update(
                    n
                    for n in named
                    if any(v in spaced for v in self.identities[n].names)
                )
        return found

    def match(
        self, record: Mapping, authors: Iterable[int] | None = None
    ) -> list[Match]:
        """Every match of every requester in ``record`` (``authors``: as above)."""
        candidates = self.candidates(record, authors)
        if not candidates:
            return []
        view = TextView(record.get("text") or "")
        return [
            m
            for n in sorted(candidates)
            for m in match_record(record, self.identities[n], view)
        ]


@dataclass
class SweepReport:
    """What a sweep found."""

    records: int = 0
    matches: dict[str, list[Match]] = field(default_factory=dict)
    scope: set[tuple[str, str]] = field(default_factory=set)

    def merge(self, other: SweepReport) -> None:
        self.records += other.records
        self.scope |= other.scope
        for request_id, found in other.matches.items():
            self.matches.setdefault(request_id, []).extend(found)


# --- where records come from -------------------------------------------------------

_DB_COLUMNS = (
    "id",
    "dataset",
    "dataset_version",
    "record_id",
    "text",
    "author_id",
    "author_handle",
    "lang",
    "policy_flags",
)

_MATCHER: Matcher | None = None  # set in worker processes by _init_worker


def _init_worker(matcher: Matcher) -> None:
    global _MATCHER
    _MATCHER = matcher


def sweep_records(
    matcher: Matcher, items: Iterable[tuple[Mapping, Iterable[int] | None]]
) -> SweepReport:
    """Match (record, authors) pairs; ``authors`` as in ``Matcher.candidates``.

    The one loop of both engines: the local one here, Spark's per partition.
    """
    report = SweepReport()
    for record, authors in items:
        report.records += 1
        report.scope.add((record["dataset"], record["dataset_version"]))
        for m in matcher.match(record, authors):
            report.matches.setdefault(m.request_id, []).append(m)
    return report


def _sweep_records(records: Iterable[Mapping]) -> SweepReport:
    return sweep_records(_MATCHER, ((record, None) for record in records))


def _db_records(db_path: str, low: int, high: int) -> Iterator[dict]:
    """Indexed records with ``low <= id < high``."""
    from .db import connect

    db = connect(db_path)  # planned from an open store: migrated already
    try:
        rows = db.execute(
            f"SELECT {', '.join(_DB_COLUMNS)} FROM records WHERE id >= ? AND id < ?"
            " AND text IS NOT NULL",
            [low, high],
        )
        for r in rows:
            yield dict(zip(_DB_COLUMNS, r, strict=True))
    finally:
        db.close()


def _flags(record: dict) -> int:
    visibility = record.get("visibility")
    return (NON_PUBLIC if visibility not in (None, "public") else 0) | (
        MINOR if record.get("author_is_minor") is True else 0
    )


_STRING_FIELDS = ("record_id", "dataset", "author_id", "author_handle", "lang")


def file_record(rec, dataset: str | None, version: str) -> dict | None:
    """A manifest record as the rules read it, or ``None`` for one that ingest would
    refuse (wrong types; ``dsr ingest`` reports those)."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        return None
    if any(
        rec.get(name) is not None and not isinstance(rec[name], str)
        for name in _STRING_FIELDS
    ):
        return None
    rec["dataset"] = rec.get("dataset") or dataset
    rec["dataset_version"] = version
    rec["policy_flags"] = _flags(rec)
    return rec if rec["dataset"] and rec.get("record_id") else None


def _file_records(rows: Iterable[dict], dataset: str | None, version: str):
    for rec in rows:
        rec = file_record(rec, dataset, version)
        if rec is not None:
            yield rec


def _parsed(lines: Iterable[bytes]) -> Iterator[object]:
    for line in lines:
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError:
            continue


def part_records(part: tuple) -> Iterator[dict]:
    """The records of one piece of work (see ``plan``), as the rules read them.

    The one reader of both engines: this machine's processes and Spark's executors.
    """
    from .manifests import Limits, jsonl_lines, manifest_format, parquet_rows

    kind, *args = part
    if kind == "db":
        yield from _db_records(*args)
        return
    path, *rest = args
    if kind == "range":  # lines of a .jsonl that begin in [start, end)
        start, end, dataset, version = rest
        rows = _parsed(jsonl_range(Path(path), start, end))
    else:  # a whole file: .jsonl.gz (cannot be split), .jsonl or Parquet
        dataset, version = rest
        if manifest_format(Path(path)) == "parquet":
            rows = (row for _, row in parquet_rows(Path(path)))
        else:
            rows = _parsed(line for _, line in jsonl_lines(Path(path), Limits()))
    yield from _file_records(rows, dataset, version)


def plan(
    db_path: str | None,
    manifests: list[Path] | None,
    dataset: str | None,
    version: str,
    pieces: int,
) -> list[tuple]:
    """Pieces of work, about ``pieces`` of them: id ranges of the index, or files,
    big .jsonl files split by bytes."""
    from .manifests import manifest_format

    parts: list[tuple] = []
    if manifests:
        for path in manifests:
            size = path.stat().st_size
            if manifest_format(path) == "jsonl" and size > 8 * 1024 * 1024:
                step = size // max(pieces, 1) + 1
                for start in range(0, size, step):
                    end = min(size, start + step)
                    parts.append(("range", str(path), start, end, dataset, version))
            else:
                parts.append(("file", str(path), dataset, version))
        return parts
    from .db import open_db

    db = open_db(db_path)
    low, high = db.execute("SELECT min(id), max(id) FROM records").fetchone()
    db.close()
    if low is None:
        return []
    step = (high - low) // max(pieces, 1) + 1
    return [("db", db_path, n, n + step) for n in range(low, high + 1, step)]


def _sweep_part(part: tuple) -> SweepReport:
    return _sweep_records(part_records(part))


def sweep(
    identities: list[Identity],
    db_path: str | None = None,
    manifests: list[Path] | None = None,
    dataset: str | None = None,
    version: str = "1",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepReport:
    """Match every identity against the indexed records, or against manifest files.

    :param db_path: sweep the records ingested into this store (when no manifests).
    :param manifests: sweep these files directly, without ingesting them.
    """
    workers = workers or os.cpu_count() or 1
    matcher = Matcher(identities)
    parts = plan(
        db_path, manifests, dataset, version, workers * (2 if manifests else 4)
    )
    report = SweepReport()
    if workers == 1 or len(parts) <= 1:
        _init_worker(matcher)
        for part in parts:
            piece = _sweep_part(part)
            report.merge(piece)
            if progress:
                progress(piece.records)
        return report
    with ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(matcher,)
    ) as pool:
        for piece in pool.map(_sweep_part, parts):
            report.merge(piece)
            if progress:
                progress(piece.records)
    return report


def sweep_requests(
    db: sqlite_utils.Database,
    db_path: str,
    manifests: list[Path] | None = None,
    dataset: str | None = None,
    version: str = "1",
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    at=None,
    spark: dict | None = None,
) -> SweepReport:
    """Sweep for every verified request and store what was found.

    ``spark``: run on Apache Spark with these options (``master``, ``conf``; see
    spark_engine.sweep) instead of this machine's processes.
    """
    from . import deadlines
    from .search import (
        identity_for,
        indexed_versions,
        requests_to_search,
        store_matches,
    )

    at = at or deadlines.now()
    request_ids = requests_to_search(db)
    identities = [identity_for(db, r) for r in request_ids]
    # Over the index, every version indexed before the sweep is swept: matches no
    # longer found go. Over files, a file may be one shard of a version: add and
    # refresh, delete nothing (the scope is still recorded with the search).
    scope = indexed_versions(db) if not manifests else []
    if spark:
        from . import spark_engine

        report = spark_engine.sweep(
            identities, manifests, dataset, version, db_path=db_path, **spark
        )
        if progress:
            progress(report.records)
    else:
        report = sweep(
            identities, db_path, manifests, dataset, version, workers, progress
        )
    for request_id in request_ids:
        store_matches(
            db,
            request_id,
            report.matches.get(request_id, []),
            at,
            "spark" if spark else "sweep",
            scope,
            searched=sorted(report.scope),
        )
    return report
