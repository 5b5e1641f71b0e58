"""``region`` on POST /api/v1/requests (contract section 5 v2; issue 18, item 7):
ISO 3166-2, of the request's country, stored in one spelling and shown to staff."""

from __future__ import annotations

import pytest

from dsr_app.db import open_db
from tests.conftest import assert_api_error, new_request


def _stored_region(db_path, request_id: str) -> str | None:
    db = open_db(db_path)
    try:
        return db.execute(
            "SELECT region FROM requests WHERE id = ?", [request_id]
        ).fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("spelling", ["DE-BY", "de-by", " De-By "])
def test_region_is_stored_in_upper_case_and_shown_to_staff(
    api, staff, db_path, spelling
):
    created = new_request(api, country="de", region=spelling)
    assert _stored_region(db_path, created["id"]) == "DE-BY"
    case = api.get(f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"])
    assert case.get_json()["region"] == "DE-BY"


def test_region_is_optional(api, staff, db_path):
    created = new_request(api, country="DE")
    assert _stored_region(db_path, created["id"]) is None
    case = api.get(f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"])
    assert case.get_json()["region"] is None


def test_a_region_of_any_country_is_accepted_for_that_country(api, db_path):
    created = new_request(api, country="FR", region="FR-974")  # La Réunion
    assert _stored_region(db_path, created["id"]) == "FR-974"


@pytest.mark.parametrize(
    ("country", "region", "reason"),
    [
        ("FR", "DE-BY", "DE-BY is a region of DE, not FR"),
        ("DE", "AT-9", "AT-9 is a region of AT, not DE"),
        ("DE", "DE-XX", "Not an ISO 3166-2 region code"),
        ("DE", "Bayern", "Not an ISO 3166-2 region code"),
        ("DE", "", "Not an ISO 3166-2 region code"),
    ],
)
def test_a_region_not_of_the_country_is_400_naming_region(
    api, db_path, country, region, reason
):
    body = {
        "type": "access",
        "full_name": "Zoë Müller",
        "email": "zoe@example.eu",
        "country": country,
        "region": region,
    }
    resp = api.post("/api/v1/requests", json=body)
    errors = assert_api_error(resp, 400, "region")["errors"]
    assert set(errors) == {"region"}
    assert reason in errors["region"][0]


@pytest.mark.parametrize("region", [7, None, ["DE-BY"], "DE-BY\n"])
def test_a_region_that_is_not_a_one_line_string_is_400(api, region):
    body = {
        "type": "access",
        "full_name": "Zoë Müller",
        "email": "zoe@example.eu",
        "country": "DE",
        "region": region,
    }
    assert_api_error(api.post("/api/v1/requests", json=body), 400, "region")


def test_openapi_documents_region(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["RequestCreate"]["properties"]["region"]
    assert "ISO 3166-2" in schema["description"]
    assert "region" not in spec["components"]["schemas"]["RequestCreate"].get(
        "required", []
    )
