"""Pages a person trusts (issue 21, item 3), through the test client: who runs
the service on every page, error pages that say what to do next, the reference in
the first e-mail, the status page never saying "nothing to do" while a code is
unconfirmed, and a configuration whose privacy notice or logo is wrong refused at
start."""

from __future__ import annotations

import re

import pytest

from dsr_app import create_app
from dsr_app.config import package_resource
from dsr_app.errors import BadInput
from dsr_app.i18n import text
from tests.conftest import latest_code, outbox
from tests.security.helpers import form_token, https_client

EMAIL = "zoe@example.eu"
PHONE = "+4915123456789"


@pytest.fixture
def web(db_path):
    """A browser-like client of the app with the demo controller's facts and logo."""
    fixtures = package_resource("fixtures")
    app = create_app(
        {
            "TESTING": True,
            "DB": str(db_path),
            "RATE_LIMITS": 0,
            "LETTER_FACTS": str(fixtures / "letter_facts.toml"),
            "CONTROLLER_LOGO": str(fixtures / "logo.svg"),
        }
    )
    return https_client(app)


def _file(web, lang: str = "en"):
    web.get(f"/request?lang={lang}")
    form = {
        "csrf_token": form_token(web, "/request"),
        "type": "objection",
        "full_name": "Zoë Müller-Łukasik",
        "email": EMAIL,
        "phone": "0151 23456789",
        "country": "DE",
        "language": lang,
    }
    assert web.post("/request", data=form).status_code == 303


@pytest.mark.parametrize(
    ("lang", "dpo"), [("en", "Dr Aoife Byrne"), ("de", "Dr. Aoife Byrne")]
)
def test_every_public_page_names_the_controller(web, lang, dpo):
    for path in ("/", "/request", "/find", "/status", "/r"):
        page = web.get(f"{path}?lang={lang}").get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert title.endswith("· Example Platforms Ireland Limited"), (path, title)
        assert '<img src="/logo" alt="">' in page, path
        assert "1 Example Quay, Dublin 2, D02 XY00, Ireland" in page, path
        assert 'href="https://platform.example/privacy"' in page, path
        assert f"{dpo}, " in page and "mailto:dpo@platform.example" in page, path
    logo = web.get("/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"
    assert logo.get_data().startswith(b"<svg")
    logo.close()


def test_without_a_logo_the_name_stands_alone(db_path):
    client = https_client(create_app({"TESTING": True, "DB": str(db_path)}))
    page = client.get("/").get_data(as_text=True)
    assert "<img" not in page and "Example Platforms Ireland Limited" in page
    assert client.get("/logo").status_code == 404


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("CONTROLLER_WEB", "javascript:alert(1)"),
        ("CONTROLLER_LOGO", "/nonexistent/logo.svg"),
        ("CONTROLLER_LOGO", str(package_resource("fixtures") / "letter_facts.toml")),
    ],
)
def test_a_wrong_privacy_notice_or_logo_stops_the_start(db_path, setting, value):
    with pytest.raises(BadInput) as refused:
        create_app({"TESTING": True, "DB": str(db_path), setting: value})
    assert refused.value.field == f"DSR_{setting}"


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/status", "get", 404), ("/verify", "get", 404), ("/find", "post", 400)],
)
def test_error_pages_say_what_to_do_next(web, lang, path, method, status):
    web.get(f"/?lang={lang}")
    page = getattr(web, method)(path)  # the POST carries no CSRF token: 400
    assert page.status_code == status
    said = page.get_data(as_text=True)
    assert "dsr_app" not in said
    steps = re.search(r'<ul id="next".*?</ul>', said, re.S).group(0)
    assert 'href="/find"' in steps and 'href="/"' in steps
    assert "mailto:privacy@platform.example" in steps
    assert text(lang, "error_next_find") in said.replace("&#39;", "'")


def test_first_email_carries_the_reference(web, db_path):
    _file(web, "fr")
    (reference,) = re.findall(r"est ([\w-]{22})\.", outbox(db_path, EMAIL)[-1]["body"])
    page = web.get("/verify").get_data(as_text=True)
    assert f"La référence de votre demande est <code>{reference}</code>." in page


def test_back_through_the_mail_link_the_unconfirmed_phone_is_said(web, db_path):
    _file(web)
    token = form_token(web, "/verify")
    code = latest_code(db_path, EMAIL)
    data = {"csrf_token": token, "channel": "email", "code": code, "action": "verify"}
    assert web.post("/verify", data=data).status_code == 200  # the phone is to do
    # Another browser, through the link in the e-mail.
    link = re.search(r"/r/[\w-]+", outbox(db_path, EMAIL)[0]["body"]).group(0)
    other = https_client(web.application)
    other.get(link)
    other.post("/r", data={"csrf_token": form_token(other, "/r")})
    status = other.get("/status").get_data(as_text=True)
    assert 'id="phone-code"' in status and "+49 ••• 89" in status
    assert text("en", "s_review_hint") not in status
    assert "Enter the codes" in status  # the way to the code page
