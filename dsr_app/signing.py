"""Ed25519 signatures over canonical JSON, and keyed hashes of suppressed identifiers.

Canonical form (contract section 6): the document without its ``signature`` member,
JSON with sorted keys, no spaces (``separators=(",", ":")``), ``ensure_ascii=False``,
UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from dsr_app.config import instance_secret, write_once
from dsr_app.errors import BadInput

KEY_FILE = "removal_signing_key.pem"


def canonical(document: Mapping) -> bytes:
    """The bytes a signature covers."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def private_key(folder: Path) -> Ed25519PrivateKey:
    """The instance's signing key, created on first use (file mode 0600)."""
    path = Path(folder) / KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_once(path, pem)  # whole or not at all; the first writer's key wins
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_b64(folder: Path) -> str:
    """The instance's public key, raw 32 bytes in base64."""
    raw = (
        private_key(folder)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def key_id(public_b64: str) -> str:
    """A short id of a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def fingerprint(public_b64: str) -> str:
    """A public key's fingerprint to compare by eye or read out on the phone: the
    SHA-256 of its raw 32 bytes in hex, in groups of four (issue 21, item 2). Its
    first four groups are the ``key_id`` every signature names."""
    digest = hashlib.sha256(base64.b64decode(public_b64)).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def sign(document: dict, folder: Path) -> dict:
    """``document`` with its ``signature`` member added."""
    key = private_key(folder)
    value = key.sign(canonical(document))
    signed = {k: v for k, v in document.items() if k != "signature"}
    signed["signature"] = {
        "alg": "ed25519",
        "key_id": key_id(public_key_b64(folder)),
        "value": base64.b64encode(value).decode(),
    }
    return signed


def load_public_key(value: str) -> Ed25519PublicKey:
    """A public key from a file holding the base64 value, or the value itself.

    :raises BadInput: neither a readable file nor a base64 Ed25519 key.
    """
    text = value.strip()
    path = Path(text)
    if len(text) < 200 and path.is_file():
        text = path.read_text().strip()
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise BadInput("--public-key", "not a base64 Ed25519 public key") from exc


def verify(document: Mapping, public: Ed25519PublicKey) -> bool:
    """Whether ``document``'s signature checks under ``public``."""
    signature = document.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != "ed25519":
        return False
    value = signature.get("value")
    if not isinstance(value, str):
        return False
    try:
        public.verify(base64.b64decode(value), canonical(document))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def token_hash(token: str) -> str:
    """SHA-256 of a bearer secret (status link, staff token, session id): what we
    store instead of the secret, so that a copy of the store opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def suppression_hash(folder: Path, kind: str, value: str) -> str:
    """HMAC-SHA-256 of an identifier under the instance's secret suppression key.

    Lists carry only these: no clear name, e-mail or phone (optout.md section 8).
    """
    key = instance_secret(Path(folder), "suppression_hmac_key")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
