"""The transparency report (training/report.py; issue 19, item 5): its numbers on a
small world of requests, lists, acknowledgements and runs, `dsr report` in JSON and
CSV, `GET /api/v1/report`, and that no personal data reaches any of them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from dsr_app.db import open_db
from dsr_app.removal.versions import entries_by_version, touched_by_list
from dsr_app.training.report import COLUMNS, transparency_report
from tests.conftest import REGISTRY, assert_api_error
from tests.removal.test_versions import store  # noqa: F401 (fixture)
from tests.review.conftest import clock  # noqa: F401 (fixture)
from tests.review.helpers import decide_ok, filed

RUNS = "/api/v1/training-runs"


def _lists(api, staff) -> dict[str, str]:
    """request id -> its (first) removal list's id."""
    items = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    return {item["request_id"]: item["id"] for item in items["items"]}


def _ack(api, staff, list_id, dataset="tiny", version="1") -> None:
    resp = api.post(
        f"/api/v1/removal-lists/{list_id}/ack",
        json={"dataset": dataset, "dataset_version": version},
        headers=staff["training"],
    )
    assert resp.status_code == 200, resp.get_json()


def _run(api, staff, model_version, datasets, status="training", **extra) -> dict:
    body = {
        "model": "chat-small",
        "model_version": model_version,
        "datasets": [{"dataset": d, "dataset_version": v} for d, v in datasets],
        "status": status,
        **extra,
    }
    resp = api.post(RUNS, json=body, headers=staff["training"])
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _included(db_path, request_id) -> int:
    """The request's listed records found in tiny 1: its included matches there."""
    db = open_db(db_path)
    try:
        return db.execute(
            "SELECT count(DISTINCT record_id) FROM matches WHERE request_id = ?"
            " AND decision = 'include' AND dataset = 'tiny' AND dataset_version = '1'",
            [request_id],
        ).fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def other_dataset(run, tmp_path):
    """A dataset no request touches: ``other`` version 1."""
    path = tmp_path / "other.jsonl"
    record = {"record_id": "o-1", "dataset": "other", "text": "weather today"}
    path.write_text(json.dumps(record) + "\n")
    assert run("ingest", path).exit_code == 0


@pytest.fixture
def world(api, staff, db_path, run, clock, other_dataset):  # noqa: F811
    """Three months of requests (January to March 2026) and four runs.

    January: an access request extended, then answered on 3 March (on time: due
    in April); an objection refused after 5 days. February: an access request
    answered late on 5 March. March: Zoë's objection (answered the same day) and
    Max's erasure (the next day), each with a removal list on tiny 1, and a
    request nobody verified. Runs on tiny 1: 2.1 started 1 February (before
    both lists), 2.2 started 5 March (after Zoë's list was acknowledged on 4
    March, before Max's on 6 March), 3.0 planned; 2.3 reads only ``other``.
    """
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    clock.at = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    extended = filed(api, db_path, type="access", email="ann@example.net")
    refused = filed(api, db_path, type="objection", email="bo@example.net")
    clock.move(days=1)
    decide_ok(api, staff, extended, "extend", "Your data is spread over 40 datasets.")
    clock.move(days=4)
    decide_ok(api, staff, refused, "reject", "Art. 21(1): a legal claim (case 1).")
    clock.at = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    early = _run(api, staff, "2.1", [("tiny", "1")])
    clock.at = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
    late = filed(api, db_path, type="access", email="cy@example.net")
    clock.at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    zoe = filed(api, db_path, type="objection", email="zoe@example.eu")
    max_ = filed(api, db_path, type="erasure", email="max@example.org")
    decide_ok(api, staff, zoe, "approve")
    api.post("/api/v1/requests", json={"type": "access", "full_name": "Di",
             "email": "di@example.net", "country": "DE"})  # fmt: skip
    clock.move(days=1)
    decide_ok(api, staff, max_, "approve")
    decide_ok(api, staff, extended, "approve")
    lists = _lists(api, staff)
    clock.move(days=1)  # 4 March
    _ack(api, staff, lists[zoe["id"]])
    clock.move(days=1)  # 5 March
    decide_ok(api, staff, late, "approve")
    later = _run(api, staff, "2.2", [("tiny", "1"), ("other", "1")])
    clock.move(days=1)  # 6 March
    _ack(api, staff, lists[max_["id"]])
    planned = _run(api, staff, "3.0", [("tiny", "1")], status="planned")
    untouched = _run(api, staff, "2.3", [("other", "1")])
    clock.move(days=4)  # 10 March
    return {
        "zoe": _included(db_path, zoe["id"]),
        "max": _included(db_path, max_["id"]),
        "runs": (early, later, planned, untouched),
    }


