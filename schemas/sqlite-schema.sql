-- Generated from the migrations; checked by SchemaGoldenTests.
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= COALESCE((SELECT CAST(value AS INTEGER) FROM node_meta WHERE key = 'audit_prune_before'), 0)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER daily_counts_delete AFTER DELETE ON cases BEGIN INSERT INTO daily_counts_staged (sign, registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter, collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at, office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at) VALUES (-1, OLD.registered_at, OLD.unit_node, OLD.channel, OLD.category_l1, OLD.is_repeat, OLD.skip_level, OLD.joint_letter, OLD.collective_batches, OLD.collective_persons, OLD.law_related, OLD.decided_at, OLD.handling_due_at, OLD.closed_at, OLD.evaluated_at, OLD.office_rating, OLD.unit_rating, OLD.eval_due_at, OLD.accept_due_at, OLD.handling_met_at, OLD.petition_received_at); END;
CREATE TRIGGER daily_counts_insert AFTER INSERT ON cases BEGIN INSERT INTO daily_counts_staged (sign, registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter, collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at, office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at) VALUES (1, NEW.registered_at, NEW.unit_node, NEW.channel, NEW.category_l1, NEW.is_repeat, NEW.skip_level, NEW.joint_letter, NEW.collective_batches, NEW.collective_persons, NEW.law_related, NEW.decided_at, NEW.handling_due_at, NEW.closed_at, NEW.evaluated_at, NEW.office_rating, NEW.unit_rating, NEW.eval_due_at, NEW.accept_due_at, NEW.handling_met_at, NEW.petition_received_at); END;
CREATE TRIGGER daily_counts_update AFTER UPDATE OF registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter, collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at, office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at ON cases
WHEN OLD.registered_at IS NOT NEW.registered_at OR OLD.unit_node IS NOT NEW.unit_node OR OLD.channel IS NOT NEW.channel OR OLD.category_l1 IS NOT NEW.category_l1 OR OLD.is_repeat IS NOT NEW.is_repeat OR OLD.skip_level IS NOT NEW.skip_level OR OLD.joint_letter IS NOT NEW.joint_letter OR OLD.collective_batches IS NOT NEW.collective_batches OR OLD.collective_persons IS NOT NEW.collective_persons OR OLD.law_related IS NOT NEW.law_related OR OLD.decided_at IS NOT NEW.decided_at OR OLD.handling_due_at IS NOT NEW.handling_due_at OR OLD.closed_at IS NOT NEW.closed_at OR OLD.evaluated_at IS NOT NEW.evaluated_at OR OLD.office_rating IS NOT NEW.office_rating OR OLD.unit_rating IS NOT NEW.unit_rating OR OLD.eval_due_at IS NOT NEW.eval_due_at OR OLD.accept_due_at IS NOT NEW.accept_due_at OR OLD.handling_met_at IS NOT NEW.handling_met_at OR OLD.petition_received_at IS NOT NEW.petition_received_at BEGIN INSERT INTO daily_counts_staged (sign, registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter, collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at, office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at) VALUES (-1, OLD.registered_at, OLD.unit_node, OLD.channel, OLD.category_l1, OLD.is_repeat, OLD.skip_level, OLD.joint_letter, OLD.collective_batches, OLD.collective_persons, OLD.law_related, OLD.decided_at, OLD.handling_due_at, OLD.closed_at, OLD.evaluated_at, OLD.office_rating, OLD.unit_rating, OLD.eval_due_at, OLD.accept_due_at, OLD.handling_met_at, OLD.petition_received_at), (1, NEW.registered_at, NEW.unit_node, NEW.channel, NEW.category_l1, NEW.is_repeat, NEW.skip_level, NEW.joint_letter, NEW.collective_batches, NEW.collective_persons, NEW.law_related, NEW.decided_at, NEW.handling_due_at, NEW.closed_at, NEW.evaluated_at, NEW.office_rating, NEW.unit_rating, NEW.eval_due_at, NEW.accept_due_at, NEW.handling_met_at, NEW.petition_received_at); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE ae_buckets (
    peer TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    digest INTEGER NOT NULL,
    PRIMARY KEY (peer, bucket)
) STRICT, WITHOUT ROWID;
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    node TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE TABLE blob_wants (
    sha256 TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    size INTEGER NOT NULL,
    sender TEXT,
    wanted_since INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    waiting_on TEXT
) WITHOUT ROWID;
CREATE TABLE case_blobs (
    sha256 TEXT NOT NULL,
    case_number TEXT NOT NULL,
    PRIMARY KEY (sha256, case_number)
) WITHOUT ROWID;
CREATE TABLE case_states (
    case_number TEXT PRIMARY KEY NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
    state_json TEXT NOT NULL
) STRICT;
CREATE TABLE cases (
    case_number TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    holder TEXT NOT NULL,
    owner TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    head_seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    registered_at_node TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    channel TEXT NOT NULL,
    purpose TEXT NOT NULL,
    category_l1 TEXT NOT NULL,
    category_l2 TEXT NOT NULL,
    category_l3 TEXT NOT NULL,
    issue_region TEXT NOT NULL,
    urgent INTEGER NOT NULL,
    law_related INTEGER NOT NULL,
    summary TEXT NOT NULL,
    search_text TEXT NOT NULL,
    next_due_kind TEXT,
    next_due_at INTEGER,
    last_event_at INTEGER NOT NULL,
    skip_level INTEGER NOT NULL DEFAULT 0, ae_bucket INTEGER NOT NULL DEFAULT 0, ae_hash INTEGER NOT NULL DEFAULT 0, ae_peers TEXT NOT NULL DEFAULT '', is_open INTEGER NOT NULL DEFAULT 0, holder_since INTEGER NOT NULL DEFAULT 0, moves INTEGER NOT NULL DEFAULT 0, unit_node TEXT NOT NULL DEFAULT '', assigned_by TEXT, supervision_due_at INTEGER, decided_at INTEGER, handling_due_at INTEGER, closed_at INTEGER, eval_due_at INTEGER, evaluated_at INTEGER, office_rating TEXT, unit_rating TEXT, is_repeat INTEGER NOT NULL DEFAULT 0, joint_letter INTEGER NOT NULL DEFAULT 0, collective_batches INTEGER NOT NULL DEFAULT 0, collective_persons INTEGER NOT NULL DEFAULT 0, respondent_node TEXT, accept_due_at INTEGER, handling_met_at INTEGER, petition_received_at INTEGER NOT NULL DEFAULT 0, lookup_digest TEXT) STRICT;
