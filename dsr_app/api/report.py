"""``/api/v1/report``: the transparency report (issue 19, item 5)."""

from __future__ import annotations

from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api.blueprint import STAFF_TOKEN, Blueprint
from dsr_app.schemas.report import ReportSchema
from dsr_app.server.auth import require_role
from dsr_app.server.connection import get_db
from dsr_app.training.report import transparency_report

blp = Blueprint(
    "report",
    __name__,
    url_prefix="/api/v1",
    description="The transparency report: counts for publication.",
)


@blp.route("/report")
class Report(MethodView):
    """The transparency report."""

    @require_role("legal", "training", "admin")
    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, ReportSchema)
    @blp.errors(401, 403)
    def get(self):
        """The transparency report, as `dsr report --format json` prints it.

        Per model version (training run) the objections and erasures touching
        its training data and their items removed before and after its start;
        per month the requests received, answered on time, extended, refused
        and the median days to answer. No personal data (docs/training.md).
        """
        return transparency_report(get_db(), deadlines.now())