def test_report_counts_per_model_version(db_path, world, clock):  # noqa: F811
    zoe, max_ = world["zoe"], world["max"]
    assert zoe and max_  # each list removes something from tiny 1
    db = open_db(db_path)
    report = transparency_report(db, clock.at)
    assert report["format"] == "dsr-transparency-report/1"
    assert report["generated_at"] == "2026-03-10T10:00:00Z"
    got = {
        r["model_version"]: {k: v for k, v in r.items() if k not in ("model",)}
        for r in report["model_versions"]
    }
    both = {"objections": 1, "erasures": 1, "items": zoe + max_}
    # Started before either list: everything removed after its start.
    assert got["2.1"] == {
        "model_version": "2.1",
        "status": "training",
        "started_at": "2026-02-01T09:00:00+00:00",
        "datasets": [{"dataset": "tiny", "dataset_version": "1"}],
        **both,
        "removed_before_run": 0,
        "removed_after_start": zoe + max_,
        "pending": 0,
    }
    # Zoë's list acknowledged before its start, Max's after.
    assert got["2.2"]["datasets"] == [
        {"dataset": "other", "dataset_version": "1"},
        {"dataset": "tiny", "dataset_version": "1"},
    ]
    assert {k: got["2.2"][k] for k in (*both, "removed_before_run",
            "removed_after_start", "pending")} == {
        **both, "removed_before_run": zoe, "removed_after_start": max_, "pending": 0
    }  # fmt: skip
    # Not started: no before or after, and nothing pending any more.
    assert got["3.0"]["started_at"] is None and got["3.0"]["items"] == zoe + max_
    assert (got["3.0"]["removed_before_run"], got["3.0"]["removed_after_start"]) == (
        None,
        None,
    )
    # A run on a version no list touches.
    assert {k: got["2.3"][k] for k in ("objections", "erasures", "items")} == {
        "objections": 0,
        "erasures": 0,
        "items": 0,
    }
    assert [r["model_version"] for r in report["model_versions"]] == [
        "2.3",
        "3.0",
        "2.2",
        "2.1",
    ]  # newest first, as /staff/runs


def test_report_pending_items_until_acknowledged(api, staff, db_path, run, clock):  # noqa: F811
    """A list not acknowledged yet counts as pending, not before or after."""
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    zoe = filed(api, db_path, type="objection", email="zoe@example.eu")
    decide_ok(api, staff, zoe, "approve")
    _run(api, staff, "2.1", [("tiny", "1")])
    (row,) = transparency_report(open_db(db_path), clock.at)["model_versions"]
    n = _included(db_path, zoe["id"])
    assert (row["objections"], row["items"], row["pending"]) == (1, n, n)
    assert (row["removed_before_run"], row["removed_after_start"]) == (0, 0)


