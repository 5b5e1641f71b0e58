"""Find a request again when the browser session is lost (issue 21, item 3): the
person gives the reference, we send a code to the request's verified e-mail
address (cases/lookup.py), and the code opens the request in this browser.

Both steps answer alike whether or not the reference exists (docs/security.md L2):
the same page, status and words for every reference, and the same "wrong code"
for every failed code. The reference waits in the session between the steps.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from dsr_app import deadlines
from dsr_app.cases import lookup
from dsr_app.cases.status import request_row
from dsr_app.errors import BadInput
from dsr_app.i18n import language, text
from dsr_app.i18n.messages import page_errors
from dsr_app.server.connection import get_db
from dsr_app.server.ratelimit import rate_limited
from dsr_app.server.security import code_key
from dsr_app.web.language import current_language
from dsr_app.web.sessions import remember

bp = Blueprint("lookup", __name__)


@bp.route("/find", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_VERIFY", methods=("POST",))
def find_request():
    """Ask for the reference; send a code to the request's verified e-mail."""
    errors: dict = {}
    reference = lookup.clean_reference(request.form.get("reference", ""))
    if request.method == "POST":
        if not reference:
            errors = {"reference": [text(current_language(), "err_required")]}
        else:
            lookup.send_code(
                get_db(), current_app.config, code_key(), reference, deadlines.now()
            )
            session["lookup"] = reference
            return redirect(url_for("lookup.find_code"), code=303)
    return (
        render_template("pages/find.html", errors=errors),
        400 if errors else 200,
    )


@bp.route("/find/code", methods=["GET", "POST"])
@rate_limited("RATE_LIMIT_VERIFY", methods=("POST",))
def find_code():
    """Take the code; a right one lets this browser see the request."""
    reference = session.get("lookup")
    if not reference:
        return redirect(url_for("lookup.find_request"), code=303)
    errors: dict = {}
    if request.method == "POST":
        try:
            request_id = lookup.check_code(
                get_db(),
                code_key(),
                reference,
                request.form.get("code", ""),
                deadlines.now(),
            )
        except BadInput as exc:
            errors = page_errors({"code": [exc.reason]}, current_language())
        else:
            session.pop("lookup", None)
            remember(request_id)
            session["lang"] = language(request_row(get_db(), request_id)["language"])
            return redirect(url_for("public.status_page"), code=303)
    return (
        render_template("pages/find_code.html", reference=reference, errors=errors),
        400 if errors else 200,
    )
