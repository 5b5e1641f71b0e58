"""The training page, /staff/removals (issue 21, item 2): each open list once,
with its entries per dataset, who approved it by e-mail, human dates, the
versions left to acknowledge as the only choices, downloads named after the
list, and the public key that signs the lists with its fingerprint."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from datetime import datetime

import pytest

from dsr_app.i18n import long_datetime
from tests.conftest import RECORDS_JSONL
from tests.review.test_letters import decided
from tests.web.test_staff import log_in

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}  # a link on our own page


@pytest.fixture
def two_datasets(api, staff, db_path, run, tmp_path):
    """An approved objection by Zoë whose list touches dataset ``tiny`` in
    versions 1 and 2 and dataset ``more`` (the same records) in version 1."""
    more = tmp_path / "more.jsonl"
    more.write_text(
        RECORDS_JSONL.read_text(encoding="utf-8").replace(
            '"dataset": "tiny"', '"dataset": "more"'
        ),
        encoding="utf-8",
    )
    assert run("ingest", str(more)).exit_code == 0
    assert run("ingest", RECORDS_JSONL, "--version", "2").exit_code == 0
    created = decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    return created, document


@pytest.fixture
def training(api_app):
    """A browser-like client logged in as the training user."""
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    log_in(client, "training@staff.example")
    return client


def _dataset_item(page: str, list_id: str, dataset: str) -> str:
    """The page's item of one dataset of one list (its ``<li>``)."""
    opening = f'<li data-list="{list_id}" data-dataset="{dataset}">'
    assert page.count(opening) == 1, (dataset, page)
    return page.split(opening)[1].split("</li>")[0]


def _offered(item: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)">', item)


def test_each_list_shows_once_with_its_entries_per_dataset(two_datasets, training):
    _, document = two_datasets
    page = training.get("/staff/removals").get_data(as_text=True)
    assert page.count(f'data-removal-list="{document["id"]}"') == 1
    per_dataset = Counter(e["dataset"] for e in document["entries"])
    assert set(per_dataset) == {"tiny", "more"} and per_dataset["tiny"] > 1
    for dataset, n in per_dataset.items():
        item = _dataset_item(page, document["id"], dataset)
        assert f'<span class="count">{n} entries</span>' in item
    assert f"<dd>{len(document['entries'])} in all</dd>" in page


def test_only_touched_versions_not_yet_acknowledged_are_offered(
    api, staff, two_datasets, training
):
    _, document = two_datasets
    page = training.get("/staff/removals").get_data(as_text=True)
    assert _offered(_dataset_item(page, document["id"], "tiny")) == ["1", "2"]
    assert _offered(_dataset_item(page, document["id"], "more")) == ["1"]
    # A choice, never free text: no datalist, no text field for the version.
    assert "<datalist" not in page
    assert not re.search(r'<input[^>]*name="dataset_version"', page)
    # A list box showing every choice at once, none chosen for the user.
    select = re.search(r'<select id="ack-1-2"[^>]*>', page).group(0)  # tiny
    assert 'size="2"' in select and "required" in select
    assert "selected" not in _dataset_item(page, document["id"], "tiny")

    ack = api.post(
        f"/api/v1/removal-lists/{document['id']}/ack",
        json={"dataset": "tiny", "dataset_version": "1"},
        headers=staff["training"],
    )
    assert ack.status_code == 200
    (done,) = ack.get_json()["acks"]
    page = training.get("/staff/removals").get_data(as_text=True)
    tiny = _dataset_item(page, document["id"], "tiny")
    assert _offered(tiny) == ["2"]
    when = long_datetime(datetime.fromisoformat(done["acknowledged_at"]), "en")
    at = done["acknowledged_at"]
    assert (
        f'acknowledged for version 1 on <time datetime="{at}">{when}</time>'
        " by training@staff.example"
    ) in " ".join(tiny.split())
    assert _offered(_dataset_item(page, document["id"], "more")) == ["1"]

    for dataset, version in (("tiny", "2"), ("more", "1")):
        api.post(
            f"/api/v1/removal-lists/{document['id']}/ack",
            json={"dataset": dataset, "dataset_version": version},
            headers=staff["training"],
        )
    page = training.get("/staff/removals").get_data(as_text=True)
    assert "data-removal-list" not in page and "Every list is acknowledged." in page


def test_the_approver_is_named_beside_the_signed_lists_staff_id(
    two_datasets, training, db_path
):
    from dsr_app.db import open_db

    _, document = two_datasets
    # The signed list keeps the staff id, as contract section 6 fixes it.
    (legal_id,) = (
        open_db(db_path)
        .execute("SELECT id FROM staff_users WHERE email = 'legal@staff.example'")
        .fetchone()
    )
    assert document["approved_by"] == str(legal_id)
    page = training.get("/staff/removals").get_data(as_text=True)
    approver = re.search(r'<dd class="approver">(.*?)</dd>', page, re.S).group(1)
    assert approver.startswith("legal@staff.example")
    assert f"(staff id {legal_id} in the signed list)" in approver
    assert '"approved_by"' not in page
    # Dates in words, not as stored.
    issued = long_datetime(datetime.fromisoformat(document["issued_at"]), "en")
    assert f'<time datetime="{document["issued_at"]}">{issued}</time>' in page
    assert re.search(r">\d{4}-\d{2}-\d{2}", page) is None


