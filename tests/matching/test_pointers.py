"""Items a person points to (issue 20, item 3): URLs, record ids and quoted passages
found in the index, stored as weak ``pointer`` matches and searched again later."""

from __future__ import annotations

import json

import pytest

from dsr_app.cases.jobs import manifest_mark, run_pending, search_after_ingest
from dsr_app.db import open_db
from dsr_app.matching import passages
from dsr_app.matching.pointer_index import url_key
from dsr_app.review.letter_texts import TEXTS
from tests.conftest import assert_api_error, bearer, new_request, verify

# A post about Zoë by someone else, with nothing of her identifiers in it: only her
# pointers can find it.
BAKERY = (
    "Die neue Bäckerei in der Südstadt ist großartig: Sauerteigbrot, Zimtschnecken"
    " und ein Kaffee, für den man früh aufstehen sollte. Die Inhaberin hat früher"
    " in Lyon gelernt, sagt man."
)
# Its words as a person might paste them back: other case, no accents or
# punctuation, "sollte" changed to "muss".
BAKERY_QUOTED = (
    "die neue backerei in der sudstadt ist GROSSARTIG sauerteigbrot zimtschnecken und"
    " ein kaffee fur den man fruh aufstehen muss die inhaberin hat fruher in lyon"
    " gelernt"
)
FILLER = [
    "Morning run along the river, then coffee with the team before the big launch.",
    "Our holiday photos from the coast: sand, wind and far too much ice cream today.",
    "Training data notes: the model overfits when the summer posts dominate a batch.",
]


def _record(record_id: str, text: str, **fields) -> dict:
    return {"record_id": record_id, "dataset": "posts", "text": text, **fields}


