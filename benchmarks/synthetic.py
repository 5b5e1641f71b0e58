"""Synthetic manifests for benchmarks: realistic sizes, mixed languages, identifiers."""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import orjson

_ASCII_WORDS = (
    "the a and of to in is it that was for on are with as I his they be at one have "
    "this from or had by hot word but what some we can out other were all there when "
    "up use your how said an each she which do their time if will way about many then "
    "them write would like so these her long make thing see him two has look more day "
    "could go come did number sound no most people my over know water than call first "
    "who may down side been now find any new work part take get place made live where "
    "training model data post photo summer holiday friends family weekend coffee"
).split()
# Letters beyond ASCII appear in about one word in twenty of the non-English posts.
_ACCENTED = (
    "Straße über schön Grüße Müller Łódź żółć Kraków Søren Århus café garçon élève "
    "naïve Dvořák Bjørn Gdańsk Šibenik Győr Nürnberg Zürich Málaga"
).split()
_FIRST = "Anna Jan Zoë Łucja Søren François Märta Jiří Ödön Björn Noémie Paweł".split()
_LAST = "Müller Nowak Ågård Lefèvre Dvořák Kovács Wiśniewska Øster Schröder".split()


def record(rng: random.Random, i: int, dataset: str = "bench") -> dict:
    """One manifest record of about 700 bytes as JSON."""
    lang = rng.choice(("en", "en", "de", "fr", "pl"))
    words = rng.choices(_ASCII_WORDS, k=rng.randint(60, 110))
    if lang != "en":
        for _ in range(len(words) // 20):
            words[rng.randrange(len(words))] = rng.choice(_ACCENTED)
    roll = rng.random()
    if roll < 0.05:
        words.insert(
            rng.randrange(len(words)), f"user{rng.randrange(10**6)}@example.org"
        )
    elif roll < 0.10:
        words.insert(rng.randrange(len(words)), f"@handle{rng.randrange(10**6)}")
    elif roll < 0.13:
        words.insert(rng.randrange(len(words)), f"+49 151 {rng.randrange(10**8):08d}")
    elif roll < 0.20:
        words[rng.randrange(len(words))] = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    text = " ".join(words)
    rec = {
        "record_id": f"r{i:09d}",
        "dataset": dataset,
        "text": text,
        "source": rng.choice(("facebook", "instagram", "threads")),
        "kind": rng.choice(("post", "comment", "caption")),
        "author_id": f"acc-{rng.randrange(200_000):07d}",
        "author_handle": f"handle{rng.randrange(200_000)}",
        "created_at": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
        "visibility": "public",
        "lang": lang,
        "url": f"https://social.example.com/p/{i}",
    }
    if i % 2:
        rec["content_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return rec


def write_jsonl(path: Path, n: int, seed: int = 1, dataset: str = "bench") -> Path:
    """Write ``n`` synthetic records to ``path`` (.jsonl or .jsonl.gz)."""
    rng = random.Random(seed)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps(record(rng, i, dataset)) + b"\n")
    return path


def manifest_in(folder: Path, n: int) -> Path:
    """``folder/bench-N.jsonl``, generated on first use and kept for later runs."""
    import sys

    path = folder / f"bench-{n}.jsonl"
    if not path.exists():
        print(f"generating {n:,} records ...", file=sys.stderr)
        write_jsonl(path, n)
    return path
