"""Schemas of the staff API: decisions, the queue, matches, letters, data copies."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dsr_app.schemas.fields import StrictString, multi_line
from dsr_app.schemas.requests import REQUEST_TYPES

# GDPR Art. 17(1)(a)-(f), and the codes of the common reasons staff choose; what
# each means, and which decision and request it fits: review/grounds.py.
ERASURE_GROUNDS = ("a", "b", "c", "d", "e", "f")
REASON_CODES = (
    "unfounded_or_excessive",
    "cannot_identify",
    "rights_of_others",
    "compelling_grounds",
    "legal_claims",
    "complexity",
    "number_of_requests",
    "identity_doubt",
    "handles_unproven",
)


class DecisionSchema(Schema):
    """A legal decision on a request."""

    decision = StrictString(
        required=True,
        validate=validate.OneOf(("approve", "reject", "extend", "request_info")),
    )
    reason = StrictString(validate=[validate.Length(max=5000), multi_line])
    include = fields.List(
        StrictString(validate=validate.Length(max=64)),
        validate=validate.Length(max=10_000),
    )
    exclude = fields.List(
        StrictString(validate=validate.Length(max=64)),
        validate=validate.Length(max=10_000),
    )
    erasure_ground = StrictString(
        validate=validate.OneOf(ERASURE_GROUNDS),
        metadata={
            "description": "Approving an erasure: the GDPR Art. 17(1) ground, (a) to"
            " (f); (c) only when the same person has an objection on record."
        },
    )
    # Each code is checked by the decision (review/grounds.py), so that an unknown
    # one is refused as `reason_codes`, like one that does not fit the decision.
    reason_codes = fields.List(
        StrictString(validate=validate.Length(max=64)),
        validate=validate.Length(max=len(REASON_CODES)),
        metadata={
            "description": "Common reasons of a refusal, an extension or a request"
            " for information, said in the letter's language before `reason`: "
            + ", ".join(REASON_CODES)
        },
    )


class StaffQueueArgsSchema(Schema):
    """Filters of the queue."""

    status = StrictString(
        validate=validate.OneOf(
            (
                "pending_verification",
                "in_review",
                "needs_info",
                "completed",
                "rejected",
                "expired",
            )
        )
    )
    type = StrictString(validate=validate.OneOf(REQUEST_TYPES))
    limit = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "At most this many items (default: all)."},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Skip this many items first."},
    )


class MatchSchema(Schema):
    """A match as staff see it (contract section 5)."""

    match_id = fields.String()
    dataset = fields.String()
    dataset_version = fields.String()
    record_id = fields.String()
    match_kind = fields.String()
    matched_on = fields.String()
    confidence = fields.String()
    snippet = fields.String()
    policy_flags = fields.List(fields.String())
    decision = fields.String(allow_none=True)
    rule = fields.String(
        metadata={"description": "Code of the rule that made the match (issue 20)."}
    )
    rule_text = fields.String(metadata={"description": "The rule, in words."})
    matched_words = fields.String(
        metadata={
            "description": "The words it matched, as written in the text (empty"
            " for own content, and for matches stored before rules were kept)."
        }
    )


class MatchRuleSchema(Schema):
    """One rule that matched an item, and its match."""

    match_id = fields.String()
    matched_on = fields.String()
    confidence = fields.String()
    rule = fields.String()
    rule_text = fields.String()
    matched_words = fields.String()


class MatchItemSchema(Schema):
    """A record found for the request, once, with every rule that matched it."""

    item_id = fields.String(
        metadata={"description": "One of its match ids: naming it decides the item."}
    )
    match_ids = fields.List(fields.String())
    dataset = fields.String()
    dataset_version = fields.String()
    record_id = fields.String()
    match_kind = fields.String(metadata={"description": "own if any match is own."})
    confidence = fields.String(metadata={"description": "The strongest."})
    rules = fields.List(fields.Nested(MatchRuleSchema))
    matched_words = fields.List(fields.String())
    snippet = fields.String()
    highlights = fields.List(
        fields.List(fields.Integer()),
        metadata={
            "description": "[start, end) character offsets of the matched words in"
            " the snippet."
        },
    )
    policy_flags = fields.List(fields.String())
    decision = fields.String(
        allow_none=True,
        metadata={"description": "include or exclude, for all its matches."},
    )
    left_out = fields.Boolean(
        metadata={"description": "Weak, and left out undecided by the approval."}
    )


class QueueItemSchema(Schema):
    """One request in the deadline-ordered queue."""

    id = fields.String()
    type = fields.String()
    status = fields.String()
    received_at = fields.String()
    due_at = fields.String()
    strict_due_at = fields.String(allow_none=True)
    days_left = fields.Integer()
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    verified_channels = fields.List(fields.String())
    matches = fields.Integer()
    weak_matches = fields.Integer()
    follow_up_weak = fields.Integer()


class QueueSchema(Schema):
    """The queue and its counts."""

    items = fields.List(fields.Nested(QueueItemSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class StaffReplySchema(Schema):
    """One answer of the person to a request for information (issue 18, item 6)."""

    received_at = fields.String()
    details = fields.String(allow_none=True)
    handles = fields.List(fields.String())
    phone = fields.String(allow_none=True)


class PointerSchema(Schema):
    """One item the person pointed to, as given (contract section 5 v2)."""

    kind = fields.String(metadata={"description": "url, passage or id"})
    value = fields.String()


class PointedSchema(Schema):
    """What the person pointed to (issue 20, item 3)."""

    pointers = fields.List(fields.Nested(PointerSchema))
    waiting = fields.Integer(
        metadata={
            "description": "Records the index of links and passages has yet to"
            " take in; the request is searched again once it has (0 when none"
            " or when the person gave only ids)."
        }
    )


class StaffRequestSchema(QueueItemSchema):
    """A request with everything legal staff need to decide it."""

    full_name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    country = fields.String()
    region = fields.String(
        allow_none=True,
        metadata={"description": "ISO 3166-2, when the person gave it."},
    )
    language = fields.String()
    details = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    owned_accounts = fields.List(fields.String())
    handles = fields.List(fields.Dict())
    searches = fields.List(fields.Dict())
    matches = fields.List(fields.Nested(MatchSchema))
    items = fields.List(
        fields.Nested(MatchItemSchema),
        metadata={
            "description": "The matches by record: each record once (issue 20);"
            " an include or exclude naming any of its match ids decides all of them."
        },
    )
    removals = fields.List(fields.Dict())
    replies = fields.List(
        fields.Nested(StaffReplySchema),
        metadata={"description": "The person's answers to a request for information."},
    )
    audit = fields.List(fields.Dict())
    pointed = fields.Nested(
        PointedSchema,
        metadata={
            "description": "The person's pointers; the items they led to are the"
            " matches whose matched_on is pointer."
        },
    )
    models = fields.Dict(
        metadata={
            "description": "Runs that read the person's items (exposed), and"
            " after the decision those on data cleared of them (cleared) or"
            " on versions never searched for them (unknown)."
        }
    )


class DataCopyItemSchema(Schema):
    """One record of the requester's data in the copy."""

    dataset = fields.String()
    dataset_version = fields.String()
    record_id = fields.String()
    posted_at = fields.String(allow_none=True)
    kind = fields.String(
        allow_none=True,
        metadata={
            "description": "Your own content, or a mention of you (and by what)."
        },
    )
    item_kind = fields.String(
        allow_none=True,
        metadata={"description": "What the item is, as the manifest says: post, …"},
    )
    lang = fields.String(allow_none=True, metadata={"description": "BCP 47 code."})
    url = fields.String(allow_none=True, metadata={"description": "Where published."})
    content = fields.String(allow_none=True)


