//! Inspected conversations: the transcript, the scorecard (current, with
//! overturned appeals applied, and original), one row per check result and
//! per forbidden phrase for the filters and charts, and the search and
//! report over them.

use kefu_core::inspect::{Conversation, Outcome, Scorecard};
use serde::Serialize;

use crate::accounts::team_of_agent;
use crate::user::User;
use crate::db::{params, Conn, DbResult, Dialect, OptionalExt, Row, Value};
use crate::clock::now;
use crate::error::{Result, StoreError};
use crate::store::Store;

/// Whose conversations a writer may store or replace: the same scope as
/// reading them (admins and their tokens everything, a supervisor their
/// team, an agent their own agent id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteScope {
    All,
    Team(String),
    Agent(String),
}

impl WriteScope {
    pub fn allows(&self, agent: &str, team: &str) -> bool {
        match self {
            WriteScope::All => true,
            WriteScope::Team(t) => !t.is_empty() && t == team,
            WriteScope::Agent(a) => !a.is_empty() && a == agent,
        }
    }
}

/// A stored conversation's summary row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationRow {
    pub id: String,
    pub agent: String,
    pub team: String,
    pub channel: String,
    pub started_at: Option<String>,
    pub score: u32,
    pub original_score: u32,
    pub vetoed: bool,
    pub failed: Vec<String>,
    pub source: String,
    pub rulebook_version: i64,
    pub inspected_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckCount {
    pub check: String,
    pub applicable: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentScore {
    pub agent: String,
    pub conversations: i64,
    pub mean_score: f64,
    pub vetoed: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryDay {
    pub day: Option<String>,
    pub category: String,
    pub violations: i64,
}

/// The QA charts: most-failed checks, score by agent, violations by category over time.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub conversations: i64,
    pub mean_score: Option<f64>,
    pub by_check: Vec<CheckCount>,
    pub by_agent: Vec<AgentScore>,
    pub by_category_day: Vec<CategoryDay>,
}

impl Report {
    /// The report of no conversations.
    pub fn empty() -> Report {
        Report { conversations: 0, mean_score: None, by_check: Vec::new(), by_agent: Vec::new(), by_category_day: Vec::new() }
    }
}

/// Filters of the scorecard search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub agent: Option<String>,
    pub team: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub failed_check: Option<String>,
    pub min_score: Option<u32>,
    pub max_score: Option<u32>,
    pub limit: u32,
    pub offset: u32,
    pub sort: Sort,
}

/// The order of a search's rows (each a fixed SQL order, ties broken by id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first by the Shanghai day, then the start time.
    #[default]
    Newest,
    Oldest,
    /// Lowest score first (the calls to look at).
    ScoreAsc,
    ScoreDesc,
    /// By agent id, newest first within an agent.
    Agent,
}

impl Sort {
    /// The id used in the API's `sort` parameter.
    pub fn parse(id: &str) -> Option<Sort> {
        Some(match id {
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "score" => Sort::ScoreAsc,
            "-score" => Sort::ScoreDesc,
            "agent" => Sort::Agent,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Sort::Newest => "ORDER BY c.day DESC NULLS LAST, c.started_at DESC NULLS LAST, c.id DESC",
            Sort::Oldest => "ORDER BY c.day ASC NULLS LAST, c.started_at ASC NULLS LAST, c.id ASC",
            Sort::ScoreAsc => "ORDER BY c.score ASC, c.day DESC NULLS LAST, c.id DESC",
            Sort::ScoreDesc => "ORDER BY c.score DESC, c.day DESC NULLS LAST, c.id DESC",
            Sort::Agent => "ORDER BY c.agent ASC, c.day DESC NULLS LAST, c.id DESC",
        }
    }
}

/// The Shanghai calendar day of an RFC 3339 time, for day filters.
fn day_of(started_at: Option<&str>) -> Option<String> {
    started_at
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&kefu_core::calendar::SHANGHAI).format("%Y-%m-%d").to_string())
}

fn channel_id(card: &Scorecard) -> &'static str {
    match card.channel {
        kefu_core::inspect::Channel::Phone => "phone",
        kefu_core::inspect::Channel::Chat => "chat",
    }
}

