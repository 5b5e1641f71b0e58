"""Staff page of training runs: the list, each with its flag, and a form to
register one (issue 19, item 1). Forms carry a CSRF token as every staff form."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from dsr_app import deadlines
from dsr_app.errors import BadInput
from dsr_app.schemas.training import RUN_STATUSES, RunCreateSchema
from dsr_app.server.auth import require_role, session_staff
from dsr_app.server.connection import get_db
from dsr_app.training.runs import add_run, list_runs

bp = Blueprint("staff_runs", __name__, url_prefix="/staff")
LOGIN = "staff_web.login"
TRAINING = ("training", "admin")


@bp.get("/runs")
@require_role(*TRAINING, "legal", login=LOGIN)
def runs():
    """Every training run, newest first, flagged ones marked; the form to add one."""
    return render_template(
        "staff/runs.html",
        runs=list_runs(get_db()),
        statuses=RUN_STATUSES,
        message=session.pop("runs_message", None),  # set by add()
        error=session.pop("runs_error", None),
    )


@bp.post("/runs")
@require_role(*TRAINING, login=LOGIN)
def add():
    """Register a run from the page's form (one dataset version per line)."""
    form = request.form
    lines = [line.split() for line in form.get("datasets", "").splitlines()]
    body = {
        "model": form.get("model", "").strip(),
        "model_version": form.get("model_version", "").strip(),
        "datasets": [
            {"dataset": p[0], "dataset_version": p[-1] if len(p) > 1 else ""}
            for p in lines
            if p
        ],
        "status": form.get("status", ""),
        **{
            k: form[k].strip()
            for k in ("started_at", "finished_at", "notes")
            if form.get(k, "").strip()
        },
    }
    try:
        data = RunCreateSchema().load(body)
        run = add_run(get_db(), data, f"staff:{session_staff()['id']}", deadlines.now())
    except ValidationError as exc:
        field, messages = next(iter(exc.normalized_messages().items()))
        session["runs_error"] = f"{field}: {messages}"
    except BadInput as exc:
        session["runs_error"] = exc.message
    else:
        flag = " It is FLAGGED: " + run["flag_reason"] if run["flagged"] else ""
        session["runs_message"] = f"Run {run['id']} registered.{flag}"
    return redirect(url_for("staff_runs.runs"), code=303)
