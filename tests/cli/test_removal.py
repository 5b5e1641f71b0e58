"""``dsr removals apply|verify`` never make a signing key: they take
``--public-key`` or the instance's own (issue 21, item 5; dsr_app/cli/removal.py)."""

from __future__ import annotations

import pytest

from dsr_app.signing import KEY_FILE, public_key_b64, sign
from tests.cli.test_options import add_staff, dsr, files_under
from tests.conftest import RECORDS_JSONL


@pytest.fixture
def signed_list(tmp_path):
    """A list issued by another instance (its key in ``issuer/``)."""
    import json

    issuer = tmp_path / "issuer"
    document = sign(
        {
            "format": "dsr-removal-list/1",
            "id": "rl_other",
            "entries": [{"dataset": "tiny", "record_id": "t-1", "reason": "object"}],
            "suppression": [],
        },
        issuer,
    )
    path = tmp_path / "rl.json"
    path.write_text(json.dumps(document))
    return path, public_key_b64(issuer)


VERBS = [("verify",), ("apply", "--out", "out.jsonl")]


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_without_an_instance_or_public_key_exits_2_naming_the_key_looked_for(
    cli_runner, tmp_path, elsewhere, signed_list, verb
):
    rl, _ = signed_list
    before = files_under(tmp_path)
    result = dsr(
        cli_runner, "removals", *verb, "--list", rl, "--manifest", RECORDS_JSONL
    )
    assert result.exit_code == 2, result.output
    key = elsewhere / "instance" / KEY_FILE
    assert result.stderr == (
        f"Error: no signing key at {key} (the default ./instance; give --db, or set"
        " DSR_DB or DSR_HOME): give --public-key (`dsr keys public` of the instance"
        " that issued the lists)\n"
    )
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_an_instance_without_a_key_gets_none_made(
    cli_runner, tmp_path, elsewhere, signed_list, verb
):
    rl, _ = signed_list
    store = tmp_path / "home" / "dsr.sqlite3"
    assert add_staff(cli_runner, "--db", store).exit_code == 0
    assert not (store.parent / KEY_FILE).exists()
    result = dsr(
        cli_runner,
        "removals",
        *verb,
        "--list",
        rl,
        "--manifest",
        RECORDS_JSONL,
        "--db",
        store,
    )
    assert result.exit_code == 2, result.output
    assert f"no signing key at {store.parent / KEY_FILE}" in result.stderr
    assert "signature" not in result.output
    assert not (store.parent / KEY_FILE).exists()
    assert not (elsewhere / "out.jsonl").exists()


def test_public_key_needs_no_instance_and_creates_none(
    cli_runner, tmp_path, elsewhere, signed_list
):
    rl, key = signed_list
    result = dsr(
        cli_runner,
        "removals",
        "verify",
        "--list",
        rl,
        "--manifest",
        RECORDS_JSONL,
        "--public-key",
        key,
    )
    assert result.exit_code == 1  # t-1 is in the manifest
    assert "still present: tiny t-1" in result.output
    applied = dsr(
        cli_runner,
        "removals",
        "apply",
        "--list",
        rl,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        "out.jsonl",
        "--public-key",
        key,
    )
    assert applied.exit_code == 0, applied.output
    assert files_under(elsewhere) == {elsewhere / "out.jsonl"}
