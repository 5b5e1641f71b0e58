"""Public pages: home, the request form, the code page and the status page.

Server-rendered and usable without JavaScript. The browser session remembers the
requests filed or opened in it; that, not a secret in a URL, is what lets the person
see a status page (a link's one-time token is exchanged for the session at once).
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from marshmallow import ValidationError

from dsr_app import deadlines, letter_facts
from dsr_app.cases.channels import resend_code, verify_channel
from dsr_app.cases.filing import create_request
from dsr_app.cases.replies import reply
from dsr_app.cases.status import redeem_status_link, request_row, status_view
from dsr_app.errors import BadInput, Conflict, NotFound, TooManyAttempts
from dsr_app.i18n import country_names, language, long_date, text, wait_words
from dsr_app.i18n.messages import page_errors
from dsr_app.regions import EU_EEA
from dsr_app.review import authorities
from dsr_app.schemas.requests import ReplySchema, RequestCreateSchema
from dsr_app.server.connection import get_db
from dsr_app.server.ratelimit import rate_limited, refusal_wait
from dsr_app.server.responses import answer_response, issued_response
from dsr_app.server.security import code_key, run_jobs_after_response
from dsr_app.sql import check
from dsr_app.training.exposure import for_request
from dsr_app.web.language import current_language, page_context
from dsr_app.web.masks import masked_email, masked_phone
from dsr_app.web.sessions import remember as _remember
from dsr_app.web.sessions import session_request as _session_request

bp = Blueprint("public", __name__)


# App-wide: the staff pages' templates use the language and t() too.
bp.app_context_processor(page_context)


@bp.get("/")
def home():
    """The home page: the three rights in plain words, the form one click away."""
    return render_template("pages/home.html")


@bp.get("/logo")
def logo():
    """The controller's logo (``DSR_CONTROLLER_LOGO``), or 404 when none is set."""
    found = letter_facts.logo(current_app.config)
    if found is None:
        abort(404)
    return send_file(found[0], mimetype=found[1], max_age=3600)


@bp.get("/healthz")
def health():
    """Liveness and store check for load balancers."""
    check(get_db())
    return {"status": "ok"}


def _form_data(form) -> dict:
    """The form's fields as the API's JSON body (handles: comma or space
    separated; pointers: one a line)."""
    data = {
        key: form.get(key, "").strip()
        for key in (
            "type",
            "full_name",
            "email",
            "phone",
            "country",
            "region",
            "language",
            "details",
        )
    }
    data = {k: v for k, v in data.items() if v}
    handles = form.get("handles", "").replace(",", " ").split()
    if handles:
        data["handles"] = handles
    # Links or passages, one a line (issue 20, item 3); blank lines are no pointer.
    pointers = [line for line in form.get("pointers", "").splitlines() if line.strip()]
    if pointers:
        data["pointers"] = pointers
    return data