fn outcome_id(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::NotApplicable => "n/a",
    }
}

/// The summary row's columns (the failed checks joined by commas at 8).
fn row_fields(d: Dialect) -> String {
    format!(
        "c.id, c.agent, c.team, c.channel, c.started_at, c.score, c.original_score, c.vetoed,
        (SELECT {} FROM failed_checks r WHERE r.conversation_id = c.id),
        c.source, c.rulebook_version, c.inspected_at",
        d.group_concat("r.check_id")
    )
}

/// The summary row (without the transcript and scorecard texts).
pub(crate) fn row_select(d: Dialect) -> String {
    format!("SELECT {} FROM conversations c", row_fields(d))
}

/// The summary row, then the transcript (12) and the scorecard (13).
fn full_select(d: Dialect) -> String {
    format!("SELECT {}, c.transcript, c.scorecard FROM conversations c", row_fields(d))
}

pub(crate) fn row_from(r: &Row) -> DbResult<ConversationRow> {
    let failed: Option<String> = r.get(8)?;
    let mut failed: Vec<String> = failed.map(|f| f.split(',').map(str::to_string).collect()).unwrap_or_default();
    // The aggregate's order is not defined on every backend.
    failed.sort();
    Ok(ConversationRow {
        id: r.get(0)?,
        agent: r.get(1)?,
        team: r.get(2)?,
        channel: r.get(3)?,
        started_at: r.get(4)?,
        score: r.get(5)?,
        original_score: r.get(6)?,
        vetoed: r.get(7)?,
        failed,
        source: r.get(9)?,
        rulebook_version: r.get(10)?,
        inspected_at: r.get(11)?,
    })
}

