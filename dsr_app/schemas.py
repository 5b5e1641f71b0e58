"""marshmallow schemas: the one definition of every input shape and its errors."""

from __future__ import annotations

import re
from datetime import date, datetime

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from dsr_app import bidi
from dsr_app.errors import BadInput
from dsr_app.i18n import LANGUAGES
from dsr_app.regions import EU_EEA

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What else breaks a line in a plain-text viewer: NEL and the other C1 controls,
# LINE SEPARATOR and PARAGRAPH SEPARATOR (str.splitlines() splits at each).
_TYPED_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class StrictBoolean(fields.Boolean):
    """A JSON ``true``/``false`` only: no ``"yes"``, ``1`` or ``"true"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictString(fields.String):
    """A string, never a number or other value coerced into one, and never one
    that cannot be stored: JSON may spell lone surrogates (``"\\ud800"``), which
    no UTF-8 encoder (SQLite's, an HMAC's) accepts."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if _SURROGATE.search(value):
            raise self.make_error("invalid_utf8")
        return value


def iso_datetime(value: str) -> None:
    """Accept ISO 8601 date-times (``2025-01-31T10:00:00Z``) and dates."""
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not an ISO 8601 date-time.") from exc


def single_line(value: str) -> None:
    """Refuse control characters (line breaks included) in one-line fields."""
    if _CONTROL.search(value):
        raise ValidationError("Must not contain control characters.")


def typed_line(value: str) -> None:
    """Refuse, in a one-line field a requester types, every control character
    (C0 and C1) and the Unicode line and paragraph separators: a name goes into
    plain-text letters, where any of them would start a forged line. Refuse the
    bidirectional controls too, naming them without echoing them: they would show
    a name or address reordered on staff pages and in letters (issue 16, finding
    11). Free text keeps them; pages and letters show them as markers (bidi.py)."""
    errors = []
    if names := bidi.controls(value):
        errors.append(f"Must not contain {bidi.refusal(names)}.")
    if _TYPED_CONTROL.search(value):
        errors.append("Must not contain control characters.")
    if errors:
        raise ValidationError(errors)


def sha256_hex(value: str) -> None:
    """64 hexadecimal digits."""
    if not _HEX64.fullmatch(value):
        raise ValidationError("Not a hex SHA-256 (64 hexadecimal digits).")


def _line(max_len: int, required: bool = False, min_len: int = 0) -> StrictString:
    return StrictString(
        required=required,
        validate=[validate.Length(min=min_len, max=max_len), single_line],
    )


class ManifestRecordSchema(Schema):
    """One record of a training-data manifest (contract section 3)."""

    class Meta:
        # Unknown fields are kept, not dropped (contract section 3).
        unknown = INCLUDE

    record_id = _line(1024, required=True, min_len=1)
    dataset = _line(256, min_len=1)
    text = StrictString(required=True)
    source = _line(256)
    kind = _line(256)
    author_id = _line(1024)
    author_handle = _line(256)
    created_at = StrictString(validate=iso_datetime)
    visibility = _line(64)
    author_is_minor = StrictBoolean()
    lang = _line(64)
    url = _line(8192)
    content_sha256 = StrictString(validate=sha256_hex)


def birth_date(value: str) -> None:
    """A calendar date ``YYYY-MM-DD``."""
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Not a date (YYYY-MM-DD).") from exc


