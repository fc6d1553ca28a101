/// The case store in the SQLite store's shape after its migration 018 (`schemas/sqlite-schema.sql`):
/// the materialised cases and their states, the petitioners' match keys and registration keys, the
/// conflicts, commands, outbox and links, the anti-entropy buckets, the indicators' daily counts,
/// the case file's blobs, 文号 counters, the public lookup's lockouts, the notifications and the
/// flags. Columns
/// keep SQLite's forms (BIGINT for its INTEGER, 0 or 1 for flags), so the store's SQL runs on both;
/// the events gain their reference to the case. The daily counts' triggers are the store's own
/// (`DailyCounts`), written when it opens.
enum PostgresMigration004Cases {
    static let migration = PostgresMigration(
        identifier: "004-cases",
        statements: [
            """
            CREATE TABLE cases (
                case_number TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                holder TEXT NOT NULL,
                owner TEXT NOT NULL,
                epoch BIGINT NOT NULL,
                head_seq BIGINT NOT NULL,
                head_hash TEXT NOT NULL,
                registered_at BIGINT NOT NULL,
                registered_at_node TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                channel TEXT NOT NULL,
                purpose TEXT NOT NULL,
                category_l1 TEXT NOT NULL,
                category_l2 TEXT NOT NULL,
                category_l3 TEXT NOT NULL,
                issue_region TEXT NOT NULL,
                urgent BIGINT NOT NULL,
                law_related BIGINT NOT NULL,
                summary TEXT NOT NULL,
                search_text TEXT NOT NULL,
                next_due_kind TEXT,
                next_due_at BIGINT,
                last_event_at BIGINT NOT NULL,
                skip_level BIGINT NOT NULL DEFAULT 0,
                ae_bucket BIGINT NOT NULL DEFAULT 0,
                ae_hash BIGINT NOT NULL DEFAULT 0,
                ae_peers TEXT NOT NULL DEFAULT '',
                is_open BIGINT NOT NULL DEFAULT 0,
                holder_since BIGINT NOT NULL DEFAULT 0,
                moves BIGINT NOT NULL DEFAULT 0,
                unit_node TEXT NOT NULL DEFAULT '',
                assigned_by TEXT,
                supervision_due_at BIGINT,
                decided_at BIGINT,
                handling_due_at BIGINT,
                closed_at BIGINT,
                eval_due_at BIGINT,
                evaluated_at BIGINT,
                office_rating TEXT,
                unit_rating TEXT,
                is_repeat BIGINT NOT NULL DEFAULT 0,
                joint_letter BIGINT NOT NULL DEFAULT 0,
                collective_batches BIGINT NOT NULL DEFAULT 0,
                collective_persons BIGINT NOT NULL DEFAULT 0,
                respondent_node TEXT,
                accept_due_at BIGINT,
                handling_met_at BIGINT,
                petition_received_at BIGINT NOT NULL DEFAULT 0,
                lookup_digest TEXT
            )
            """,
            """
            CREATE TABLE case_states (
                case_number TEXT PRIMARY KEY REFERENCES cases (case_number) DEFERRABLE INITIALLY DEFERRED,
                state_json TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE petitioner_keys (
                match_key TEXT NOT NULL,
                case_number TEXT NOT NULL REFERENCES cases (case_number) DEFERRABLE INITIALLY DEFERRED,
                PRIMARY KEY (match_key, case_number)
            )
            """,
            """
            CREATE TABLE registration_keys (
                idempotency_key TEXT PRIMARY KEY,
                request_hash TEXT NOT NULL,
                case_number TEXT NOT NULL REFERENCES cases (case_number) DEFERRABLE INITIALLY DEFERRED,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE conflicts (
                case_number TEXT NOT NULL REFERENCES cases (case_number) DEFERRABLE INITIALLY DEFERRED,
                branch TEXT NOT NULL,
                fork_seq BIGINT NOT NULL,
                winner_hash TEXT NOT NULL,
                winner_origin TEXT NOT NULL,
                loser_origin TEXT NOT NULL,
                loser_head TEXT NOT NULL,
                loser_events BIGINT NOT NULL,
                loser_participants TEXT NOT NULL,
                loser_leaves TEXT NOT NULL,
                detected_at BIGINT NOT NULL,
                resolved_at BIGINT,
                decision TEXT,
                PRIMARY KEY (case_number, branch)
            )
            """,
            """
            CREATE TABLE commands (
                id TEXT PRIMARY KEY,
                case_number TEXT NOT NULL,
                origin TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                detail TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE outbox (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                peer TEXT NOT NULL,
                kind TEXT NOT NULL,
                case_number TEXT NOT NULL,
                command_id TEXT,
                target_seq BIGINT NOT NULL DEFAULT 0,
                acked_seq BIGINT NOT NULL DEFAULT 0,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                last_error TEXT,
                last_error_kind TEXT,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                branch_head TEXT
            )
            """,
            """
            CREATE TABLE peers (
                peer TEXT PRIMARY KEY,
                last_packet_sent BIGINT NOT NULL DEFAULT 0,
                last_packet_received BIGINT NOT NULL DEFAULT 0,
                last_success_at BIGINT,
                last_failure_at BIGINT,
                last_error TEXT,
                last_received_at BIGINT,
                recent_packets BIGINT NOT NULL DEFAULT 0,
                send_session TEXT,
                receive_session TEXT,
                receive_pending TEXT
            )
            """,
            """
            CREATE TABLE packet_refusals (
                peer TEXT NOT NULL,
                code TEXT NOT NULL,
                count BIGINT NOT NULL,
                last_at BIGINT NOT NULL,
                last_detail TEXT,
                PRIMARY KEY (peer, code)
            )
            """,
            """
            CREATE TABLE replica_mismatches (
                peer TEXT NOT NULL,
                case_key BIGINT NOT NULL,
                case_number TEXT,
                kind TEXT NOT NULL,
                first_seen BIGINT NOT NULL,
                last_seen BIGINT NOT NULL,
                PRIMARY KEY (peer, case_key)
            )
            """,
            """
            CREATE TABLE ae_buckets (
                peer TEXT NOT NULL,
                bucket BIGINT NOT NULL,
                digest BIGINT NOT NULL,
                PRIMARY KEY (peer, bucket)
            )
            """,
            """
            CREATE TABLE daily_counts (
                measure TEXT NOT NULL,
                grain TEXT NOT NULL CHECK (grain IN ('d', 'm')),
                period BIGINT NOT NULL,
                unit_node TEXT NOT NULL,
                k1 TEXT NOT NULL,
                k2 TEXT NOT NULL,
                n BIGINT NOT NULL,
                a BIGINT NOT NULL,
                b BIGINT NOT NULL,
                c BIGINT NOT NULL,
                d BIGINT NOT NULL,
                e BIGINT NOT NULL,
                f BIGINT NOT NULL,
                PRIMARY KEY (measure, grain, period, unit_node, k1, k2)
            )
            """,
            """
            CREATE TABLE case_blobs (
                sha256 TEXT NOT NULL,
                case_number TEXT NOT NULL,
                PRIMARY KEY (sha256, case_number)
            )
            """,
            """
            CREATE TABLE blob_wants (
                sha256 TEXT PRIMARY KEY,
                case_number TEXT NOT NULL,
                size BIGINT NOT NULL,
                sender TEXT,
                wanted_since BIGINT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                last_error TEXT,
                waiting_on TEXT
            )
            """,
            """
            CREATE TABLE notice_numbers (
                year BIGINT PRIMARY KEY,
                last BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE lookup_failures (
                subject TEXT PRIMARY KEY,
                failures BIGINT NOT NULL,
                window_start BIGINT NOT NULL,
                locked_until BIGINT
            )
            """,
            """
            CREATE TABLE notifications (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                case_number TEXT,
                params_json TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                sent_at BIGINT,
                last_error TEXT,
                report TEXT,
                body_sealed TEXT
            )
            """,
            "CREATE INDEX blob_wants_due ON blob_wants(next_attempt_at)",
            "CREATE INDEX cases_by_ae_bucket ON cases(ae_bucket)",
            "CREATE INDEX cases_by_holder ON cases(holder, status)",
            "CREATE INDEX cases_by_next_due ON cases(next_due_at, holder, unit_node, respondent_node, registered_at, petition_received_at, case_number) WHERE next_due_at IS NOT NULL",
            "CREATE INDEX cases_by_received ON cases(petition_received_at DESC, case_number DESC)",
            "CREATE INDEX cases_by_region ON cases(issue_region)",
            "CREATE INDEX cases_by_registered ON cases(registered_at DESC, case_number DESC)",
            "CREATE INDEX cases_by_status ON cases(status, registered_at)",
            "CREATE INDEX cases_lookup_digest ON cases(lookup_digest) WHERE lookup_digest IS NOT NULL",
            "CREATE INDEX cases_open ON cases(holder, status, petition_received_at, next_due_kind, next_due_at, assigned_by, supervision_due_at) WHERE is_open = 1",
            "CREATE INDEX cases_open_moves ON cases(moves DESC, case_number) WHERE is_open = 1 AND moves >= 2",
            "CREATE INDEX cases_stats_accept_due ON cases(accept_due_at, law_related, decided_at, unit_node) WHERE accept_due_at IS NOT NULL",
            "CREATE INDEX cases_stats_eval_due ON cases(eval_due_at, law_related, unit_node) WHERE eval_due_at IS NOT NULL AND evaluated_at IS NULL",
            "CREATE INDEX cases_stats_handling_met ON cases(handling_due_at, law_related, handling_met_at, unit_node) WHERE handling_due_at IS NOT NULL",
            "CREATE INDEX commands_by_case ON commands(case_number, status)",
            "CREATE INDEX conflicts_open ON conflicts(case_number) WHERE resolved_at IS NULL",
            "CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'pending'",
            "CREATE INDEX notifications_state ON notifications(state, id)",
            "CREATE UNIQUE INDEX outbox_branch ON outbox(peer, branch_head) WHERE kind = 'branch'",
            "CREATE UNIQUE INDEX outbox_chain ON outbox(peer, case_number) WHERE kind = 'chain'",
            "CREATE UNIQUE INDEX outbox_command ON outbox(peer, command_id) WHERE kind = 'command'",
            "CREATE INDEX outbox_due ON outbox(peer, state, next_attempt_at)",
            "CREATE INDEX outbox_queue ON outbox(peer, id) WHERE state IN ('pending', 'failed')",
            "CREATE INDEX petitioner_keys_by_case ON petitioner_keys(case_number)",
            "CREATE INDEX registration_keys_by_case ON registration_keys(case_number)",
            """
            CREATE TABLE flags (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail_key TEXT NOT NULL DEFAULT '',
                case_number TEXT,
                node TEXT NOT NULL,
                raised_by TEXT NOT NULL,
                since BIGINT NOT NULL,
                raised_at BIGINT NOT NULL,
                detail TEXT NOT NULL,
                remedy TEXT NOT NULL,
                cleared_at BIGINT
            )
            """,
            "CREATE INDEX flags_by_case ON flags(case_number) WHERE case_number IS NOT NULL",
            "CREATE UNIQUE INDEX flags_open ON flags(raised_by, kind, subject, detail_key) WHERE cleared_at IS NULL",
            "ALTER TABLE events ADD FOREIGN KEY (case_number) REFERENCES cases (case_number) DEFERRABLE INITIALLY DEFERRED",
        ]
    )
}
