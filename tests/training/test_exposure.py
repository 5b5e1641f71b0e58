"""Which models learned from a person's data (training/exposure.py), the
measures staff record (training/measures.py), and what letters, the JSON copy,
the case and the status page say of them (review/letter_models.py; issue 19,
items 3 and 4)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from dsr_app.db import open_db
from dsr_app.i18n import long_date
from dsr_app.review.letter_items import plural
from dsr_app.review.letter_texts import TEXTS
from dsr_app.training.exposure import included_items, request_runs
from tests.conftest import assert_api_error, outbox
from tests.review.helpers import decide_ok, filed
from tests.training.conftest import RUN
from tests.web.test_staff import csrf

RUNS = "/api/v1/training-runs"


def _run(api, staff, **body) -> dict:
    resp = api.post(RUNS, json={**RUN, **body}, headers=staff["training"])
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _case(api, staff, created) -> dict:
    resp = api.get(f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"])
    assert resp.status_code == 200
    return resp.get_json()


def _letter(api, created, path="letter") -> str:
    token = {"Authorization": f"Bearer {created['status_token']}"}
    resp = api.get(f"/api/v1/requests/{created['id']}/{path}?format=txt", headers=token)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return re.sub(r"[ \n]+", " ", resp.get_data(as_text=True))


def _ack(api, staff, created) -> None:
    (item,) = [
        i
        for i in api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
            "items"
        ]
        if i["request_id"] == created["id"]
    ]
    resp = api.post(
        f"/api/v1/removal-lists/{item['id']}/ack",
        json={"dataset": "tiny", "dataset_version": "1"},
        headers=staff["training"],
    )
    assert resp.status_code == 200, resp.get_json()


def _said(lang: str, key: str, **values) -> str:
    return TEXTS[lang][key].format(**values)


def _items(db_path, created) -> list:
    return included_items(open_db(db_path), created["id"])


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_objection_letter_states_exactly_the_recorded_model_facts(
    api, staff, db_path, clock, world, lang
):
    """A model trained before the request and still deployed, with no measure:
    the letter says when, on what, how many items, that it is deployed, that no
    measure and no later version on cleared data are on record."""
    _run(api, staff, status="deployed", started_at="2026-01-10", model_version="1.0")
    created = filed(
        api, db_path, type="objection", language=lang, full_name="Zoë Müller-Łukasik"
    )
    decide_ok(api, staff, created, "approve")
    held = _items(db_path, created)
    assert held  # the world holds Zoë's items in tiny 1
    text = _letter(api, created)
    line = " ".join(
        [
            _said(
                lang,
                "M_run",
                model="chat-small",
                model_version="1.0",
                started=long_date(date(2026, 1, 10), lang),
                versions=_said(lang, "M_version", dataset="tiny", version="1"),
                items=plural(TEXTS[lang], "M_items", len(held), lang),
            ),
            _said(lang, "M_before", received=long_date(date(2026, 3, 2), lang)),
            TEXTS[lang]["M_deployed"],
            TEXTS[lang]["M_no_measure"],
            TEXTS[lang]["M_no_successor"],
        ]
    )
    assert line in text
    assert TEXTS[lang]["O04"] in text and TEXTS[lang]["O04_none"] not in text
    # No rule for later runs is configured: only what the status page will show.
    assert TEXTS[lang]["M05_unset"] in text
    assert "forgot" not in text.lower()


def test_a_letter_without_runs_on_record_says_none_and_names_no_model(
    api, staff, db_path, clock, world
):
    created = filed(api, db_path, type="objection", full_name="Zoë Müller-Łukasik")
    decide_ok(api, staff, created, "approve")
    text = _letter(api, created)
    assert TEXTS["en"]["O04_none"] in text
    assert "chat-small" not in text and TEXTS["en"]["M_no_measure"] not in text


def test_measures_are_stated_as_recorded_and_never_another_persons(
    api, staff, db_path, clock, world
):
    """A retired model with a retirement and an output filter for this person
    recorded: the letter states both with their days; a filter recorded for
    another person's request is not stated."""
    model = _run(
        api, staff, status="deployed", started_at="2026-01-10", model_version="1.0"
    )
    patched = api.patch(
        f"{RUNS}/{model['id']}",
        json={"status": "retired", "retired_at": "2026-02-01"},
        headers=staff["training"],
    )
    assert patched.status_code == 200, patched.get_json()
    other = filed(api, db_path, email="max@example.eu", full_name="Max Power")
    created = filed(api, db_path, type="objection", full_name="Zoë Müller-Łukasik")
    url = f"{RUNS}/{model['id']}/measures"
    for body in (
        {"kind": "retired", "taken_on": "2026-02-01"},
        {
            "kind": "output_filter",
            "taken_on": "2026-03-02",
            "request_id": created["id"],
        },
        {"kind": "none", "taken_on": "2026-03-02", "request_id": other["id"]},
    ):
        resp = api.post(url, json=body, headers=staff["legal"])
        assert resp.status_code == 201, resp.get_json()
    decide_ok(api, staff, created, "approve")
    text = _letter(api, created)
    en = TEXTS["en"]
    assert en["M_retired"].format(retired="1 February 2026") in text
    assert en["M_measure_retired"].format(day="1 February 2026") in text
    assert en["M_measure_output_filter"].format(day="2 March 2026") in text
    assert en["M_measure_none"].format(day="2 March 2026") not in text
    assert en["M_no_measure"] not in text and en["M_deployed"] not in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "none", "taken_on": "2026-03-03"}, "taken_on"),  # future
        ({"kind": "none", "taken_on": "2026-01-01"}, "taken_on"),  # before start
        ({"kind": "none", "taken_on": "2 March"}, "taken_on"),
        ({"kind": "retired", "taken_on": "2026-03-02"}, "kind"),  # still deployed
        ({"kind": "output_filter", "taken_on": "2026-03-02"}, "request_id"),
        (
            {"kind": "none", "taken_on": "2026-03-02", "request_id": "nope"},
            "request_id",
        ),
        (
            {"kind": "none", "taken_on": "2026-03-02", "replacement_run_id": 1},
            "replacement_run_id",
        ),
        ({"kind": "forgot", "taken_on": "2026-03-02"}, "kind"),
    ],
)
def test_a_measure_that_does_not_fit_its_run_is_refused_naming_the_field(
    api, staff, clock, world, body, field, db_path
):
    model = _run(api, staff, status="deployed", started_at="2026-01-10")
    resp = api.post(f"{RUNS}/{model['id']}/measures", json=body, headers=staff["legal"])
    assert_api_error(resp, 400, field)
    assert (
        api.get(f"{RUNS}/{model['id']}/measures", headers=staff["legal"]).get_json()[
            "items"
        ]
        == []
    )


