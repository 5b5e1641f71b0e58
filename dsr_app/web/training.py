"""Staff pages of the training teams: the training runs, each with its flag, a
form to register one (issue 19, item 1) and one to ask the clearance gate of a
dataset version (item 2); what the removal lists page shows beside its forms
(the open lists, the key that signs them: issue 21, item 2) and the key's
download. Forms that write carry a CSRF token as every staff form."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from marshmallow import ValidationError

from dsr_app import deadlines
from dsr_app.errors import BadInput, NotFound
from dsr_app.i18n import long_datetime
from dsr_app.removal.acknowledgements import open_lists
from dsr_app.schemas.training import RUN_STATUSES, MeasureCreateSchema, RunCreateSchema
from dsr_app.server.auth import require_role, session_staff
from dsr_app.server.connection import get_db
from dsr_app.signing import fingerprint, key_id, public_key_b64
from dsr_app.training.clearance import clearance
from dsr_app.training.measures import add_measure
from dsr_app.training.runs import add_run, list_runs

bp = Blueprint("staff_runs", __name__, url_prefix="/staff")
LOGIN = "staff_web.login"
TRAINING = ("training", "admin")


@bp.app_template_filter("human_time")
def human_time(stored: str | None) -> str:
    """A stored ISO 8601 time as staff read it: ``7 December 2026, 13:51 UTC``
    (the training pages are in English)."""
    return long_datetime(datetime.fromisoformat(stored), "en") if stored else "—"


def _public_key() -> dict:
    """The instance's removal-list key as ``dsr keys public`` prints it, its
    fingerprint and the name it is downloaded under."""
    value = public_key_b64(Path(current_app.config["INSTANCE_DIR"]))
    filename = f"dsr-public-key-{key_id(value)}.txt"
    return {"value": value, "fingerprint": fingerprint(value), "filename": filename}


def removals_page() -> dict:
    """What /staff/removals shows beside its messages: the lists still to
    acknowledge (acknowledgements.open_lists) and the key that signs them."""
    return {"lists": open_lists(get_db()), "key": _public_key()}


@bp.get("/removals/public-key")
@require_role(*TRAINING, "legal", login=LOGIN)
def public_key():
    """Download the public key that signs removal lists: the base64 line
    ``dsr keys public`` prints, a file ``--public-key`` reads as it is."""
    key = _public_key()
    response = Response(key["value"] + "\n", mimetype="text/plain")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{key["filename"]}"'
    )
    return response


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


@bp.get("/runs/clearance")
@require_role(*TRAINING, "legal", login=LOGIN)
def gate():
    """The runs page with the clearance gate's answer for one dataset version:
    the signed answer the API and ``dsr gate check`` give, its pending lists
    named (issue 19, item 2). It only reads: a GET, no CSRF token."""
    asked = {k: request.args.get(k, "").strip() for k in ("dataset", "version")}
    answer, problem, code = None, None, 200
    if not all(asked.values()):
        problem, code = "dataset and version: both are required", 400
    else:
        folder = Path(current_app.config["INSTANCE_DIR"])
        try:
            answer = clearance(
                get_db(), asked["dataset"], asked["version"], folder, deadlines.now()
            )
        except NotFound as exc:  # a version never ingested: nothing is known
            problem, code = exc.message, 404
    page = render_template(
        "staff/runs.html",
        runs=list_runs(get_db()),
        statuses=RUN_STATUSES,
        gate=answer,
        gate_error=problem,
        asked=asked,
    )
    return page, code


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


@bp.post("/runs/<int:run_id>/measures")
@require_role(*TRAINING, "legal", login=LOGIN)
def measure(run_id: int):
    """Record a measure for a run's model version from a case page's form: for
    the case's person (``scope=person``) or the whole model; back to the case."""
    form = request.form
    request_id = form.get("request_id", "")
    body = {
        "kind": form.get("kind", ""),
        "taken_on": form.get("taken_on", "").strip(),
        **({"request_id": request_id} if form.get("scope") == "person" else {}),
        **({"notes": form["notes"].strip()} if form.get("notes", "").strip() else {}),
    }
    if form.get("replacement_run_id", "").strip().isdigit():
        body["replacement_run_id"] = int(form["replacement_run_id"])
    actor = f"staff:{session_staff()['id']}"
    try:
        data = MeasureCreateSchema().load(body)
        found = add_measure(get_db(), run_id, data, actor, deadlines.now())
    except ValidationError as exc:
        field, messages = next(iter(exc.normalized_messages().items()))
        session["case_error"] = f"Measure not recorded: {field}: {messages}"
    except (BadInput, NotFound) as exc:
        session["case_error"] = f"Measure not recorded: {exc.message}"
    else:
        session["case_message"] = f"Measure {found['id']} recorded for run {run_id}."
    if not request_id:
        return redirect(url_for("staff_runs.runs"), code=303)
    return redirect(url_for("staff_web.case", request_id=request_id), code=303)
