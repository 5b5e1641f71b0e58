"""Public pages: what the service does for people whose posts train AI models."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..db import get_db

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """The home page: the three rights in plain words."""
    return render_template("pages/home.html")


@bp.get("/healthz")
def health():
    """Liveness and store check for load balancers."""
    get_db().execute("SELECT 1").fetchone()
    return {"status": "ok"}
