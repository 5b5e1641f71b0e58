"""A case's events in words, oldest first (issue 21, item 1): filed, verified,
searched, decided, letters, removal lists and their acknowledgements, from the
audit trail and the searches table, for the staff case page.

Each event says what happened, by whom (``staff:1`` as that user's e-mail) and,
where there is one, the letter or removal list it made, for the page to link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import sqlite_utils

#: What an audit action says, its detail's values filled in. Actions not named
#: here (downloads and other reads) stay off the timeline: the trail keeps them.
WORDS = {
    "request_filed": "Request filed ({type})",
    "channel_verified": "{channel} verified",
    "expired": "Expired: not verified within 14 days",
    "info_received": "The person answered our questions",
    "decision_approve": "Approved (included: {included}; not included: {excluded})",
    "decision_reject": "Rejected",
    "decision_extend": "Deadline extended by two months",
    "decision_request_info": "Information asked for (the clock is paused)",
    "decision_follow_up": "Follow-up decided (included: {included}; not: {excluded})",
    "letter_issued": "Letter issued ({kind})",
    "removal_list_issued": "Removal list issued (entries: {entries})",
    "removal_list_follow_up": "Follow-up removal list issued",
    "removal_acknowledged": "Removal applied to {dataset} {dataset_version}",
    "case_assigned": "Case assigned",
    "case_note_changed": "Note changed",
    "model_measure_recorded": "Model measure recorded ({kind})",
}
CHANNELS = {"email": "E-mail address", "phone": "Phone number"}
LETTER_KINDS = {
    "decision": "the answer",
    "extension": "extension notice",
    "request_info": "questions to the person",
    "removal_complete": "removal completed",
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def actor_names(db: sqlite_utils.Database) -> dict[str, str]:
    """``staff:<id>`` -> the user's e-mail, and the other actors in words."""
    names = {
        f"staff:{row[0]}": row[1]
        for row in db.execute("SELECT id, email FROM staff_users")
    }
    return {
        **names,
        "requester": "the person",
        "system": "the service",
        "cli": "command line",
        "unknown": "unknown",
    }


def _said(action: str, detail: Mapping, names: Mapping[str, str]) -> str:
    values = _Blank(detail)
    if action == "channel_verified":
        values["channel"] = CHANNELS.get(detail.get("channel"), "A channel")
    if action == "letter_issued":
        values["kind"] = LETTER_KINDS.get(detail.get("kind"), detail.get("kind"))
    if action == "case_assigned":
        to = detail.get("to")
        return (
            f"Case assigned to {names.get(f'staff:{to}', to)}"
            if to
            else ("Case unassigned")
        )
    return WORDS[action].format_map(values)


def timeline(
    db: sqlite_utils.Database, request_id: str, trail: list[dict]
) -> list[dict]:
    """The case's events: ``at``, ``what``, ``who``, ``action`` and, for a letter
    or removal list, ``letter_id`` or ``list_id``. ``trail``: audit.trail's."""
    names = actor_names(db)
    events = [
        {
            "at": entry["at"],
            "action": entry["action"],
            "what": _said(entry["action"], entry["detail"], names),
            "who": names.get(entry["actor"], entry["actor"]),
            "letter_id": entry["detail"].get("letter_id")
            if entry["action"] == "letter_issued"
            else None,
            "list_id": entry["detail"].get("list_id")
            if entry["action"].startswith("removal_list")
            else None,
            "reason": entry["detail"].get("reason"),
        }
        for entry in trail
        if entry["action"] in WORDS
    ]
    for at, scope, found in db.execute(
        "SELECT searched_at, scope, matches FROM searches WHERE request_id = ?",
        [request_id],
    ):
        versions = len(json.loads(scope))
        events.append(
            {
                "at": at,
                "action": "searched",
                "what": f"Searched (dataset versions: {versions}; matches: {found})",
                "who": names["system"],
                "letter_id": None,
                "list_id": None,
                "reason": None,
            }
        )
    return sorted(events, key=lambda e: e["at"])
