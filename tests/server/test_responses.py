"""Documents as HTTP responses: a removal list's entries as CSV."""

from __future__ import annotations

from dsr_app.server.responses import as_csv


def test_csv_download_is_quoted_and_safe_from_formulas():
    document = {
        "id": "rl_x",
        "request_type": "objection",
        "entries": [
            {
                "dataset": '=HYPERLINK("http://evil")',
                "record_id": "+1,2",
                "content_sha256": "-3",
                "reason": "@mention",
            }
        ],
    }
    text = as_csv(document)
    assert text.endswith("\r\n")
    row = text.splitlines()[1]
    assert row.startswith('rl_x,objection,"\'=HYPERLINK(""http://evil"")"')
    assert '"\'+1,2"' in row and ",'-3," in row and row.endswith("'@mention")