def test_downloads_are_named_after_the_list(api, staff, two_datasets, training):
    _, document = two_datasets
    list_id = document["id"]
    page = training.get("/staff/removals").get_data(as_text=True)
    for ext in ("json", "csv"):
        assert f'download="removal-list-{list_id}.{ext}"' in page
    json_resp = training.get(f"/staff/removals/{list_id}", headers=SAME_SITE)
    csv_resp = training.get(f"/staff/removals/{list_id}?format=csv", headers=SAME_SITE)
    api_csv = api.get(
        f"/api/v1/removal-lists/{list_id}?format=csv", headers=staff["training"]
    )
    for resp, ext in ((json_resp, "json"), (csv_resp, "csv"), (api_csv, "csv")):
        assert resp.status_code == 200
        assert resp.headers["Content-Disposition"] == (
            f'attachment; filename="removal-list-{list_id}.{ext}"'
        )
    assert json_resp.get_json() == document  # the signed list as it is


def test_the_page_offers_the_public_key_and_its_fingerprint(
    two_datasets, training, run
):
    _, document = two_datasets
    printed = run("keys", "public").output.strip()
    page = training.get("/staff/removals").get_data(as_text=True)
    assert f'<code id="public-key">{printed}</code>' in page
    digest = hashlib.sha256(base64.b64decode(printed)).hexdigest()
    grouped = " ".join(digest[i : i + 4] for i in range(0, 64, 4))
    assert f'<code id="fingerprint">{grouped}</code>' in page
    # Its first four groups are the key_id the list's signature names.
    assert digest[:16] == document["signature"]["key_id"]

    resp = training.get("/staff/removals/public-key")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True) == printed + "\n"
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="dsr-public-key-{digest[:16]}.txt"'
    )
    assert f"(dsr-public-key-{digest[:16]}.txt)" in page


def test_the_downloaded_key_checks_the_list(two_datasets, training, run, tmp_path):
    _, document = two_datasets
    key = tmp_path / "key.txt"
    key.write_bytes(training.get("/staff/removals/public-key").get_data())
    listed = tmp_path / "rl.json"
    listed.write_bytes(
        training.get(f"/staff/removals/{document['id']}", headers=SAME_SITE).data
    )
    result = run(
        "removals", "verify", "--list", str(listed), "--manifest",
        str(RECORDS_JSONL), "--public-key", str(key),
    )  # fmt: skip
    # The signature checks with the downloaded key (exit 2 if it did not); the
    # records are still in the manifest, so the check itself fails (1).
    assert result.exit_code == 1, result.output
    assert "signature" not in result.output.lower()


@pytest.mark.parametrize("email", ["legal@staff.example", "admin@staff.example"])
def test_every_staff_role_but_anonymous_may_download_the_key(api_app, staff, email):
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    assert client.get("/staff/removals/public-key").status_code == 302  # to login
    log_in(client, email)
    assert client.get("/staff/removals/public-key").status_code == 200


def test_runs_page_writes_its_dates_in_words(api, staff, run, training):
    assert run("ingest", str(RECORDS_JSONL)).exit_code == 0
    body = {
        "model": "chat-small",
        "model_version": "2.1",
        "datasets": [{"dataset": "tiny", "dataset_version": "1"}],
        "status": "deployed",
        "started_at": "2026-05-04T08:30:00Z",
        "finished_at": "2026-05-06",
    }
    resp = api.post("/api/v1/training-runs", json=body, headers=staff["training"])
    assert resp.status_code == 201, resp.get_json()
    stored = resp.get_json()
    page = training.get("/staff/runs").get_data(as_text=True)
    row = page.split(f'data-run="{stored["id"]}"')[1].split("</tr>")[0]
    started = f'<time datetime="{stored["started_at"]}">4 May 2026, 08:30 UTC</time>'
    assert started in row
    finished = f'<time datetime="{stored["finished_at"]}">6 May 2026, 00:00 UTC</time>'
    assert finished in row  # a day given alone is stored as its start
    page = training.get("/staff/runs/clearance?dataset=tiny&version=1").get_data(
        as_text=True
    )
    checked = re.search(r'Checked <time datetime="([^"]+)">([^<]+)</time>', page)
    assert checked.group(2) == long_datetime(
        datetime.fromisoformat(checked.group(1)), "en"
    )
    assert 'href="/staff/removals/public-key" download' in page
