-- Version 4: notifications for people, not only for deadlines: a link to
-- what they are about (an appeal's conversation), and who has read which
-- (a team's escalation is read by each supervisor for themselves).
ALTER TABLE notifications ADD COLUMN link TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS notification_reads (
    notification_id BIGINT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
CREATE INDEX IF NOT EXISTS notifications_user ON notifications(user_id, id);