def _manifest(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture
def corpus(run, tmp_path):
    """A small dataset: the bakery post with a URL, one by id, and filler."""
    records = [
        _record(
            "p-1", BAKERY, url="https://Social.Example.com/p/1001", author_id="acc-9"
        ),
        _record("p-2", "Zoë told us about her garden; nothing else to say here."),
        *(
            _record(f"f-{n}", text, url=f"https://social.example.com/p/{n}")
            for n, text in enumerate(FILLER)
        ),
    ]
    result = run("ingest", _manifest(tmp_path / "posts.jsonl", records))
    assert result.exit_code == 0, result.output


def _filed(api, db_path, pointers, **fields) -> dict:
    created = new_request(api, type="access", pointers=pointers, **fields)
    assert verify(api, db_path, created, "email", "zoe@example.eu").status_code == 200
    db = open_db(db_path)
    run_pending(db)
    db.close()
    return created


def _matches(db_path, request_id) -> dict[str, tuple]:
    db = open_db(db_path)
    try:
        return {
            r[0]: r[1:]
            for r in db.execute(
                "SELECT record_id, matched_on, confidence, match_kind FROM matches"
                " WHERE request_id = ? AND matched_on = 'pointer'",
                [request_id],
            )
        }
    finally:
        db.close()


@pytest.mark.parametrize(
    "given, key",
    [
        ("https://social.example.com/p/1001", "social.example.com/p/1001"),
        ("HTTP://Social.EXAMPLE.com/p/1001/", "social.example.com/p/1001"),
        (
            "https://www.social.example.com:443/p/1001#comments",
            "social.example.com/p/1001",
        ),
        (
            "https://social.example.com/p/1001?utm_source=x&UTM_Medium=y&fbclid=z",
            "social.example.com/p/1001",
        ),
        (
            "https://social.example.com/p/1001?b=2&a=1",
            "social.example.com/p/1001?a=1&b=2",
        ),
        ("www.social.example.com/p/%7Ezoe", "social.example.com/p/~zoe"),
        ("https://bücher.example/zoë", "xn--bcher-kva.example/zo%C3%AB"),
        ("https://social.example.com:8443/p/1", "social.example.com:8443/p/1"),
        ("https://social.example.com/P/1001", "social.example.com/P/1001"),
    ],
)
def test_url_key_normalises_what_does_not_change_the_item(given, key):
    assert url_key(given) == key


@pytest.mark.parametrize(
    "given",
    ["p-1", "ftp://social.example.com/p/1", "mailto:zoe@example.eu", "https://", "a b"],
)
def test_url_key_refuses_what_is_not_a_web_address(given):
    assert url_key(given) is None


@pytest.mark.parametrize(
    "quoted",
    [
        BAKERY_QUOTED,
        BAKERY.upper(),
        BAKERY.replace("ä", "a").replace("ü", "u").replace("ß", "ss"),
        BAKERY.replace(":", " -").replace(",", ";").replace(".", "!!"),
        BAKERY.replace("Zimtschnecken", "Zimtschnecke"),  # a small typo
        BAKERY[40:150],  # a part of it
    ],
)
def test_passage_edits_keep_similarity_and_a_shared_print(quoted):
    assert passages.similarity(quoted, BAKERY) >= passages.MIN_SCORE
    mine = passages.prints(passages.folded_words(quoted))
    assert mine & passages.prints(passages.folded_words(BAKERY))


def test_unrelated_texts_are_not_alike():
    for text in FILLER:
        assert passages.similarity(BAKERY_QUOTED, text) < passages.MIN_SCORE


def test_url_id_and_passage_pointers_find_their_items_weak(api, db_path, corpus):
    created = _filed(
        api,
        db_path,
        [
            "HTTPS://www.social.example.com/p/1001/?utm_source=share#top",
            "p-2",
            "Some words that no record in this dataset has ever held, nowhere at all.",
        ],
    )
    found = _matches(db_path, created["id"])
    assert found == {
        "p-1": ("pointer", "weak", "mention"),
        "p-2": ("pointer", "weak", "mention"),
    }


def test_an_edited_passage_finds_its_item(api, db_path, corpus):
    created = _filed(api, db_path, [BAKERY_QUOTED])
    assert set(_matches(db_path, created["id"])) == {"p-1"}


def test_a_passage_matching_nothing_finds_nothing(api, db_path, corpus):
    created = _filed(
        api,
        db_path,
        ["Die alte Metzgerei am Hafen hat geschlossen, schade um die guten Würste."],
    )
    assert _matches(db_path, created["id"]) == {}


def test_a_pointer_to_an_item_another_rule_proves_is_as_strong(
    api, db_path, run, tmp_path
):
    text = "Write to zoe@example.eu for the recipe of the bakery's famous rye bread."
    run("ingest", _manifest(tmp_path / "m.jsonl", [_record("p-7", text)]))
    created = _filed(api, db_path, ["p-7"])
    assert _matches(db_path, created["id"]) == {
        "p-7": ("pointer", "verified", "mention")
    }


def test_pointers_are_searched_again_after_an_ingest(api, db_path, corpus, tmp_path):
    created = _filed(api, db_path, [BAKERY_QUOTED, "https://social.example.com/p/77"])
    db = open_db(db_path)
    mark = manifest_mark(db)
    later = [
        _record("q-1", BAKERY),
        _record("q-2", "x", url="https://social.example.com/p/77/"),
    ]
    from dsr_app.corpus.ingest import ingest

    ingest(db, [_manifest(tmp_path / "v2.jsonl", later)], version="2")
    assert search_after_ingest(db, mark) == 1
    db.close()
    assert set(_matches(db_path, created["id"])) == {"p-1", "q-1", "q-2"}


def test_the_sweep_keeps_pointer_matches(api, db_path, corpus, run):
    created = _filed(api, db_path, ["p-2"])
    assert run("sweep").exit_code == 0
    assert set(_matches(db_path, created["id"])) == {"p-2"}


def _pending_index_jobs(db) -> int:
    return db.execute(
        "SELECT count(*) FROM jobs WHERE kind = 'pointer_index' AND done_at IS NULL"
    ).fetchone()[0]


def test_an_ingest_queues_the_index_and_its_job_searches_again(
    api, db_path, run, tmp_path, monkeypatch
):
    from dsr_app.matching import pointer_index

    # The index lags by more than a search takes on: it reads what is there.
    monkeypatch.setattr(pointer_index, "INLINE_LIMIT", 0)
    created = _filed(api, db_path, [BAKERY_QUOTED, "https://social.example.com/p/1"])
    assert (
        run(
            "ingest",
            _manifest(
                tmp_path / "m.jsonl",
                [
                    _record("p-1", BAKERY, url="https://social.example.com/p/1/"),
                    _record("f-1", FILLER[0]),
                ],
            ),
        ).exit_code
        == 0
    )
    db = open_db(db_path)
    assert _pending_index_jobs(db) == 1
    assert _matches(db_path, created["id"]) == {}  # searched by the ingest, unindexed
    assert pointer_index.unindexed(db) == 2
    run_pending(db)  # the job: indexes both, then searches the request again
    assert pointer_index.unindexed(db) == 0
    assert _pending_index_jobs(db) == 0
    assert set(_matches(db_path, created["id"])) == {"p-1"}
    db.close()


def test_the_index_job_takes_a_slice_and_queues_the_rest(
    api, db_path, corpus, monkeypatch
):
    from dsr_app.cases import jobs
    from dsr_app.matching import pointer_index

    monkeypatch.setattr(jobs, "INDEX_SLICE", 2)
    monkeypatch.setattr(pointer_index, "CHUNK", 1)
    db = open_db(db_path)
    assert pointer_index.unindexed(db) == 5
    assert _pending_index_jobs(db) == 1  # queued by the ingest
    assert run_pending(db, limit=1) == 1
    # Two records in; the rest waits behind the jobs queued meanwhile, in a job
    # of its own.
    assert (pointer_index.unindexed(db), _pending_index_jobs(db)) == (3, 1)
    assert jobs.queue_pointer_index(db) is False  # one waits: not twice
    while run_pending(db):
        pass
    assert (pointer_index.unindexed(db), _pending_index_jobs(db)) == (0, 0)
    db.close()


def test_forked_workers_index_as_this_process_does(db_path, corpus, monkeypatch):
    from dsr_app.matching import pointer_index

    monkeypatch.setattr(pointer_index, "CHUNK", 2)  # three parts, two workers
    db = open_db(db_path)
    texts = [t for (t,) in db.execute("SELECT text FROM records ORDER BY id")]

    def index_by(workers):
        db.execute("INSERT INTO passage_prints (passage_prints) VALUES ('delete-all')")
        db.execute("DELETE FROM record_urls")
        db.execute("UPDATE pointer_index SET indexed_to = 0")
        assert pointer_index.refresh_index(db, workers=workers) == 5
        return (
            [passages.find(db, text) for text in texts],
            db.execute("SELECT * FROM record_urls ORDER BY record").fetchall(),
        )

    inline = index_by(1)
    assert inline == index_by(2)
    assert all(hits for hits in inline[0][:1])  # the bakery post finds itself
    assert len(inline[1]) == 4  # the four records with a URL
    db.close()


def test_a_store_from_before_the_job_gets_one(db_path, corpus):
    from dsr_app.migrations.cases import m028_pointer_index_job

    db = open_db(db_path)
    db.execute("DELETE FROM jobs")
    m028_pointer_index_job(db)
    assert _pending_index_jobs(db) == 1
    run_pending(db)
    m028_pointer_index_job(db)  # nothing left to index: no job
    assert _pending_index_jobs(db) == 0
    db.close()


def test_an_erased_item_leaves_the_pointer_index(db_path, corpus):
    from dsr_app.matching.pointer_index import refresh_index
    from dsr_app.removal.lists import purge
    from dsr_app.sql import write_transaction

    db = open_db(db_path)
    refresh_index(db)
    assert [r for r, _ in passages.find(db, BAKERY_QUOTED)]
    with write_transaction(db):
        purge(db, "r-1", [{"dataset": "posts", "record_id": "p-1"}])
    assert passages.find(db, BAKERY_QUOTED) == []
    # Its URL too, and the index is whole (a contentless FTS5 table is deleted
    # from with the very tokens it was given).
    assert db.execute("SELECT count(*) FROM record_urls").fetchone()[0] == 3
    db.execute("INSERT INTO passage_prints (passage_prints) VALUES ('integrity-check')")


@pytest.mark.parametrize(
    "pointers, field",
    [
        ([f"p-{n}" for n in range(21)], "pointers"),
        (["x" * 2001], "pointers.0"),
        (["p-1", 42], "pointers.1"),
        (["p-1", "   "], "pointers.1"),
        ("p-1", "pointers"),
    ],
)
def test_bad_pointers_are_refused_naming_the_field(api, pointers, field):
    resp = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "Zoë Müller",
            "email": "zoe@example.eu",
            "country": "DE",
            "pointers": pointers,
        },
    )
    assert_api_error(resp, 400, field)


