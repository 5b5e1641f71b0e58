"""The staff page of the transparency report, and the dashboard opened to training
staff (issue 19, item 5; web/staff.py)."""

from __future__ import annotations

import re

import pytest

from dsr_app.db import open_db
from tests.review.test_letters import decided
from tests.web.test_staff import log_in


@pytest.fixture
def objection_and_run(api, staff, db_path, run):
    """Zoë's approved objection, whose list touches tiny 1, and a run on tiny 1
    whose model name is markup."""
    decided(api, staff, db_path, run, "objection", "en")
    body = {
        "model": "<b>chat</b>",
        "model_version": "2.1",
        "datasets": [{"dataset": "tiny", "dataset_version": "1"}],
        "status": "training",
    }
    resp = api.post("/api/v1/training-runs", json=body, headers=staff["training"])
    assert resp.status_code == 201


def _items(db_path) -> int:
    """The entries of Zoë's list, all in tiny 1 (its only version)."""
    db = open_db(db_path)
    try:
        return db.execute("SELECT entries FROM removal_lists").fetchone()[0]
    finally:
        db.close()


def test_report_page_needs_a_login(browser, staff):
    resp = browser.get("/staff/report")
    assert resp.status_code == 302 and "/staff/login" in resp.headers["Location"]


@pytest.mark.parametrize("role", ["training", "legal", "admin"])
def test_report_page_draws_svg_charts_for_every_staff_role(
    browser, objection_and_run, db_path, role
):
    log_in(browser, f"{role}@staff.example")
    resp = browser.get("/staff/report")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for chart in ("chart-requests", "chart-items", "chart-months", "chart-median"):
        assert f'<svg id="{chart}"' in page, chart
    assert "<rect" in page and "<script" not in page
    # The run's row: one objection; the model's name shown as text, not markup.
    row = re.search(r"<tr><td>&lt;b&gt;chat&lt;/b&gt; 2\.1</td>.*?</tr>", page, re.S)
    items = f"<td>{_items(db_path)}</td>"
    assert row and f"<td>1</td><td>0</td>{items}" in row.group(0)
    assert "<b>chat</b>" not in page
    month = re.search(r'<tr data-month="(\d{4}-\d{2})"><td>\1</td><td>1</td>', page)
    assert month, "the month of the objection, one request received"
    nav = page.split('<nav aria-label="Staff">')[1].split("</nav>")[0]
    assert 'href="/staff/report"' in nav


def test_training_staff_open_the_dashboard_from_their_menu(browser, objection_and_run):
    log_in(browser, "training@staff.example")
    home = browser.get("/staff/removals").get_data(as_text=True)
    nav = home.split('<nav aria-label="Staff">')[1].split("</nav>")[0]
    assert 'href="/staff/dashboard"' in nav and 'href="/staff/"' not in nav
    page = browser.get("/staff/dashboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<svg id="chart"' in text and re.search(r'id="median">\d', text)
    # Counts and runs only: no requester's name or e-mail on it.
    assert "Zoë" not in text and "zoe@example.eu" not in text
    assert browser.get("/staff/").status_code == 403  # the queue stays legal's
