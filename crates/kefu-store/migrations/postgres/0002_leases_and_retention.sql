-- Version 2: leases, so that a job which must run once across several
-- instances (the deadline sweeper, the automatic daily-log mail, the
-- retention job) runs on the instance holding its lease; and an index for
-- the retention job's deletions of old chat messages.
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_utc BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_messages_received ON chat_messages(received_at);
