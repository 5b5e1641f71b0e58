"""The JSON API under ``/api/v1``: OpenAPI settings and its blueprints.

The error contract is errors.py's, the checks of a body parsing.py's; the views
are in requests.py, staff.py, removal_lists.py, training.py and report.py.
"""

from __future__ import annotations

from flask import Flask

from dsr_app.api import removal_lists, report, requests, staff, training
from dsr_app.api.errors import Api, init_errors
from dsr_app.api.parsing import check_body


def init_api(app: Flask) -> Api:
    """Configure OpenAPI, the error contract and the API blueprints."""
    app.config.setdefault("API_TITLE", "dsr_app")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "statusToken": {"type": "http", "scheme": "bearer"},
                    "staffToken": {"type": "http", "scheme": "bearer"},
                    # The staff pages' session (contract section 5); changes made
                    # with it must come from this site (server/auth.current_staff).
                    "staffSession": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "__Host-dsr_session",
                    },
                }
            }
        },
    )
    app.before_request(check_body)
    init_errors(app)
    api.register_blueprint(requests.blp)
    api.register_blueprint(staff.blp)
    api.register_blueprint(removal_lists.blp)
    api.register_blueprint(training.blp)
    api.register_blueprint(report.blp)
    return api
