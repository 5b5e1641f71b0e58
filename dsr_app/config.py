"""Configuration in one place: defaults, ``DSR_*`` environment, database path."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dsr_app.errors import BadInput, Unavailable

DEFAULT_DB = Path("instance") / "dsr.sqlite3"

#: Every setting the app reads; ``DSR_<NAME>`` in the environment overrides each one.
#: README.md documents them all (tests/test_docs.py keeps the two in step).
DEFAULTS: dict[str, object] = {
    # Path of the SQLite store; `--db` and DSR_DB override it.
    "DB": None,
    # Instance folder holding dsr.sqlite3 and the keys, used when neither `--db`
    # nor DSR_DB is given (resolve_db_path; issue 21, item 5).
    "HOME": None,
    # Folder for instance secrets (signing keys); default: the database's folder.
    "INSTANCE_DIR": None,
    # File of signed audit-log anchors (audit_anchors.jsonl in INSTANCE_DIR by
    # default); put it on other storage than the database so that whoever can
    # rewrite the store cannot also rewrite the anchors (issue 16, finding 14).
    "AUDIT_ANCHOR_PATH": None,
    # 1: refuse to start (`dsr serve`, create_app) while group or others may read
    # the instance folder, the store or a key; 0: only warn (`dsr serve --strict`).
    "STRICT_FILE_MODES": 0,
    # Flask's signing key for sessions; generated per instance when unset.
    "SECRET_KEY": None,
    # Days a staff API token lives from `dsr staff token` on (1 to 3650); an
    # expired token is refused like an unknown one (issue 16, finding 15).
    "STAFF_TOKEN_DAYS": 90,
    # Where messages go: "outbox" (stored in the database) or "smtp".
    "MAIL_BACKEND": "outbox",
    # Sender address of e-mails, and the SMTP server for MAIL_BACKEND=smtp.
    "MAIL_FROM": "privacy@localhost",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": 0,
    # Domain of an e-mail-to-SMS gateway (codes to +4915...@<domain>) for smtp.
    "SMS_EMAIL_GATEWAY": "",
    # Countries whose mobile numbers may be given and get codes by SMS: region codes
    # (ISO 3166-1 alpha-2), comma-separated; EU_EEA stands for the EU/EEA. Numbers
    # elsewhere and of international networks (+800, +882) are refused: SMS pumping
    # (issue 16, finding 6).
    "SMS_REGIONS": "EU_EEA",
    # 1: also numbers the numbering plan cannot tell from fixed lines (many Danish
    # ones) count as mobile; 0: only numbers known to be mobile.
    # Premium-rate, shared-cost, fixed-line and other numbers never get codes.
    "SMS_FIXED_OR_MOBILE": 1,
    # Controller's country: time zone and public holidays of GDPR deadlines.
    "CONTROLLER_COUNTRY": "IE",
    # The controller as its letters name it (GDPR Art. 13(1)(a), (b);
    # docs/legal.md C01-C02).
    "CONTROLLER_NAME": "Example Platforms Ireland Limited",
    "CONTROLLER_ADDRESS": "1 Example Quay, Dublin 2, D02 XY00, Ireland",
    "CONTROLLER_EMAIL": "privacy@platform.example",
    "CONTROLLER_WEB": "https://platform.example/privacy",
    "DPO_EMAIL": "dpo@platform.example",
    # The controller's logo on the public pages: an .svg, .png, .jpg or .webp file
    # of at most 512 KiB; unset, the pages show its name alone (issue 21, item 3).
    "CONTROLLER_LOGO": None,
    # Slug of the lead supervisory authority (data/supervisory_authorities).
    "LEAD_AUTHORITY": "iedpc",
    # TOML file of the facts letters state per language that the service cannot
    # know: purposes, recipients, transfers, storage period, when residual copies
    # expire, the DPO's name (letter_facts.py; docs/configuration.md). Unset: the
    # letters say they do not state them.
    "LETTER_FACTS": None,
    # The service's public address, for links in e-mails (never taken from Host).
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # Abuse limits per client address (limits' notation: "10 per hour",
    # "10/minute;30/hour"); 0 turns them off.
    "RATE_LIMITS": 1,
    "RATE_LIMIT_CREATE": "10 per hour",
    "RATE_LIMIT_VERIFY": "30 per hour",
    # Largest manifest line accepted, in bytes (a longer line refuses the file).
    "MAX_LINE_BYTES": 8 * 1024 * 1024,
    # Largest nesting depth of a JSON value in a manifest line.
    "MAX_JSON_DEPTH": 64,
    # A .gz whose output outgrows its input by more than this ratio is a gzip bomb...
    "MAX_GZIP_RATIO": 200,
    # ...once it has produced more than this many bytes (small files may ratio higher).
    "GZIP_RATIO_FLOOR_BYTES": 64 * 1024 * 1024,
}


def package_resource(name: str) -> Path:
    """Path of a resource folder shipped with the package (``templates``, ``fixtures``).

    A wheel carries them inside ``dsr_app/``; a source checkout or an editable
    install keeps them at the top level of the repository.
    """
    inside = Path(__file__).resolve().parent / name
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / name


#: Settings that name the files of a store's instance (keys, anchors).
PATH_SETTINGS = ("INSTANCE_DIR", "AUDIT_ANCHOR_PATH")
# The path settings an app of this process resolved for its store, by the store's
# resolved path: create_app may take them from test_config, which code without
# the app (audit.py, anchors.py: they find a store's files from its connection)
# cannot see in the environment.
_app_paths: dict[Path, dict[str, object]] = {}


def record_app_paths(db_path: Path, values: Mapping[str, object]) -> None:
    """Remember an app's path settings for its store (create_app), so that every
    writer of that store finds the same key and anchor files (store_paths)."""
    _app_paths[Path(db_path).resolve()] = {k: values.get(k) for k in PATH_SETTINGS}


def store_paths(db_path: Path) -> dict[str, object]:
    """The path settings of the store at ``db_path``: those an app of this process
    resolved for it, else ``DSR_*`` environment, else the defaults."""
    recorded = _app_paths.get(Path(db_path).resolve())
    if recorded is not None:
        return dict(recorded)
    # Only these names: a malformed unrelated DSR_* number must not stop the audit.
    found = env_settings(names=PATH_SETTINGS)
    return {k: found.get(k, DEFAULTS[k]) for k in PATH_SETTINGS}


def instance_dir(db_path: Path, configured: object = None) -> Path:
    """Folder for instance secrets of the store at ``db_path``: ``configured``, else
    its INSTANCE_DIR (store_paths), else the store's folder."""
    chosen = configured or store_paths(db_path)["INSTANCE_DIR"]
    return Path(str(chosen)) if chosen else Path(db_path).resolve().parent


