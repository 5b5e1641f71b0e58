"""In Chromium, the training side of issue 19: a training user registers a run
on a version not yet cleared and sees it flagged, acknowledges the removal list,
asks the clearance gate before and after, registers a later run that is not
flagged, and the person's status page shows that later run as trained on
cleared data. Beside it, what the runs page's clearance form answers to bad input,
and the removals page of issue 21: acknowledging from the versions on screen by
keyboard, the public key and the list downloaded under their names."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.conftest import outbox, screenshot
from tests.removal.conftest import objection  # noqa: F401 (fixture)
from tests.web.axe import WIDTHS, describe, violations
from tests.web.conftest import log_in
from tests.web.test_staff import log_in as log_in_client
from tests.web.test_training_page import two_datasets  # noqa: F401 (fixture)

PASSWORD = "a long demo password"  # the ``staff`` fixture's
VERSION = ("tiny", "1")  # tests/data/records.jsonl, ingested without a version


@pytest.fixture
def world(objection, request):  # noqa: F811 (the fixture imported above)
    """Zoë's approved objection over tests/data/records.jsonl and its removal
    list, then the live server on that store."""
    created, document = objection
    return created, document, request.getfixturevalue("live_server")


def _gate(tab, base: str) -> str:
    """Ask the runs page's clearance form about VERSION; its answer's text."""
    tab.goto(f"{base}/staff/runs")
    tab.get_by_label("Dataset to check").fill(VERSION[0])
    tab.get_by_label("Version to check").fill(VERSION[1])
    tab.get_by_role("button", name="Check clearance").click()
    tab.wait_for_url("**/staff/runs/clearance?*")
    return tab.locator("#gate").inner_text()


def _register(tab, base: str, model_version: str) -> int:
    """Register a run of chat-small on VERSION, in training; its id."""
    tab.goto(f"{base}/staff/runs")
    tab.get_by_label("Model", exact=True).fill("chat-small")
    tab.get_by_label("Model version").fill(model_version)
    tab.get_by_label("Dataset versions it reads").fill(" ".join(VERSION))
    tab.get_by_label("Status").select_option("training")
    tab.get_by_role("button", name="Register").click()
    tab.wait_for_url("**/staff/runs")
    message = tab.get_by_role("status").inner_text()
    return int(re.match(r"Run (\d+) registered\.", message).group(1))


@pytest.mark.browser
def test_flagged_run_acknowledged_list_clear_gate_and_a_cleared_run(
    world, page, db_path
):
    created, document, base = world
    list_id = document["id"]
    training = log_in(page.context.browser, base, "training@staff.example", PASSWORD)

    # Before the acknowledgement the gate is not clear and names the list.
    answer = _gate(training, base)
    assert training.locator("#gate").get_attribute("data-clear") == "false"
    assert answer.startswith("tiny version 1:") and "not clear" in answer
    assert training.locator(f'#gate code[data-list="{list_id}"]').count() == 1
    screenshot(training, "training-1-gate-not-clear")

    # A run registered on it anyway is flagged, on the message and its row.
    first = _register(training, base, "2.1")
    message = training.get_by_role("status").inner_text()
    assert "It is FLAGGED" in message and list_id in message
    row = training.locator(f'tr[data-run="{first}"]')
    assert row.get_attribute("class") == "flagged" and "Flagged:" in row.inner_text()
    screenshot(training, "training-2-flagged")

    # The training user acknowledges the list for that version on its page.
    training.goto(f"{base}/staff/removals")
    item = training.locator(f'li[data-list="{list_id}"][data-dataset="tiny"]')
    item.get_by_label("Removed from tiny version").select_option(VERSION[1])
    item.get_by_role("button", name="Acknowledge").click()
    assert "acknowledged for tiny version 1" in (
        training.get_by_role("status").inner_text()
    )
    screenshot(training, "training-3-acknowledged")

    # The gate turns clear, and a later run on the same version is not flagged.
    answer = _gate(training, base)
    assert training.locator("#gate").get_attribute("data-clear") == "true"
    assert "not clear" not in answer and "clear" in answer
    assert training.locator("#gate code[data-list]").count() == 0
    screenshot(training, "training-4-gate-clear")
    second = _register(training, base, "2.2")
    assert "FLAGGED" not in training.get_by_role("status").inner_text()
    row = training.locator(f'tr[data-run="{second}"]')
    assert row.get_attribute("class") is None and "Flagged" not in row.inner_text()
    assert training.locator(f'tr[data-run="{first}"]').get_attribute("class") == (
        "flagged"
    )

    # Zoë opens her request through the newest e-mailed link (the removal is
    # complete: its notice carries one), in her own browser context.
    body = outbox(db_path, "zoe@example.eu")[-1]["body"]
    page.goto(base + re.search(r"(/r/\S+)", body).group(1))
    page.get_by_role("button", name="Show my request").click()
    page.wait_for_url("**/status")
    models = page.locator("#models")
    exposed = models.locator(f'li[data-run="{first}"]')
    assert exposed.get_attribute("data-state") == "exposed"
    cleared = models.locator(f'li[data-run="{second}"]')
    assert cleared.get_attribute("data-state") == "cleared"
    assert cleared.inner_text().startswith("chat-small version 2.2: training started")
    assert "after our decision, only on data from which your items had been" in (
        cleared.inner_text()
    )
    screenshot(page, "training-5-status")
    assert page.dialogs == []


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("?dataset=tiny", 400, "dataset and version: both are required"),
        ("?dataset=nope&version=1", 404, "no dataset &#39;nope&#39; was ingested"),
        ("?dataset=tiny&version=9", 404, "(ingested: 1)"),
        ("?dataset=tiny&version=1", 200, 'data-clear="true"'),
    ],
)
def test_clearance_form_answers_bad_input_on_the_page(
    api_app, run, staff, query, status, said
):
    run("ingest", "tests/data/records.jsonl")
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    log_in_client(client, "legal@staff.example")  # every staff role may ask
    resp = client.get(f"/staff/runs/clearance{query}")
    assert resp.status_code == status
    page = resp.get_data(as_text=True)
    assert said in page and 'id="runs"' in page  # the runs page, with the answer


def _check_widths(tab, where: str) -> None:
    """At desktop and phone widths: no serious or critical axe-core violation
    (WCAG 2.2 AA) and nothing running off the side; a phone screenshot."""
    for width, height in WIDTHS:
        tab.set_viewport_size({"width": width, "height": height})
        found = violations(tab)
        assert not found, describe(found, f"{where} at {width}px")
        wide = tab.evaluate(
            """() => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > innerWidth)
            .map(e => e.tagName + "#" + e.id + " " + e.textContent.slice(0, 30))"""
        )
        assert tab.evaluate("document.documentElement.scrollWidth") <= width, wide
    screenshot(tab, "training-removals-phone")
    tab.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.browser
def test_training_user_acknowledges_from_visible_choices_and_downloads_the_key(
    two_datasets,  # noqa: F811 (the fixture imported above)
    live_server,
    page,
    run,
    tmp_path,
):
    _, document = two_datasets
    list_id, base = document["id"], live_server
    training = log_in(page.context.browser, base, "training@staff.example", PASSWORD)
    assert training.url.endswith("/staff/removals")  # the training user's home
    listed = training.locator(f'[data-removal-list="{list_id}"]')
    assert listed.count() == 1  # once, not once per dataset
    tiny = listed.locator('li[data-dataset="tiny"]')
    assert "entries" in tiny.locator(".count").inner_text()
    assert "legal@staff.example" in listed.locator(".approver").inner_text()

    # Every version still to acknowledge is on screen, and none is chosen.
    choices = tiny.get_by_label("Removed from tiny version")
    options = choices.locator("option")
    assert [o.get_attribute("value") for o in options.all()] == ["1", "2"]
    assert all(o.is_visible() for o in options.all())
    assert choices.evaluate("e => e.selectedIndex") == -1
    screenshot(training, "training-removals", docs=True)
    _check_widths(training, "the removals page")

    # By keyboard alone: into the list box, down to version 2, on to the button.
    choices.focus()
    training.keyboard.press("ArrowDown")
    training.keyboard.press("ArrowDown")
    assert choices.input_value() == "2"
    training.keyboard.press("Tab")
    assert training.evaluate("document.activeElement.textContent") == "Acknowledge"
    training.keyboard.press("Enter")
    training.get_by_role("status").wait_for()
    assert f"List {list_id} acknowledged for tiny version 2." in (
        training.get_by_role("status").inner_text()
    )
    tiny = training.locator(f'li[data-list="{list_id}"][data-dataset="tiny"]')
    assert [o.get_attribute("value") for o in tiny.locator("option").all()] == ["1"]
    assert re.search(
        r"acknowledged for version 2 on \d{1,2} \w+ \d{4}, \d\d:\d\d UTC"
        r" by training@staff\.example",
        tiny.inner_text(),
    )
    screenshot(training, "training-removals-acknowledged")
    _check_widths(training, "the removals page after an acknowledgement")

    # The key, as `dsr keys public` prints it, and its fingerprint.
    printed = run("keys", "public").output.strip()
    assert training.locator("#public-key").inner_text() == printed
    digest = hashlib.sha256(base64.b64decode(printed)).hexdigest()
    shown = training.locator("#fingerprint").inner_text()
    assert shown.replace(" ", "") == digest
    with training.expect_download() as download:
        training.get_by_role("link", name="Download the public key").click()
    assert download.value.suggested_filename == f"dsr-public-key-{digest[:16]}.txt"
    key_file = tmp_path / download.value.suggested_filename
    download.value.save_as(key_file)
    assert key_file.read_text() == printed + "\n"

    # The list downloads under its own name.
    with training.expect_download() as download:
        training.locator(f'[data-removal-list="{list_id}"]').get_by_role(
            "link", name="JSON"
        ).click()
    assert download.value.suggested_filename == f"removal-list-{list_id}.json"
    assert page.dialogs == []