class AccountSchema(Schema):
    """One account of the platform registry (contract section 4)."""

    class Meta:
        unknown = INCLUDE

    account_id = _line(1024, required=True, min_len=1)
    handle = _line(256)
    display_name = _line(512)
    email = _line(320)
    phone = _line(64)
    country = StrictString(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    birth_date = StrictString(validate=birth_date)


# --- Requester API (contract section 5) -----------------------------------------

REQUEST_TYPES = ("access", "objection", "erasure")
MAX_HANDLES, MAX_HANDLE_LEN = 20, 64
_HANDLE = re.compile(r"[a-z0-9._]+")


def _multi_line(value: str) -> None:
    """Free text: line breaks and tabs allowed, other control characters not."""
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValidationError("Must not contain control characters.")


def _handle() -> StrictString:
    """A platform handle, ``@`` optional (checked by ``normalise_handles``)."""
    return StrictString(
        validate=[validate.Length(min=1, max=MAX_HANDLE_LEN + 1)],
        metadata={"pattern": r"^\s*@*[A-Za-z0-9._]+\s*$"},
    )


class RequestCreateSchema(Schema):
    """A new access, objection or erasure request."""

    type = StrictString(required=True, validate=validate.OneOf(REQUEST_TYPES))
    full_name = StrictString(
        required=True, validate=[validate.Length(min=1, max=200), typed_line]
    )
    email = StrictString(
        required=True,
        validate=[validate.Length(max=254), typed_line],
        metadata={"format": "email"},
    )
    phone = StrictString(
        validate=[validate.Length(max=40), typed_line],
        metadata={"description": "Any common spelling; kept in E.164."},
    )
    handles = fields.List(_handle(), validate=validate.Length(max=MAX_HANDLES))
    # normalise_request checks these two; the enums tell clients (and the API
    # fuzzer) which values are accepted.
    country = StrictString(
        required=True,
        validate=typed_line,
        metadata={
            "enum": sorted(EU_EEA),
            "description": "EU/EEA country, ISO 3166-1 alpha-2 (any case).",
        },
    )
    language = StrictString(
        load_default="en",
        validate=[validate.Length(max=35), typed_line],
        metadata={
            "enum": list(LANGUAGES),
            "description": "Language of letters and messages (BCP 47; a region"
            " subtag such as de-AT is accepted and dropped).",
        },
    )
    details = StrictString(validate=[validate.Length(max=5000), _multi_line])

    @validates_schema(skip_on_field_errors=False)
    def _normalise(self, data, **kwargs):
        """Cross-field checks that also normalise, in place: ``load`` returns the
        very dict (once, not again in a post_load: issue 7, load run)."""
        normalise_request(data)


def normalise_request(data: dict) -> dict:
    """Normalise a request's fields in place; raise ``ValidationError`` by field.

    E-mail: syntax only (email-validator, no DNS). Phone: parsed with the country as
    default region, kept in E.164, possible numbers only. Handles: without ``@``,
    lower case. Country: EU/EEA. Language: en, de or fr.
    """
    from email_validator import EmailNotValidError, validate_email

    from dsr_app.identifiers import possible_phone

    errors: dict[str, list[str]] = {}
    country = data.get("country")
    if isinstance(country, str):
        country = country.strip().upper()
        if country not in EU_EEA:
            errors["country"] = ["Not an EU/EEA country code (ISO 3166-1 alpha-2)."]
        else:
            data["country"] = country
    if isinstance(data.get("email"), str):
        try:
            checked = validate_email(data["email"].strip(), check_deliverability=False)
            data["email"] = checked.normalized
        except EmailNotValidError as exc:
            errors["email"] = [str(exc)]
    if isinstance(data.get("phone"), str):
        region = country if country in EU_EEA else None
        try:
            data["phone"] = possible_phone(data["phone"], region)
        except BadInput as exc:
            errors[exc.field] = [exc.reason]
    errors.update(normalise_handles(data))
    if isinstance(data.get("language"), str):
        primary = data["language"].split("-")[0].lower()
        if primary not in LANGUAGES:
            errors["language"] = [f"Must be one of: {', '.join(LANGUAGES)}."]
        else:
            data["language"] = primary
    if isinstance(data.get("full_name"), str):
        data["full_name"] = data["full_name"].strip()
        if not data["full_name"]:
            errors["full_name"] = ["Must not be blank."]
    if errors:
        raise ValidationError(errors)
    return data


def normalise_handles(data: dict) -> dict[str, list[str]]:
    """Handles without ``@``, lower case, de-duplicated; errors by field."""
    if not isinstance(data.get("handles"), list):
        return {}
    handles, errors = [], []
    for raw in data["handles"]:
        if not isinstance(raw, str):
            continue
        try:
            typed_line(raw)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        handle = raw.strip().lstrip("@").lower()
        if not handle or len(handle) > MAX_HANDLE_LEN or not _HANDLE.fullmatch(handle):
            errors.append(f"Not a handle: {raw[:70]!r} (letters, digits, '.', '_').")
        elif handle not in handles:
            handles.append(handle)
    data["handles"] = handles
    return {"handles": errors} if errors else {}


class RequestCreatedSchema(Schema):
    """The answer to a new request: the status token is shown only here."""

    id = fields.String()
    status = fields.String()
    status_token = fields.String()
    due_at = fields.String()


class VerifySchema(Schema):
    """A one-time code for one channel."""

    channel = StrictString(required=True, validate=validate.OneOf(("email", "phone")))
    code = StrictString(required=True, validate=validate.Length(min=1, max=32))


class ResendSchema(Schema):
    """Which channel to send a new code to."""

    channel = StrictString(required=True, validate=validate.OneOf(("email", "phone")))


class VerifiedSchema(Schema):
    """Status after a verification step."""

    status = fields.String()
    verified_channels = fields.List(fields.String())


class RemovalStatusSchema(Schema):
    """A removal list acknowledged by a training team."""

    dataset = fields.String()
    dataset_version = fields.String()
    acknowledged_at = fields.String()


class RequestStatusSchema(Schema):
    """What the requester sees of their request."""

    id = fields.String()
    type = fields.String()
    status = fields.String()
    received_at = fields.String()
    due_at = fields.String()
    verified_channels = fields.List(fields.String())
    removals = fields.List(fields.Nested(RemovalStatusSchema))


class ReplySchema(Schema):
    """An answer to a request for information: at least one of the fields."""

    details = StrictString(validate=[validate.Length(max=5000), _multi_line])
    handles = fields.List(_handle(), validate=validate.Length(max=MAX_HANDLES))
    phone = StrictString(validate=[validate.Length(max=40), typed_line])

    @validates_schema(skip_on_field_errors=False)
    def _at_least_one(self, data, **kwargs):
        """Refuse an empty reply; normalise handles like a new request's."""
        if not any(data.get(k) for k in ("details", "handles", "phone")):
            raise ValidationError(
                "Give at least one of details, handles, phone.", "_schema"
            )
        errors = normalise_handles(data)
        if errors:
            raise ValidationError(errors)


# --- Staff API (contract section 5) ---------------------------------------------


class DecisionSchema(Schema):
    """A legal decision on a request."""

    decision = StrictString(
        required=True,
        validate=validate.OneOf(("approve", "reject", "extend", "request_info")),
    )
    reason = StrictString(validate=[validate.Length(max=5000), _multi_line])
    include = fields.List(
        StrictString(validate=validate.Length(max=64)),
        validate=validate.Length(max=10_000),
    )
    exclude = fields.List(
        StrictString(validate=validate.Length(max=64)),
        validate=validate.Length(max=10_000),
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


class StaffRequestSchema(QueueItemSchema):
    """A request with everything legal staff need to decide it."""

    full_name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    country = fields.String()
    language = fields.String()
    details = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    owned_accounts = fields.List(fields.String())
    handles = fields.List(fields.Dict())
    searches = fields.List(fields.Dict())
    matches = fields.List(fields.Nested(MatchSchema))
    removals = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())


class DataCopyItemSchema(Schema):
    """One record of the requester's data in the copy."""

    dataset = fields.String()
    dataset_version = fields.String()
    record_id = fields.String()
    posted_at = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    content = fields.String(allow_none=True)


class DatasetVersionSchema(Schema):
    """A dataset version that was searched."""

    dataset = fields.String()
    dataset_version = fields.String()


class DataCopySchema(Schema):
    """The copy of the data of an answered access request (GDPR Art. 15(3))."""

    request_id = fields.String()
    searched_at = fields.String(allow_none=True)
    datasets_searched = fields.List(fields.Nested(DatasetVersionSchema))
    explanation = fields.String()
    redaction = fields.String()
    items = fields.List(fields.Nested(DataCopyItemSchema))


class RemovalListItemSchema(Schema):
    """A removal list, as listed for training teams."""

    id = fields.String()
    request_id = fields.String()
    issued_at = fields.String()
    entries = fields.Integer()
    acks = fields.List(fields.Nested(RemovalStatusSchema))


class RemovalListsSchema(Schema):
    """Every removal list, newest first."""

    items = fields.List(fields.Nested(RemovalListItemSchema))


class AcknowledgementsSchema(Schema):
    """A removal list's acknowledgements."""

    id = fields.String()
    acks = fields.List(fields.Nested(RemovalStatusSchema))


class SuppressedSchema(Schema):
    """One identifier to keep out of future training, as a keyed hash."""

    type = fields.String()
    hmac_sha256 = fields.String()


class SuppressionListSchema(Schema):
    """Every suppressed identifier (nothing in clear)."""

    items = fields.List(fields.Nested(SuppressedSchema))


class LetterArgsSchema(Schema):
    """Which format of a letter."""

    format = StrictString(
        load_default="html", validate=validate.OneOf(("html", "pdf", "txt"))
    )


# --- Removal lists (contract section 5, training API) ------------------------


class ListFormatSchema(Schema):
    """Which format of a removal list."""

    format = StrictString(load_default="json", validate=validate.OneOf(("json", "csv")))


class AckSchema(Schema):
    """Which dataset version a training team removed the entries from."""

    dataset = StrictString(required=True, validate=validate.Length(min=1, max=256))
    dataset_version = StrictString(
        required=True, validate=validate.Length(min=1, max=256)
    )