@bp.route("/request", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_CREATE", methods=("POST",))
def request_form():
    """One form for access, objection and erasure requests."""
    errors: dict = {}
    headers: dict = {}
    status = 400  # of a refused form
    values = {"language": current_language(), "type": request.args.get("type", "")}
    if request.method == "POST":
        values = dict(request.form)
        try:
            data = RequestCreateSchema().load(_form_data(request.form))
            created = create_request(
                get_db(), current_app.config, data, code_key(), deadlines.now()
            )
        except ValidationError as exc:  # said in the page's language (issue 18)
            errors = page_errors(exc.normalized_messages(), current_language())
            if "region" in errors:  # the form offers only Germany's Länder
                errors["region"] = [text(current_language(), "f_region_error")]
        except BadInput as exc:  # a phone we send no codes to (identifiers.sms_phone)
            errors = page_errors({exc.field: [exc.reason]}, current_language())
        except TooManyAttempts as exc:  # 3 a day for the address: 429, its wait
            (errors, headers), status = _refused(exc, "form"), 429
        else:
            _remember(created["id"])
            session["lang"] = data["language"]  # the language they asked us to use
            return redirect(url_for("public.verify_page"), code=303)
    status = status if errors else 200
    return (
        render_template(
            "pages/request_form.html",
            errors=errors,
            values=values,
            countries=country_names(EU_EEA, current_language()),
            # Germany has one authority per Land (issue 18, item 7).
            regions=authorities.region_names("DE", current_language()),
            status=status,
        ),
        status,
        headers,
    )


def _refused(exc: TooManyAttempts, field: str) -> tuple[dict, dict]:
    """A refusal that waiting lifts, as a page says it: its message and its real
    wait in words under ``field``, and the same wait as Retry-After (the longest
    of ours and of the address's limits that have no room left; issue 20, item 5).
    """
    lang = current_language()
    errors = page_errors({field: [exc.message]}, lang)
    wait = refusal_wait(exc.retry_after)
    if wait is None:
        return errors, {}
    errors[field].append(text(lang, "v_wait", wait=wait_words(wait, lang)))
    return errors, {"Retry-After": str(wait)}


@bp.get("/verify")
def verify_page():
    """Where the person enters the codes sent by e-mail and SMS."""
    return _verify(_session_request())


def _verify(row: dict, message=None, errors=None, focus: str | None = None):
    """The code page of ``row``: which code went where (masked), and ``focus`` on
    the field to fill next after a confirmation, a resend or a refusal, not the top
    of the page (issue 21, item 3)."""
    sent = {"email": masked_email(row["email"])}
    if row["phone"]:
        sent["phone"] = masked_phone(row["phone"])
    return render_template(
        "pages/verify.html",
        req=row,
        sent=sent,
        message=message,
        errors=errors or {},
        focus=focus,
    )


@bp.post("/verify")
@rate_limited("RATE_LIMIT_VERIFY")
def verify_submit():
    """Check one code (or send a new one) for the session's request."""
    row = _session_request()
    channel = request.form.get("channel")
    if channel not in ("email", "phone"):
        abort(400)
    errors: dict = {}
    headers: dict = {}
    message = None
    status = 400
    try:
        if request.form.get("action") == "resend":
            resend_code(
                get_db(),
                current_app.config,
                code_key(),
                row["id"],
                channel,
                deadlines.now(),
            )
            message = "resent"
        else:
            verify_channel(
                get_db(),
                code_key(),
                row["id"],
                channel,
                request.form.get("code", ""),
                deadlines.now(),
            )
            run_jobs_after_response()
            message = "verified"
    except TooManyAttempts as exc:
        # As the API answers: 429 with the real wait, here also in words (issue
        # 16, finding 13); it said 400 and no wait at all.
        errors, headers = _refused(exc, channel)
        status = 429
    except (BadInput, NotFound, Conflict) as exc:
        said = exc.reason if isinstance(exc, BadInput) else exc.message
        errors = page_errors({channel: [said]}, current_language())
        if isinstance(exc, Conflict):  # decided, expired, no codes left: for good
            status = 409
    row = _session_request()
    if (
        not errors
        and row["status"] != "pending_verification"
        and (not row["phone"] or row["phone_verified_at"])
    ):
        return redirect(url_for("public.status_page"), code=303)
    focus = channel
    if message == "verified":  # the next code still to enter
        focus = next(
            (c for c in ("email", "phone") if row[c] and not row[f"{c}_verified_at"]),
            None,
        )
    page = _verify(row, message, errors, focus)
    return page, (status if errors else 200), headers


@bp.get("/status")
def status_page():
    """Status and due date of the session's request, and its letter once answered."""
    return _status(_session_request())


def _status(row: dict, errors: dict | None = None, values=None, code: int = 200):
    """The status page of ``row``; while it is ``needs_info``, the staff's question
    and the reply form (``errors`` and ``values``: a refused reply, shown again)."""
    from datetime import date

    from dsr_app.review.letters import requester_may_read

    lang = current_language()
    view = status_view(get_db(), row, deadlines.now())
    # Dates read as the page's other dates do: "23. November 2026", not ISO.
    for removal in view["removals"]:  # pending (no day) until acknowledged
        acked = removal["acknowledged_at"]
        removal["day"] = acked and long_date(date.fromisoformat(acked[:10]), lang)
    for letter in view["letters"]:
        letter["day"] = long_date(date.fromisoformat(letter["issued_at"][:10]), lang)
    models = None
    if row["status"] == "completed":
        # The models trained on the person's items and, after the decision, the
        # later runs on data cleared of them (training.exposure; issue 19).
        models = for_request(get_db(), row, deadlines.now().isoformat())
        for run in (r for group in models.values() for r in group):
            run["day"] = long_date(date.fromisoformat(run["started_at"][:10]), lang)
            held = [v for v in run["versions"] if v["state"] == "held"]
            run["read"] = ", ".join(
                f"{v['dataset']} {v['dataset_version']}"
                for v in held or run["versions"]
            )
    paused_since = None
    if view["status"] == "needs_info" and row["info_requested_at"]:
        # Said only when the reply will really pause the clock (deadlines.py).
        country = row["controller_country"]
        asked = deadlines.receipt_day(
            datetime.fromisoformat(row["info_requested_at"]), country
        )
        received = date.fromisoformat(row["receipt_day"])
        if deadlines.asked_promptly(received, asked, country):
            paused_since = long_date(asked, lang)
    return render_template(
        "pages/status.html",
        req=row,
        view=view,
        due=long_date(date.fromisoformat(row["due_at"]), lang),
        received=long_date(date.fromisoformat(row["receipt_day"]), lang),
        request_language=language(row["language"]),
        letter=requester_may_read(row),
        paused_since=paused_since,
        models=models,
        errors=errors or {},
        values=values or {},
        phone_masked=row["phone"] and masked_phone(row["phone"]),
    ), code


@bp.post("/status/reply")
@rate_limited("RATE_LIMIT_VERIFY")
def status_reply():
    """Answer a request for information from the status page: the API's reply
    (cases.replies.reply), for a request this browser session was given by its
    link or filed itself, and no other (``request_id`` must be one of them)."""
    request_id = request.form.get("request_id", "")
    if request_id not in session.get("requests", []):
        abort(404)
    row = request_row(get_db(), request_id)  # NotFound -> 404
    lang = current_language()
    values = {k: request.form.get(k, "") for k in ("details", "handles", "phone")}
    data = {k: v.strip() for k, v in values.items() if v.strip()}
    if "handles" in data:
        data["handles"] = data["handles"].replace(",", " ").split()
    errors: dict = {}
    headers: dict = {}
    code = 400
    try:
        loaded = ReplySchema().load(data)
        reply(
            get_db(), current_app.config, code_key(), row["id"], loaded, deadlines.now()
        )
    except ValidationError as exc:
        found = exc.normalized_messages()
        errors = page_errors({k: v for k, v in found.items() if k != "_schema"}, lang)
        if "_schema" in found:
            errors["form"] = [text(lang, "s_reply_empty")]
    except BadInput as exc:  # a phone we send no codes to (identifiers.sms_phone)
        errors = page_errors({exc.field: [exc.reason]}, lang)
    except Conflict:  # answered already, or decided meanwhile
        errors, code = {"form": [text(lang, "s_reply_closed")]}, 409
    except TooManyAttempts as exc:  # codes for the new phone: 429, its wait
        (errors, headers), code = _refused(exc, "phone"), 429
    if errors:
        _remember(row["id"])  # the page shows the request that was answered
        page, code = _status(request_row(get_db(), row["id"]), errors, values, code)
        return page, code, headers
    run_jobs_after_response()
    _remember(row["id"])
    fresh = request_row(get_db(), row["id"])
    if fresh["phone"] and not fresh["phone_verified_at"]:
        # A new phone counts once its code is entered, on the code page.
        return redirect(url_for("public.verify_page"), code=303)
    return redirect(url_for("public.status_page"), code=303)


@bp.get("/r/<token>")
def status_link(token: str):
    """Take an e-mailed one-time link: keep its token in the session, drop it from
    the address bar. Nothing is spent yet: mail scanners that fetch links must not
    use it up, so the person confirms with a button (a POST with a CSRF token)."""
    session["pending_link"] = token
    return redirect(url_for("public.open_link"), code=303)


@bp.route("/r", methods=["GET", "POST"])
def open_link():
    """Confirm opening the request the e-mailed link points to."""
    token = session.get("pending_link")
    if request.method == "GET":
        if not token:
            return render_template("pages/link_expired.html"), 404
        return render_template("pages/open_link.html")
    session.pop("pending_link", None)
    try:
        request_id = redeem_status_link(get_db(), token or "", deadlines.now())
    except NotFound:
        return render_template("pages/link_expired.html"), 404
    _remember(request_id)
    session["lang"] = language(_session_request()["language"])
    return redirect(url_for("public.status_page"), code=303)


@bp.get("/status/letter")
def status_letter():
    """The letter of the session's request, once there is one (format=html|pdf|txt)."""
    from dsr_app.review.letters import handed_out, requester_may_read

    row = _session_request()
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf", "txt") or not requester_may_read(row):
        abort(404)
    response = answer_response(row, fmt)
    handed_out(get_db(), row["id"], "letter", fmt, deadlines.now())
    return response


@bp.get("/status/letters/<letter_id>")
def status_issued_letter(letter_id: str):
    """One letter issued to the session's request, as issued (format=html|pdf|txt)."""
    from dsr_app.review.issued import fetch
    from dsr_app.review.letters import handed_out

    row = _session_request()
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "pdf", "txt"):
        abort(404)
    letter = fetch(get_db(), row["id"], letter_id)  # NotFound: another's, or none
    response = issued_response(letter, fmt)
    handed_out(get_db(), row["id"], "letter", fmt, deadlines.now(), letter_id)
    return response


@bp.get("/status/data")
def status_data():
    """The JSON copy of the data of the session's answered access request."""
    from dsr_app.review.letters import data_copy, handed_out

    row = _session_request()
    if row["type"] != "access" or row["status"] != "completed":
        abort(404)
    response = jsonify(
        data_copy(get_db(), row["id"], current_app.config, deadlines.now())
    )
    handed_out(get_db(), row["id"], "data", "json", deadlines.now())
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response
