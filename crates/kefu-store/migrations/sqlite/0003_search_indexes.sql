-- Version 3: indexes in the order the scorecard search lists — newest
-- first by the Shanghai day, then the start time, ties by id — alone and
-- within an agent or a team, so that a page and its count are read off an
-- index range instead of sorting or visiting every match; the day with the
-- score for score filters. The failed checks get a table of their own with
-- the conversation's agent, team and day, so that "failed check X in team
-- Y" is one index range, not an intersection of two large sets. Measured on 1,000,000 conversations (README, "Storage benchmark").
DROP INDEX IF EXISTS conversations_agent;
DROP INDEX IF EXISTS conversations_team;
DROP INDEX IF EXISTS conversations_day;
DROP INDEX IF EXISTS check_results_check;
CREATE INDEX IF NOT EXISTS conversations_newest ON conversations(day DESC, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_agent_newest ON conversations(agent, day DESC, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_team_newest ON conversations(team, day DESC, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_day_score ON conversations(day, score);
CREATE TABLE IF NOT EXISTS failed_checks (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    team TEXT NOT NULL,
    day TEXT,
    PRIMARY KEY (conversation_id, check_id)
);
CREATE INDEX IF NOT EXISTS failed_checks_by_day ON failed_checks(check_id, day, conversation_id);
CREATE INDEX IF NOT EXISTS failed_checks_by_team ON failed_checks(check_id, team, day, conversation_id);
CREATE INDEX IF NOT EXISTS failed_checks_by_agent ON failed_checks(check_id, agent, day, conversation_id);
INSERT INTO failed_checks (conversation_id, check_id, agent, team, day)
    SELECT r.conversation_id, r.check_id, c.agent, c.team, c.day FROM check_results r JOIN conversations c ON c.id = r.conversation_id WHERE r.result = 'fail';
