"""The facts a letter states that the service cannot know, as the controller wrote
them per language (issue 18, item 2): the purposes and the legal basis, the
recipients, the transfers to third countries, the storage period, automated
decision-making, when residual copies expire, whether the data was made public (and
the steps taken under Art. 17(2)) and the data protection officer's name.

They live in one TOML file named by ``DSR_LETTER_FACTS``, a table per language::

    [en]
    purpose = "training and fine-tuning our language models."
    [de]
    purpose = "das Training und die Feinabstimmung unserer Sprachmodelle."

A fact left out, or a language without a table, is unset for that language: its
letters say that they do not state it, never another language's text and never a
made-up default (docs/configuration.md, docs/legal.md). The file is checked when the
app starts (``check``), so a wrong one stops ``dsr serve`` naming file, key and why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from dsr_app.errors import BadInput
from dsr_app.i18n import LANGUAGES

SETTING = "DSR_LETTER_FACTS"
#: The facts, in the order the staff page lists them.
KEYS = (
    "purpose",
    "legal_basis",
    "recipients",
    "transfers",
    "retention",
    "automated_decisions",
    "backup_period",
    "published_copies",
    "dpo_name",
    "future_runs",
)
#: How the staff page names each fact, with the letter rows it fills.
LABELS = {
    "purpose": "purposes (A02)",
    "legal_basis": "legal basis and the legitimate interest pursued (A02)",
    "recipients": "recipients (A04; O05 cites Art. 19 only with them)",
    "transfers": "transfers to third countries and their safeguards (A10)",
    "retention": "storage period (A05)",
    "automated_decisions": "automated decision-making, including profiling (A09)",
    "backup_period": "when backups and other residual copies expire (E06)",
    "published_copies": "whether the data was made public, and the steps taken"
    " to inform other controllers (E03, Art. 17(2))",
    "dpo_name": "the data protection officer's name (C02)",
    "future_runs": "what the controller commits to for training runs after a"
    " decision, such as using only dataset versions the clearance gate clears (M05)",
}
MAX_CHARS = 2000
#: Settings of English text that these facts replace: one way to configure each.
RETIRED = {"AI_PURPOSE": "purpose", "RETENTION": "retention", "DPO_NAME": "dpo_name"}

Facts = dict[str, dict[str, str]]  # language -> key -> text


def _unprintable(value: str) -> str | None:
    """The first character a one-line letter sentence must not hold: a control
    character (line breaks too: the plain-text letter keeps one row per line) or a
    Unicode line or paragraph separator."""
    for char in value:
        if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or char in "\u2028\u2029":
            return f"U+{ord(char):04X}"
    return None


def _text(path: Path, lang: str, key: str, value: object) -> str:
    """``value`` of ``[lang] key``, checked."""
    where = f"{path}: [{lang}] {key}"
    if not isinstance(value, str):
        raise BadInput(SETTING, f"{where}: must be text in quotes, not {value!r}")
    if not value.strip():
        raise BadInput(
            SETTING,
            f"{where}: is empty; leave the key out (in every language) to have"
            " letters say that they do not state it",
        )
    bad = _unprintable(value)
    if bad:
        raise BadInput(
            SETTING, f"{where}: holds the control character {bad}; write one line"
        )
    if len(value) > MAX_CHARS:
        raise BadInput(SETTING, f"{where}: is longer than {MAX_CHARS} characters")
    return value.strip()


def _read(path: Path) -> Facts:
    """Parse and check the facts file at ``path``."""
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except OSError as exc:
        raise BadInput(SETTING, f"{path}: cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(SETTING, f"{path}: is not valid TOML ({exc})") from None
    facts: Facts = {}
    for lang, table in raw.items():
        if lang not in LANGUAGES:
            raise BadInput(
                SETTING,
                f"{path}: [{lang}] is not a language of our letters"
                f" ({', '.join(LANGUAGES)})",
            )
        if not isinstance(table, dict):
            raise BadInput(SETTING, f"{path}: {lang} must be a table [{lang}]")
        for key in table:
            if key not in KEYS:
                raise BadInput(
                    SETTING,
                    f"{path}: [{lang}] {key}: unknown key (known: {', '.join(KEYS)})",
                )
        facts[lang] = {k: _text(path, lang, k, v) for k, v in table.items()}
    # A fact stated in one language only would be missing from the others' letters
    # unnoticed: every language given says the same facts.
    for lang, table in facts.items():
        for other, other_table in facts.items():
            missing = [k for k in KEYS if k in other_table and k not in table]
            if missing:
                raise BadInput(
                    SETTING,
                    f"{path}: [{lang}] lacks {', '.join(missing)}, which [{other}]"
                    " has: give every language the same keys",
                )
    return facts


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> Facts:
    return _read(Path(path))


def load(path: str | Path) -> Facts:
    """The facts of the file at ``path``, read again only when it changed."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise BadInput(SETTING, f"{path}: cannot be read ({exc.strerror})") from None
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


