"""Issued letters are records (contract section 5; issue 18, item 1): rendered once
when issued, dated the issue day, served byte for byte at every download, their
SHA-256 in the audit log, and never rewritten by a later event."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from dsr_app import deadlines
from dsr_app.audit import trail, verify
from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from dsr_app.i18n import long_date
from tests.conftest import REGISTRY, bearer, new_request
from tests.conftest import verify as verify_code

FORMATS = ("html", "txt", "pdf")


@pytest.fixture
def clock(monkeypatch):
    """``deadlines.now`` at a fixed instant; ``clock.move(days=…)`` moves it."""

    class Clock:
        at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

        def move(self, **delta) -> None:
            self.at += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(deadlines, "now", lambda: clock.at)
    return clock


@pytest.fixture
def world(run):
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")


def _filed(api, db_path, **fields) -> dict:
    """A verified request in review (its search run); returns its 201 body."""
    email = fields.setdefault("email", "zoe@example.eu")
    created = new_request(api, **fields)
    assert verify_code(api, db_path, created, "email", email).status_code == 200
    db = open_db(db_path)
    run_pending(db)
    db.close()
    return created


def _decide(api, staff, created, decision, reason=None) -> None:
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json=body,
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()


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
    created = _filed(api, db_path, type="objection", language="en")
    decided_on = clock.at.date()
    _decide(api, staff, created, "approve")
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
    created = _filed(api, db_path, type="access", language="de")
    _decide(api, staff, created, "approve")
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
    created = _filed(api, db_path, type="access", language="fr")
    _decide(api, staff, created, "extend", "Vos données sont réparties sur 40 jeux.")
    (extension,) = _status(api, created)["letters"]
    kept = _bytes(api, created, extension["id"])

    clock.move(days=1)
    _decide(api, staff, created, "request_info", "Lequel de ces comptes est le vôtre ?")
    clock.move(days=1)
    replied = api.post(
        f"/api/v1/requests/{created['id']}/reply",
        json={"details": "Le compte zoe.mueller."},
        headers=bearer(created),
    )
    assert replied.status_code == 200, replied.get_json()
    clock.move(days=1)
    _decide(api, staff, created, "approve")

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
    mine = _filed(api, db_path, type="objection")
    theirs = _filed(api, db_path, type="access", email="max@example.org")
    _decide(api, staff, mine, "approve")
    _decide(api, staff, theirs, "approve")
    (letter,) = _status(api, mine)["letters"]

    unknown = _download(api, theirs, "lt_no-such-letter")
    with_their_request = _download(api, theirs, letter["id"])
    with_their_token = _download(api, mine, letter["id"], token_of=theirs)
    for resp in (unknown, with_their_request, with_their_token):
        assert resp.status_code == 404
        assert resp.get_json() == unknown.get_json()
    assert _download(api, mine, letter["id"]).status_code == 200


def test_a_letter_id_that_does_not_exist_is_404(api, staff, db_path, world, clock):
    created = _filed(api, db_path, type="erasure")
    _decide(api, staff, created, "approve")
    resp = _download(api, created, "lt_" + "A" * 16, "pdf")
    assert resp.status_code == 404
    assert set(resp.get_json()) == {"error"}


def test_pdf_is_made_once_and_stored(api, staff, db_path, world, clock):
    created = _filed(api, db_path, type="objection")
    _decide(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    db = open_db(db_path)
    stored = "SELECT pdf FROM issued_letters WHERE id = ?"
    assert db.execute(stored, [letter["id"]]).fetchone()[0] is None  # not at issue
    pdf = _download(api, created, letter["id"], "pdf").data
    assert db.execute(stored, [letter["id"]]).fetchone()[0] == pdf


def test_staff_draft_stays_a_live_rendering(api, staff, db_path, world, clock):
    created = _filed(api, db_path, type="objection", language="en")
    _decide(api, staff, created, "extend", "Your data is spread over 40 datasets.")
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
    created = _filed(api, db_path, type="objection", language="de")
    _decide(api, staff, created, "approve")
    (letter,) = _status(api, created)["letters"]
    with api.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = api.get("/status").get_data(as_text=True)
    assert f'data-letter="{letter["id"]}"' in page
    link = f"/status/letters/{letter['id']}?format=txt"
    assert link in page
    assert api.get(link).data == _download(api, created, letter["id"], "txt").data
    assert api.get("/status/letters/lt_unknown").status_code == 404
