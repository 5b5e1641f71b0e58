"""Abuse of what a request makes us send (issue 16, findings 6, 8 and 9): codes
by SMS to numbers that earn their owner money (SMS pumping), codes resent forever
for a request that is long decided, and the daily limit per mailbox dodged with
the spellings a provider delivers to one mailbox (Gmail's dots)."""

from __future__ import annotations

from datetime import timedelta

import phonenumbers
import pytest

from dsr_app import create_app, deadlines
from dsr_app.cases.verification import MAX_CODES_PER_CHANNEL
from dsr_app.db import open_db
from dsr_app.errors import BadInput
from dsr_app.identifiers import PhonePolicy, canonical_email, mailbox_key, sms_phone
from dsr_app.migrations import migrations
from dsr_app.regions import EU_EEA
from tests.conftest import assert_api_error, bearer, latest_code, new_request, outbox
from tests.security.helpers import (
    ZOE_PHONE,
    decide_ok,
    form_token,
    https_client,
    run_jobs,
    stored,
    verified,
    write_jsonl,
)

DEFAULT = PhonePolicy.from_config({})

# --- Finding 6: SMS pumping ------------------------------------------------------

# Numbers an SMS pumper files requests for: every one is a possible number (the
# rule before issue 16), none is a mobile number of an EU/EEA country.
PUMPED = [
    ("+49 900 5 123456", "German premium rate (0900)"),
    ("+49 900 1234567", "German premium rate (0900)"),
    ("+49 180 1 234567", "German shared cost (0180)"),
    ("+49 180 5 123456", "German shared cost (0180)"),
    ("+44 909 876 5432", "UK premium rate (09)"),
    ("+43 900 123456", "Austrian premium rate"),
    ("+33 8 92 12 34 56", "French premium rate (089)"),
    ("+32 90 12 34 56", "Belgian premium rate (090)"),
    ("+49 700 12345678", "German personal number (0700)"),
    ("+31 85 123 4567", "Dutch VoIP (085)"),
    ("+882 12 345 6789", "international network (+882)"),
    ("+882 3421234", "international network (+882), a 'mobile' of no country"),
    ("+881 612345678", "satellite phone (+881)"),
    ("+870 301234567", "Inmarsat (+870)"),
    ("+883 510012345", "international network (+883)"),
    ("+800 1234 5678", "international freephone (+800)"),
    ("+979 123456789", "international premium rate (+979)"),
    ("+49 30 123456", "German fixed line"),
    ("+39 06 1234 5678", "Italian fixed line"),
    ("+1 202 555 0123", "United States"),
    ("+41 79 123 45 67", "Swiss mobile (outside the EU/EEA)"),
    ("+44 7400 123456", "UK mobile (outside the EU/EEA)"),
    ("+90 532 123 4567", "Turkish mobile"),
    ("+7 912 345 67 89", "Russian mobile"),
]
PUMPED_NUMBERS = [number for number, _ in PUMPED]
PUMPED_IDS = [why for _, why in PUMPED]

# A mobile number of every EU/EEA country (phonenumbers' own example), and the
# national spellings people type.
EU_EEA_MOBILES = [
    (
        phonenumbers.format_number(
            phonenumbers.example_number_for_type(
                region, phonenumbers.PhoneNumberType.MOBILE
            ),
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        ),
        region,
    )
    for region in sorted(EU_EEA)
]
NATIONAL_MOBILES = [
    ("0151 23456789", "DE", "+4915123456789"),
    ("0151/23456789", "DE", "+4915123456789"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("0664 123456", "AT", "+43664123456"),
    ("312 345 6789", "IT", "+393123456789"),
    # Danish numbers do not tell mobile from fixed line: accepted by default.
    ("20 12 34 56", "DK", "+4520123456"),
]


@pytest.mark.parametrize("number", PUMPED_NUMBERS, ids=PUMPED_IDS)
def test_sms_phone_refuses_numbers_that_pump_sms(number):
    with pytest.raises(BadInput) as refused:
        sms_phone(number, "DE", DEFAULT)
    assert refused.value.field == "phone"


@pytest.mark.parametrize(("number", "region"), EU_EEA_MOBILES)
def test_sms_phone_accepts_a_mobile_of_every_eu_eea_country(number, region):
    e164 = sms_phone(number, None, DEFAULT)
    assert phonenumbers.region_code_for_number(phonenumbers.parse(e164)) == region


@pytest.mark.parametrize(("spelling", "country", "e164"), NATIONAL_MOBILES)
def test_sms_phone_reads_national_spellings_in_the_requesters_country(
    spelling, country, e164
):
    assert sms_phone(spelling, country, DEFAULT) == e164


@pytest.mark.parametrize("number", PUMPED_NUMBERS, ids=PUMPED_IDS)
def test_request_for_a_pumping_number_is_400_and_sends_nothing(api, db_path, number):
    """Attack: file requests for premium-rate, international or foreign numbers so
    that each code we send earns the attacker a share of the fee."""
    resp = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "X",
            "email": "pump@example.org",
            "country": "DE",
            "phone": number,
        },
    )
    assert_api_error(resp, 400, "phone")
    assert outbox(db_path) == []
    assert open_db(db_path).execute("SELECT count(*) FROM requests").fetchone() == (0,)


