"""Staff pages: login, the deadline-ordered queue, a case with its decision form,
the dashboard and the transparency report. Sessions are server-side
(staff/sessions.py); every form carries a CSRF token (Flask-WTF), so a decision
cannot be forged from another origin."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError

from dsr_app import audit, deadlines
from dsr_app.errors import BadInput, Conflict, TooManyAttempts
from dsr_app.review import confirm, worklist
from dsr_app.review.confirm import Draft
from dsr_app.review.dashboard import dashboard_data
from dsr_app.review.notices import decide_and_notify
from dsr_app.server.auth import require_role, session_staff
from dsr_app.server.connection import get_db
from dsr_app.server.responses import csv_response, issued_response, letter_response
from dsr_app.server.security import csrf, refuse_cross_site
from dsr_app.staff import accounts, logins, sessions
from dsr_app.web import case_page, staff_words
from dsr_app.web.devices import remember_device, trusted_device
from dsr_app.web.staff_words import status_word

bp = Blueprint("staff_web", __name__, url_prefix="/staff")
LEGAL = ("legal", "admin")
STAFF = ("legal", "training", "admin")
LOGIN = "staff_web.login"  # where a browser without a live session is sent
#: What the case page says once a decision is taken (issue 21, item 1).
DONE = {
    "approve": "Approved: the letter was issued and sent. The case is now {status}.",
    "reject": "Rejected: the letter was issued and sent. The case is now {status}.",
    "extend": "Extended by two months: the notice was sent to the person.",
    "request_info": "Information asked for: the questions were sent; the clock"
    " is paused until the person answers.",
}
staff_words.register(bp)


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
            kept = request.form.get("draft_request", "")
            if kept and user["role"] in LEGAL:
                # A decision posted after the session ended: its form again.
                g.staff_user = user
                draft = Draft.from_form(request.form)
                response = make_response(case_page.render_case(kept, draft))
            remember_device(response, email)
            return response
        error = "wrong e-mail or password"
        audit.append(
            get_db(), "unknown", "staff_login_failed", None, {"email": email}, at
        )
    kept = request.form.get("draft_request") if error else None
    page = render_template(
        "staff/login.html",
        error=error,
        email=request.form.get("email", "")[:320],  # kept; the password is not
        draft=Draft.from_form(request.form) if kept else None,
        draft_request=kept,
    )
    return page, (401 if error else 200)


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
    """The work list: search, open and closed apart, filters, pages."""
    filters = worklist.Filters.from_args(request.args)
    user = session_staff()
    data = worklist.find_cases(get_db(), deadlines.now(), filters, user["id"])
    return render_template(
        "staff/queue.html",
        data=data,
        filters=filters,
        message=session.pop("queue_message", None),
    )


@bp.get("/requests/<request_id>")
@require_role(*LEGAL, login=LOGIN)
def case(request_id: str):
    """One case: facts, timeline, matches, the letter and the decision."""
    return case_page.render_case(request_id)


@bp.post("/requests/<request_id>/work")
@require_role(*LEGAL, login=LOGIN)
def work(request_id: str):
    """Assign the case (``assignee``: a staff id, ``me`` or empty) and keep a note."""
    form, user = request.form, session_staff()
    actor, at = f"staff:{user['id']}", deadlines.now()
    saved = "Saved."
    try:
        if "assignee" in form:
            chosen = _assignee(form["assignee"], user["id"])
            worklist.assign(get_db(), request_id, chosen, actor, at)
        if "note" in form:
            worklist.set_note(get_db(), request_id, form["note"], actor, at)
    except BadInput as exc:
        session["case_error"], saved = exc.message, None
    back = form.get("back", "")
    if back.startswith("/staff/") and _safe_next(back, user) == back:
        session["queue_message"] = saved
        return redirect(back, code=303)
    session["case_message"] = saved
    return redirect(url_for("staff_web.case", request_id=request_id), code=303)


def _assignee(given: str, me: int) -> int | None:
    """The staff id a case is given to: ``me``, an id, or nobody (empty).

    :raises BadInput: anything else (never taken as "nobody").
    """
    given = given.strip()
    if given == "me":
        return me
    if not given:
        return None
    if given.isascii() and given.isdigit() and len(given) <= 18:
        return int(given)
    raise BadInput("assignee", "no legal staff user of that id")


def _same_origin() -> bool:
    """Whether the browser says this post came from one of our pages
    (``Sec-Fetch-Site``, else ``Origin``, else ``Referer``); a client that sends
    none of them is no browser a forged page could drive."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    # The host alone: behind a proxy that ends TLS the scheme we see is not the
    # browser's, and the session cookie is only ever sent over HTTPS.
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    return sent is None or urlsplit(sent).netloc == request.host


@bp.post("/requests/<request_id>/decision")
@csrf.exempt  # checked below, once the session is known to be live
def decide(request_id: str):
    """Take the decision of the case page's form, after its confirmation.

    Without ``confirm`` the page shows what will be sent and removed; ``edit``
    goes back to the form as it was. Posted without a live session (it ended,
    or the browser logged out), the login page keeps the form (issue 21).
    """
    user = session_staff()
    if user is None:  # nothing of the case is read before a login
        if not _same_origin():
            # Only our own page's form is kept: a post forged on another site
            # must not fill the form a staff member finds after logging in.
            case = url_for("staff_web.case", request_id=request_id)
            return redirect(url_for("staff_web.login", next=case), code=303)
        return case_page.render_login_keeping(request_id, Draft.from_form(request.form))
    if user["role"] not in LEGAL:
        abort(403, "your role may not do this")
    case_data, row = case_page.case_values(request_id)  # NotFound: 404 page
    draft = Draft.from_form(request.form, case_data["items"])
    try:
        csrf.protect()
    except CSRFError:
        error = "The form had expired: check it and send it again."
        return case_page.render_case(request_id, draft, error, 400)
    if request.form.get("edit"):
        return case_page.render_case(request_id, draft)
    try:
        if not request.form.get("confirm"):
            summary = confirm.summary(get_db(), case_data, draft, row)
            return case_page.render_confirmation(request_id, draft, summary)
        state = decide_and_notify(
            get_db(),
            current_app.config,
            request_id,
            draft.decision,
            user,
            deadlines.now(),
            draft.reason,
            draft.include,
            draft.exclude,
            Path(current_app.config["INSTANCE_DIR"]),
            # The page asks for the ground of every erasure it approves (issue 18).
            erasure_ground=draft.erasure_ground or None
            if draft.decision == "approve"
            else None,
            reason_codes=draft.reason_codes,
            ground_required=True,
        )
    except (BadInput, Conflict) as exc:
        return case_page.render_case(request_id, draft, exc.message, 400)
    session["case_message"] = DONE[draft.decision].format(
        status=status_word(state["status"])
    )
    return redirect(url_for("staff_web.case", request_id=request_id), code=303)


@bp.get("/requests/<request_id>/letters/<letter_id>")
@require_role(*LEGAL, login=LOGIN)
def issued_letter(request_id: str, letter_id: str):
    """An issued letter as sent (format=html|pdf|txt)."""
    from dsr_app.review.issued import fetch

    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf", "txt"):
        abort(400)
    return issued_response(fetch(get_db(), request_id, letter_id), fmt)


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
