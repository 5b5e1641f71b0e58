"""Load the demo world in ``fixtures/`` (idempotent) for ``dsr serve --demo``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import sqlite_utils

from dsr_app.config import package_resource
from dsr_app.corpus.accounts import import_accounts
from dsr_app.corpus.ingest import ingest
from dsr_app.staff.accounts import add_staff, staff_exists


@dataclass
class DemoReport:
    """What loading the demo did."""

    records: int = 0
    unchanged_files: int = 0
    accounts: str = ""
    staff: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the console."""
        return (
            f"demo loaded: {self.records:,} new records "
            f"({self.unchanged_files} manifest files unchanged); {self.accounts}"
        )


def demo_config(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """Settings the demo brings: its controller's letter facts in en, de and fr
    (fixtures/letter_facts.toml), so that its letters are complete, unless
    ``DSR_LETTER_FACTS`` names another file."""
    environ = os.environ if environ is None else environ
    if environ.get("DSR_LETTER_FACTS"):
        return {}
    return {"LETTER_FACTS": str(package_resource("fixtures") / "letter_facts.toml")}


def load_demo(
    db: sqlite_utils.Database,
    fixtures: Path | None = None,
    echo: Callable[[str], None] = lambda line: None,
) -> DemoReport:
    """Ingest the demo manifests and registry and create the demo staff users.

    Safe to run on every start: unchanged files are skipped by their hash and staff
    users that exist are left alone.
    """
    fixtures = fixtures or package_resource("fixtures")
    report = DemoReport()
    for entry in orjson.loads((fixtures / "manifests.json").read_bytes()):
        result = ingest(
            db, [fixtures / entry["path"]], entry["dataset"], entry["version"]
        )
        report.records += result.records
        report.unchanged_files += sum(f.status == "unchanged" for f in result.files)
        echo(f"  {entry['path']}: {result.summary()}")
    report.accounts = import_accounts(db, fixtures / "accounts.jsonl").summary()
    for line in (fixtures / "staff.jsonl").read_bytes().splitlines():
        user = orjson.loads(line)
        if not staff_exists(db, user["email"]):
            add_staff(db, user["email"], user["role"], user["password"])
        report.staff.append(f"{user['email']} / {user['password']} ({user['role']})")
    return report