def test_refused_numbers_answer_alike_for_known_and_unknown_people(
    api, db_path, run, tmp_path
):
    """The refusal depends on the number alone, never on the registry (L2)."""
    registry = write_jsonl(
        tmp_path / "registry.jsonl",
        [{"account_id": "acc-p", "phone": "+44 909 876 5432", "country": "DE"}],
    )
    assert run("accounts", "import", registry).exit_code == 0
    answers = []
    for number in ("+44 909 876 5432", "+44 909 123 4567"):  # known, unknown
        body = {"type": "access", "full_name": "X", "country": "DE"}
        resp = api.post(
            "/api/v1/requests", json={**body, "email": "p@x.eu", "phone": number}
        )
        answers.append((resp.status_code, resp.get_json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400


def test_request_form_refuses_a_pumping_number(web, db_path):
    """The same attack through the web form."""
    form = {
        "csrf_token": form_token(web, "/request"),
        "type": "access",
        "full_name": "X",
        "email": "pump@example.org",
        "country": "DE",
        "language": "en",
        "phone": "0900 5 123456",
    }
    page = web.post("/request", data=form)
    assert page.status_code == 400
    assert 'id="phone-error"' in page.get_data(as_text=True)
    assert outbox(db_path) == []


def test_reply_with_a_pumping_number_is_400_and_sends_nothing(api, db_path, staff, run):
    """Attack: give a premium-rate number when staff ask for more information."""
    created = verified(api, db_path, email="p@example.org")
    decide_ok(api, staff, created["id"], decision="request_info", reason="Phone?")
    before = len(outbox(db_path))
    resp = api.post(
        f"/api/v1/requests/{created['id']}/reply",
        json={"phone": "+44 909 876 5432"},
        headers=bearer(created),
    )
    assert_api_error(resp, 400, "phone")
    assert len(outbox(db_path)) == before
    row = stored(db_path, created)
    assert (row["phone"], row["status"]) == (None, "needs_info")


def test_resend_to_a_number_the_rules_now_refuse_sends_nothing(db_path, monkeypatch):
    """A number accepted under wider settings (or before the rule) gets no more
    codes once the settings refuse it: the rule holds at every code sent."""
    wide = create_app(
        {
            "TESTING": True,
            "DB": str(db_path),
            "RATE_LIMITS": 0,
            "SMS_REGIONS": "EU_EEA,CH",
        }
    )
    swiss = "+41791234567"
    created = new_request(https_client(wide), phone="+41 79 123 45 67")
    assert len(outbox(db_path, swiss)) == 1  # CH allowed by this instance
    start = deadlines.now()
    monkeypatch.setattr(deadlines, "now", lambda: start + timedelta(minutes=2))
    strict = create_app({"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0})
    resp = https_client(strict).post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": "phone"},
        headers=bearer(created),
    )
    assert_api_error(resp, 400, "phone")
    assert len(outbox(db_path, swiss)) == 1


@pytest.mark.parametrize(
    ("settings", "number", "accepted"),
    [
        ({}, "+45 20 12 34 56", True),  # Denmark: fixed-or-mobile
        ({"SMS_FIXED_OR_MOBILE": 0}, "+45 20 12 34 56", False),
        ({"SMS_FIXED_OR_MOBILE": 0}, "+4915123456789", True),
        ({"SMS_REGIONS": "DE"}, "+43 664 123456", False),
        ({"SMS_REGIONS": "DE, AT"}, "+43 664 123456", True),
        ({"SMS_REGIONS": "EU_EEA,CH"}, "+41 79 123 45 67", True),
        ({"SMS_REGIONS": "EU_EEA,CH"}, "+49 900 5 123456", False),  # still premium
    ],
)
def test_sms_settings_choose_regions_and_fixed_or_mobile(
    db_path, settings, number, accepted
):
    app = create_app(
        {"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0, **settings}
    )
    resp = https_client(app).post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "X",
            "email": "x@example.org",
            "country": "DE",
            "phone": number,
        },
    )
    if accepted:
        assert resp.status_code == 201, resp.get_json()
    else:
        assert_api_error(resp, 400, "phone")


def test_sms_regions_from_the_environment_and_a_wrong_one_fails_at_start(
    db_path, monkeypatch
):
    monkeypatch.setenv("DSR_SMS_REGIONS", "DE")
    app = create_app({"TESTING": True, "DB": str(db_path)})
    assert PhonePolicy.from_config(app.config).regions == frozenset({"DE"})
    monkeypatch.setenv("DSR_SMS_REGIONS", "DE,XX")
    with pytest.raises(BadInput, match="DSR_SMS_REGIONS"):
        create_app({"TESTING": True, "DB": str(db_path)})


# --- Finding 8: endless resends --------------------------------------------------


def _resend(client, created, channel="phone"):
    return client.post(
        f"/api/v1/requests/{created['id']}/resend",
        json={"channel": channel},
        headers=bearer(created),
    )


def _later(monkeypatch, start, delta: timedelta) -> None:
    monkeypatch.setattr(deadlines, "now", lambda: start + delta)


@pytest.mark.parametrize(
    ("decision", "status"), [("approve", "completed"), ("reject", "rejected")]
)
def test_decided_request_sends_no_more_codes(
    api, db_path, staff, monkeypatch, decision, status
):
    """Attack: keep asking for codes to an unverified phone of a decided request
    (four SMS an hour, forever, before issue 16)."""
    start = deadlines.now()
    created = verified(api, db_path, email="p@example.org", phone=ZOE_PHONE)
    decide_ok(api, staff, created["id"], decision=decision, reason="Decided.")
    assert stored(db_path, created)["status"] == status
    for hours in (1, 2, 24):
        _later(monkeypatch, start, timedelta(hours=hours))
        resp = _resend(api, created)
        assert_api_error(resp, 409)
        assert "Retry-After" not in resp.headers  # waiting never helps
        assert_api_error(_resend(api, created, "email"), 409)
    assert len(outbox(db_path, ZOE_PHONE)) == 1  # the code sent at filing


def test_decided_request_sends_no_more_codes_from_the_web_page(
    web, db_path, staff, monkeypatch
):
    """The same attack through the code page's resend button."""
    start = deadlines.now()
    form = {
        "csrf_token": form_token(web, "/request"),
        "type": "access",
        "full_name": "Zoë",
        "email": "p@example.org",
        "phone": ZOE_PHONE,
        "country": "DE",
        "language": "en",
    }
    assert web.post("/request", data=form).status_code == 303
    page = web.post(
        "/verify",
        data={
            "csrf_token": form_token(web, "/verify"),
            "channel": "email",
            "action": "verify",
            "code": latest_code(db_path, "p@example.org"),
        },
    )
    assert page.status_code == 200  # the phone still waits for its code
    run_jobs(db_path)
    (request_id,) = open_db(db_path).execute("SELECT id FROM requests").fetchone()
    decide_ok(web, staff, request_id, decision="approve")
    _later(monkeypatch, start, timedelta(hours=1))
    page = web.post(
        "/verify",
        data={
            "csrf_token": form_token(web, "/verify"),
            "channel": "phone",
            "action": "resend",
        },
    )
    assert page.status_code == 409
    assert "decided" in page.get_data(as_text=True)
    assert len(outbox(db_path, ZOE_PHONE)) == 1


def test_expired_request_sends_no_code(api, db_path, monkeypatch):
    """Attack: resend codes for a request nobody verified (expired after 14 days)."""
    start = deadlines.now()
    created = new_request(api, email="p@example.org", phone=ZOE_PHONE)
    _later(monkeypatch, start, timedelta(days=14, minutes=1))
    for channel in ("email", "phone"):
        assert_api_error(_resend(api, created, channel), 409)
    assert len(outbox(db_path)) == 2  # the two codes sent at filing


def test_codes_stop_when_the_verification_window_closes(api, db_path, monkeypatch):
    """An in-review request whose phone was never verified gets phone codes for
    14 days after the number was given, not for ever."""
    start = deadlines.now()
    created = verified(api, db_path, email="p@example.org", phone=ZOE_PHONE)
    _later(monkeypatch, start, timedelta(days=13, hours=23))
    assert _resend(api, created).status_code == 200
    _later(monkeypatch, start, timedelta(days=14, minutes=1))
    assert_api_error(_resend(api, created), 409)
    assert len(outbox(db_path, ZOE_PHONE)) == 2


def test_a_phone_given_in_a_reply_opens_its_own_window(
    api, db_path, staff, monkeypatch
):
    """Staff may ask for a phone weeks after filing: the number given in the reply
    gets its code, and resends for 14 days from the reply."""
    start = deadlines.now()
    created = verified(api, db_path, email="p@example.org")
    _later(monkeypatch, start, timedelta(days=20))
    decide_ok(api, staff, created["id"], decision="request_info", reason="Phone?")
    resp = api.post(
        f"/api/v1/requests/{created['id']}/reply",
        json={"phone": ZOE_PHONE},
        headers=bearer(created),
    )
    assert resp.status_code == 200, resp.get_json()
    _later(monkeypatch, start, timedelta(days=33))
    assert _resend(api, created).status_code == 200
    _later(monkeypatch, start, timedelta(days=34, minutes=1))
    assert_api_error(_resend(api, created), 409)
    assert len(outbox(db_path, ZOE_PHONE)) == 2


def test_a_channel_gets_at_most_ten_codes_ever(api, db_path, monkeypatch):
    """Attack: one resend an hour, within the hourly cap, for as long as it takes."""
    start = deadlines.now()
    created = new_request(api, email="p@example.org", phone=ZOE_PHONE)
    for hour in range(1, 30):
        _later(monkeypatch, start, timedelta(hours=hour))
        resp = _resend(api, created)
        if hour < MAX_CODES_PER_CHANNEL:
            assert resp.status_code == 200, (hour, resp.get_json())
        else:
            assert_api_error(resp, 409)
            assert "Retry-After" not in resp.headers
    assert MAX_CODES_PER_CHANNEL == 10
    assert len(outbox(db_path, ZOE_PHONE)) == 10
    # The e-mail channel has a cap of its own, untouched.
    assert _resend(api, created, "email").status_code == 200


# --- Finding 9: one daily limit per mailbox -------------------------------------

MAILBOX_SPELLINGS = [
    # Gmail ignores dots and +tags; googlemail.com is the same mailbox.
    ("zoe.mueller@gmail.com", "zoemueller@gmail.com"),
    ("Zoe.Mueller@GMAIL.com", "zoemueller@gmail.com"),
    ("z.o.e.m.u.e.l.l.e.r@gmail.com", "zoemueller@gmail.com"),
    ("zoe.mueller+dsr@gmail.com", "zoemueller@gmail.com"),
    ("zoemueller+a.b@googlemail.com", "zoemueller@gmail.com"),
    ("ZOE.MUELLER@GoogleMail.Com", "zoemueller@gmail.com"),
    # Others: +tags folded, dots kept (they are part of the mailbox).
    ("zoe.mueller+1@outlook.com", "zoe.mueller@outlook.com"),
    ("Zoe.Mueller+x@Hotmail.com", "zoe.mueller@hotmail.com"),
    ("zoe+news@icloud.com", "zoe@icloud.com"),
    ("zoe+1@proton.me", "zoe@proton.me"),
    ("zoe+a@fastmail.com", "zoe@fastmail.com"),
    ("zoe.m+x@example.eu", "zoe.m@example.eu"),
    # Yahoo's disposable addresses are base-keyword@yahoo.com.
    ("zoe_m-shopping@yahoo.com", "zoe_m@yahoo.com"),
    ("zoe-m@example.eu", "zoe-m@example.eu"),  # '-' is a tag only at Yahoo
    # The domain case-folded and IDNA-normalised.
    ("zoe@BÜCHER.example", "zoe@xn--bcher-kva.example"),
    ("zoe@xn--bcher-kva.example", "zoe@xn--bcher-kva.example"),
    ("zoe@ｂüｃｈｅｒ.example", "zoe@xn--bcher-kva.example"),
    ("zoe@bücher.example.", "zoe@xn--bcher-kva.example"),
    # A tag at the start is no tag.
    ("+zoe@example.eu", "+zoe@example.eu"),
]


@pytest.mark.parametrize(("address", "mailbox"), MAILBOX_SPELLINGS)
def test_mailbox_key_folds_what_the_provider_ignores(address, mailbox):
    assert mailbox_key(address) == mailbox


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "zoe.mueller@gmail.com",
            "zoemueller@gmail.com",
            "z.oe.mueller@gmail.com",
            "zoe.muel.ler@gmail.com",
            "Zoe.Mueller+dsr@googlemail.com",
            "z.o.e.m.u.e.l.l.e.r@gmail.com",
        ],
        ["zoe@yahoo.com", "zoe-a@yahoo.com", "zoe-b@yahoo.com", "zoe+c@yahoo.com"],
        [
            "zoe@bücher.example",
            "zoe@xn--bcher-kva.example",
            "Zoe@BÜCHER.example",
            "zoe+x@Bücher.Example",
        ],
    ],
    ids=["gmail-dots", "yahoo-dashes", "idna-domain"],
)
def test_dot_and_tag_variants_share_one_daily_limit(api, db_path, spellings):
    """Attack: mail-bomb one Gmail user with six requests, each for another
    spelling of their address (six accepted before issue 16)."""
    body = {"type": "access", "full_name": "X", "country": "DE"}
    answers = [
        api.post("/api/v1/requests", json={**body, "email": spelling})
        for spelling in spellings
    ]
    assert [a.status_code for a in answers[:3]] == [201, 201, 201]
    for refused in answers[3:]:
        assert_api_error(refused, 429)
    assert len(outbox(db_path)) == 3


