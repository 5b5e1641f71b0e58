"""Tampered removal lists: whoever can edit a list file on its way to a training
pipeline could make ``dsr removals apply`` delete other people's records (or keep
the requester's). Every kind of tampering must be refused with exit 2 before
anything is written."""

from __future__ import annotations

import copy
import json

import pytest

from dsr_app.config import instance_dir
from dsr_app.signing import public_key_b64, sign
from tests.conftest import RECORDS_JSONL
from tests.review.test_letters import decided

SENTINEL = "the output file as it was before\n"


@pytest.fixture
def genuine(api, staff, db_path, run):
    """The signed list of an approved objection (Zoë's t-1, t-2, t-5)."""
    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    return api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()


def _edited(document: dict, edit) -> dict:
    changed = copy.deepcopy(document)
    edit(changed)
    return changed


def _tamperings(genuine: dict, tmp_path, db_path) -> dict[str, str]:
    """Name -> the text of a tampered list file."""
    attacker = tmp_path / "attacker-keys"
    attacker.mkdir()
    other = sign(_edited(genuine, lambda d: d.pop("signature")), attacker)
    # Our own key's signature, but of another document.
    swapped = sign(
        _edited(genuine, lambda d: (d.pop("signature"), d.update(id="rl_other"))),
        instance_dir(db_path),
    )
    victim = {
        "dataset": "tiny",
        "record_id": "t-4",
        "content_sha256": "",
        "reason": "mention",
    }
    edits = {
        "entry added": lambda d: d["entries"].append(victim),
        "entry removed": lambda d: d["entries"].pop(),
        "record id changed": lambda d: d["entries"][0].update(record_id="t-3"),
        "hash changed": lambda d: d["entries"][0].update(content_sha256="0" * 64),
        "suppression dropped": lambda d: d.update(suppression=[]),
        "request changed": lambda d: d.update(request_id="another"),
        "type changed": lambda d: d.update(request_type="erasure"),
        "signature removed": lambda d: d.pop("signature"),
        "alg none": lambda d: d.update(signature={"alg": "none", "value": ""}),
        "alg changed": lambda d: d["signature"].update(alg="hmac-sha256"),
        "value not base64": lambda d: d["signature"].update(value="!!not base64!!"),
        "value cut short": lambda d: d["signature"].update(
            value=d["signature"]["value"][:20]
        ),
        "format changed": lambda d: d.update(format="dsr-removal-list/0"),
    }
    texts = {
        name: json.dumps(_edited(genuine, edit), ensure_ascii=False)
        for name, edit in edits.items()
    }
    texts["signed by another key"] = json.dumps(
        _edited(other, lambda d: d["entries"].append(victim))
    )
    texts["signature of another list"] = json.dumps(
        _edited(genuine, lambda d: d.update(signature=swapped["signature"]))
    )
    plain = json.dumps(genuine, ensure_ascii=False)
    tampered_entries = json.dumps(genuine["entries"] + [victim])
    texts["duplicate key, last one wins"] = (
        plain[:-1] + f', "entries": {tampered_entries}}}'
    )
    texts["not JSON"] = plain[: len(plain) // 2]
    texts["a JSON array"] = json.dumps([genuine])
    texts["empty file"] = ""
    return texts


def test_tampered_removal_lists_are_refused_and_nothing_is_written(
    genuine, run, tmp_path, db_path
):
    """Attack: edit or forge a signed removal list to remove other records."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(genuine, ensure_ascii=False))
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_bytes(RECORDS_JSONL.read_bytes())
    out = tmp_path / "out.jsonl"
    out.write_text(SENTINEL)
    for name, text in _tamperings(genuine, tmp_path, db_path).items():
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        for lists in ([bad], [good, bad], [bad, good]):
            args = [a for path in lists for a in ("--list", path)]
            applied = run(
                "removals", "apply", *args, "--manifest", manifest, "--out", out
            )
            assert applied.exit_code == 2, (name, applied.output)
            checked = run("removals", "verify", *args, "--manifest", manifest)
            assert checked.exit_code == 2, (name, checked.output)
        assert out.read_text() == SENTINEL, name
    assert manifest.read_bytes() == RECORDS_JSONL.read_bytes()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".dsr-")]
    assert leftovers == []
    # The genuine list still applies: the refusals were about the tampering.
    result = run(
        "removals", "apply", "--list", good, "--manifest", manifest, "--out", out
    )
    assert result.exit_code == 0 and "3 removed" in result.output


def test_a_genuine_list_is_refused_under_an_attackers_public_key(
    genuine, run, tmp_path
):
    """Attack: hand the pipeline an attacker's key with a list signed by it."""
    attacker = tmp_path / "attacker-keys"
    attacker.mkdir()
    forged = sign(
        _edited(
            genuine,
            lambda d: (
                d.pop("signature"),
                d["entries"].append(
                    {
                        "dataset": "tiny",
                        "record_id": "t-4",
                        "content_sha256": "",
                        "reason": "mention",
                    }
                ),
            ),
        ),
        attacker,
    )
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    out = tmp_path / "out.jsonl"
    # Without --public-key the instance's own key decides: refused.
    result = run(
        "removals", "apply", "--list", path, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 2 and not out.exists()
    # And a genuine list does not check under the attacker's key either.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(genuine))
    result = run(
        "removals",
        "apply",
        "--list",
        good,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        out,
        "--public-key",
        public_key_b64(attacker),
    )
    assert result.exit_code == 2 and not out.exists()