def check(config: Mapping) -> None:
    """Refuse a configuration whose facts file, privacy-notice address or logo is
    wrong, or that still sets one of the retired English-only settings
    (``RETIRED``); called at start."""
    for name, key in RETIRED.items():
        if config.get(name) is not None:
            raise BadInput(
                f"DSR_{name}",
                f"is no longer read: write the {key} per language in the file"
                f" named by {SETTING} (docs/configuration.md)",
            )
    if config.get("LETTER_FACTS"):
        load(str(config["LETTER_FACTS"]))
    # Pages link the privacy notice: only a web address, never javascript: or data:.
    if not str(config.get("CONTROLLER_WEB", "")).startswith(("https://", "http://")):
        raise BadInput("DSR_CONTROLLER_WEB", "must be an http:// or https:// address")
    logo(config)


#: Image types a logo file may be (``DSR_CONTROLLER_LOGO``), by suffix.
LOGO_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
LOGO_MAX_BYTES = 512 * 1024


def logo(config: Mapping) -> tuple[Path, str] | None:
    """The controller's logo file and its media type, or ``None`` when unset.

    :raises BadInput: (``DSR_CONTROLLER_LOGO``) not a readable image of a known
        type under 512 KiB: the app refuses to start rather than show a broken one.
    """
    if not config.get("CONTROLLER_LOGO"):
        return None
    path = Path(str(config["CONTROLLER_LOGO"]))
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(LOGO_TYPES)
        raise BadInput("DSR_CONTROLLER_LOGO", f"{path}: must be one of {known}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadInput(
            "DSR_CONTROLLER_LOGO", f"{path}: cannot be read ({exc.strerror})"
        ) from None
    if size > LOGO_MAX_BYTES:
        raise BadInput("DSR_CONTROLLER_LOGO", f"{path}: is larger than 512 KiB")
    return path, kind


def controller(config: Mapping, lang: str) -> dict[str, str | None]:
    """Who runs the service, as its letters and its public pages name it in
    ``lang`` (issue 21, item 3): the controller's name, address, contact address,
    privacy notice and data protection officer (GDPR Art. 13(1)(a), (b)); the
    officer's name is a fact of this file, the rest are settings."""
    return {
        "name": str(config["CONTROLLER_NAME"]),
        "address": str(config["CONTROLLER_ADDRESS"]),
        "email": str(config["CONTROLLER_EMAIL"]),
        "web": str(config["CONTROLLER_WEB"]),
        "dpo_email": str(config["DPO_EMAIL"]),
        "dpo_name": stated(config, lang).get("dpo_name"),
    }


def stated(config: Mapping, lang: str) -> dict[str, str]:
    """The facts configured for letters in ``lang`` (unset ones left out)."""
    path = config.get("LETTER_FACTS")
    return dict(load(str(path)).get(lang, {})) if path else {}


def unset(config: Mapping, lang: str) -> list[str]:
    """The facts letters in ``lang`` do not state, in ``KEYS`` order."""
    have = stated(config, lang)
    return [key for key in KEYS if key not in have]