CREATE TABLE commands (
    id TEXT PRIMARY KEY NOT NULL,
    case_number TEXT NOT NULL,
    origin TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE conflicts (
    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
    branch TEXT NOT NULL,
    fork_seq INTEGER NOT NULL,
    winner_hash TEXT NOT NULL,
    winner_origin TEXT NOT NULL,
    loser_origin TEXT NOT NULL,
    loser_head TEXT NOT NULL,
    loser_events INTEGER NOT NULL,
    loser_participants TEXT NOT NULL,
    loser_leaves TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    resolved_at INTEGER,
    decision TEXT,
    PRIMARY KEY (case_number, branch)
) STRICT;
CREATE TABLE daily_counts (
    measure TEXT NOT NULL,
    grain TEXT NOT NULL CHECK (grain IN ('d', 'm')),
    period INTEGER NOT NULL,
    unit_node TEXT NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    n INTEGER NOT NULL,
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    c INTEGER NOT NULL,
    d INTEGER NOT NULL,
    e INTEGER NOT NULL,
    f INTEGER NOT NULL,
    PRIMARY KEY (measure, grain, period, unit_node, k1, k2)
) STRICT, WITHOUT ROWID;
CREATE TABLE daily_counts_staged (
    sign INTEGER NOT NULL, registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter,
    collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at,
    office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at
);
CREATE TABLE "events" (
    hash TEXT NOT NULL,
    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    prev_hash TEXT,
    origin TEXT NOT NULL,
    hlc_wall INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    signature TEXT,
    stored_at INTEGER NOT NULL,
    command TEXT,
    format INTEGER CHECK (format IS NULL OR format >= 2)
) STRICT;
CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail_key TEXT NOT NULL DEFAULT '',
    case_number TEXT,
    node TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    since INTEGER NOT NULL,
    raised_at INTEGER NOT NULL,
    detail TEXT NOT NULL,
    remedy TEXT NOT NULL,
    cleared_at INTEGER
) STRICT;
CREATE TABLE lookup_failures (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
) WITHOUT ROWID;
CREATE TABLE node_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE notice_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    case_number TEXT,
    params_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT,
    report TEXT,
    body_sealed TEXT
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    peer TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_number TEXT NOT NULL,
    command_id TEXT,
    target_seq INTEGER NOT NULL DEFAULT 0,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_kind TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
