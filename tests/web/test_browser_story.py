"""The whole story in a real Chromium, on the demo world (issue 7, part 1).

Zoë files an objection in German and confirms her e-mail and phone; a legal user
includes one weak match (a name mention) and approves; Zoë reads the letter (HTML and
PDF); a training user downloads the signed removal list, the training pipeline applies
and verifies it on the demo manifest, the training user acknowledges it; Zoë's status
page says where her data was removed from.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from dsr_app.config import package_resource
from dsr_app.db import open_db
from dsr_app.demo import load_demo
from dsr_app.i18n import long_date
from tests.conftest import file_and_verify_in_german, screenshot
from tests.web.conftest import log_in, searched, wait_for

pytestmark = pytest.mark.browser

FIXTURES = package_resource("fixtures")
MANIFEST = FIXTURES / "manifests" / "public-posts-2025-01.jsonl.gz"
# fixtures/README.md: "ZOË MÜLLER-ŁUKASIK", a name mention only in public-posts
# 2025-01 (dropped in 2025-06), so a weak match that legal must choose to include.
WEAK = "pp-0002204"
# Other name mentions of Zoë in the same file, left undecided: they must stay.
OTHER_WEAK = ("pp-0004162", "pp-0004747")
CLEAR_IDENTIFIERS = ("zoe@example.eu", "müller", "mueller", "4915123456789")
# Her account id: entries name each record's author (contract section 6, v2, issue
# 16), but the suppression list keeps it hashed.
ZOE_ACCOUNT = "acc-9"


def _logins() -> dict[str, tuple[str, str]]:
    """The demo staff logins by role (fixtures/staff.jsonl)."""
    lines = (FIXTURES / "staff.jsonl").read_text().splitlines()
    users = [json.loads(line) for line in lines]
    return {u["role"]: (u["email"], u["password"]) for u in users}


@pytest.fixture
def demo_server(db_path, request) -> str:
    """The demo world loaded as ``dsr serve --demo`` loads it, then a live server."""
    db = open_db(db_path)
    try:
        report = load_demo(db)
    finally:
        db.close()
    assert report.records == 20_057
    return request.getfixturevalue("live_server")


def _log_in(browser, base: str, role: str):
    """A new browser context with a demo staff user of ``role`` logged in."""
    return log_in(browser, base, *_logins()[role])


def _dsr(*args, **kwargs) -> subprocess.CompletedProcess:
    """``dsr ARGS`` as the training pipeline runs it: its own process."""
    return subprocess.run(
        [sys.executable, "-m", "dsr_app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_the_whole_story_in_chromium(demo_server, page, db_path, tmp_path):
    base = demo_server

    # 1-2. Zoë files an objection in German through the pages and confirms her
    # e-mail and her phone with the codes sent to them.
    file_and_verify_in_german(page, base, db_path, "story")
    status = page.locator("#status")
    assert status.get_attribute("data-status") == "in_review"
    assert "Rechtsabteilung" in status.inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "Widerspruch" in facts and "E-Mail, Telefon" in facts
    status_url = page.url
    conn = sqlite3.connect(db_path)
    # Hers: the demo world holds Łucja's decided objection too (issue 19, item 6).
    (request_id,) = conn.execute(
        "SELECT id FROM requests WHERE email = 'zoe@example.eu'"
    ).fetchone()
    conn.close()
    wait_for(lambda: searched(db_path, request_id), "the search after verifying")

    # 3. A legal user opens the case from the queue, includes one weak match and
    #    approves.
    legal = _log_in(page.context.browser, base, "legal")
    assert legal.url.endswith("/staff/")
    row = legal.locator(f'tr[data-request="{request_id}"]')
    assert "Objection" in row.inner_text()  # in words (issue 21)
    screenshot(legal, "story-05-queue")
    row.get_by_role("link").first.click()
    legal.wait_for_url(f"**/staff/requests/{request_id}")
    assert "Zoë Müller-Łukasik" in legal.locator("dl.facts").inner_text()
    weak = legal.locator('tr[data-confidence="weak"]', has_text=WEAK)
    assert weak.count() == 1 and "name" in weak.inner_text()
    for other in OTHER_WEAK:  # weak matches stay undecided unless chosen
        other_row = legal.locator('tr[data-confidence="weak"]', has_text=other)
        assert other_row.first.get_by_label("leave undecided").is_checked()
    assert legal.locator('tr[data-confidence="verified"]').count() >= 10
    weak.get_by_label("include").check()
    screenshot(legal, "story-06-case")
    legal.get_by_label("Approve and issue the letter").check()
    legal.get_by_role("button", name="Check the decision").click()
    # The confirmation step says what is sent (issue 21).
    legal.get_by_role("button", name="Confirm and send").click()
    legal.locator('#case-status[data-status="completed"]').wait_for()
    screenshot(legal, "story-07-approved")
    weak = legal.locator('tr[data-confidence="weak"]', has_text=WEAK)
    assert weak.locator("td.decided").get_attribute("data-decision") == "include"

    # 4. Zoë reads the letter from her status page, in HTML and as a PDF.
    page.goto(status_url)
    assert page.locator("#status").get_attribute("data-status") == "completed"
    assert page.locator("#status").inner_text() == "Beantwortet"
    screenshot(page, "story-08-answered")
    page.locator("#letter").get_by_role("link", name="Lesen").click()
    page.wait_for_url("**/status/letter")
    letter = page.locator("body").inner_text()
    assert "Ihr Widerspruch (Art. 21 DSGVO)" in letter
    assert request_id in letter and WEAK in letter
    assert "Art. 77 DSGVO" in letter  # the right to complain
    screenshot(page, "story-09-letter")
    page.goto(status_url)
    # The PDF link, fetched with this browser context's session cookie (clicking it
    # opens Chromium's PDF viewer, whose page Playwright returns instead of bytes).
    href = page.locator("#letter").get_by_role("link", name="PDF").get_attribute("href")
    response = page.request.get(base + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert "letter-objection.pdf" in response.headers["content-disposition"]
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")
    from pypdf import PdfReader

    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    pdf_text = re.sub(r"\s+", " ", pdf_text)
    assert "Widerspruch" in pdf_text and "Art. 21" in pdf_text
    assert request_id in pdf_text.replace(" ", "") and WEAK in pdf_text

    # 5. A training user downloads the removal list from the staff removals page.
    training = _log_in(page.context.browser, base, "training")
    assert training.url.endswith("/staff/removals")
    # Zoë's list; the demo's own pending removal (issue 21, item 4) is listed too.
    (list_id,) = (
        open_db(db_path)
        .execute("SELECT id FROM removal_lists WHERE request_id = ?", [request_id])
        .fetchone()
    )
    ours = f'li[data-list="{list_id}"]'
    pending = training.locator(ours, has=training.locator("form"))
    assert pending.count() == 2  # one per dataset: captions, public-posts
    screenshot(training, "story-10-removals")
    item = training.locator(f'{ours}[data-dataset="public-posts"]')
    # The list's downloads sit beside its datasets, once (issue 21, item 2).
    in_list = training.locator("section[data-removal-list]", has=item)
    with training.expect_download() as download:
        in_list.get_by_role("link", name="JSON").click()
    assert download.value.suggested_filename == (
        f"removal-list-{in_list.get_attribute('data-removal-list')}.json"
    )
    rl_path = tmp_path / "removal-list.json"
    download.value.save_as(rl_path)
    document = json.loads(rl_path.read_text())
    assert document["format"] == "dsr-removal-list/1"
    assert document["request_id"] == request_id
    assert document["legal_basis"] == "GDPR Art. 21(1)"
    listed = {(e["dataset"], e["record_id"]): e for e in document["entries"]}
    assert listed[("public-posts", WEAK)]["reason"] == "mention"
    for other in OTHER_WEAK:
        assert ("public-posts", other) not in listed
    clear = json.dumps(document, ensure_ascii=False).lower()
    assert not [c for c in CLEAR_IDENTIFIERS if c in clear]
    assert ZOE_ACCOUNT not in json.dumps(document["suppression"]).lower()

    # 6. The training pipeline applies it to the demo manifest and verifies.
    key = _dsr("keys", "public", "--db", db_path)
    assert key.returncode == 0, key.stderr
    public_key = key.stdout.strip()
    out = tmp_path / "public-posts-2025-01.jsonl"
    applied = _dsr(
        "removals", "apply", "--list", rl_path, "--manifest", MANIFEST,
        "--out", out, "--public-key", public_key,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    lines = gzip.decompress(MANIFEST.read_bytes()).splitlines(keepends=True)
    hashes = {e["content_sha256"] for e in document["entries"]} - {""}
    removed: list[str] = []  # record ids the list names (contract section 6)
    kept: list[bytes] = []  # every other line, as it was
    for line in lines:
        rec = json.loads(line)
        digest = hashlib.sha256(rec["text"].encode()).hexdigest()
        if (rec["dataset"], rec["record_id"]) in listed or digest in hashes:
            removed.append(rec["record_id"])
        else:
            kept.append(line)
    assert WEAK in removed and f"6,700 records read, {len(removed)} removed" in (
        applied.stdout
    )
    assert out.read_bytes() == b"".join(kept)  # every other line byte for byte
    assert {"pp-0004144", "pp-0003226"} <= set(removed)  # own post, e-mail mention
    assert all(f'"record_id":"{o}"'.encode() in out.read_bytes() for o in OTHER_WEAK)
    verified = _dsr(
        "removals", "verify", "--list", rl_path, "--manifest", out,
        "--public-key", public_key,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    before = _dsr(
        "removals", "verify", "--list", rl_path, "--manifest", MANIFEST,
        "--public-key", public_key,
    )  # fmt: skip
    assert before.returncode == 1 and f"still present: public-posts {WEAK}" in (
        before.stdout
    )

    # 7. The training user acknowledges the list for that dataset version.
    # Only the versions the list touches are offered (issue 18, item 4).
    item.get_by_label("Removed from public-posts version").select_option("2025-01")
    screenshot(training, "story-11-acknowledge")
    item.get_by_role("button", name="Acknowledge").click()
    training.get_by_role("status").wait_for()
    assert "acknowledged for public-posts version 2025-01" in (
        training.get_by_role("status").inner_text()
    )
    # public-posts stays listed while a version its matches were found in (the
    # demo's 2025-06) is not acknowledged, offering only what is left to do
    left = training.locator(f'{ours}[data-dataset="public-posts"]')
    assert left.count() == 1
    offered = [o.get_attribute("value") for o in left.locator("option").all()]
    assert offered == ["2025-06"]
    assert training.locator(f'{ours}[data-dataset="captions"]').count() == 1
    screenshot(training, "story-12-acknowledged")

    # 8. Zoë's status page says where her data was removed from, in German, and
    # which versions are still pending.
    page.goto(status_url)
    removals = page.locator("#removals")
    assert removals.get_by_role("heading").inner_text() == (
        "Entfernung aus den Trainingsdaten"
    )
    conn = sqlite3.connect(db_path)
    (acked_at,) = conn.execute(
        "SELECT acknowledged_at FROM removal_acks WHERE list_id IN"
        " (SELECT id FROM removal_lists WHERE request_id = ?)",
        [request_id],
    ).fetchone()
    conn.close()
    day = long_date(date.fromisoformat(acked_at[:10]), "de")  # "23. November 2026"
    assert re.fullmatch(r"\d{1,2}\. [A-Za-zäöü]+ \d{4}", day)
    done = f"entfernt aus dem Datenbestand public-posts, Version 2025-01, am {day}"
    shown = removals.locator("li").all_inner_texts()
    assert done in shown and len(shown) > 1
    assert all("Entfernung ausstehend" in line for line in shown if line != done)
    screenshot(page, "story-13-removed")
    assert page.dialogs == []