def test_twenty_pointers_of_2000_characters_are_accepted(api, db_path):
    created = new_request(api, pointers=[f"{n} " + "w" * 1995 for n in range(20)])
    db = open_db(db_path)
    (count,) = db.execute(
        "SELECT count(*) FROM request_pointers WHERE request_id = ?", [created["id"]]
    ).fetchone()
    assert count == 20


def _approve(api, staff, created, include=()):
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve", "include": list(include)},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    letter = api.get(
        f"/api/v1/requests/{created['id']}/letter?format=txt", headers=bearer(created)
    ).get_data(as_text=True)
    data = api.get(f"/api/v1/requests/{created['id']}/data", headers=bearer(created))
    return letter, data.get_data(as_text=True)


@pytest.mark.parametrize("included", [False, True])
def test_a_pointer_match_is_disclosed_only_once_staff_include_it(
    api, staff, db_path, corpus, included
):
    created = _filed(api, db_path, [BAKERY_QUOTED])
    detail = api.get(
        f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"]
    ).get_json()
    (pointed,) = [m for m in detail["matches"] if m["matched_on"] == "pointer"]
    assert (pointed["record_id"], pointed["confidence"]) == ("p-1", "weak")
    letter, data = _approve(
        api, staff, created, [pointed["match_id"]] if included else []
    )
    assert ("p-1" in letter) is included
    assert ("p-1" in data) is included
    assert ("Sauerteigbrot" in data) is included
    # Left out, it is counted as what it is: an item matching what the person
    # gave us, not one "that mentions a person named" them (W01).
    plain = " ".join(letter.split())
    pointed = (
        TEXTS["en"]["W02_one"]
        .format(pointed_count=1, controller_email="{e}", reference=created["id"])
        .split("{e}")[0]
    )
    assert (pointed in plain) is not included
    assert "mentions a person named" not in plain
