"""Schema steps of training: the runs training teams register and the dataset
versions each one read (contract section 5, "Training runs and clearance")."""

from __future__ import annotations

import sqlite_utils


def m022_training_runs(db: sqlite_utils.Database) -> None:
    """Training runs, the dataset versions they read, and their clearance flag."""
    db.executescript(
        """
        CREATE TABLE training_runs (
            id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            model_version TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('planned', 'training', 'deployed', 'retired')),
            started_at TEXT,                    -- ISO 8601, UTC
            finished_at TEXT,
            retired_at TEXT,
            notes TEXT,
            -- Set when the run started on a version that was not clear then
            -- (issue 19, item 2); kept as a fact, never cleared.
            flagged INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
            flag_reason TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,           -- staff:<id> or cli
            updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE training_run_datasets (
            run_id INTEGER NOT NULL REFERENCES training_runs (id),
            dataset TEXT NOT NULL,
            dataset_version TEXT NOT NULL,
            PRIMARY KEY (run_id, dataset, dataset_version)
        ) STRICT;
        -- Which runs read a version: the gate's flag, and later a person's
        -- exposure (issue 19, item 3).
        CREATE INDEX training_run_datasets_version
            ON training_run_datasets (dataset, dataset_version);
        """
    )


def m024_model_measures(db: sqlite_utils.Database) -> None:
    """What staff did about a trained model (issue 19, item 4): a letter states
    a measure only when one is recorded here, with its day."""
    db.executescript(
        """
        CREATE TABLE model_measures (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES training_runs (id),
            kind TEXT NOT NULL CHECK (kind IN
                ('retired', 'retrained', 'output_filter', 'none')),
            taken_on TEXT NOT NULL,             -- YYYY-MM-DD
            -- The one person it concerns (an output filter for their
            -- identifiers), or NULL: taken for the model as a whole.
            request_id TEXT REFERENCES requests (id),
            -- retrained: the run of the version trained without the data.
            replacement_run_id INTEGER REFERENCES training_runs (id),
            notes TEXT,
            recorded_at TEXT NOT NULL,
            recorded_by TEXT NOT NULL
        ) STRICT;
        CREATE INDEX model_measures_run ON model_measures (run_id, taken_on);
        """
    )
