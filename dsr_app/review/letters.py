"""Response letters: context from the case, Jinja templates per letter type, and
HTML, plain text or PDF (WeasyPrint) output in the requester's language.

Rendering is a pure function of a Jinja ``Environment`` and a context, so tests and
the CLI need no request. Nothing from the request ever becomes template source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import jinja2
import sqlite_utils

from dsr_app import bidi
from dsr_app.config import package_resource
from dsr_app.deadlines import asked_promptly, receipt_day
from dsr_app.errors import NotFound
from dsr_app.i18n import language, long_date
from dsr_app.letter_facts import controller
from dsr_app.removal.versions import first_issued, request_versions
from dsr_app.review import authorities, grounds, proven
from dsr_app.review.configured import configured
from dsr_app.review.letter_items import record_facts
from dsr_app.review.letter_models import model_lines
from dsr_app.review.letter_sources import with_sources
from dsr_app.review.letter_texts import TEXTS
from dsr_app.training.exposure import request_runs

FORMATS = {
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "pdf": "application/pdf",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but \t \n, DEL, C1
_SEPARATORS = re.compile(r"[\u2028\u2029]")


def _plain(value):
    """Text output: no control characters from any value and no Unicode line or
    paragraph separator (a space instead), so that no value starts a line of its
    own: only the templates' line breaks do (no forged lines). Bidirectional
    controls become markers, as in HTML (bidi.neutralise)."""
    if not isinstance(value, str):
        return value
    return bidi.neutralise(_SEPARATORS.sub(" ", _CONTROL.sub("", value)))


@lru_cache(maxsize=2)
def environment(text: bool = False) -> jinja2.Environment:
    """Jinja environment for letters: autoescaped HTML, or cleaned plain text."""
    loader = jinja2.FileSystemLoader(str(package_resource("templates")))
    if text:
        return jinja2.Environment(
            loader=loader, autoescape=False, finalize=_plain, keep_trailing_newline=True
        )
    # Every value shown, with its bidirectional controls as markers (issue 16):
    # HTML and the PDF made from it.
    return jinja2.Environment(loader=loader, autoescape=True, finalize=bidi.neutralise)


@dataclass(frozen=True)
class Letter:
    """A rendered letter."""

    kind: str
    language: str
    subject: str
    body: bytes
    mimetype: str


def letter_kind(row: Mapping, included: int) -> str:
    """Which letter answers the request in its current state."""
    if row["status"] == "rejected":
        return "rejected"
    if row["status"] == "needs_info":
        return "request_info"
    if row["status"] != "completed" and row.get("extended_at"):
        return "extension"
    if row["type"] == "access":
        return "access" if included else "no_data"
    return row["type"]


def _included(db: sqlite_utils.Database, row: Mapping) -> list[dict]:
    """Matches the letter reports: for a decided case those included at its
    decision, or for a draft those of records with a verified match (all of a
    record's matches, as an approval takes them) and the weak ones staff included.

    A decided case's letter states what was decided then (issue 16, finding 4):
    matches included later by a follow-up (removal.follow_up, or staff deciding
    its weak candidates) carry a later ``decided_at`` and stay out of it.
    """
    decided = row["status"] in ("completed", "rejected")
    if decided:
        condition = "decision = 'include' AND (? IS NULL OR m.decided_at <= ?)"
        params = [row["id"], row["decided_at"], row["decided_at"]]
    else:
        # A draft reads the decision approving with no choices would take: a
        # record with a verified match, with all its matches (review.items).
        condition = (
            "(decision = 'include' OR (decision IS NULL AND EXISTS (SELECT 1"
            " FROM matches s WHERE s.request_id = m.request_id"
            " AND s.dataset = m.dataset AND s.dataset_version = m.dataset_version"
            " AND s.record_id = m.record_id AND s.decision IS NULL"
            " AND s.confidence != 'weak')))"
        )
        params = [row["id"]]
    return [
        dict(r)
        for r in db.query(
            "SELECT m.*, r.text AS full_text, r.created_at AS posted_at,"
            " r.kind AS item_kind, r.lang AS item_lang, r.url AS item_url,"
            " r.source AS item_source, r.visibility AS item_visibility"
            " FROM matches m"
            " LEFT JOIN records r ON r.dataset = m.dataset"
            " AND r.dataset_version = m.dataset_version AND r.record_id = m.record_id"
            f" WHERE m.request_id = ? AND {condition}"
            " ORDER BY m.match_kind DESC, m.dataset, m.dataset_version, m.record_id",
            params,
        )
    ]


def _search(
    db: sqlite_utils.Database, request_id: str, decided_at: str | None
) -> tuple | None:
    """(searched_at, scope) of the request's latest search; for a decided case the
    latest before its decision (issue 16: an answered case does not change when
    later searches run for its follow-ups)."""
    return db.execute(
        "SELECT searched_at, scope FROM searches WHERE request_id = ?"
        " AND (? IS NULL OR searched_at <= ?) ORDER BY id DESC LIMIT 1",
        [request_id, decided_at, decided_at],
    ).fetchone()


def letter_context(
    db: sqlite_utils.Database,
    request_id: str,
    config: Mapping,
    at: datetime,
    template: str | None = None,
) -> dict:
    """Everything a letter shows, worked out from the stored case; ``template``:
    a letter its state does not pick by itself (``removal_complete``)."""
    rows = list(db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
    if not rows:
        raise NotFound("not found")
    row = rows[0]
    lang = language(row["language"])
    matches = _included(db, row)
    kind = template or letter_kind(row, len(matches))
    accounts = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT account_id FROM owned_accounts WHERE request_id = ?"
            " ORDER BY 1",
            [request_id],
        )
    ]
    handles = [
        r[0]
        for r in db.execute(
            "SELECT handle FROM request_handles WHERE request_id = ? ORDER BY 1",
            [request_id],
        )
    ]
    identifiers = []
    if row["email_verified_at"]:
        identifiers.append(row["email"])
    if row["phone_verified_at"] and row["phone"]:
        identifiers.append(row["phone"])
    identifiers += [f"@{h}" for h in handles]
    identifiers.append(row["full_name"])
    texts = TEXTS[lang]
    decided = row["decided_at"] or at.isoformat()
    received = date.fromisoformat(row["receipt_day"])
    country = row["controller_country"]
    asked = receipt_day(
        datetime.fromisoformat(row["info_requested_at"] or at.isoformat()), country
    )
    # A request for information pauses the period only when it was sent promptly
    # (deadlines.asked_promptly, as the reply counts it); a late one must neither
    # claim to be prompt (I06) nor announce a pause (I05) (issue 18).
    late = {"I05", "I06"} if not asked_promptly(received, asked, country) else set()
    # The controller as the public pages name it too (letter_facts.controller).
    who = controller(config, lang)
    values = {
        "name": row["full_name"],
        "controller": who["name"],
        "controller_address": who["address"],
        "controller_email": who["email"],
        "controller_web": who["web"],
        "dpo_email": who["dpo_email"],
        "reference": row["id"],
        "received": long_date(received, lang),
        "due": long_date(date.fromisoformat(row["due_at"]), lang),
        "new_due": long_date(date.fromisoformat(row["due_at"]), lang),
        # The issue day in the controller's time zone, as receipt is counted.
        "letter_date": long_date(receipt_day(at, country), lang),
        "decided_date": long_date(datetime.fromisoformat(decided).date(), lang),
        # When the removal list went to the training teams (a draft: it goes with
        # the approval); the letter never says the removal is done (issue 18).
        "list_issued": long_date(
            datetime.fromisoformat(first_issued(db, request_id) or decided).date(),
            lang,
        ),
        "asked_date": long_date(asked, lang),
        "rights": texts[f"rights_{row['type']}"],
        # C11: the lead authority and the person's own (issue 18, item 7).
        **authorities.complaint_values(
            str(config["LEAD_AUTHORITY"]), row["country"], row["region"], lang, texts
        ),
        "accounts": ", ".join(accounts) or texts["none"],
        "identifiers": ", ".join(identifiers),
        "reason": row["decision_reason"] or "",
    }

    # The facts the controller configured for this language (letter_facts.py).
    facts = configured(config, lang, texts, values)
    values.update(facts.values)
    # The items, searches, pauses and weak candidates of the record (letter_items).
    record = with_sources(record_facts(db, row, matches, lang, texts, at), lang, texts)
    values.update(record["values"])
    # The decision's ground, reasons and timing as the record shows (grounds.py).
    told = grounds.letter_parts(db, row, texts, lang, at)
    values.update(told.values)
    # The courts' country, the channels confirmed, the search so far (proven.py).
    shown = proven.letter_parts(
        row, lang, texts, at, searched=bool(record["values"]["searched"])
    )
    values.update(shown["values"])
    # The models trained on data that held the items (training.exposure), as on
    # record at the letter's issue; a decided case's runs after its decision.
    found = request_runs(
        db,
        request_id,
        [(i["dataset"], i["version"], i["record_id"]) for i in record["items"]],
        at.isoformat(),
        row["decided_at"] if row["status"] in ("completed", "rejected") else None,
    )
    if not found["exposed"]:
        record["variants"].update(O04="O04_none", A16="A16_none")
    models = model_lines(
        found, kind, lang, texts, {**values, "received_at": row["received_at"]}
    )

    def say(key: str) -> str:
        key = told.variants.get(key, key)  # the ground, or the timing, it states
        key = record["variants"].get(key, key)  # "": a row the record leaves out
        key = facts.variants.get(key, key)  # a fact unset: its *_unset sentence
        key = shown["variants"].get(key, key)  # what the record proves (C12 I02 X04)
        if not key:
            return ""
        return texts[f"{key}_late" if key in late else key].format_map(values)

    items = record["items"]
    return {
        "kind": kind,
        "lang": lang,
        "say": say,
        "t": texts,
        "items": items,
        "models": models,
        "runs": found,
        # Each dataset version of the removal and the day it was acknowledged.
        "versions": [
            {
                "dataset": v["dataset"],
                "version": v["dataset_version"],
                "day": long_date(
                    datetime.fromisoformat(v["acknowledged_at"]).date(), lang
                )
                if v["acknowledged_at"]
                else "—",
            }
            for v in request_versions(db, request_id)
        ],
        "subject": say(f"subject_{kind}"),
        "request": row,
    }


def render(context: Mapping, fmt: str = "html") -> Letter:
    """The letter of ``context`` as HTML, plain text or PDF."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    kind = context["kind"]
    if fmt == "txt":
        body = (
            environment(text=True)
            .get_template(f"letters/{kind}.txt")
            .render(context)
            .encode()
        )
    else:
        html = environment().get_template(f"letters/{kind}.html").render(context)
        body = html.encode() if fmt == "html" else html_to_pdf(html)
    return Letter(kind, context["lang"], context["subject"], body, FORMATS[fmt])


def html_to_pdf(html: str) -> bytes:
    """A PDF of ``html`` with WeasyPrint; every resource fetch is refused (no file,
    no local server: letters need nothing from outside the document)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"letters load no external resources ({url[:40]})")

    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()


def handed_out(
    db: sqlite_utils.Database,
    request_id: str,
    what: str,
    fmt: str,
    at: datetime,
    letter_id: str | None = None,
) -> None:
    """Audit the requester's download of their ``letter`` (``letter_id``: one named
    issued letter) or ``data`` copy, so the trail shows when the answer reached
    them (accountability, Art. 5(2) GDPR)."""
    from dsr_app import audit

    detail = {"format": fmt, **({"letter_id": letter_id} if letter_id else {})}
    audit.append(db, "requester", f"{what}_downloaded", request_id, detail, at)


def requester_may_read(row: Mapping) -> bool:
    """Whether the requester may see a letter yet: once decided, or the notice of an
    extension or a request for information (never a draft)."""
    return row["status"] in ("completed", "rejected", "needs_info") or bool(
        row.get("extended_at")
    )


def data_copy(
    db: sqlite_utils.Database, request_id: str, config: Mapping, at: datetime
) -> dict:
    """The copy of the data of an answered access request (Art. 15(3)), as JSON."""
    context = letter_context(db, request_id, config, at)
    decided = db.execute(
        "SELECT decided_at FROM requests WHERE id = ?", [request_id]
    ).fetchone()
    search = _search(db, request_id, decided[0] if decided else None)
    return {
        "request_id": request_id,
        "searched_at": search[0] if search else None,
        "datasets_searched": [
            {"dataset": d, "dataset_version": v}
            for d, v in (json.loads(search[1]) if search else [])
        ],
        "explanation": context["say"]("A12"),
        "redaction": context["say"]("A13"),
        "items": [
            {
                "dataset": i["dataset"],
                "dataset_version": i["version"],
                "record_id": i["record_id"],
                "posted_at": i["posted_at"] or None,
                "kind": i["relation"],  # your own content, or a mention of you
                "item_kind": i["kind_code"],  # post, comment, … (the manifest's)
                "lang": i["lang_code"],
                "url": i["url"],
                "content": i["content"],
            }
            for i in context["items"]
        ],
        # The models trained on versions that held these items (issue 19, item 3).
        "models": [
            {
                "model": r["model"],
                "model_version": r["model_version"],
                "purpose": context["say"]("A02"),
                "training_started_at": r["started_at"],
                "training_finished_at": r["finished_at"],
                "status": r["status"],
                "retired_at": r["retired_at"],
                "datasets": [
                    {"dataset": v["dataset"], "dataset_version": v["dataset_version"]}
                    for v in r["versions"]
                    if v["state"] == "held"
                ],
                "record_ids": sorted({i["record_id"] for i in r["items"]}),
            }
            for r in context["runs"]["exposed"]
        ],
    }
