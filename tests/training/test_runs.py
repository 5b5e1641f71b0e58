"""Training runs: registered, validated, moved forward and audited (training/runs.py,
api/training.py, cli/training.py, web/training.py)."""

from __future__ import annotations

import json

import pytest

from dsr_app.db import open_db
from tests.conftest import RECORDS_JSONL, assert_api_error
from tests.training.conftest import RUN

URL = "/api/v1/training-runs"


@pytest.fixture
def ingested(run):
    assert run("ingest", RECORDS_JSONL).exit_code == 0


def _audited(db_path) -> list[tuple[str, str, dict]]:
    db = open_db(db_path)
    return [
        (actor, action, json.loads(detail))
        for actor, action, detail in db.execute(
            "SELECT actor, action, detail FROM audit_log"
            " WHERE action LIKE 'training_run_%' ORDER BY seq"
        )
    ]


def test_run_registered_listed_updated_and_audited(api, staff, ingested, db_path):
    resp = api.post(URL, json=RUN, headers=staff["training"])
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["datasets"] == RUN["datasets"] and created["flagged"] is False
    listed = api.get(URL, headers=staff["legal"]).get_json()["items"]
    assert [r["id"] for r in listed] == [created["id"]]
    moved = api.patch(
        f"{URL}/{created['id']}", json={"status": "training"}, headers=staff["admin"]
    ).get_json()
    assert moved["status"] == "training" and moved["started_at"]
    retired = api.patch(
        f"{URL}/{created['id']}",
        json={"status": "retired", "notes": "replaced by 2.2"},
        headers=staff["training"],
    ).get_json()
    assert retired["retired_at"] and retired["notes"] == "replaced by 2.2"
    actions = [(a.split(":")[0], act) for a, act, _ in _audited(db_path)]
    assert actions == [
        ("staff", "training_run_registered"),
        ("staff", "training_run_updated"),
        ("staff", "training_run_updated"),
    ]
    assert _audited(db_path)[1][2]["changes"]["status"] == "training"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"datasets": [{"dataset": "tiny", "dataset_version": "9"}]},
         "datasets.0.dataset_version"),
        ({"datasets": [{"dataset": "other", "dataset_version": "1"}]},
         "datasets.0.dataset"),
        ({"datasets": []}, "datasets"),
        ({"datasets": [{"dataset": "tiny"}]}, "datasets.0.dataset_version"),
        ({"status": "paused"}, "status"),
        ({"model": 3}, "model"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"status": "training", "started_at": "2026-05-02",
          "finished_at": "2026-05-01T10:00:00Z"}, "finished_at"),
        ({"finished_at": "2026-05-01"}, "finished_at"),  # a planned run
        ({"retired_at": "2026-05-01"}, "retired_at"),  # not a field of a new run
    ],
)  # fmt: skip
def test_bad_run_is_400_naming_the_field(api, staff, ingested, db_path, change, field):
    body = {**RUN, **change}
    resp = api.post(URL, json=body, headers=staff["training"])
    errors = assert_api_error(resp, 400, field)
    if field == "datasets.0.dataset_version" and "9" in json.dumps(change):
        assert "'9'" in errors["errors"][field][0] and "ingested: 1" in json.dumps(
            errors
        )
    assert _audited(db_path) == []


def test_status_moves_forward_only_and_dates_stay_in_order(api, staff, ingested):
    body = {**RUN, "status": "training", "started_at": "2026-05-01T08:00:00+02:00"}
    run_id = api.post(URL, json=body, headers=staff["training"]).get_json()["id"]
    url = f"{URL}/{run_id}"
    early = {"finished_at": "2026-05-01T05:00:00Z"}  # before 06:00 UTC
    assert_api_error(api.patch(url, json=early, headers=staff["training"]), 400,
                     "finished_at")  # fmt: skip
    done = api.patch(url, json={"status": "retired"}, headers=staff["training"])
    assert done.status_code == 200
    back = api.patch(url, json={"status": "training"}, headers=staff["training"])
    assert (
        "cannot go back" in assert_api_error(back, 400, "status")["errors"]["status"][0]
    )
    assert_api_error(api.patch(f"{URL}/999", json={}, headers=staff["training"]), 404)
    assert_api_error(
        api.patch(url, json={"started_at": "2026-01-01"}, headers=staff["training"]),
        400,
        "started_at",  # not a field a change may name (contract section 5)
    )


def test_roles_401_without_a_token_and_403_for_legal(api, staff, ingested):
    assert_api_error(api.get(URL), 401)
    assert_api_error(api.post(URL, json=RUN), 401)
    assert_api_error(api.post(URL, json=RUN, headers=staff["legal"]), 403)
    bad = {"Authorization": "Bearer nope"}
    assert_api_error(api.post(URL, json=RUN, headers=bad), 401)
    assert api.get(URL, headers=staff["legal"]).status_code == 200


def test_cli_runs_add_update_list_and_bad_input_exits_2(run, ingested, db_path):
    added = run("runs", "add", "--model", "m", "--model-version", "1",
                "--dataset", "tiny", "1", "--status", "training")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith("run 1: m 1 (training) on tiny 1")
    assert run("runs", "update", "1", "--status", "deployed").exit_code == 0
    listed = json.loads(run("runs", "list", "--json").output)
    assert listed[0]["status"] == "deployed"
    unknown = run("runs", "add", "--model", "m", "--model-version", "1",
                  "--dataset", "tiny", "7")  # fmt: skip
    assert unknown.exit_code == 2
    assert "datasets.0.dataset_version" in unknown.output and "'7'" in unknown.output
    bad_date = run("runs", "update", "1", "--finished-at", "soon")
    assert bad_date.exit_code == 2 and "finished_at:" in bad_date.output
    back = run("runs", "update", "1", "--status", "planned")
    assert back.exit_code == 2 and "status: a deployed run cannot go back" in (
        back.output
    )
    assert [a for a, _, _ in _audited(db_path)] == ["cli", "cli"]


def test_staff_page_lists_runs_and_registers_one_with_csrf(api_app, staff, ingested):
    from tests.web.test_staff import csrf, log_in

    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    token = csrf(browser, "/staff/runs")
    form = {"model": "chat", "model_version": "3", "datasets": "tiny 1\n",
            "status": "training"}  # fmt: skip
    refused = browser.post("/staff/runs", data=form)  # no CSRF token
    assert refused.status_code == 400
    resp = browser.post("/staff/runs", data={**form, "csrf_token": token})
    assert resp.status_code == 303
    page = browser.get("/staff/runs").get_data(as_text=True)
    assert "Run 1 registered." in page and 'data-run="1"' in page
    bad = browser.post(
        "/staff/runs", data={**form, "datasets": "tiny 8", "csrf_token": token}
    )
    assert bad.status_code == 303
    page = browser.get("/staff/runs").get_data(as_text=True)
    assert "datasets.0.dataset_version" in page
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    log_in(legal)
    assert legal.get("/staff/runs").status_code == 200
    token = csrf(legal, "/staff/runs")
    assert (
        legal.post("/staff/runs", data={**form, "csrf_token": token}).status_code == 403
    )
