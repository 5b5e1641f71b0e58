"""Batch matching: every verified request against every record, in one pass.

The pass costs about the same whatever the number of requests. Records come in
batches; the prefilter (prefilter.py) scans each batch's texts at once for every
requester's literals, and the author of each record is looked up in a dictionary.
Only the records so pointed at are read further: identifiers written in them, and
the words of their texts (against one word of each requester's name spellings), are
looked up in dictionaries; only the (record, requester) pairs so found go through
the shared rules of matching.py. Work is split across processes: by id range over
the indexed records, by byte range of a .jsonl file, or by file.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from pathlib import Path

import sqlite_utils

from dsr_app.corpus.record import policy_flags
from dsr_app.identifiers import text_identifier_keys
from dsr_app.matching import sweep_input
from dsr_app.matching.identity import Identity, Match
from dsr_app.matching.prefilter import Prefilter, json_view, phone_tail
from dsr_app.matching.rules import match_record
from dsr_app.matching.sweep_input import BATCH, part_records, plan
from dsr_app.matching.text import TextView, name_spelled
from dsr_app.pool import fork_map, forks

_ALNUM = re.compile(r"[^\W_]+")  # runs of str.isalnum() characters


def _whole_word_in(word: str, text: str) -> bool:
    """Whether ``word`` is in ``text`` with neither neighbour a letter or digit."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            return True
        start = text.find(word, start + 1)
    return False


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
                tail = phone_tail(identity)
                self.phone_tails[len(tail)].add(tail)
            # One word of each spelling is looked up, its longest (names' longest
            # words are their rarest: "novak", not "jan"); match_record then checks
            # the whole name.
            for variant in identity.names:
                words[max(variant.split(), key=lambda w: (len(w), w))].add(n)
        # Each word under its longest run of letters and digits, which is one of the
        # text's runs wherever the word is written as a whole word: the text's runs
        # are looked up here, and a word that is not a run itself ("o'neil") is then
        # checked in the text. (name_variants' words are all runs; a word without
        # letters or digits is checked in every text.)
        names: dict[str, dict[str, frozenset[int]]] = defaultdict(dict)
        for word, owners in words.items():
            runs = _ALNUM.findall(word)
            key = max(runs, key=lambda r: (len(r), r)) if runs else ""
            names[key][word] = frozenset(owners)
        self._runless = names.pop("", {})
        self.names = dict(names)
        self._has_names = bool(words)
        self.prefilter = Prefilter(self.identities)
        # (a set's intersection with another walks the smaller: a batch's
        # authors, not the requesters' 10,000 accounts as dict keys would)
        self.author_set = frozenset(self.by_author)

    def _wanted_digits(self, digits: str) -> bool:
        return any(digits[-n:] in tails for n, tails in self.phone_tails.items())

    def candidates(
        self,
        record: Mapping,
        authors: Iterable[int] | None = None,
        view: TextView | None = None,
    ) -> set[int]:
        """Requesters that ``record`` could concern (a superset of the matches).

        ``authors``: the owners of the record's ``author_id``, when a join has
        already looked them up (the Spark engine); else they are looked up here.
        ``view``: the record's text as the rules read it, when the caller has it.
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
            view = view if view is not None else TextView(text)
            folded = view.folded
            named: set[int] = set()
            # (the text's few runs are walked, not the requesters' many words)
            runs = set(_ALNUM.findall(folded))
            hits = [(r, self.names[r]) for r in runs if r in self.names]
            if self._runless:
                hits.append(("", self._runless))
            for run, spelled in hits:
                for word, owners in spelled.items():
                    # whole words only: neither neighbour is a letter or digit (a
                    # word that is the run itself is one)
                    if word == run or _whole_word_in(word, folded):
                        named |= owners
            named -= found
            # One word of a name is common ("muller"): a requester counts only when
            # every word of a spelling is in the text, and then a whole spelling
            # as the rules look for it (name_spelled costs more than the words).
            named = {
                n
                for n in named
                if any(all(w in folded for w in words) for words in self.name_words[n])
            }
            found.update(n for n in named if name_spelled(view, self.identities[n]))
        return found

    def likely(
        self, batch: list[tuple[Mapping, Iterable[int] | None]]
    ) -> Iterator[tuple[Mapping, Iterable[int] | None]]:
        """The (record, authors) pairs of ``batch`` that may concern a requester
        (a superset of those with matches): the prefilter found a literal in the
        text, or the author is a requester's account."""
        hits = self.prefilter.hits([record.get("text") or "" for record, _ in batch])
        for n, (record, authors) in enumerate(batch):
            if n in hits or authors or self._by_author(record):
                yield record, authors

    def _by_author(self, record: Mapping) -> bool:
        author = record.get("author_id")
        if author and author in self.by_author:
            return True
        handle = record.get("author_handle")
        return bool(handle) and handle.lower() in self.by_author_handle

    def match(
        self, record: Mapping, authors: Iterable[int] | None = None
    ) -> list[Match]:
        """Every match of every requester in ``record`` (``authors``: as above)."""
        view = TextView(record.get("text") or "")
        candidates = self.candidates(record, authors, view)
        if not candidates:
            return []
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
    items = iter(items)
    while batch := list(islice(items, BATCH)):
        report.records += len(batch)
        report.scope.update(
            (record["dataset"], record["dataset_version"]) for record, _ in batch
        )
        for record, authors in matcher.likely(batch):
            if "policy_flags" not in record:  # a manifest's record: worked out now
                record["policy_flags"] = policy_flags(record)
            for m in matcher.match(record, authors):
                report.matches.setdefault(m.request_id, []).append(m)
    return report


