"""dsr_app: GDPR data subject rights requests about AI training data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from . import config, db
from .errors import DsrError


def create_app(test_config: Mapping | None = None) -> Flask:
    """The Flask app: defaults, then ``DSR_*`` environment, then ``test_config``."""
    app = Flask(
        __name__,
        template_folder=str(config.package_resource("templates")),
        static_folder=None,
    )
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_prefixed_env("DSR")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["DB"] = str(config.resolve_db_path(app.config.get("DB")))
    folder = config.instance_dir(Path(app.config["DB"]), app.config["INSTANCE_DIR"])
    app.config["INSTANCE_DIR"] = str(folder)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.instance_secret(folder, "flask_secret_key")
    db.init_app(app)

    from .api import domain_error, init_api, is_api_request
    from .web import public
    from .web.security import csrf, init_security

    init_security(app)
    app.register_blueprint(public.bp)
    api = init_api(app)
    for blueprint in api._app.blueprints.values():
        if blueprint.name != "public":
            csrf.exempt(blueprint)  # the API takes bearer tokens and JSON only

    @app.errorhandler(DsrError)
    def _domain_error(exc: DsrError):
        if is_api_request():
            return domain_error(exc)
        status = domain_error(exc).status_code
        error = HTTPException(exc.message)
        error.code = status
        return render_template("pages/error.html", error=error), status

    return app