def test_ownership_never_folds_dots(api, db_path, run, tmp_path):
    """The folding is for counting only: a verified dot variant of a registry
    address owns nothing of that account (security.md L1)."""
    registry = write_jsonl(
        tmp_path / "registry.jsonl",
        [{"account_id": "acc-g", "email": "zoe.mueller@gmail.com", "country": "DE"}],
    )
    assert run("accounts", "import", registry).exit_code == 0
    assert canonical_email("zoemueller@gmail.com") != canonical_email(
        "zoe.mueller@gmail.com"
    )
    variant = verified(api, db_path, email="zoemueller@gmail.com")
    exact = verified(api, db_path, email="zoe.mueller@gmail.com")
    owned = {
        request_id: [
            r[0]
            for r in open_db(db_path).execute(
                "SELECT account_id FROM owned_accounts WHERE request_id = ?",
                [request_id],
            )
        ]
        for request_id in (variant["id"], exact["id"])
    }
    assert owned == {variant["id"]: [], exact["id"]: ["acc-g"]}


def test_m017_recomputes_the_mailboxes_stored_under_the_old_rule(api, db_path):
    """Requests filed before the provider table still count against the mailbox
    they reach: the migration recomputes their stored mailbox."""
    for spelling in ("zoe.mueller@gmail.com", "zoemueller+1@googlemail.com"):
        new_request(api, email=spelling)
    db = open_db(db_path)
    # What m011's rule stored: lower-cased, +tag dropped, dots kept.
    db.execute(
        "UPDATE requests SET email_mailbox = CASE email"
        " WHEN 'zoe.mueller@gmail.com' THEN 'zoe.mueller@gmail.com'"
        " ELSE 'zoemueller@googlemail.com' END"
    )
    db.execute(
        f"DELETE FROM {migrations.migrations_table} WHERE name = ?",
        ["m017_canonical_mailbox"],
    )
    db.close()
    db = open_db(db_path)  # applies m017 again
    rows = db.execute(
        "SELECT email_mailbox, email_canonical FROM requests ORDER BY rowid"
    ).fetchall()
    db.close()
    assert rows == [  # ownership's exact address untouched
        ("zoemueller@gmail.com", "zoe.mueller@gmail.com"),
        ("zoemueller@gmail.com", "zoemueller+1@googlemail.com"),
    ]
    new_request(api, email="zoemueller@gmail.com")  # the third of the day
    resp = api.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "full_name": "X",
            "country": "DE",
            "email": "z.oemueller@gmail.com",
        },
    )
    assert_api_error(resp, 429)
