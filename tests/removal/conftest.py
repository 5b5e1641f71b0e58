"""What the removal tests share: an approved objection and its list."""

from __future__ import annotations

import json

import pytest

from tests.review.test_letters import decided


@pytest.fixture
def objection(api, staff, db_path, run):
    """An approved objection by Zoë over tests/data/records.jsonl, and its list."""
    created = decided(api, staff, db_path, run, "objection", "en")
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    (item,) = lists["items"]
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    return created, document


def save_list(tmp_path, document, name="rl.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path