def test_report_counts_per_month(db_path, world, clock):  # noqa: F811
    months = transparency_report(open_db(db_path), clock.at)["months"]
    assert months == [
        {
            "month": "2026-01",
            "received": 2,
            "answered": 2,
            "answered_on_time": 2,  # one by its extended due date
            "extended": 1,
            "refused": 1,
            "median_days_to_answer": 26.0,  # 47 (15 Jan to 3 Mar) and 5
        },
        {
            "month": "2026-02",
            "received": 1,
            "answered": 1,
            "answered_on_time": 0,  # due 2 March, answered 5 March
            "extended": 0,
            "refused": 0,
            "median_days_to_answer": 31.0,
        },
        {
            "month": "2026-03",
            "received": 3,  # with the request nobody verified
            "answered": 2,
            "answered_on_time": 2,
            "extended": 0,
            "refused": 0,
            "median_days_to_answer": 0.5,
        },
    ]


def test_report_months_run_to_now_and_an_empty_store_has_none(db_path, clock):  # noqa: F811
    db = open_db(db_path)
    assert transparency_report(db, clock.at) == {
        "format": "dsr-transparency-report/1",
        "generated_at": "2026-03-02T10:00:00Z",
        "model_versions": [],
        "months": [],
    }


def test_month_without_requests_is_listed_with_zeros_and_null_median(
    api,
    db_path,
    clock,  # noqa: F811
):
    filed(api, db_path, type="access", email="ann@example.net")
    later = datetime(2026, 5, 1, tzinfo=UTC)
    months = transparency_report(open_db(db_path), later)["months"]
    assert [m["month"] for m in months] == ["2026-03", "2026-04", "2026-05"]
    assert months[0]["received"] == 1 and months[0]["median_days_to_answer"] is None
    assert months[1] == {
        "month": "2026-04",
        "received": 0,
        "answered": 0,
        "answered_on_time": 0,
        "extended": 0,
        "refused": 0,
        "median_days_to_answer": None,
    }


def test_entries_by_version_counts_each_entry_where_touched_finds_it(store):  # noqa: F811
    """The same two ways as ``touched``: the keys are its pairs, exactly."""
    counts = entries_by_version(store)
    assert {
        (list_id, d, v) for list_id, pairs in touched_by_list(store).items()
        for d, v in pairs
    } == set(counts)  # fmt: skip
    # l1: r1 by its included matches (a 1, a 2), r2 by its records (a 1, a 3).
    assert {k: n for k, n in counts.items() if k[0] == "l1"} == {
        ("l1", "a", "1"): 2,
        ("l1", "a", "2"): 1,
        ("l1", "a", "3"): 1,
    }


# --- dsr report --------------------------------------------------------------------


def test_cli_report_json_is_the_domain_report(world, run, db_path, clock):  # noqa: F811
    result = run("report", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == transparency_report(open_db(db_path), clock.at)
    assert run("report").stdout == result.stdout  # json is the default


def test_cli_report_csv_is_one_table_with_a_section_column(
    world,
    run,
    tmp_path,
    clock,  # noqa: F811
):
    out = tmp_path / "report.csv"
    result = run("report", "--format", "csv", "--output", out)
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["section"] for r in rows] == ["model_version"] * 4 + ["month"] * 3
    early = next(r for r in rows if r["model_version"] == "2.1")
    assert early["datasets"] == "tiny 1" and early["month"] == ""
    assert early["objections"] == "1" and early["erasures"] == "1"
    planned = next(r for r in rows if r["model_version"] == "3.0")
    assert planned["removed_before_run"] == "" and planned["started_at"] == ""
    march = next(r for r in rows if r["month"] == "2026-03")
    assert (march["received"], march["median_days_to_answer"]) == ("3", "0.5")
    assert march["model"] == ""
    two = next(r for r in rows if r["model_version"] == "2.2")
    assert two["datasets"] == "other 1; tiny 1"


def test_cli_report_neutralises_formulas_in_names(api, staff, run, other_dataset):
    _run(api, staff, "=HYPERLINK(1)", [("other", "1")])
    rows = list(csv.reader(io.StringIO(run("report", "--format", "csv").stdout)))
    assert rows[1][COLUMNS.index("model_version")] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "--format"),
        (("--output", "/nonexistent-dir/x.csv"), "nonexistent-dir"),
    ],
)
def test_cli_report_bad_input_exits_2(db, run, args, message):
    result = run("report", *args)  # on a store: a missing one is refused first
    assert result.exit_code == 2 and message in result.stderr
    assert "Traceback" not in result.output


