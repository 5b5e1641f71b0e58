"""Schemas of the requester API: filing, verification, status and replies."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsr_app.errors import BadInput
from dsr_app.i18n import LANGUAGES
from dsr_app.regions import EU_EEA, subdivision
from dsr_app.schemas.fields import StrictString, multi_line, typed_line
from dsr_app.schemas.removal import RemovalStatusSchema

# --- Requester API (contract section 5) -----------------------------------------

REQUEST_TYPES = ("access", "objection", "erasure")
LETTER_KINDS = ("decision", "extension", "request_info", "removal_complete")
MAX_HANDLES, MAX_HANDLE_LEN = 20, 64
MAX_POINTERS, MAX_POINTER_CHARS = 20, 2000  # contract section 5 v2
_HANDLE = re.compile(r"[a-z0-9._]+")


def _handle() -> StrictString:
    """A platform handle, ``@`` optional (checked by ``normalise_handles``)."""
    return StrictString(
        validate=[validate.Length(min=1, max=MAX_HANDLE_LEN + 1)],
        metadata={"pattern": r"^\s*@*[A-Za-z0-9._]+\s*$"},
    )


def _pointers() -> fields.List:
    """Items the person says are about them: URLs, record ids, quoted passages
    (issue 20, item 3; matching/pointers.py), checked by ``normalise_pointers``."""
    return fields.List(
        StrictString(
            validate=[
                validate.Length(
                    max=MAX_POINTER_CHARS,
                    error="A pointer takes at most {max} characters.",
                ),
                multi_line,
            ]
        ),
        validate=validate.Length(max=MAX_POINTERS, error="At most {max} pointers."),
        metadata={
            "description": "Each the URL or record id of an item the person says is"
            " about them, or a passage they quote (such as what an AI answered about"
            " them); searched like the identifiers, weak until staff include what"
            " they find."
        },
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
    details = StrictString(validate=[validate.Length(max=5000), multi_line])
    # v2: picks the person's supervisory authority where a country has several
    # (Germany: one per Land; issue 18, item 7).
    region = StrictString(
        validate=typed_line,
        metadata={
            "pattern": r"^\s*[A-Za-z]{2}-[A-Za-z0-9]{1,3}\s*$",
            "description": "Region of residence, ISO 3166-2 (any case), such as"
            " DE-BY; it must belong to country.",
        },
    )
    pointers = _pointers()  # v2: issue 20, item 3

    @validates_schema(skip_on_field_errors=False)
    def _normalise(self, data, **kwargs):
        """Cross-field checks that also normalise, in place: ``load`` returns the
        very dict (once, not again in a post_load: issue 7, load run)."""
        normalise_request(data)


def normalise_request(data: dict) -> dict:
    """Normalise a request's fields in place; raise ``ValidationError`` by field.

    E-mail: syntax only (email-validator, no DNS). Phone: parsed with the country as
    default region, kept in E.164, possible numbers only. Handles: without ``@``,
    lower case. Country: EU/EEA; region: ISO 3166-2, of that country. Language:
    en, de or fr.
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
    if isinstance(data.get("region"), str) and country in EU_EEA:
        try:
            data["region"] = subdivision(data["region"], country)
        except ValueError as exc:
            errors["region"] = [str(exc)]
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
    errors.update(normalise_pointers(data))
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


def normalise_pointers(data: dict) -> dict[str, dict[int, list[str]]]:
    """Pointers trimmed, de-duplicated; a blank one refused by its place."""
    if not isinstance(data.get("pointers"), list):
        return {}
    pointers, errors = [], {}
    for n, raw in enumerate(data["pointers"]):
        if not isinstance(raw, str):
            continue  # the field's own error names it
        if not raw.strip():
            errors[n] = ["A pointer must not be blank."]
        elif raw.strip() not in pointers:
            pointers.append(raw.strip())
    data["pointers"] = pointers
    return {"pointers": errors} if errors else {}


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


class IssuedLetterSchema(Schema):
    """A letter sent to the requester, kept as issued (contract section 5)."""

    id = fields.String(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(LETTER_KINDS),
        metadata={"enum": list(LETTER_KINDS)},
    )
    issued_at = fields.String(required=True)
    sha256 = fields.String(
        required=True,
        metadata={"description": "SHA-256 (hex) of the letter's plain-text form."},
    )


class RequestStatusSchema(Schema):
    """What the requester sees of their request."""

    id = fields.String()
    type = fields.String()
    status = fields.String()
    received_at = fields.String()
    due_at = fields.String()
    answered_at = fields.String(
        allow_none=True,
        metadata={
            "description": "When the first decision letter was issued; null until then."
        },
    )
    verified_channels = fields.List(fields.String())
    removals = fields.List(fields.Nested(RemovalStatusSchema))
    letters = fields.List(
        fields.Nested(IssuedLetterSchema),
        metadata={"description": "The letters issued to the requester, oldest first."},
    )


class ReplySchema(Schema):
    """An answer to a request for information: at least one of the fields."""

    details = StrictString(validate=[validate.Length(max=5000), multi_line])
    handles = fields.List(_handle(), validate=validate.Length(max=MAX_HANDLES))
    phone = StrictString(validate=[validate.Length(max=40), typed_line])
    pointers = _pointers()

    @validates_schema(skip_on_field_errors=False)
    def _at_least_one(self, data, **kwargs):
        """Refuse an empty reply; normalise handles and pointers like a new
        request's."""
        if not any(data.get(k) for k in ("details", "handles", "phone", "pointers")):
            raise ValidationError(
                "Give at least one of details, handles, phone, pointers.", "_schema"
            )
        errors = {**normalise_handles(data), **normalise_pointers(data)}
        if errors:
            raise ValidationError(errors)
