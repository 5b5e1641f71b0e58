"""Issued letters are records (contract section 5; issue 18, item 1): rendered once
when issued, dated the issue day, served byte for byte at every download, their
SHA-256 in the audit log, and never rewritten by a later event."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from dsr_app.audit import trail, verify
from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from dsr_app.i18n import long_date
from dsr_app.review.issued import make_pdfs
from tests.conftest import bearer
from tests.review.helpers import decide_ok, filed

FORMATS = ("html", "txt", "pdf")


def _status(api, created) -> dict:
    resp = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    assert resp.status_code == 200
    return resp.get_json()


def _download(api, created, letter_id, fmt="html", token_of=None):
    return api.get(
        f"/api/v1/requests/{created['id']}/letters/{letter_id}?format={fmt}",
        headers=bearer(token_of or created),
    )


def _bytes(api, created, letter_id) -> dict[str, bytes]:
    found = {}
    for fmt in FORMATS:
        resp = _download(api, created, letter_id, fmt)
        assert resp.status_code == 200, (fmt, resp.get_data(as_text=True))
        found[fmt] = resp.data
    return found


def test_issued_letter_is_the_same_bytes_days_apart_and_dated_the_decision(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="objection", language="en")
    decided_on = clock.at.date()
    decide_ok(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    clock.move(days=40)
    first = _bytes(api, created, letter["id"])
    first_answer = {
        fmt: api.get(
            f"/api/v1/requests/{created['id']}/letter?format={fmt}",
            headers=bearer(created),
        ).data
        for fmt in FORMATS
    }
    clock.move(days=50)
    assert _bytes(api, created, letter["id"]) == first
    assert first_answer == first  # /letter: the latest decision letter's bytes
    assert first["pdf"].startswith(b"%PDF-")
    text = first["txt"].decode()
    assert long_date(decided_on, "en") in text
    for later in (decided_on + timedelta(days=40), decided_on + timedelta(days=90)):
        assert long_date(later, "en") not in text


def test_status_lists_each_letter_with_the_sha256_of_its_text_and_in_the_audit_log(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="access", language="de")
    decide_ok(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    assert set(letter) == {"id", "kind", "issued_at", "sha256"}
    assert letter["kind"] == "decision"
    assert letter["issued_at"] == clock.at.isoformat()
    txt = _download(api, created, letter["id"], "txt").data
    assert letter["sha256"] == hashlib.sha256(txt).hexdigest()
    db = open_db(db_path)
    issued = [e for e in trail(db, created["id"]) if e["action"] == "letter_issued"]
    assert [e["detail"] for e in issued] == [
        {"letter_id": letter["id"], "kind": "decision", "sha256": letter["sha256"]}
    ]
    assert verify(db).ok


def test_extension_and_request_for_information_issue_letters_of_their_own(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="access", language="fr")
    decide_ok(api, staff, created, "extend", "Vos données sont réparties sur 40 jeux.")
    (extension,) = _status(api, created)["letters"]
    kept = _bytes(api, created, extension["id"])

    clock.move(days=1)
    decide_ok(
        api, staff, created, "request_info", "Lequel de ces comptes est le vôtre ?"
    )
    clock.move(days=1)
    replied = api.post(
        f"/api/v1/requests/{created['id']}/reply",
        json={"details": "Le compte zoe.mueller."},
        headers=bearer(created),
    )
    assert replied.status_code == 200, replied.get_json()
    clock.move(days=1)
    decide_ok(api, staff, created, "approve")

    letters = _status(api, created)["letters"]
    assert [x["kind"] for x in letters] == ["extension", "request_info", "decision"]
    assert letters[0] == extension  # listed as it was issued
    assert len({x["id"] for x in letters}) == 3
    assert _bytes(api, created, extension["id"]) == kept  # never rewritten
    issued_days = [datetime.fromisoformat(x["issued_at"]).date() for x in letters]
    for letter, day in zip(letters, issued_days, strict=True):
        txt = _download(api, created, letter["id"], "txt").data
        assert hashlib.sha256(txt).hexdigest() == letter["sha256"]
        assert long_date(day, "fr") in txt.decode()
    answer = api.get(
        f"/api/v1/requests/{created['id']}/letter", headers=bearer(created)
    )
    assert answer.data == _download(api, created, letters[2]["id"]).data


def test_another_requests_token_gets_the_answer_of_an_unknown_letter(
    api, staff, db_path, world, clock
):
    mine = filed(api, db_path, type="objection")
    theirs = filed(api, db_path, type="access", email="max@example.org")
    decide_ok(api, staff, mine, "approve")
    decide_ok(api, staff, theirs, "approve")
    (letter,) = _status(api, mine)["letters"]

    unknown = _download(api, theirs, "lt_no-such-letter")
    with_their_request = _download(api, theirs, letter["id"])
    with_their_token = _download(api, mine, letter["id"], token_of=theirs)
    for resp in (unknown, with_their_request, with_their_token):
        assert resp.status_code == 404
        assert resp.get_json() == unknown.get_json()
    assert _download(api, mine, letter["id"]).status_code == 200


def test_a_letter_id_that_does_not_exist_is_404(api, staff, db_path, world, clock):
    created = filed(api, db_path, type="erasure")
    decide_ok(api, staff, created, "approve")
    resp = _download(api, created, "lt_" + "A" * 16, "pdf")
    assert resp.status_code == 404
    assert set(resp.get_json()) == {"error"}


def test_pdf_is_made_once_and_stored(api, staff, db_path, world, clock):
    created = filed(api, db_path, type="objection")
    decide_ok(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    db = open_db(db_path)
    stored = "SELECT pdf FROM issued_letters WHERE id = ?"
    assert db.execute(stored, [letter["id"]]).fetchone()[0] is None  # not at issue
    pdf = _download(api, created, letter["id"], "pdf").data
    assert db.execute(stored, [letter["id"]]).fetchone()[0] == pdf


def test_the_issue_queues_the_pdf_off_the_request_path(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="objection")
    decide_ok(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    db = open_db(db_path)
    queued = "SELECT count(*) FROM jobs WHERE kind = 'letter_pdf' AND request_id = ?"
    assert db.execute(queued, [created["id"]]).fetchone()[0] == 1
    assert run_pending(db) == 1  # the job runner's pass
    stored = db.execute(
        "SELECT pdf FROM issued_letters WHERE id = ?", [letter["id"]]
    ).fetchone()[0]
    assert stored.startswith(b"%PDF-")
    assert _download(api, created, letter["id"], "pdf").data == stored
    assert make_pdfs(db, created["id"]) == 0  # made once, never again


def test_staff_draft_stays_a_live_rendering(api, staff, db_path, world, clock):
    created = filed(api, db_path, type="objection", language="en")
    decide_ok(api, staff, created, "extend", "Your data is spread over 40 datasets.")
    clock.move(days=3)
    draft = api.get(
        f"/api/v1/staff/requests/{created['id']}/letter?format=txt",
        headers=staff["legal"],
    ).get_data(as_text=True)
    assert long_date(clock.at.date(), "en") in draft  # dated today, not issued
    (notice,) = _status(api, created)["letters"]
    issued = _download(api, created, notice["id"], "txt").get_data(as_text=True)
    assert long_date(clock.at.date(), "en") not in issued


def test_status_page_links_each_issued_letter(api, staff, db_path, world, clock):
    created = filed(api, db_path, type="objection", language="de")
    decide_ok(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    with api.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = api.get("/status").get_data(as_text=True)
    assert f'data-letter="{letter["id"]}"' in page
    link = f"/status/letters/{letter['id']}?format=txt"
    assert link in page
    assert api.get(link).data == _download(api, created, letter["id"], "txt").data
    assert api.get("/status/letters/lt_unknown").status_code == 404


# Issue 18, item 4: removal as it really is.
_DONE_ALREADY = {  # the sentences that claimed removal done at approval
    "en": ["are removed from the training data", "We erased the items below"],
    "de": ["Wir haben die unten genannten Beiträge am", "Was entfernt wurde"],
    "fr": ["sont retirés des données", "Nous avons effacé les contenus ci-dessous"],
}


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
@pytest.mark.parametrize(("kind", "row"), [("objection", "O03"), ("erasure", "E01")])
def test_approval_letter_says_what_will_be_removed_and_when_the_list_went_out(
    api, staff, db_path, world, clock, kind, row, lang
):
    from dsr_app.review.letter_texts import TEXTS

    created = filed(api, db_path, type=kind, language=lang)
    clock.move(days=2)
    decide_ok(api, staff, created, "approve")
    (listed,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    (letter,) = _status(api, created)["letters"]
    text = _download(api, created, letter["id"], "txt").get_data(as_text=True)
    day = long_date(datetime.fromisoformat(listed["issued_at"]).date(), lang)
    assert TEXTS[lang][row].format(list_issued=day) in text
    assert TEXTS[lang]["removed_heading"] in text
    for claim in _DONE_ALREADY[lang]:
        assert claim not in text, claim


def _ack(api, staff, list_id, version):
    return api.post(
        f"/api/v1/removal-lists/{list_id}/ack",
        json={"dataset": "tiny", "dataset_version": version},
        headers=staff["training"],
    )


def _removal_complete(api, created) -> list[dict]:
    return [
        x for x in _status(api, created)["letters"] if x["kind"] == "removal_complete"
    ]


def test_acking_every_version_issues_one_removal_complete_letter_and_notice(
    api, staff, db_path, world, run, clock
):
    from dsr_app.i18n import text as page_text
    from tests.conftest import outbox

    # Zoë's items in two versions of the dataset: both must be acknowledged.
    assert run("ingest", "tests/data/records.jsonl", "--version", "2").exit_code == 0
    created = filed(api, db_path, type="erasure", language="de")
    decide_ok(api, staff, created, "approve")
    (listed,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    subject = page_text("de", "notice_removal_complete_subject")

    def notices():
        return [m for m in outbox(db_path, "zoe@example.eu") if m["subject"] == subject]

    status = _status(api, created)
    assert [
        (r["dataset_version"], r["acknowledged_at"]) for r in status["removals"]
    ] == [
        ("1", None),
        ("2", None),
    ]
    clock.move(days=3)
    first_day = clock.at
    assert _ack(api, staff, listed["id"], "1").status_code == 200
    status = _status(api, created)
    assert [r["acknowledged_at"] for r in status["removals"]] == [
        first_day.isoformat(),
        None,
    ]
    assert _removal_complete(api, created) == [] and notices() == []  # none before

    clock.move(days=4)
    assert _ack(api, staff, listed["id"], "2").status_code == 200
    (letter,) = _removal_complete(api, created)
    assert letter["issued_at"] == clock.at.isoformat()  # the last acknowledgement
    (notice,) = notices()
    assert "/r/" in notice["body"]
    text = _download(api, created, letter["id"], "txt").get_data(as_text=True)
    for version, day in (("1", first_day), ("2", clock.at)):
        assert f"- tiny {version}: Bestätigt am {long_date(day.date(), 'de')}" in text
    listed_on = datetime.fromisoformat(listed["issued_at"]).date()
    assert long_date(listed_on, "de") in text  # R01: when the list went out

    clock.move(days=1)  # idempotent acks issue nothing more
    for version in ("1", "2"):
        assert _ack(api, staff, listed["id"], version).status_code == 200
    assert _removal_complete(api, created) == [letter] and len(notices()) == 1
    db = open_db(db_path)
    issued = [
        e["detail"]["kind"]
        for e in trail(db, created["id"])
        if e["action"] == "letter_issued"
    ]
    assert issued == ["decision", "removal_complete"]
    assert verify(db).ok
    # The person's page: each version as acknowledged, and the letter linked.
    with api.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = api.get("/status?lang=de").get_data(as_text=True)
    assert 'data-acknowledged="no"' not in page
    assert f"/status/letters/{letter['id']}" in page.split('id="removal-complete"')[1]


def test_status_page_shows_each_version_pending_until_acknowledged(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="objection", language="en")
    decide_ok(api, staff, created, "approve")
    with api.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = api.get("/status?lang=en").get_data(as_text=True)
    assert (
        '<li data-version="tiny 1" data-acknowledged="no">dataset tiny version 1:'
        " removal pending" in page
    )
    assert 'id="removal-complete"' not in page


def test_answered_at_is_null_until_the_decision_letter_and_then_its_issue(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="access", language="en")
    assert _status(api, created)["answered_at"] is None
    decide_ok(api, staff, created, "extend", "Your data is spread over 40 datasets.")
    assert _status(api, created)["answered_at"] is None  # a notice, not the answer
    clock.move(days=5)
    decide_ok(api, staff, created, "approve")
    status = _status(api, created)
    (decision,) = [x for x in status["letters"] if x["kind"] == "decision"]
    assert status["answered_at"] == decision["issued_at"] == clock.at.isoformat()
