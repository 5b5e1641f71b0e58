"""Versioned schema migrations, applied in order when the store is opened
(``db.open_db``: ``migrations.apply(db)``).

Each module holds the steps of one part of the schema, as plain functions; they
are registered here, once, in the order they were written. A store records each
step it has run by its name, so names and order never change: a new step is a
new function, added at the end of ``STEPS``.
"""

from __future__ import annotations

import sqlite_utils

from dsr_app.migrations.cases import (
    m004_requests,
    m005_replies,
    m011_request_mailbox,
    m017_canonical_mailbox,
    m019_request_pauses,
    m020_request_region,
    m021_decision_grounds,
    m026_request_pointers,
    m028_pointer_index_job,
    m030_lookup_codes,
)
from dsr_app.migrations.corpus import (
    m001_manifests_records,
    m002_accounts,
    m012_fts_hashsize,
)
from dsr_app.migrations.review import (
    m006_matches,
    m009_removal_lists,
    m010_follow_ups,
    m013_content_matches,
    m018_issued_letters,
    m023_touched_index,
    m027_match_rules,
    m029_case_assignment,
)
from dsr_app.migrations.staff import (
    m003_staff_users,
    m007_staff_tokens_audit,
    m008_staff_sessions,
    m014_audit_keyed,
    m015_staff_token_expiry,
    m016_login_failures,
)
from dsr_app.migrations.training import m022_training_runs, m024_model_measures

STEPS = (
    m001_manifests_records,
    m002_accounts,
    m003_staff_users,
    m004_requests,
    m005_replies,
    m006_matches,
    m007_staff_tokens_audit,
    m008_staff_sessions,
    m009_removal_lists,
    m010_follow_ups,
    m011_request_mailbox,
    m012_fts_hashsize,
    m013_content_matches,
    m014_audit_keyed,
    m015_staff_token_expiry,
    m016_login_failures,
    m017_canonical_mailbox,
    m018_issued_letters,
    m019_request_pauses,
    m020_request_region,
    m021_decision_grounds,
    m022_training_runs,
    m023_touched_index,
    m024_model_measures,
    m026_request_pointers,
    m027_match_rules,  # (m025 was never used)
    m028_pointer_index_job,
    m029_case_assignment,
    m030_lookup_codes,
)

migrations = sqlite_utils.Migrations("dsr_app")
for _step in STEPS:
    migrations()(_step)