/// The WHERE clause (over `conversations c`) of a search, and its values.
fn filter_sql(s: &Search) -> (String, Vec<Value>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let push = |clauses: &mut Vec<String>, values: &mut Vec<Value>, clause: &str, v: Value| {
        values.push(v);
        clauses.push(clause.replace('?', &format!("?{}", values.len())));
    };
    if let Some(a) = &s.agent {
        push(&mut clauses, &mut values, "c.agent = ?", Value::Text(a.clone()));
    }
    if let Some(t) = &s.team {
        push(&mut clauses, &mut values, "c.team = ?", Value::Text(t.clone()));
    }
    if let Some(f) = &s.from {
        push(&mut clauses, &mut values, "c.day >= ?", Value::Text(f.clone()));
    }
    if let Some(t) = &s.to {
        push(&mut clauses, &mut values, "c.day <= ?", Value::Text(t.clone()));
    }
    if let Some(check) = &s.failed_check {
        // The conversations that failed the check, narrowed within the
        // failed_checks table by the same agent, team and days (one index
        // range), then matched by id.
        let mut sub = String::from("SELECT f.conversation_id FROM failed_checks f WHERE f.check_id = ?");
        let mut sub_values = vec![Value::Text(check.clone())];
        for (column, op, v) in [("agent", "=", &s.agent), ("team", "=", &s.team), ("day", ">=", &s.from), ("day", "<=", &s.to)] {
            if let Some(v) = v {
                sub.push_str(&format!(" AND f.{column} {op} ?"));
                sub_values.push(Value::Text(v.clone()));
            }
        }
        let mut numbered = String::new();
        for (i, part) in sub.split('?').enumerate() {
            if i > 0 {
                numbered.push_str(&format!("?{}", values.len() + i));
            }
            numbered.push_str(part);
        }
        values.extend(sub_values);
        clauses.push(format!("c.id IN ({numbered})"));
    }
    if let Some(m) = s.min_score {
        push(&mut clauses, &mut values, "c.score >= ?", Value::Int(i64::from(m)));
    }
    if let Some(m) = s.max_score {
        push(&mut clauses, &mut values, "c.score <= ?", Value::Int(i64::from(m)));
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (filter, values)
}

/// The columns of a summary row that the page query carries (no transcript texts).
const PAGE_COLUMNS: &str = "c.id, c.agent, c.team, c.channel, c.started_at, c.day, c.score, c.original_score, c.vetoed, c.source, c.rulebook_version, c.inspected_at";

fn search_page_sql(d: Dialect, filter: &str, s: &Search) -> String {
    // By default newest first by the Shanghai day (the same for every time
    // zone a transcript was written in), then the start time: the order of
    // the indexes. The page is chosen first and the failed checks are
    // gathered for its rows alone, not for every row skipped over to reach it.
    let order = s.sort.sql();
    format!(
        "SELECT {} FROM (SELECT {PAGE_COLUMNS} FROM conversations c{filter} {order} LIMIT {} OFFSET {}) c {order}",
        row_fields(d),
        s.limit,
        s.offset
    )
}

/// One statement for all of a scorecard's check results (one round trip to a server, not seventeen).
fn put_check_results(tx: &Conn<'_>, id: &str, card: &Scorecard) -> Result<()> {
    if card.checks.is_empty() {
        return Ok(());
    }
    let mut values = vec![Value::Text(id.to_string())];
    let mut tuples = Vec::with_capacity(card.checks.len());
    for c in &card.checks {
        values.push(Value::Text(c.id.clone()));
        values.push(Value::Text(outcome_id(c.result).to_string()));
        tuples.push(format!("(?1, ?{}, ?{})", values.len() - 1, values.len()));
    }
    tx.execute(
        &format!(
            "INSERT INTO check_results (conversation_id, check_id, result) VALUES {}
             ON CONFLICT (conversation_id, check_id) DO UPDATE SET result = excluded.result",
            tuples.join(", ")
        ),
        values,
    )?;
    Ok(())
}

/// The failed checks of a scorecard with the conversation's agent, team and
/// day: what the failed-check filter searches.
pub(crate) fn put_failed_checks(tx: &Conn<'_>, id: &str, agent: &str, team: &str, day: Option<&str>, card: &Scorecard) -> Result<()> {
    let failed: Vec<&str> = card.checks.iter().filter(|c| c.result == Outcome::Fail).map(|c| c.id.as_str()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let mut values = vec![Value::Text(id.to_string()), Value::Text(agent.to_string()), Value::Text(team.to_string()), day.map_or(Value::Null, |d| Value::Text(d.to_string()))];
    let mut tuples = Vec::with_capacity(failed.len());
    for check in failed {
        values.push(Value::Text(check.to_string()));
        tuples.push(format!("(?1, ?{}, ?2, ?3, ?4)", values.len()));
    }
    tx.execute(&format!("INSERT INTO failed_checks (conversation_id, check_id, agent, team, day) VALUES {}", tuples.join(", ")), values)?;
    Ok(())
}

/// The forbidden phrases of a conversation, one statement.
fn put_violations(tx: &Conn<'_>, id: &str, day: Option<&str>, violations: &[(usize, String, String)]) -> Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    let mut values = vec![Value::Text(id.to_string()), day.map_or(Value::Null, |d| Value::Text(d.to_string()))];
    let mut tuples = Vec::with_capacity(violations.len());
    for (turn, rule, category) in violations {
        values.push(Value::Int(i64::try_from(*turn).unwrap_or(i64::MAX)));
        values.push(Value::Text(rule.clone()));
        values.push(Value::Text(category.clone()));
        let n = values.len();
        tuples.push(format!("(?1, ?2, ?{}, ?{}, ?{})", n - 2, n - 1, n));
    }
    tx.execute(&format!("INSERT INTO violations (conversation_id, day, turn, rule, category) VALUES {}", tuples.join(", ")), values)?;
    Ok(())
}

impl Store {
    /// Stores an inspected conversation; `replace` re-inspects an existing id.
    ///
    /// `scope` is the writer's: the stored conversation (when replacing) and
    /// the new one must both be within it, else [`StoreError::Forbidden`].
    /// A replacement keeps the conversation's appeals and their decisions:
    /// an overturned check that fails again in the new scorecard is passed
    /// again, and the replacement is audited with the old and new score.
    /// `violations`: (turn, rule, category) of every forbidden phrase, for the charts.
    #[allow(clippy::too_many_arguments)]
    pub fn put_conversation(
        &self,
        conv: &Conversation,
        card: &Scorecard,
        violations: &[(usize, String, String)],
        source: &str,
        rulebook_version: i64,
        replace: bool,
        scope: &WriteScope,
        by: Option<&User>,
    ) -> Result<ConversationRow> {
        let transcript = serde_json::to_string(conv)?;
        let original = serde_json::to_string(card)?;
        let day = day_of(card.started_at.as_deref());
        self.db.write(|tx| {
            let old: Option<(String, String, i64)> =
                tx.query_row("SELECT agent, team, score FROM conversations WHERE id = ?1", [&conv.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
            if let Some((agent, team, _)) = &old {
                if !replace {
                    return Err(StoreError::Conflict(format!("会话 {} 已存在（如需重新质检请加 replace=true）", conv.id)));
                }
                if !scope.allows(agent, team) {
                    return Err(StoreError::Forbidden(format!("会话 {} 不属于你的班组，不能覆盖", conv.id)));
                }
            }
            let team = team_of_agent(tx, &card.agent)?;
            if !scope.allows(&card.agent, &team) {
                return Err(StoreError::Forbidden(format!("坐席 {} 不属于你的班组，不能为其保存会话", card.agent)));
            }
            // The decisions of appeals stand on the new scorecard.
            let overturned: Vec<String> =
                tx.query_map("SELECT check_id FROM appeals WHERE conversation_id = ?1 AND status = 'overturned'", [&conv.id], |r| r.get(0))?;
            let mut current = card.clone();
            let mut reapplied = 0;
            for c in current.checks.iter_mut().filter(|c| c.result == Outcome::Fail && overturned.contains(&c.id)) {
                c.result = Outcome::Pass;
                reapplied += 1;
            }
            if reapplied > 0 {
                current.rescore();
            }
            let values = params![
                conv.id,
                card.agent,
                team,
                channel_id(card),
                card.started_at,
                day,
                current.score,
                card.score,
                current.vetoed,
                source,
                rulebook_version,
                transcript,
                serde_json::to_string(&current)?,
                original,
                now()
            ];
            if let Some((_, _, old_score)) = &old {
                tx.execute("DELETE FROM check_results WHERE conversation_id = ?1", [&conv.id])?;
                tx.execute("DELETE FROM failed_checks WHERE conversation_id = ?1", [&conv.id])?;
                tx.execute("DELETE FROM violations WHERE conversation_id = ?1", [&conv.id])?;
                tx.execute(
                    "UPDATE conversations SET agent = ?2, team = ?3, channel = ?4, started_at = ?5, day = ?6, score = ?7, original_score = ?8, vetoed = ?9,
                         source = ?10, rulebook_version = ?11, transcript = ?12, scorecard = ?13, original_scorecard = ?14, inspected_at = ?15 WHERE id = ?1",
                    values,
                )?;
                crate::audit::audit_in(
                    tx,
                    by,
                    "conversation.replace",
                    &conv.id,
                    &format!("重新质检：{old_score} → {} 分（规则库 v{rulebook_version}，沿用已改判的申诉 {reapplied} 项）", current.score),
                )?;
            } else {
                tx.execute(
                    "INSERT INTO conversations (id, agent, team, channel, started_at, day, score, original_score, vetoed, source, rulebook_version, transcript, scorecard, original_scorecard, inspected_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    values,
                )?;
            }
            put_check_results(tx, &conv.id, &current)?;
            put_failed_checks(tx, &conv.id, &card.agent, &team, day.as_deref(), &current)?;
            // Rows per statement stay far below both backends' parameter limits (a transcript has at most a few thousand turns; the hits are capped per turn).
            for chunk in violations.chunks(500) {
                put_violations(tx, &conv.id, day.as_deref(), chunk)?;
            }
            Ok(tx.query_row(&format!("{} WHERE c.id = ?1", row_select(tx.dialect())), [&conv.id], row_from)?)
        })
    }

    pub fn conversation_row(&self, id: &str) -> Result<Option<ConversationRow>> {
        self.db.read(|c| Ok(c.query_row(&format!("{} WHERE c.id = ?1", row_select(c.dialect())), [id], row_from).optional()?))
    }

    /// The transcript and the current scorecard (with overturned checks) of a conversation.
    pub fn conversation(&self, id: &str) -> Result<Option<(ConversationRow, Conversation, Scorecard)>> {
        let found = self.db.read(|c| {
            c.query_row(&format!("{} WHERE c.id = ?1", full_select(c.dialect())), [id], |r| Ok((row_from(r)?, r.get::<_, String>(12)?, r.get::<_, String>(13)?)))
                .optional()
        })?;
        match found {
            None => Ok(None),
            Some((row, conv, card)) => Ok(Some((row, serde_json::from_str(&conv)?, serde_json::from_str(&card)?))),
        }
    }

    /// One page of the conversations a search selects, newest first, and their total.
    pub fn search(&self, s: &Search) -> Result<(u64, Vec<ConversationRow>)> {
        let (filter, values) = filter_sql(s);
        self.db.read(|c| {
            let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM conversations c{filter}"), values.as_slice(), |r| r.get(0))?;
            let rows = c.query_map(&search_page_sql(c.dialect(), &filter, s), values.as_slice(), row_from)?;
            Ok((u64::try_from(total).unwrap_or(0), rows))
        })
    }

    /// How the database runs a search's page query (EXPLAIN), for the benchmark and the README.
    pub fn explain_search(&self, s: &Search) -> Result<Vec<String>> {
        let (filter, values) = filter_sql(s);
        self.db.read(|c| {
            let sql = search_page_sql(c.dialect(), &filter, s);
            Ok(match c.dialect() {
                Dialect::Sqlite => c.query_map(&format!("EXPLAIN QUERY PLAN {sql}"), values.as_slice(), |r| r.get::<_, String>(3))?,
                Dialect::Postgres => c.query_map(&format!("EXPLAIN {sql}"), values.as_slice(), |r| r.get::<_, String>(0))?,
            })
        })
    }

    /// The QA charts over the conversations a search selects (its paging ignored).
    pub fn report(&self, s: &Search) -> Result<Report> {
        let (filter, values) = filter_sql(s);
        let values = values.as_slice();
        self.db.read(|c| {
            let by_check = c.query_map(
                &format!(
                    "SELECT r.check_id, CAST(SUM(CASE WHEN r.result != 'n/a' THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN r.result = 'fail' THEN 1 ELSE 0 END) AS BIGINT)
                     FROM check_results r JOIN conversations c ON c.id = r.conversation_id{filter} GROUP BY r.check_id ORDER BY 3 DESC, 1"
                ),
                values,
                |r| Ok(CheckCount { check: r.get(0)?, applicable: r.get(1)?, failed: r.get(2)? }),
            )?;
            let by_agent = c.query_map(
                &format!(
                    "SELECT c.agent, COUNT(*), CAST(AVG(c.score) AS DOUBLE PRECISION), CAST(SUM(c.vetoed) AS BIGINT) FROM conversations c{filter} GROUP BY c.agent ORDER BY 3, 1"
                ),
                values,
                |r| Ok(AgentScore { agent: r.get(0)?, conversations: r.get(1)?, mean_score: r.get(2)?, vetoed: r.get(3)? }),
            )?;
            let by_category_day = c.query_map(
                &format!(
                    "SELECT v.day, v.category, COUNT(*) FROM violations v JOIN conversations c ON c.id = v.conversation_id{filter} GROUP BY v.day, v.category ORDER BY 1 NULLS FIRST, 2 LIMIT 5000"
                ),
                values,
                |r| Ok(CategoryDay { day: r.get(0)?, category: r.get(1)?, violations: r.get(2)? }),
            )?;
            let (conversations, mean_score): (i64, Option<f64>) =
                c.query_row(&format!("SELECT COUNT(*), CAST(AVG(c.score) AS DOUBLE PRECISION) FROM conversations c{filter}"), values, |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(Report { conversations, mean_score, by_check, by_agent, by_category_day })
        })
    }
}