, branch_head TEXT) STRICT;
CREATE TABLE packet_refusals (
    peer TEXT NOT NULL,
    code TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    last_detail TEXT,
    PRIMARY KEY (peer, code)
) STRICT;
CREATE TABLE peers (
    peer TEXT PRIMARY KEY NOT NULL,
    last_packet_sent INTEGER NOT NULL DEFAULT 0,
    last_packet_received INTEGER NOT NULL DEFAULT 0,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    last_error TEXT
, last_received_at INTEGER, recent_packets INTEGER NOT NULL DEFAULT 0, send_session TEXT, receive_session TEXT, receive_pending TEXT) STRICT;
CREATE TABLE petitioner_keys (
    match_key TEXT NOT NULL,
    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (match_key, case_number)
) STRICT, WITHOUT ROWID;
CREATE TABLE registration_keys (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    request_hash TEXT NOT NULL,
    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE replica_mismatches (
    peer TEXT NOT NULL,
    case_key INTEGER NOT NULL,
    case_number TEXT,
    kind TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (peer, case_key)
) STRICT;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    node TEXT NOT NULL,
    password_hash TEXT,
    password_changed_at INTEGER NOT NULL,
    totp_secret TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
, totp_last_step INTEGER) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX blob_wants_due ON blob_wants(next_attempt_at);
CREATE INDEX cases_by_ae_bucket ON cases(ae_bucket);
CREATE INDEX cases_by_holder ON cases(holder, status);
CREATE INDEX cases_by_next_due ON cases(next_due_at, holder, unit_node, respondent_node, registered_at,
    petition_received_at, case_number) WHERE next_due_at IS NOT NULL;
CREATE INDEX cases_by_received ON cases(petition_received_at DESC, case_number DESC);
CREATE INDEX cases_by_region ON cases(issue_region);
CREATE INDEX cases_by_registered ON cases(registered_at DESC, case_number DESC);
CREATE INDEX cases_by_status ON cases(status, registered_at);
CREATE INDEX cases_lookup_digest ON cases(lookup_digest) WHERE lookup_digest IS NOT NULL;
CREATE INDEX cases_open ON cases(holder, status, next_due_kind, petition_received_at, next_due_at,
    assigned_by, supervision_due_at) WHERE is_open = 1;
CREATE INDEX cases_open_moves ON cases(moves DESC, case_number) WHERE is_open = 1 AND moves >= 2;
CREATE INDEX cases_stats_accept_due ON cases(accept_due_at, law_related, decided_at, unit_node)
    WHERE accept_due_at IS NOT NULL;
CREATE INDEX cases_stats_eval_due ON cases(eval_due_at, law_related, unit_node)
    WHERE eval_due_at IS NOT NULL AND evaluated_at IS NULL;
CREATE INDEX cases_stats_handling_met ON cases(handling_due_at, law_related, handling_met_at, unit_node)
    WHERE handling_due_at IS NOT NULL;
CREATE INDEX commands_by_case ON commands(case_number, status);
CREATE INDEX conflicts_open ON conflicts(case_number) WHERE resolved_at IS NULL;
CREATE UNIQUE INDEX events_by_case ON events(case_number, seq, epoch, hash);
CREATE INDEX flags_by_case ON flags(case_number) WHERE case_number IS NOT NULL;
CREATE UNIQUE INDEX flags_open ON flags(raised_by, kind, subject, detail_key) WHERE cleared_at IS NULL;
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_state ON notifications(state, id);
CREATE UNIQUE INDEX outbox_branch ON outbox(peer, branch_head) WHERE kind = 'branch';
CREATE UNIQUE INDEX outbox_chain ON outbox(peer, case_number) WHERE kind = 'chain';
CREATE UNIQUE INDEX outbox_command ON outbox(peer, command_id) WHERE kind = 'command';
CREATE INDEX outbox_due ON outbox(peer, state, next_attempt_at);
CREATE INDEX outbox_queue ON outbox(peer, id) WHERE state IN ('pending', 'failed');
CREATE INDEX petitioner_keys_by_case ON petitioner_keys(case_number);
CREATE INDEX registration_keys_by_case ON registration_keys(case_number);
CREATE INDEX sessions_user ON sessions (user_id);
