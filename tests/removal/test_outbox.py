"""``dsr outbox``: the messages the outbox backend stored (contract section 2)."""

from __future__ import annotations

import json
import re

from tests.conftest import new_request


def test_outbox_json_lists_messages_newest_last(api, run):
    new_request(api, email="a@example.org", phone="+4915123456789")
    new_request(api, email="b@example.org")
    result = run("outbox", "--json")
    assert result.exit_code == 0
    messages = json.loads(result.output)
    assert [m["to"] for m in messages] == [
        "a@example.org",
        "+4915123456789",
        "b@example.org",
    ]
    assert [m["channel"] for m in messages] == ["email", "sms", "email"]
    for m in messages:
        assert set(m) == {"id", "channel", "to", "subject", "body", "created_at"}
        # The code is the only run of 8 or more digits standing alone.
        assert len(re.findall(r"(?<!\d)\d{8,}(?!\d)", m["body"])) == 1
    assert messages[0]["id"] < messages[-1]["id"]


def test_outbox_filters_by_recipient_and_prints_text(api, run):
    new_request(api, email="a@example.org")
    new_request(api, email="b@example.org")
    only_b = json.loads(run("outbox", "--json", "--to", "b@example.org").output)
    assert [m["to"] for m in only_b] == ["b@example.org"]
    text = run("outbox").output
    assert "email to a@example.org: Your confirmation code" in text


def test_outbox_finds_a_phone_written_with_spaces(api, run):
    new_request(api, phone="+4915123456789")
    found = json.loads(run("outbox", "--json", "--to", "+49 151 2345 6789").output)
    assert [m["channel"] for m in found] == ["sms"]