class DatasetVersionSchema(Schema):
    """A dataset version that was searched."""

    dataset = fields.String()
    dataset_version = fields.String()


class DataCopyModelSchema(Schema):
    """An AI model trained on dataset versions that held items of the copy
    (Art. 15(1)(a): which models, for what purpose, since when)."""

    model = fields.String()
    model_version = fields.String()
    purpose = fields.String(
        metadata={"description": "As the letter states it (configured per language)."}
    )
    training_started_at = fields.String()
    training_finished_at = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "training, deployed or retired."})
    retired_at = fields.String(allow_none=True)
    datasets = fields.List(fields.Nested(DatasetVersionSchema))
    record_ids = fields.List(fields.String())


class DataCopySchema(Schema):
    """The copy of the data of an answered access request (GDPR Art. 15(3))."""

    request_id = fields.String()
    searched_at = fields.String(allow_none=True)
    datasets_searched = fields.List(fields.Nested(DatasetVersionSchema))
    explanation = fields.String()
    redaction = fields.String()
    items = fields.List(fields.Nested(DataCopyItemSchema))
    models = fields.List(fields.Nested(DataCopyModelSchema))


class LetterArgsSchema(Schema):
    """Which format of a letter."""

    format = StrictString(
        load_default="html", validate=validate.OneOf(("html", "pdf", "txt"))
    )
