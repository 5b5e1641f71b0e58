"""dsr_app: GDPR data subject rights requests about AI training data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from . import config, db


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

    from .web import public

    app.register_blueprint(public.bp)
    return app
