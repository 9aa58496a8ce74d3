-- kefu's schema, version 1: the tables as they stood when migrations
-- became versioned. Every statement is IF NOT EXISTS, so a database made by
-- an earlier kefu is adopted as it is (its missing columns are added by the
-- code of this migration, see migrate.rs).
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    team TEXT NOT NULL DEFAULT '',
    agent_id TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    work_no TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    team TEXT NOT NULL,
    channel TEXT NOT NULL,
    started_at TEXT,
    day TEXT,
    score INTEGER NOT NULL,
    original_score INTEGER NOT NULL,
    vetoed INTEGER NOT NULL,
    source TEXT NOT NULL,
    rulebook_version INTEGER NOT NULL,
    transcript TEXT NOT NULL,
    scorecard TEXT NOT NULL,
    original_scorecard TEXT NOT NULL,
    inspected_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_agent ON conversations(agent, started_at);
CREATE INDEX IF NOT EXISTS conversations_team ON conversations(team, started_at);
CREATE INDEX IF NOT EXISTS conversations_day ON conversations(day);
CREATE TABLE IF NOT EXISTS check_results (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (conversation_id, check_id)
);
CREATE INDEX IF NOT EXISTS check_results_check ON check_results(check_id, result);
CREATE TABLE IF NOT EXISTS violations (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    day TEXT,
    turn INTEGER NOT NULL,
    rule TEXT NOT NULL,
    category TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS violations_conversation ON violations(conversation_id);
CREATE INDEX IF NOT EXISTS violations_day ON violations(day, category);
CREATE TABLE IF NOT EXISTS appeals (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    filed_by INTEGER NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'upheld', 'overturned')),
    decided_by INTEGER REFERENCES users(id),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS appeals_one_open ON appeals(conversation_id, check_id) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS rulebook_versions (
    version INTEGER PRIMARY KEY,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    comment TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chat_messages (
    source TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    violations TEXT NOT NULL,
    note_status TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, account_id, message_id)
);
CREATE INDEX IF NOT EXISTS chat_messages_conversation ON chat_messages(source, account_id, conversation_id);
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'forwarded', 'replied', 'closed')),
    team TEXT NOT NULL DEFAULT '',
    owner_id INTEGER NOT NULL REFERENCES users(id),
    supervisor TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    urgent INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    conversation_id TEXT,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind, status);
CREATE INDEX IF NOT EXISTS records_owner ON records(owner_id, status);
CREATE TABLE IF NOT EXISTS record_events (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS obligations (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    kind TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    due_at TEXT NOT NULL,
    due_utc INTEGER NOT NULL,
    warn_utc INTEGER NOT NULL,
    source TEXT NOT NULL,
    done_at TEXT,
    warned_at TEXT,
    escalated_at TEXT,
    provisional TEXT
);
CREATE INDEX IF NOT EXISTS obligations_open ON obligations(done_at, due_utc);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    team TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    obligation_id INTEGER REFERENCES obligations(id),
    message TEXT NOT NULL,
    UNIQUE (kind, obligation_id)
);
CREATE TABLE IF NOT EXISTS team_hours (
    team TEXT PRIMARY KEY,
    periods TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calendar_years (
    year INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    imported_by INTEGER REFERENCES users(id),
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clock_ins (
    user_id INTEGER NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    time TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    PRIMARY KEY (user_id, day)
);
CREATE TABLE IF NOT EXISTS attendance_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('notice', 'outing', 'makeup', 'overtime')),
    day TEXT NOT NULL,
    detail TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    approved_by INTEGER REFERENCES users(id),
    approved_at TEXT
);
CREATE INDEX IF NOT EXISTS attendance_requests_user ON attendance_requests(user_id, day);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    username TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('false_alarm', 'missed')),
    text TEXT NOT NULL,
    rule TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    conversation_id TEXT,
    turn INTEGER,
    note TEXT NOT NULL DEFAULT '',
    rulebook_version INTEGER NOT NULL,
    model_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_team ON feedback(team, id);
