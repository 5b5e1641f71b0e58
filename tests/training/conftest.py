"""What the training tests share: the removal tests' approved objection and its
list (tests/removal/conftest.py), and a run's body."""

from __future__ import annotations

from tests.removal.conftest import objection, save_list  # noqa: F401 (fixtures)
from tests.removal.test_versions import store  # noqa: F401 (fixture)
from tests.review.conftest import clock, world  # noqa: F401 (fixtures)

RUN = {
    "model": "chat-small",
    "model_version": "2.1",
    "datasets": [{"dataset": "tiny", "dataset_version": "1"}],
    "status": "planned",
}
