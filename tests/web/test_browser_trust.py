"""Pages a person trusts (issue 21, item 3), in a real Chromium: who runs the
service on every page and in the tab title, the reference shown and e-mailed, a
lost session found again by reference and code, error pages that say what to do
next, the code page saying which code went where and keeping the focus on the
next field, a focus ring of 3:1, and axe-core finding no serious or critical
violation on any public page in en, de and fr at desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from dsr_app.config import package_resource
from dsr_app.i18n import text
from dsr_app.server.live_server import start_server
from tests.conftest import latest_code, outbox, screenshot
from tests.web.axe import WIDTHS, describe, violations

pytestmark = pytest.mark.browser

EMAIL = "zoe@example.eu"
PHONE = "+4915123456789"
CONTROLLER = "Example Platforms Ireland Limited"  # the default DSR_CONTROLLER_NAME
REFERENCE = re.compile(r"[A-Za-z0-9_-]{22}")
# The form's and the code page's words, as each language's texts say them.
KEYS = (
    "type_objection",
    "f_full_name",
    "f_email",
    "f_phone",
    "f_country",
    "f_language",
    "f_submit",
    "v_email_code",
    "v_phone_code",
    "v_confirm",
)
WORDS = {
    lang: tuple(text(lang, k, target="").strip() for k in KEYS)
    for lang in ("en", "de", "fr")
}  # fmt: skip


@pytest.fixture
def served(db_path):
    """``dsr serve`` with the demo controller's facts and logo, as ``--demo`` has
    them, without loading the demo's data."""
    fixtures = package_resource("fixtures")
    env = {
        "DSR_LETTER_FACTS": str(fixtures / "letter_facts.toml"),
        "DSR_CONTROLLER_LOGO": str(fixtures / "logo.svg"),
    }
    proc, url = start_server(db_path, log=db_path.parent / "serve.log", env=env)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Checked:
    """axe-core on each page at both widths; what it found, gathered."""

    def __init__(self, page, lang: str):
        self.page, self.lang, self.found = page, lang, []

    def __call__(self, name: str, docs: bool = False) -> None:
        for width, height in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": height})
            where = f"{name} [{self.lang}, {width}px]"
            self.found.append(describe(violations(self.page), where))
            if docs and width == WIDTHS[0][0] and self.lang == "en":
                screenshot(self.page, f"public-{name}", docs=True)
        self.page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})

    def assert_clean(self) -> None:
        found = "\n".join(f for f in self.found if f)
        assert not found, found


def _trusted(page) -> None:
    """The page names who runs the service, in its header, footer and tab title."""
    assert page.title().endswith(f" · {CONTROLLER}"), page.title()
    assert page.locator("#controller-name").inner_text() == CONTROLLER
    assert page.locator("header img").get_attribute("src") == "/logo"
    footer = page.locator("#controller").inner_text()
    assert "1 Example Quay, Dublin 2" in footer and "privacy@platform.example" in footer
    assert "Aoife Byrne" in footer  # the DPO: a letter fact of the page's language
    href = page.locator("#privacy-notice").get_attribute("href")
    assert href == "https://platform.example/privacy"


def _file(page, base: str, lang: str, check: Checked) -> str:
    """File an objection with e-mail and phone through the form; the reference."""
    w = WORDS[lang]
    page.goto(f"{base}/?lang={lang}")
    _trusted(page)
    check("home", docs=True)
    page.goto(f"{base}/request")
    page.get_by_role("button", name=w[6]).click()  # empty: the errors
    page.locator("p.error[role=alert]").wait_for()
    check("request-errors")
    page.get_by_label(w[0]).check()
    page.get_by_label(w[1]).fill("Zoë Müller-Łukasik")
    page.get_by_label(w[2]).fill(EMAIL)
    page.get_by_label(w[3]).fill("0151 23456789")
    page.get_by_label(w[4]).select_option("DE")
    page.get_by_label(w[5]).select_option(lang)
    check("request", docs=True)
    page.get_by_role("button", name=w[6]).click()
    page.wait_for_url("**/verify")
    return REFERENCE.search(page.locator("#reference").inner_text()).group(0)


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_public_pages_are_trusted_and_accessible(served, page, db_path, lang):
    base, w = served, WORDS[lang]
    check = Checked(page, lang)
    reference = _file(page, base, lang, check)
    _trusted(page)
    # The code page says which code went where, masked, and the reference.
    sent = page.locator("#sent").inner_text()
    assert "z•••e@example.eu" in sent and "+49 ••• 89" in sent, sent
    assert EMAIL not in page.content() and PHONE not in page.content()
    check("verify", docs=True)
    mail = outbox(db_path, EMAIL)[-1]["body"]
    assert reference in mail  # the reference is e-mailed too

    page.get_by_role("textbox", name=w[7]).fill(latest_code(db_path, EMAIL))
    page.locator("section", has_text=w[7]).get_by_role("button", name=w[9]).click()
    page.get_by_role("status").wait_for()
    # Focus waits in the next code's field, not at the top of the page.
    assert page.evaluate("document.activeElement.id") == "code-phone"
    check("verify-one-confirmed")

    # A new browser: the session is lost. The error page says what to do next.
    other = page.context.browser.new_context().new_page()
    found = Checked(other, lang)
    other.goto(f"{base}/status?lang={lang}")
    _trusted(other)
    assert other.locator("#next a[href='/find']").count() == 1
    assert "dsr_app" not in other.title()
    found("error", docs=True)
    other.goto(f"{base}/find")
    found("find", docs=True)
    other.locator("#reference").fill(reference)
    other.locator("form button[type=submit]").first.click()
    other.wait_for_url("**/find/code")
    found("find-code", docs=True)
    other.locator("#code").fill("00000000")
    other.locator("form button[type=submit]").first.click()
    other.locator("#code-error").wait_for()
    found("find-code-wrong")
    other.locator("#code").fill(latest_code(db_path, EMAIL))
    other.locator("form button[type=submit]").first.click()
    other.wait_for_url("**/status")
    assert other.locator("#reference").inner_text() == reference
    # The SMS code is still unconfirmed: never "nothing to do" beside it.
    assert other.locator("#phone-code").is_visible()
    assert text(lang, "s_review_hint") not in other.locator("main").inner_text()
    found("status", docs=True)
    other.goto(f"{base}/r")
    found("link-expired")
    check.found += found.found
    check.assert_clean()


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2.2's contrast ratio of two sRGB colours."""

    def lum(rgb):
        c = [x / 255 for x in rgb]
        c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_focus_ring_has_3_to_1_contrast_on_every_control(served, page):
    page.goto(f"{served}/request?lang=en")
    rings = set()
    for _ in range(12):  # the skip link, the header's links, the form's fields
        page.keyboard.press("Tab")
        style = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
        )
        rings.add(tuple(style))
    for outline_style, width, colour in rings:
        assert outline_style == "solid" and float(width[:-2]) >= 2, rings
        rgb = tuple(int(x) for x in re.findall(r"\d+", colour)[:3])
        # Against the white page around it (the ring sits 2px outside the control).
        assert _contrast(rgb, (255, 255, 255)) >= 3, colour


def test_axe_helper_reports_serious_violations(page):
    # The helper's own check: a page with an unlabelled field and an image without
    # a text alternative fails, so a clean page above means axe really ran.
    page.set_content("<html lang=en><title>t</title><img src=x><input></html>")
    found = {v["id"] for v in violations(page)}
    assert {"image-alt", "label"} <= found, found
