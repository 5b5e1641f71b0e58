"""dsr_app: GDPR data subject rights requests about AI training data."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from dsr_app import bidi, config, db, file_modes
from dsr_app.errors import BadInput, DsrError


def create_app(test_config: Mapping | None = None) -> Flask:
    """The Flask app: defaults, then ``DSR_*`` environment, then ``test_config``."""
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
    from dsr_app.messaging import BACKENDS

    if app.config["MAIL_BACKEND"] not in BACKENDS:  # fail at start, not per message
        raise BadInput("DSR_MAIL_BACKEND", f"must be one of {', '.join(BACKENDS)}")
    from dsr_app.identifiers import PhonePolicy

    PhonePolicy.from_config(app.config)  # a wrong DSR_SMS_REGIONS fails at start
    db.init_app(app)

    from dsr_app.api import (
        domain_error,
        init_api,
        is_api_request,
        public_message,
        wait_headers,
    )
    from dsr_app.server.security import csrf, init_security
    from dsr_app.web import public

    init_security(app)
    app.register_blueprint(public.bp)
    from dsr_app.web import staff as staff_web

    app.register_blueprint(staff_web.bp)
    api = init_api(app)
    for blueprint in api._app.blueprints.values():
        if blueprint.name not in ("public", "staff_web"):
            # The API takes JSON bodies only; a staff session's changes must come
            # from our own origin (api/staff.current_staff), not a form token.
            csrf.exempt(blueprint)

    @app.errorhandler(DsrError)
    def _domain_error(exc: DsrError):
        if is_api_request():
            return domain_error(exc)
        status = domain_error(exc).status_code
        error = HTTPException(public_message(exc))
        error.code = status
        page = render_template("pages/error.html", error=error)
        return page, status, wait_headers(exc)

    @app.errorhandler(sqlite3.OperationalError)
    def _store_busy(exc: sqlite3.OperationalError):
        # A long ingest holds the write lock; writers wait 30 s, then get a 503
        # with Retry-After instead of a 500 (nothing was half-written).
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise exc
        error = ServiceUnavailable("the store is busy; try again shortly")
        if is_api_request():
            response = jsonify({"error": error.description})
        else:
            response = app.make_response(
                (render_template("pages/error.html", error=error), 503)
            )
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response

    return app
