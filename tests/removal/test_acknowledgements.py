"""Training teams acknowledge removal lists per dataset version; the requester
hears of it (removal/acknowledgements.py)."""

from __future__ import annotations

from dsr_app.db import open_db
from tests.conftest import RECORDS_JSONL, assert_api_error, bearer
from tests.review.test_letters import decided


def test_acknowledgement_reaches_the_requester(api, staff, objection):
    created, document = objection
    url = f"/api/v1/removal-lists/{document['id']}/ack"
    body = {"dataset": "tiny", "dataset_version": "1"}
    assert_api_error(api.post(url, json=body, headers=staff["legal"]), 403)
    resp = api.post(url, json=body, headers=staff["training"])
    assert resp.status_code == 200 and len(resp.get_json()["acks"]) == 1
    again = api.post(url, json=body, headers=staff["training"])
    assert len(again.get_json()["acks"]) == 1  # idempotent
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    (removal,) = status.get_json()["removals"]
    assert removal["dataset"] == "tiny" and removal["dataset_version"] == "1"
    assert_api_error(
        api.post(url, json={"dataset": "tiny"}, headers=staff["training"]),
        400,
        "dataset_version",
    )


def test_training_page_lists_unacknowledged_lists_and_pages_show_removals(
    api, api_app, staff, objection, db_path
):
    import re

    from tests.web.test_staff import log_in

    created, document = objection
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert f'data-list="{document["id"]}"' in page
    csv_text = browser.get(
        f"/staff/removals/{document['id']}?format=csv",
        headers={"Sec-Fetch-Site": "same-origin"},  # a link on our page
    ).get_data(as_text=True)
    assert csv_text.startswith("list_id,request_type,dataset,record_id")
    from dsr_app.audit import trail

    downloads = [
        (e["actor"].split(":")[0], e["detail"])
        for e in trail(open_db(db_path), created["id"])
        if e["action"] == "removal_list_downloaded"
    ]
    # the fixture's download through the API, then this one on the page
    assert downloads == [
        ("staff", {"list_id": document["id"], "format": "json"}),
        ("staff", {"list_id": document["id"], "format": "csv"}),
    ]
    api.post(
        f"/api/v1/removal-lists/{document['id']}/ack",
        json={"dataset": "tiny", "dataset_version": "1"},
        headers=staff["training"],
    )
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert "Every list is acknowledged." in page
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    log_in(legal)
    case = legal.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    # The staff pages show the instant as a date in words (issue 21, item 1).
    assert re.search(r'removed from dataset tiny version 1 on <time datetime="', case)


def test_a_list_stays_pending_until_each_version_with_matches_is_acknowledged(
    api, api_app, staff, db_path, run
):
    from tests.web.test_staff import log_in

    # Zoë's records in two versions of the dataset: both must lose them.
    assert run("ingest", RECORDS_JSONL, "--version", "2").exit_code == 0
    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert '<option value="1">' in page and '<option value="2">' in page
    for version, left in (("1", "2"), ("2", None)):
        ack = api.post(
            f"/api/v1/removal-lists/{item['id']}/ack",
            json={"dataset": "tiny", "dataset_version": version},
            headers=staff["training"],
        )
        assert ack.status_code == 200, ack.get_json()
        page = browser.get("/staff/removals").get_data(as_text=True)
        if left:  # still listed, with only the version left to do offered
            assert f'data-list="{item["id"]}"' in page
            assert f'<option value="{left}">' in page
            assert f'<option value="{version}">' not in page
        else:
            assert "Every list is acknowledged." in page


def test_training_user_acknowledges_on_the_removals_page(
    api, api_app, staff, objection, db_path, run
):
    import re
    from datetime import date

    from dsr_app.i18n import long_date
    from tests.web.test_staff import CSRF_RE, log_in

    created, document = objection
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    # The version the matches were found in is offered as the likely answer.
    assert '<option value="1">' in page
    url = f"/staff/removals/{document['id']}/ack"
    form = {"dataset": "tiny", "dataset_version": "1"}
    assert browser.post(url, data=form).status_code == 400  # no CSRF token
    form["csrf_token"] = CSRF_RE.search(page).group(1)
    for bad, error in (
        ({"dataset_version": "  "}, "dataset_version:"),
        ({"dataset": "other"}, "no entries in that dataset"),
    ):
        assert browser.post(url, data={**form, **bad}).status_code == 303
        assert error in browser.get("/staff/removals").get_data(as_text=True)
    resp = browser.post(url, data=form)
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff/removals"
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert f"List {document['id']} acknowledged for tiny version 1." in page
    assert "Every list is acknowledged." in page
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    (removal,) = status.get_json()["removals"]
    assert (removal["dataset"], removal["dataset_version"]) == ("tiny", "1")
    # The requester's page dates it like its other dates, in their language.
    requester = api_app.test_client()
    requester.environ_base["wsgi.url_scheme"] = "https"
    with requester.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = requester.get("/status?lang=en").get_data(as_text=True)
    day = long_date(date.fromisoformat(removal["acknowledged_at"][:10]), "en")
    assert f"removed from dataset tiny version 1 on {day}</li>" in page
    # The same audit entry as through the API, and only legal's other pages.
    assert run("audit", "verify").exit_code == 0
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    log_in(legal)
    token = CSRF_RE.search(legal.get("/staff/").get_data(as_text=True)).group(1)
    refused = legal.post(
        url, data={"csrf_token": token, "dataset": "tiny", "dataset_version": "2"}
    )
    assert refused.status_code == 403
    case = legal.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    assert re.search(r"</time> · staff:\d+ · removal_acknowledged", case)
    assert len(re.findall(r"removed from dataset tiny version", case)) == 1


def test_ack_must_name_a_dataset_of_the_list(api, staff, db_path, run):
    from tests.review.test_letters import decided

    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    resp = api.post(
        f"/api/v1/removal-lists/{item['id']}/ack",
        json={"dataset": "other", "dataset_version": "1"},
        headers=staff["training"],
    )
    assert_api_error(resp, 400, "dataset")


def test_ack_must_name_a_version_the_list_touches(api, staff, objection):
    created, document = objection
    url = f"/api/v1/removal-lists/{document['id']}/ack"
    for version in ("2", "1 ", "v1"):  # Zoë's items were found in version 1 only
        resp = api.post(
            url,
            json={"dataset": "tiny", "dataset_version": version},
            headers=staff["training"],
        )
        body = assert_api_error(resp, 400, "dataset_version")
        assert "1" in body["errors"]["dataset_version"][0]  # what it may name
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    # Never shown to the person as fact: only the version touched, still pending.
    assert status.get_json()["removals"] == [
        {"dataset": "tiny", "dataset_version": "1", "acknowledged_at": None}
    ]
    listed = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    assert listed["items"][0]["acks"] == []


def test_training_page_offers_only_the_versions_a_list_touches(api_app, objection):
    from tests.web.test_staff import log_in

    _, document = objection
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    item = page.split(f'data-list="{document["id"]}"')[1].split("</li>")[0]
    assert '<select id="ack-1-1" name="dataset_version"' in item
    assert item.count("<option") == 1 and '<option value="1">version 1</option>' in item
    assert "<datalist" not in item  # no free text beside the choice
