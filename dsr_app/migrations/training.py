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
