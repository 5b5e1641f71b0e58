"""Staff pages: login, the deadline-ordered queue, a case with its decision form,
the dashboard and the transparency report. Sessions are server-side
(staff/sessions.py); every form carries a CSRF token (Flask-WTF), so a decision
cannot be forged from another origin."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from dsr_app import audit, deadlines
from dsr_app.errors import BadInput, Conflict, TooManyAttempts
from dsr_app.review import queue as review
from dsr_app.review.dashboard import dashboard_data
from dsr_app.review.notices import decide_and_notify
from dsr_app.server.auth import require_role, session_staff
from dsr_app.server.connection import get_db
from dsr_app.server.responses import csv_response, letter_response
from dsr_app.server.security import refuse_cross_site
from dsr_app.staff import accounts, logins, sessions
from dsr_app.web.devices import remember_device, trusted_device

bp = Blueprint("staff_web", __name__, url_prefix="/staff")
LEGAL = ("legal", "admin")
STAFF = ("legal", "training", "admin")
LOGIN = "staff_web.login"  # where a browser without a live session is sent
ENGLISH_NAMES = {"en": "English", "de": "German", "fr": "French"}  # staff read English


@bp.app_context_processor
def _staff_context() -> dict:
    return {"staff_user": g.get("staff_user")}


def home_page(user: dict) -> str:
    """Where a role starts: the queue for legal staff, removal lists for training."""
    if user["role"] == "training":
        return url_for("staff_web.removals")
    return url_for("staff_web.queue")


def _safe_next(target: str | None, user: dict) -> str:
    """Where to go after logging in: ``next`` when it is a path of our own staff
    pages, else the role's home.

    A ``next`` that is not such a path is ignored rather than refused: the link was
    made by someone else, and the person logging in did nothing wrong. A line break
    in it made the redirect's header fail (a 500: issue 16, finding 10); a
    backslash, a scheme, ``//`` or any control character could lead a browser
    off-site (no open redirect).
    """
    if (
        target
        and target.startswith("/staff/")
        and "//" not in target
        and "\\" not in target
        and target.isascii()
        and target.isprintable()
    ):
        return target
    return home_page(user)


def _login_refused(retry_after: int):
    """The login form again, with the real wait (429, Retry-After)."""
    minutes = -(-retry_after // 60)
    error = (
        f"Too many login attempts: try again in {retry_after} seconds."
        if retry_after < 60
        else f"Too many login attempts: try again in {minutes} minutes."
    )
    page = render_template("staff/login.html", error=error)
    return page, 429, {"Retry-After": str(retry_after)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail and password."""
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()[:320]
        at = deadlines.now()
        attempt = None
        if current_app.config["RATELIMIT_ENABLED"]:
            # Counted before the password is checked (parallel tries count exactly);
            # a success takes its count back (issue 16, finding 7).
            try:
                attempt = logins.admit(
                    get_db(),
                    email,
                    request.remote_addr or "",
                    trusted_device(email),
                    at,
                )
            except TooManyAttempts as exc:
                return _login_refused(exc.retry_after or 60)
        user = accounts.check_password(
            get_db(), request.form.get("email", ""), request.form.get("password", "")
        )
        if user:
            if attempt is not None:
                logins.succeeded(get_db(), attempt)
            # End any session this browser had, then start afresh (no fixation).
            sessions.end_session(get_db(), session.get("staff_sid"), at)
            session.clear()
            audit.append(get_db(), f"staff:{user['id']}", "staff_login", None, {}, at)
            session["staff_sid"] = sessions.start_session(
                get_db(), user["id"], deadlines.now()
            )
            response = redirect(_safe_next(request.args.get("next"), user), code=303)
            remember_device(response, email)
            return response
        error = "wrong e-mail or password"
        audit.append(
            get_db(), "unknown", "staff_login_failed", None, {"email": email}, at
        )
    return render_template("staff/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session on the server and in the browser."""
    user = session_staff()
    sessions.end_session(get_db(), session.get("staff_sid"), deadlines.now())
    if user:
        audit.append(
            get_db(), f"staff:{user['id']}", "staff_logout", None, {}, deadlines.now()
        )
    session.clear()
    return redirect(url_for("staff_web.login"), code=303)


@bp.get("/")
@require_role(*LEGAL, login=LOGIN)
def queue():
    """Requests ordered by due date, with counts and filters."""
    status = request.args.get("status") or None
    kind = request.args.get("type") or None
    data = review.queue(get_db(), deadlines.now(), status, kind)
    return render_template("staff/queue.html", data=data, status=status, kind=kind)


@bp.get("/requests/<request_id>")
@require_role(*LEGAL, login=LOGIN)
def case(request_id: str):
    """One case: request, channels, accounts, matches, draft letter, trail."""
    from dsr_app.letter_facts import LABELS, unset
    from dsr_app.review.grounds import form_choices
    from dsr_app.review.letters import letter_context, render

    db = get_db()
    data = review.case(db, request_id, deadlines.now())
    context = letter_context(db, request_id, current_app.config, deadlines.now())
    draft = render(context, "txt").body.decode()
    return render_template(
        "staff/case.html",
        case=data,
        draft=draft,
        draft_kind=context["kind"],
        # Facts its letters will say they do not state (letter_facts.py, issue 18).
        unset_facts=[LABELS[k] for k in unset(current_app.config, context["lang"])],
        facts_lang=context["lang"],
        # The letter's language and the grounds and reasons to choose (grounds.py).
        letter_language=ENGLISH_NAMES[context["lang"]],
        letter_lang=context["lang"],
        choices=form_choices(data["type"], context["lang"], context["t"]),
        error=session.pop("case_error", None),  # set by decide(), not by a URL
        message=session.pop("case_message", None),  # a measure recorded
        today=deadlines.now().date().isoformat(),
    )


@bp.post("/requests/<request_id>/decision")
@require_role(*LEGAL, login=LOGIN)
def decide(request_id: str):
    """Take the decision of the case page's form."""
    form = request.form
    include = [
        m[len("m:") :] for m, v in form.items() if m.startswith("m:") and v == "1"
    ]
    exclude = [
        m[len("m:") :] for m, v in form.items() if m.startswith("m:") and v == "0"
    ]
    try:
        decide_and_notify(
            get_db(),
            current_app.config,
            request_id,
            form.get("decision", ""),
            session_staff(),
            deadlines.now(),
            form.get("reason"),
            include,
            exclude,
            Path(current_app.config["INSTANCE_DIR"]),
            # The page asks for the ground of every erasure it approves (issue 18).
            erasure_ground=form.get("erasure_ground") or None
            if form.get("decision") == "approve"
            else None,
            reason_codes=form.getlist("reason_codes"),
            ground_required=True,
        )
    except (BadInput, Conflict) as exc:
        session["case_error"] = exc.message
    return redirect(url_for("staff_web.case", request_id=request_id), code=303)


@bp.get("/requests/<request_id>/letter")
@require_role(*LEGAL, login=LOGIN)
def draft_letter(request_id: str):
    """The draft letter (format=html|pdf|txt)."""
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf", "txt"):
        abort(400)
    return letter_response(request_id, fmt)


@bp.get("/dashboard")
@require_role(*STAFF, login=LOGIN)
def dashboard():
    """Counts, overdue requests, median days to answer, requests per week."""
    # Training staff too: it holds counts and runs, nothing of a person (issue 19).
    return render_template(
        "staff/dashboard.html", data=dashboard_data(get_db(), deadlines.now())
    )


@bp.get("/report")
@require_role(*STAFF, login=LOGIN)
def report():
    """The transparency report with its charts (issue 19, item 5)."""
    from dsr_app.training.report import report_charts, transparency_report

    data = transparency_report(get_db(), deadlines.now())
    return render_template("staff/report.html", report=data, charts=report_charts(data))


@bp.get("/removals")
@require_role("training", "admin", login=LOGIN)
def removals():
    """Removal lists not yet acknowledged, and the key that signs them."""
    from dsr_app.web.training import removals_page

    return render_template(
        "staff/removals.html",
        **removals_page(),
        message=session.pop("removals_message", None),  # set by acknowledge()
        error=session.pop("removals_error", None),
    )


@bp.post("/removals/<list_id>/ack")
@require_role("training", "admin", login=LOGIN)
def acknowledge(list_id: str):
    """Acknowledge, from the removals page, that a list was applied to a version."""
    from marshmallow import ValidationError

    from dsr_app.removal.acknowledgements import acknowledge as record_ack
    from dsr_app.schemas.removal import AckSchema

    try:
        data = AckSchema().load(
            {
                "dataset": request.form.get("dataset", ""),
                "dataset_version": request.form.get("dataset_version", "").strip(),
            }
        )
        record_ack(
            get_db(),
            list_id,
            data["dataset"],
            data["dataset_version"],
            session_staff()["id"],
            deadlines.now(),
            current_app.config,
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.normalized_messages().items()))
        session["removals_error"] = f"{field}: {' '.join(messages)}"
    except BadInput as exc:
        session["removals_error"] = exc.message
    else:
        session["removals_message"] = (
            f"List {list_id} acknowledged for {data['dataset']}"
            f" version {data['dataset_version']}."
        )
    return redirect(url_for("staff_web.removals"), code=303)


@bp.get("/removals/<list_id>")
@require_role("training", "admin", "legal", login=LOGIN)
def removal_list(list_id: str):
    """Download a removal list (format=json|csv) with the browser session."""
    from flask import jsonify

    from dsr_app.removal.acknowledgements import hand_out
    from dsr_app.server.responses import list_filename

    fmt = "csv" if request.args.get("format") == "csv" else "json"
    refuse_cross_site()  # the download is audited in this user's name
    # NotFound -> the HTML 404 page
    document = hand_out(get_db(), list_id, session_staff()["id"], fmt, deadlines.now())
    if fmt == "csv":
        return csv_response(document)
    response = jsonify(document)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{list_filename(document, "json")}"'
    )
    return response
