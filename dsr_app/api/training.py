"""``/api/v1/training-runs`` and ``/api/v1/datasets/<d>/<v>/clearance``: what
training teams register and the gate they ask before a run (issue 19)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask.views import MethodView

from dsr_app import deadlines
from dsr_app.api.blueprint import STAFF_TOKEN, Blueprint
from dsr_app.schemas.training import (
    ClearanceSchema,
    MeasureCreateSchema,
    MeasureSchema,
    MeasuresSchema,
    RunCreateSchema,
    RunSchema,
    RunsSchema,
    RunUpdateSchema,
)
from dsr_app.server.auth import current_staff, require_role
from dsr_app.server.connection import get_db
from dsr_app.training.clearance import clearance
from dsr_app.training.measures import add_measure, run_measures
from dsr_app.training.runs import add_run, get_run, list_runs, update_run

blp = Blueprint(
    "training",
    __name__,
    url_prefix="/api/v1",
    description="Training teams: training runs and the clearance gate.",
)
READERS = ("training", "admin", "legal")
TRAINING = ("training", "admin")


def _actor() -> str:
    return f"staff:{current_staff()['id']}"


@blp.route("/training-runs")
class TrainingRuns(MethodView):
    """Training runs: which model versions read which dataset versions."""

    @require_role(*READERS)
    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, RunsSchema)
    @blp.errors(401, 403)
    def get(self):
        """Every training run, newest first."""
        return {"items": list_runs(get_db())}

    @require_role(*TRAINING)
    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(RunCreateSchema)
    @blp.response(201, RunSchema)
    @blp.errors(401, 403, 413, 415)
    def post(self, data):
        """Register a training run (audited).

        Every dataset version must have been ingested, else 400 naming
        `datasets.<n>.dataset_version` (or `.dataset`) and the versions there
        are. A run registered as `training` or `deployed` on a version that was
        not clear at its start is flagged.
        """
        return add_run(get_db(), data, _actor(), deadlines.now())


@blp.route("/training-runs/<int:run_id>")
class TrainingRun(MethodView):
    """One training run."""

    @require_role(*READERS)
    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, RunSchema)
    @blp.errors(401, 403, 404)
    def get(self, run_id):
        """One training run."""
        return get_run(get_db(), run_id)

    @require_role(*TRAINING)
    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(RunUpdateSchema)
    @blp.response(200, RunSchema)
    @blp.errors(401, 403, 404, 413, 415)
    def patch(self, changes, run_id):
        """Change a run's status (forward only), finished_at, retired_at, notes.

        Moving to `training` or `deployed` starts the run and flags it if a
        version was not clear then; audited.
        """
        return update_run(get_db(), run_id, changes, _actor(), deadlines.now())


@blp.route("/training-runs/<int:run_id>/measures")
class Measures(MethodView):
    """What was done about a trained model version (issue 19, item 4)."""

    @require_role(*READERS)
    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, MeasuresSchema)
    @blp.errors(401, 403, 404)
    def get(self, run_id):
        """Every measure recorded for a run's model version, oldest first."""
        get_run(get_db(), run_id)  # 404 for a run that does not exist
        return {"items": run_measures(get_db(), run_id)}

    @require_role(*READERS)
    @blp.doc(security=STAFF_TOKEN)
    @blp.arguments(MeasureCreateSchema)
    @blp.response(201, MeasureSchema)
    @blp.errors(401, 403, 404, 413, 415)
    def post(self, data, run_id):
        """Record a measure taken for a run's model version (audited).

        Letters state a model's measures and nothing more. `taken_on` not in the
        future nor before the run started; `retired` only for a run recorded as
        retired; `replacement_run_id` (for `retrained`) a later run of the same
        model; `request_id` scopes it to one person (an output filter).
        """
        return add_measure(get_db(), run_id, data, _actor(), deadlines.now())


@blp.route("/datasets/<dataset>/<dataset_version>/clearance")
class Clearance(MethodView):
    """The clearance gate of one dataset version."""

    @require_role(*READERS)
    @blp.doc(security=STAFF_TOKEN)
    @blp.response(200, ClearanceSchema)
    @blp.errors(401, 403, 404)
    def get(self, dataset, dataset_version):
        """Whether a dataset version may be trained on, signed.

        Clear when every removal list touching the version was acknowledged for
        it; signed with the key of `dsr keys public` over the canonical JSON of
        a removal list (contract section 6). 404 for a version never ingested.
        """
        folder = Path(current_app.config["INSTANCE_DIR"])
        return clearance(get_db(), dataset, dataset_version, folder, deadlines.now())