def test_a_replacement_must_be_a_later_run_of_the_same_model(api, staff, clock, world):
    first = _run(api, staff, status="deployed", started_at="2026-01-10")
    other = _run(api, staff, model="other", status="training", started_at="2026-02-01")
    later = _run(api, staff, model_version="2.2", status="training")
    url = f"{RUNS}/{first['id']}/measures"
    body = {"kind": "retrained", "taken_on": "2026-03-02"}
    bad = api.post(
        url, json={**body, "replacement_run_id": other["id"]}, headers=staff["training"]
    )
    assert_api_error(bad, 400, "replacement_run_id")
    good = api.post(
        url, json={**body, "replacement_run_id": later["id"]}, headers=staff["training"]
    )
    assert (
        good.status_code == 201 and good.get_json()["replacement_run_id"] == later["id"]
    )
    assert api.post(url, json=body, headers={}).status_code == 401


def test_exposure_follows_the_removal_runs_after_it_are_cleared_or_not(
    api, staff, db_path, clock, world, run, tmp_path
):
    """Before the decision a run reads the items; after it, a run started before
    the removal was acknowledged still read them (flagged), one started after
    read cleared data, and one that also read a version nobody had searched for
    the person when it started is not called cleared."""
    before = _run(api, staff, status="deployed", started_at="2026-01-10")
    created = filed(api, db_path, type="objection", full_name="Zoë Müller-Łukasik")
    decide_ok(api, staff, created, "approve")
    clock.move(days=1)
    early = _run(api, staff, model_version="2.0", status="training")
    assert early["flagged"] is True
    clock.move(days=1)
    _ack(api, staff, created)
    clock.move(days=1)
    cleared = _run(api, staff, model_version="3.0", status="training")
    # Another dataset, ingested (and so searched) now; a run said to have
    # started an hour earlier read it before anybody looked for Zoë in it.
    other = tmp_path / "other.jsonl"
    other.write_text(
        '{"record_id": "o-1", "dataset": "other", "text": "Weather today",'
        ' "author_id": "acc-9", "visibility": "public"}\n'
    )
    assert run("ingest", other).exit_code == 0
    unknown = _run(
        api,
        staff,
        model_version="3.1",
        status="training",
        started_at=(clock.at - timedelta(hours=1)).isoformat(),
        datasets=[
            {"dataset": "tiny", "dataset_version": "1"},
            {"dataset": "other", "dataset_version": "1"},
        ],
    )
    models = _case(api, staff, created)["models"]
    assert [r["id"] for r in models["exposed"]] == [before["id"], early["id"]]
    assert [r["after_decision"] for r in models["exposed"]] == [False, True]
    assert [r["id"] for r in models["cleared"]] == [cleared["id"]]
    assert [r["id"] for r in models["unknown"]] == [unknown["id"]]
    states = {v["dataset"]: v["state"] for v in models["unknown"][0]["versions"]}
    assert states == {"tiny": "removed", "other": "not_searched"}
    held = _items(db_path, created)
    assert {
        (i["dataset"], i["dataset_version"], i["record_id"])
        for i in models["exposed"][0]["items"]
    } == set(held)
    # Computed from dataset versions alone: the same items in the other dataset
    # would expose only the run that read it.
    moved = [("other", "1", r) for _, _, r in held]
    found = request_runs(open_db(db_path), created["id"], moved, clock.at.isoformat())
    assert [r["id"] for r in found["exposed"]] == [unknown["id"]]


