"""What removal lists remove: their signed entries, checked and read once into
look-up sets (a record is looked up by ``corpus.record.record_key``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from dsr_app.errors import BadInput
from dsr_app.removal.lists import FORMAT
from dsr_app.signing import load_public_key, verify

Hits = tuple[set, set, set]  # Targets.hits(): found, hashed, seen


@dataclass(frozen=True)
class DatasetTally:
    """One dataset's part of an application (issue 21, item 5): records removed
    because a list names them, records removed by content hash and author only, and
    the dataset's list entries that removed nothing. ``read``: whether any record of
    the dataset was read (its entries are otherwise for another dataset)."""

    dataset: str
    by_id: int
    by_hash: int
    unmatched: int
    read: bool


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
    # Folders whose files no manifest reader opens (manifests.open_manifest), set
    # by the caller (the store's and the instance's): they travel with the targets
    # to forked workers and Spark's executors.
    protected: tuple[str, ...] = ()
    # For the summary per dataset: the (hash, author) pairs that removed a record
    # its list does not name by id, the datasets of every record read, and each
    # entry's pair.
    hashed: set[tuple[str, str]] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    pair_of: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def hit(self, dataset, record_id, digest, author) -> bool:
        """Whether a record is listed: by dataset and id, or by content hash and
        author together."""
        key = (dataset or self.default_dataset, record_id)
        self.seen.add(key[0])
        if key in self.keys:
            self.found.add(key)
            return True
        if digest and author and (digest, author) in self.authored:
            self.found.add(key)
            self.hashed.add((digest, author))
            return True
        return False

    def add(self, document: dict) -> None:
        """Add a (checked) list's entries: the lists from files (``load_lists``)
        and the store's lists of the clearance gate (training/clearance.py)."""
        for entry in document.get("entries", []):
            key = (entry["dataset"], entry["record_id"])
            self.keys.add(key)
            # An entry without author_id (v1 lists, anonymous records) matches by
            # dataset and record id only.
            if entry.get("content_sha256") and entry.get("author_id"):
                pair = (entry["content_sha256"].lower(), entry["author_id"])
                self.authored.add(pair)
                self.pair_of[key] = pair
            self.entries += 1

    def hits(self) -> Hits:
        """What has been found (to send back from a worker or an executor)."""
        return self.found, self.hashed, self.seen

    def reset(self) -> None:
        """Forget what was found: a new shard, or a worker's share of one."""
        self.found, self.hashed, self.seen = set(), set(), set()

    def merge(self, hits: Hits) -> None:
        """Add what a worker or another shard found."""
        found, hashed, seen = hits
        self.found |= found
        self.hashed |= hashed
        self.seen |= seen

    def tally(self) -> list[DatasetTally]:
        """Per dataset, sorted: what was removed by id and by content hash, and
        the entries that removed nothing (by distinct record)."""
        counts: dict[str, list[int]] = {}
        for dataset, record_id in self.found:
            row = counts.setdefault(dataset, [0, 0, 0])
            row[0 if (dataset, record_id) in self.keys else 1] += 1
        for key in self.keys:
            row = counts.setdefault(key[0], [0, 0, 0])
            if key not in self.found and self.pair_of.get(key) not in self.hashed:
                row[2] += 1
        return [
            DatasetTally(dataset, *row, read=dataset in self.seen)
            for dataset, row in sorted(counts.items())
        ]


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
        targets.add(document)
    return targets
