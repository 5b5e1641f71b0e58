"""The ``dsr`` command: thin click adapters over the domain functions.

The group is defined here and each module of this package adds its commands, so
that no command module imports this one.
"""

from __future__ import annotations

import click

from dsr_app import file_modes
from dsr_app.cli.audit import audit
from dsr_app.cli.corpus import accounts, ingest_command
from dsr_app.cli.matching import sweep_command
from dsr_app.cli.options import DsrGroup
from dsr_app.cli.removal import keys, outbox, removals
from dsr_app.cli.report import report
from dsr_app.cli.serve import serve
from dsr_app.cli.staff import staff
from dsr_app.cli.training import gate, runs


@click.group(cls=DsrGroup)
@click.version_option(package_name="dsr_app")
def cli() -> None:
    """dsr_app: GDPR access, objection and erasure requests for AI training data."""
    file_modes.private_umask()  # what any command creates is ours alone (issue 16)


for _command in (
    serve,
    ingest_command,
    outbox,
    sweep_command,
    staff,
    audit,
    removals,
    keys,
    accounts,
    runs,
    gate,
    report,
):
    cli.add_command(_command)