# --- GET /api/v1/report ------------------------------------------------------------


def test_api_report_for_any_staff_role_as_the_cli_prints_it(
    api,
    staff,
    world,
    run,
    db_path,  # noqa: F811
):
    assert_api_error(api.get("/api/v1/report"), 401)
    assert_api_error(
        api.get("/api/v1/report", headers={"Authorization": "Bearer nope"}), 401
    )
    printed = json.loads(run("report").stdout)
    for role in ("legal", "training", "admin"):
        resp = api.get("/api/v1/report", headers=staff[role])
        assert resp.status_code == 200
        assert resp.get_json() == printed
    spec = api.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/report"]["get"]
    assert {"200", "401", "403"} <= set(operation["responses"])
    assert "Report" in spec["components"]["schemas"]


# --- No personal data ---------------------------------------------------------------

PERSON = {
    "name": "Quirinus Zebedäus Pfefferkorn",
    "email": "quirinus.pfefferkorn@example.org",
    "handle": "qz_pfefferkorn_77",
    "account": "acc-qzp-9931",
    "record": "rec-qzp-4711",
}


@pytest.fixture
def person(api, staff, db_path, run, tmp_path, clock):  # noqa: F811
    """Quirinus's objection over his own post in ``forum`` 2026-01, approved, its
    list acknowledged, and a run that read that version; returns what identifies
    him, his request and his list."""
    registry = tmp_path / "registry.jsonl"
    account = {"account_id": PERSON["account"], "handle": PERSON["handle"],
               "display_name": PERSON["name"], "email": PERSON["email"],
               "country": "DE", "birth_date": "1980-02-29"}  # fmt: skip
    registry.write_text(json.dumps(account) + "\n")
    manifest = tmp_path / "forum.jsonl"
    record = {"record_id": PERSON["record"], "dataset": "forum",
              "text": f"I am {PERSON['name']}, write to {PERSON['email']}",
              "author_id": PERSON["account"], "author_handle": PERSON["handle"],
              "visibility": "public"}  # fmt: skip
    manifest.write_text(json.dumps(record, ensure_ascii=False) + "\n")
    assert run("accounts", "import", registry).exit_code == 0
    assert run("ingest", manifest, "--version", "2026-01").exit_code == 0
    created = filed(api, db_path, type="objection", email=PERSON["email"],
                    full_name=PERSON["name"], handles=[PERSON["handle"]])  # fmt: skip
    _run(api, staff, "1.0", [("forum", "2026-01")])
    decide_ok(api, staff, created, "approve")
    list_id = _lists(api, staff)[created["id"]]
    clock.move(days=1)
    _ack(api, staff, list_id, "forum", "2026-01")
    return {**PERSON, "request": created["id"], "list": list_id}


def test_no_personal_data_in_the_json_csv_or_html_report(api, api_app, staff, run,
                                                         person):  # fmt: skip
    from tests.web.test_staff import log_in

    report = json.loads(run("report").stdout)
    (row,) = report["model_versions"]
    assert (row["objections"], row["items"], row["removed_after_start"]) == (1, 1, 1)
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/report")
    assert page.status_code == 200
    outputs = {
        "json": run("report").stdout,
        "csv": run("report", "--format", "csv").stdout,
        "html": page.get_data(as_text=True),
        "api": api.get("/api/v1/report", headers=staff["legal"]).get_data(as_text=True),
    }
    for surface, text in outputs.items():
        assert "forum" in text, surface  # the report is about this world
        for what, value in person.items():
            for form in {value, value.lower(), json.dumps(value)[1:-1]}:
                assert form not in text, (surface, what)
