"""Steps the letter tests share: a request filed and verified, a decision taken."""

from __future__ import annotations

from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from tests.conftest import new_request, verify


def filed(api, db_path, **fields) -> dict:
    """A verified request in review (its search run); returns its 201 body."""
    email = fields.setdefault("email", "zoe@example.eu")
    created = new_request(api, **fields)
    assert verify(api, db_path, created, "email", email).status_code == 200
    db = open_db(db_path)
    run_pending(db)
    db.close()
    return created


def decide_ok(api, staff, created, decision, reason=None) -> None:
    """Legal staff take ``decision`` (with ``reason``), which must succeed."""
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json=body,
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
