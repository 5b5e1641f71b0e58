"""``dsr accounts import``: strict lines, upsert by id, canonical channels."""

from __future__ import annotations

import json

from dsr_app.corpus.accounts import accounts_owned_by
from tests.conftest import REGISTRY, snapshot


def test_accounts_import_stores_e164_and_canonical_email(run, db):
    result = run("accounts", "import", REGISTRY)
    assert result.exit_code == 0, result.output
    assert "3 accounts added" in result.output
    zoe = db["accounts"].get("acc-1")
    assert zoe["phone"] == "+4915123456789"
    assert zoe["email"] == "zoe@Example.EU"  # the original is kept
    assert zoe["email_canonical"] == "zoe@example.eu"
    assert zoe["handle"] == "zoe.mueller"
    assert json.loads(db["accounts"].get("acc-2")["extra"]) == {"tier": "gold"}


def test_accounts_import_twice_is_unchanged_and_upserts_edits(run, db_path, tmp_path):
    run("accounts", "import", REGISTRY)
    before = snapshot(db_path)
    again = run("accounts", "import", REGISTRY)
    assert "0 accounts added, 0 updated, 3 unchanged" in again.output
    assert snapshot(db_path) == before
    edited = tmp_path / "edited.jsonl"
    edited.write_text(
        json.dumps({"account_id": "acc-3", "email": "new@example.net", "country": "FR"})
        + "\n"
    )
    assert "1 updated" in run("accounts", "import", edited).output


def test_accounts_import_bad_line_names_field_and_stores_nothing(
    run, db_path, tmp_path
):
    path = tmp_path / "reg.jsonl"
    lines = REGISTRY.read_text().splitlines()
    lines.insert(1, json.dumps({"account_id": "acc-9", "phone": "12", "country": "DE"}))
    path.write_text("\n".join(lines) + "\n")
    result = run("accounts", "import", path)
    assert result.exit_code == 2
    assert f"{path}:2: phone: '12' is not a valid phone number" in result.output
    assert snapshot(db_path)["accounts"] == []


def test_accounts_import_rejects_wrong_types(run, tmp_path):
    path = tmp_path / "reg.jsonl"
    path.write_text('{"account_id": "a", "birth_date": "31.12.1990"}\n')
    result = run("accounts", "import", path)
    assert result.exit_code == 2
    assert f"{path}:1: birth_date: Not a date" in result.output


def test_accounts_import_missing_file_exits_2(run, tmp_path):
    result = run("accounts", "import", tmp_path / "none.jsonl")
    assert result.exit_code == 2
    assert "none.jsonl: no such file" in result.output


def test_accounts_owned_by_matches_canonical_forms_only(run, db):
    run("accounts", "import", REGISTRY)
    owned = [a["account_id"] for a in accounts_owned_by(db, email="zoe@EXAMPLE.eu")]
    assert owned == ["acc-1"]
    assert accounts_owned_by(db, email="z.oe@example.eu") == []
    assert accounts_owned_by(db, email="zoe+x@example.eu") == []
    assert accounts_owned_by(db, email="ZOE@example.eu") == []  # local part as given
    by_phone = accounts_owned_by(db, phone="+4917012345678")
    assert [a["account_id"] for a in by_phone] == ["acc-2"]