def secret_folders(db_path: Path) -> list[Path]:
    """The folders that hold secrets: the store's (the store, its -wal and -shm)
    and the instance's (keys); manifests are never read from them (issue 16)."""
    store = Path(db_path).resolve().parent
    held = instance_dir(db_path).resolve()
    return [store] if held == store else [store, held]


def instance_secret(folder: Path, name: str, nbytes: int = 32) -> bytes:
    """A random secret kept in ``folder/name`` (mode 0600), created on first use."""
    path = folder / name
    if not path.exists():
        return write_once(path, secrets.token_bytes(nbytes))
    held = path.read_bytes()
    if not held:  # never hash or sign with an empty key
        raise Unavailable(f"{path} is empty: restore it from a backup")
    return held


def write_once(path: Path, data: bytes) -> bytes:
    """Put ``data`` in a new file at ``path`` (mode 0600) unless one is there already;
    returns what the file holds: ``data``, or what another writer put first.

    The file appears whole or not at all: it is written under a temporary name and
    linked into place. Creating it in place let a thread or process starting at the
    same moment read it empty (issue 7: a code hashed with an empty key).
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before its name is (power loss)
        try:
            os.link(temporary, path)  # atomic, and never replaces the first file
        except FileExistsError:
            pass
        else:
            _fsync_dir(path.parent)
    finally:
        os.unlink(temporary)
    held = path.read_bytes()
    if not held:
        raise Unavailable(f"{path} is empty: restore it from a backup")
    return held


def _fsync_dir(folder: Path) -> None:
    """Make a new name in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def resolve_db_path(option: str | os.PathLike | None = None) -> Path:
    """The database path: ``--db``, else ``DSR_DB``, else ``dsr.sqlite3`` in
    ``DSR_HOME``, else ``./instance/dsr.sqlite3``."""
    return _db_choice(option)[0]


def _db_choice(option: str | os.PathLike | None) -> tuple[Path, str]:
    """The database path and what chose it: the only place this is decided (the
    CLI asks through ``locate_instance``, ``create_app`` through resolve_db_path)."""
    if option:
        return Path(option), "--db"
    if env := os.environ.get("DSR_DB"):
        return Path(env), "DSR_DB"
    if home := os.environ.get("DSR_HOME"):
        return Path(home) / DEFAULT_DB.name, "DSR_HOME"
    return DEFAULT_DB, f"the default ./{DEFAULT_DB.parent}"


@dataclass(frozen=True)
class Instance:
    """Where an instance lives: its store, the folder of its keys, and what chose
    them (``--db``, ``DSR_DB``, ``DSR_HOME`` or the default), for messages."""

    db: Path
    folder: Path
    chosen_by: str


def locate_instance(option: str | os.PathLike | None = None) -> Instance:
    """The instance a ``dsr`` command works on: the store of ``resolve_db_path``
    and its ``instance_dir`` (``DSR_INSTANCE_DIR``, else the store's folder).
    Nothing is created."""
    db, chosen_by = _db_choice(option)
    return Instance(db, instance_dir(db), chosen_by)


def env_settings(
    environ: Mapping[str, str] | None = None, names: Iterable[str] | None = None
) -> dict[str, object]:
    """The ``DSR_*`` overrides for known settings (or only ``names``), typed like
    their defaults."""
    environ = os.environ if environ is None else environ
    out: dict[str, object] = {}
    for key, default in DEFAULTS.items():
        raw = environ.get(f"DSR_{key}")
        if raw is None or (names is not None and key not in names):
            continue
        if isinstance(default, int):
            try:
                out[key] = int(raw)
            except ValueError:
                raise BadInput(
                    f"DSR_{key}", f"must be a whole number, not {raw!r}"
                ) from None
        else:
            out[key] = raw
    return out


def settings(overrides: dict[str, object] | None = None) -> dict[str, object]:
    """Defaults, then ``DSR_*`` environment, then ``overrides`` (for CLI commands)."""
    merged = dict(DEFAULTS)
    merged.update(env_settings())
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return merged
