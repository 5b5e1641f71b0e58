"""dsr_app: GDPR data subject rights requests about AI training data.

Importing the package imports no web framework: the domain packages, the CLI's
commands and the Spark jobs load without Flask; ``create_app`` imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: Mapping | None = None) -> Flask:
    """The Flask app: defaults, then ``DSR_*`` environment, then ``test_config``."""
    # Here, not at the top: see the module's docstring.
    from flask import Flask

    from dsr_app import bidi, config, file_modes, letter_facts
    from dsr_app.api import init_api
    from dsr_app.errors import BadInput
    from dsr_app.identifiers import PhonePolicy
    from dsr_app.messaging import BACKENDS
    from dsr_app.server import connection
    from dsr_app.server.security import csrf, init_security
    from dsr_app.web import lookup, public, staff, training

    file_modes.private_umask()  # the store, keys and secrets: 0600 (issue 16)
    app = Flask(
        __name__,
        template_folder=str(config.package_resource("templates")),
        static_folder=None,
    )
    # Every value a page shows, with its bidirectional controls as visible markers
    # (issue 16, finding 11): set before anything creates the Jinja environment.
    app.jinja_options = {**app.jinja_options, "finalize": bidi.neutralise}
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_prefixed_env("DSR")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["DB"] = str(config.resolve_db_path(app.config.get("DB")))
    # Recorded before anything resolves a path, so that the audit log keys and
    # anchors where the views keep the other secrets (one resolver).
    config.record_app_paths(Path(app.config["DB"]), app.config)
    folder = config.instance_dir(Path(app.config["DB"]))
    app.config["INSTANCE_DIR"] = str(folder)
    # Checked before anything is written there; on stderr, as the log is.
    file_modes.check_private(
        Path(app.config["DB"]),
        folder,
        strict=bool(app.config["STRICT_FILE_MODES"]),
        warn=lambda line: print(line, file=sys.stderr),
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.instance_secret(folder, "flask_secret_key")
    if app.config["MAIL_BACKEND"] not in BACKENDS:  # fail at start, not per message
        raise BadInput("DSR_MAIL_BACKEND", f"must be one of {', '.join(BACKENDS)}")
    PhonePolicy.from_config(app.config)  # a wrong DSR_SMS_REGIONS fails at start
    letter_facts.check(app.config)  # so does a wrong DSR_LETTER_FACTS file
    connection.init_app(app)

    init_security(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(lookup.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(training.bp)
    init_api(app)
    for blueprint in app.blueprints.values():
        if blueprint.name not in ("public", "lookup", "staff_web", "staff_runs"):
            # The API takes JSON bodies only; a staff session's changes must come
            # from our own origin (server/auth.current_staff), not a form token.
            csrf.exempt(blueprint)
    return app