def test_status_page_shows_the_later_run_on_cleared_data(
    api, staff, db_path, clock, world
):
    _run(api, staff, status="deployed", started_at="2026-01-10")
    created = filed(api, db_path, type="objection", full_name="Zoë Müller-Łukasik")
    decide_ok(api, staff, created, "approve")
    link = re.search(r"(/r/\S+)", outbox(db_path, "zoe@example.eu")[-1]["body"])
    api.get(link.group(1))
    api.post("/r", data={"csrf_token": csrf(api, "/r")})
    html = api.get("/status").get_data(as_text=True)
    assert 'data-state="exposed"' in html and 'data-state="no-cleared"' in html
    clock.move(days=1)
    _ack(api, staff, created)
    later = _run(api, staff, model_version="3.0", status="training")
    html = api.get("/status").get_data(as_text=True)
    assert f'data-run="{later["id"]}" data-state="cleared"' in html
    assert 'data-state="no-cleared"' not in html


def test_access_letter_and_json_copy_name_the_models_purpose_and_since_when(
    api, staff, db_path, clock, world
):
    model = _run(api, staff, status="deployed", started_at="2026-01-10")
    created = filed(api, db_path, type="access", full_name="Zoë Müller-Łukasik")
    decide_ok(api, staff, created, "approve")
    text = _letter(api, created)
    assert TEXTS["en"]["A16"] in text and "chat-small, version 2.1" in text
    assert TEXTS["en"]["M_before"].split("{")[0] not in text  # objection wording
    token = {"Authorization": f"Bearer {created['status_token']}"}
    copy = api.get(f"/api/v1/requests/{created['id']}/data", headers=token).get_json()
    (entry,) = copy["models"]
    assert entry["model"] == model["model"] and entry["model_version"] == "2.1"
    assert entry["training_started_at"].startswith("2026-01-10")
    assert entry["datasets"] == [{"dataset": "tiny", "dataset_version": "1"}]
    assert sorted(entry["record_ids"]) == sorted(
        {r for _, _, r in _items(db_path, created)}
    )
    assert entry["purpose"]  # the letter's A02 sentence, configured or not


def test_measures_recorded_at_the_command_line_are_audited(
    run, api, staff, clock, world, db_path
):
    model = _run(api, staff, status="deployed", started_at="2026-01-10")
    ok = run("runs", "measure", model["id"], "--kind", "none", "--date", "2026-03-01")
    assert ok.exit_code == 0 and f"run {model['id']} none 2026-03-01" in ok.output
    bad = run("runs", "measure", model["id"], "--kind", "none", "--date", "tomorrow")
    assert bad.exit_code == 2 and "taken_on" in bad.output
    actions = [
        r[0]
        for r in open_db(db_path).execute(
            "SELECT actor FROM audit_log WHERE action = 'model_measure_recorded'"
        )
    ]
    assert actions == ["cli"]