_TEXT = attrgetter("text")
_AUTHOR = attrgetter("author_id")


def sweep_lines(
    matcher: Matcher,
    blocks: Iterable[bytes],
    dataset: str | None,
    version: str,
) -> SweepReport:
    """Match the records of blocks of JSON lines, as ``sweep_records`` would, faster.

    Of each line, only the fields the prefilter and the counts need are parsed
    (``sweep_input.block_rows``; the text is squashed from its JSON as written,
    ``prefilter.json_view``); a line is read whole only when the prefilter finds a
    literal in its text or its author is a requester's account. A block with a line
    that is not such a record is read line by line, and record by record where a
    line is not one.
    """
    report = SweepReport()
    for block in blocks:
        rows, lines = sweep_input.block_rows(block), None
        if rows is None:
            lines = sweep_input.block_lines(block)
            rows = sweep_input.rows(lines)
        texts = None if rows is None else json_view(list(map(_TEXT, rows)))
        if texts is None:
            if lines is None:
                lines = sweep_input.block_lines(block)
            found = sweep_input.file_records(
                sweep_input.parsed(lines), dataset, version
            )
            report.merge(sweep_records(matcher, ((r, None) for r in found)))
            continue
        named, datasets = sweep_input.datasets(rows, dataset)
        report.records += len(rows) - (named.count(None) if named else 0)
        report.scope.update((name, version) for name in datasets)
        hits = matcher.prefilter.hits_in_view(texts, len(rows))
        authors = set(map(_AUTHOR, rows))
        owned = authors & matcher.author_set
        if owned:
            hits.update(n for n, row in enumerate(rows) if row.author_id in owned)
        # A handle makes a record own content only when it has no author id
        # (match_record); mentions of it are in the text, which the prefilter saw.
        if matcher.by_author_handle and (None in authors or "" in authors):
            hits.update(
                n
                for n, row in enumerate(rows)
                if not row.author_id
                and row.author_handle
                and row.author_handle.lower() in matcher.by_author_handle
            )
        hits = sorted(n for n in hits if named is None or named[n])
        at = (
            {n: lines[n] for n in hits}
            if lines is not None
            else sweep_input.lines_at(block, hits)
        )
        for n in hits:
            record = sweep_input.whole(at[n], dataset, version)
            for m in matcher.match(record) if record else ():
                report.matches.setdefault(m.request_id, []).append(m)
    return report


def _sweep_part(part: tuple) -> SweepReport:
    blocks = sweep_input.part_blocks(part)
    if blocks is not None:
        return sweep_lines(_MATCHER, blocks, *part[-2:])
    return sweep_records(_MATCHER, ((record, None) for record in part_records(part)))


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
    if forks(workers, parts):
        # Forked workers share the prefilter's automaton, compiled here once: one
        # copy of its tens of megabytes in the processors' shared cache, not one
        # each.
        matcher.prefilter.compile()
    for piece in fork_map(_sweep_part, parts, workers, _init_worker, (matcher,)):
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
    run: Callable[..., SweepReport] = sweep,
    searched_by: str = "sweep",
    **options,
) -> SweepReport:
    """Sweep for every verified request and store what was found.

    :param run: the engine's sweep (dsr_app/engines.py), called as ``sweep`` is,
        with the engine's ``options``; ``searched_by``: the engine each stored
        search names.
    """
    from dsr_app import deadlines
    from dsr_app.matching.pointers import pointer_matches
    from dsr_app.matching.search import (
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
    report = run(
        identities, db_path, manifests, dataset, version, workers, progress, **options
    )
    for request_id, identity in zip(request_ids, identities, strict=True):
        found = report.matches.get(request_id, [])
        # The items the person pointed to, from the index (issue 20, item 3).
        versions = scope or indexed_versions(db)
        found = found + pointer_matches(db, identity, found, versions)
        store_matches(
            db,
            request_id,
            found,
            at,
            searched_by,
            scope,
            searched=sorted(report.scope),
        )
    return report
