//! JSON errors said in Chinese, for the person fixing a file or a form:
//! which field (by its Chinese name, with the path for whoever writes the
//! integration), what was expected and what came, and where in the text.
//! The parser's English never reaches a user (serde's wording is matched
//! here and rephrased; an unknown wording becomes a plain "不符合要求").

use serde::de::DeserializeOwned;

/// What is wrong with a JSON text or value: a message in Chinese and the
/// field at fault (`turns[3].start`), when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonProblem {
    pub message: String,
    pub field: Option<String>,
    /// Not JSON at all (as opposed to JSON of the wrong shape).
    pub syntax: bool,
}

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `bytes` as a `T`, explaining a failure.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonProblem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| explain(e.inner(), &e.path().to_string()))?;
    de.end().map_err(|e| explain(&e, ""))?;
    Ok(value)
}

/// Reads a JSON value as a `T`, explaining a failure.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, JsonProblem> {
    serde_path_to_error::deserialize(value).map_err(|e| explain(e.inner(), &e.path().to_string()))
}

/// One error of serde_json, found at `path` (serde_path_to_error's form:
/// `turns[0].start`, `.` or empty for the whole value).
pub fn explain(e: &serde_json::Error, path: &str) -> JsonProblem {
    use serde_json::error::Category;
    let path = path.trim_start_matches('.');
    let raw = e.to_string();
    let text = strip_position(&raw);
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => JsonProblem { message: format!("{}：{}", position(e.line(), e.column()), syntax_reason(text)), field: None, syntax: true },
        Category::Data => data_problem(text, path),
    }
}

/// Where a syntax error is, in the words of the console (1-based).
pub fn position(line: usize, column: usize) -> String {
    if line <= 1 {
        format!("第 {column} 个字符处")
    } else {
        format!("第 {line} 行第 {column} 个字符处")
    }
}

/// The reason of a syntax error, for a text whose position is said apart
/// (a JSON Lines file names its line itself).
pub fn syntax_reason_of(e: &serde_json::Error) -> String {
    syntax_reason(strip_position(&e.to_string())).to_string()
}

fn strip_position(raw: &str) -> &str {
    match raw.rfind(" at line ") {
        Some(i) if raw[i..].contains(" column ") => &raw[..i],
        _ => raw,
    }
}

fn syntax_reason(text: &str) -> &'static str {
    match text {
        t if t.starts_with("EOF while parsing a string") => "文字没有结束（缺少右引号 \"）",
        t if t.starts_with("EOF while parsing an object") => "内容在对象中途结束（缺少 }）",
        t if t.starts_with("EOF while parsing a list") => "内容在列表中途结束（缺少 ]）",
        t if t.starts_with("EOF") => "内容不完整（在中途结束了）",
        "expected `,` or `}`" => "缺少逗号或右花括号 }",
        "expected `,` or `]`" => "缺少逗号或右方括号 ]",
        "expected `:`" => "字段名后缺少冒号 :",
        "expected value" | "expected ident" => "这里应是一个值（文字要加双引号；true、false、null 要小写）",
        "trailing characters" => "一个完整的 JSON 之后还有多余的内容（多个会话请放进 [ ] 或改用 JSON Lines，每行一个）",
        "trailing comma" => "最后一项后面多了逗号",
        "key must be a string" => "字段名必须用双引号括起来",
        "invalid escape" | "invalid unicode code point" | "lone leading surrogate in hex escape" | "unexpected end of hex escape" => "反斜杠转义写法不正确",
        "invalid number" | "number out of range" => "数字写法不正确或超出范围",
        t if t.starts_with("control character") => "文字中有未转义的换行或控制字符（请写成 \\n）",
        "recursion limit exceeded" => "嵌套层数过多",
        "invalid type: null, expected a string" => "这里应是文字",
        _ => "不是有效的 JSON",
    }
}

/// A message of serde (of any format: a query string's too) about the value
/// at `path`, said in Chinese.
pub fn explain_message(text: &str, path: &str) -> JsonProblem {
    data_problem(text, path.trim_start_matches('.'))
}

fn data_problem(text: &str, path: &str) -> JsonProblem {
    let field = |p: String| if p.is_empty() { None } else { Some(p) };
    if let Some(name) = between(text, "missing field `", "`") {
        let full = join_path(path, name);
        return JsonProblem { message: format!("缺少必填字段：{}", describe_path(&full)), field: field(full), syntax: false };
    }
    if let Some(name) = between(text, "unknown field `", "`") {
        let full = join_path(path, name);
        let allowed = expected_list(text);
        let message = if allowed.is_empty() { format!("没有字段 {full}") } else { format!("没有字段 {full}（可用：{allowed}）") };
        return JsonProblem { message, field: field(full), syntax: false };
    }
    if let Some(name) = between(text, "duplicate field `", "`") {
        let full = join_path(path, name);
        return JsonProblem { message: format!("字段 {} 出现了两次", describe_path(&full)), field: field(full), syntax: false };
    }
    let subject = if path.is_empty() { "内容".to_string() } else { describe_path(path) };
    if let Some(value) = between(text, "unknown variant `", "`") {
        let allowed = expected_list(text);
        return JsonProblem { message: format!("{subject}的值“{value}”不在可选范围内（可选：{allowed}）"), field: field(path.to_string()), syntax: false };
    }
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return JsonProblem { message: format!("{subject}应为{}，收到的是{}", expected_zh(want), unexpected_zh(got)), field: field(path.to_string()), syntax: false };
    }
    if let Some(rest) = text.strip_prefix("invalid value: ") {
        let (got, want) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return JsonProblem { message: format!("{subject}的值不符合要求：应为{}，收到的是{}", expected_zh(want), unexpected_zh(got)), field: field(path.to_string()), syntax: false };
    }
    if ["invalid digit", "cannot parse integer", "number too large", "number too small", "invalid float literal"].iter().any(|m| text.starts_with(m)) {
        return JsonProblem { message: format!("{subject}应为数字"), field: field(path.to_string()), syntax: false };
    }
    if text.starts_with("invalid length ") {
        return JsonProblem { message: format!("{subject}的项数不符合要求"), field: field(path.to_string()), syntax: false };
    }
    // A message of our own (Chinese) goes through; anything else is not shown.
    let message = if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) { format!("{subject}：{text}") } else { format!("{subject}不符合要求") };
    JsonProblem { message, field: field(path.to_string()), syntax: false }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// `expected one of `a`, `b`` → `a、b`.
fn expected_list(text: &str) -> String {
    let Some(i) = text.find("expected ") else { return String::new() };
    text[i..].split('`').skip(1).step_by(2).collect::<Vec<_>>().join("、")
}

fn join_path(path: &str, name: &str) -> String {
    // serde_path_to_error ends the path with an unknown field's own name.
    if path == name || path.ends_with(&format!(".{name}")) {
        path.to_string()
    } else if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn expected_zh(want: &str) -> String {
    let w = want.trim();
    let zh = match w {
        "f64" | "f32" => "数字",
        "u8" | "u16" | "u32" | "u64" | "usize" => "非负整数",
        "i8" | "i16" | "i32" | "i64" | "isize" => "整数",
        "a string" | "string" | "a borrowed string" | "char" | "a character" => "文字（加双引号）",
        "a boolean" | "bool" => "true 或 false",
        "a sequence" | "a list" => "列表（[ … ]）",
        "a map" | "a JSON object" | "an object" => "对象（{ … }）",
        "unit" | "null" => "null",
        w if w.starts_with("struct ") || w.starts_with("a map") => "对象（{ … }）",
        w if w.starts_with("tuple") || w.starts_with("an array") => "列表（[ … ]）",
        w if w.starts_with("internally tagged enum") || w.starts_with("enum") => "带 type 字段的对象",
        w if w.starts_with("a valid date") || w.contains("YYYY-MM-DD") => "日期（YYYY-MM-DD）",
        w if w.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) => return w.to_string(),
        _ => "符合要求的值",
    };
    zh.to_string()
}

fn unexpected_zh(got: &str) -> String {
    let g = got.trim();
    let tick = |s: &str| s.trim_matches('`').to_string();
    if let Some(s) = g.strip_prefix("string ") {
        return format!("文字 {s}");
    }
    if let Some(s) = g.strip_prefix("integer ") {
        return format!("数字 {}", tick(s));
    }
    if let Some(s) = g.strip_prefix("floating point ") {
        return format!("数字 {}", tick(s));
    }
    if let Some(s) = g.strip_prefix("boolean ") {
        return tick(s);
    }
    if let Some(s) = g.strip_prefix("character ") {
        return format!("文字 {}", tick(s));
    }
    match g {
        "null" | "unit" => "null（空值）".into(),
        "sequence" => "列表".into(),
        "map" => "对象".into(),
        _ => "不符合要求的值".into(),
    }
}

/// A field path for people: `turns[3].start` → `第 4 轮的开始时间（turns[3].start）`.
pub fn describe_path(path: &str) -> String {
    let mut words = Vec::new();
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        match (name, index) {
            ("turns", Some(i)) => words.push(format!("第 {} 轮", i + 1)),
            ("events", Some(i)) => words.push(format!("第 {} 个事件", i + 1)),
            ("", Some(i)) => words.push(format!("第 {} 个", i + 1)),
            (name, Some(i)) => words.push(format!("{}第 {} 项", field_label(name).unwrap_or(name), i + 1)),
            (name, None) => words.push(field_label(name).unwrap_or(name).to_string()),
        }
    }
    let words = words.join("的");
    if words == path || path.is_empty() {
        words
    } else {
        format!("{words}（{path}）")
    }
}

/// The Chinese name of a field of the transcript format or of a request of
/// the API, where the name is not already the word a user sees.
pub fn field_label(key: &str) -> Option<&'static str> {
    Some(match key {
        // transcripts
        "id" => "编号",
        "channel" => "渠道",
        "started_at" => "开始时间",
        "agent" => "坐席",
        "work_no" => "工号",
        "rings" => "振铃次数",
        "turns" => "对话轮次",
        "speaker" => "说话人",
        "start" => "开始秒数",
        "end" => "结束秒数",
        "text" => "文本",
        "events" => "事件",
        "type" => "类型",
        "at" => "时间",
        "by" => "由谁",
        "team" => "班组",
        "metadata" => "附加信息",
        // accounts and tokens
        "username" => "用户名",
        "display_name" => "姓名",
        "name" => "名称",
        "role" => "角色",
        "agent_id" => "坐席 ID",
        "password" => "密码",
        "current_password" => "当前密码",
        "active" => "启用",
        "user_id" => "代表账号",
        "expires_days" => "有效天数",
        // appeals and feedback
        "check" => "检查项",
        "reason" => "理由",
        "decision" => "处理结果",
        "comment" => "说明",
        "kind" => "类型",
        "rule" => "规则",
        "category" => "类别",
        "note" => "说明",
        "turn" => "轮次",
        "conversation_id" => "会话编号",
        // service desk
        "fields" => "表单内容",
        "urgent" => "紧急",
        "supervisor" => "相关主管",
        "action" => "操作",
        "customer" => "客户",
        "contact" => "联系电话",
        "address" => "地址",
        "description" => "内容",
        "product" => "产品",
        "appointment" => "预约时间",
        "promised_reply_hours" => "承诺回复（工作小时）",
        "date" => "日期",
        "entries" => "来电记录",
        "title" => "任务",
        "assigned_by" => "安排人",
        // settings
        "host" => "服务器",
        "port" => "端口",
        "tls" => "加密",
        "from" => "发件人",
        "direct" => "直接主管邮箱",
        "indirect" => "间接主管邮箱",
        "periods" => "工作时间",
        "transcript_days" => "对话保留天数",
        "personal_days" => "个人信息保留天数",
        "path" => "文件",
        "base_version" => "基于的版本",
        "scenario" => "场景",
        "day" => "日期",
        "hours" => "小时数",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Turn {
        speaker: String,
        start: f64,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Conv {
        id: String,
        turns: Vec<Turn>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "lowercase", deny_unknown_fields)]
    #[allow(dead_code)]
    enum Role {
        Agent,
        Admin,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct User {
        username: String,
        role: Role,
    }

    fn no_english(s: &str) {
        for word in ["missing", "expected", "invalid", "field", "EOF", "line", "column", "variant", "string", "f64"] {
            assert!(!s.contains(word), "{s:?} contains {word:?}");
        }
    }

    #[test]
    fn a_missing_field_is_named_in_chinese_with_its_path() {
        let e = from_slice::<Conv>(br#"{"turns": []}"#).unwrap_err();
        assert_eq!(e.message, "缺少必填字段：编号（id）");
        assert_eq!(e.field.as_deref(), Some("id"));
        let e = from_slice::<Conv>(br#"{"id": "a", "turns": [{"speaker": "agent", "start": 0}, {"speaker": "agent"}]}"#).unwrap_err();
        assert_eq!(e.message, "缺少必填字段：第 2 轮的开始秒数（turns[1].start）");
        assert_eq!(e.field.as_deref(), Some("turns[1].start"));
    }

    #[test]
    fn a_wrong_type_says_what_was_expected_and_what_came() {
        let e = from_slice::<Conv>(br#"{"id": "a", "turns": [{"speaker": "agent", "start": "a"}]}"#).unwrap_err();
        assert_eq!(e.message, "第 1 轮的开始秒数（turns[0].start）应为数字，收到的是文字 \"a\"");
        no_english(&e.message);
    }

    #[test]
    fn an_unknown_value_lists_the_choices() {
        let e = from_slice::<User>(br#"{"username": "u", "role": "boss"}"#).unwrap_err();
        assert_eq!(e.message, "角色（role）的值“boss”不在可选范围内（可选：agent、admin）");
        let e = from_slice::<User>(br#"{"username": "u", "role": "agent", "age": 3}"#).unwrap_err();
        assert_eq!(e.message, "没有字段 age（可用：username、role）");
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = from_slice::<Conv>(br#"{"id": "x1","#).unwrap_err();
        assert_eq!(e.message, "第 12 个字符处：内容不完整（在中途结束了）");
        let e = from_slice::<Conv>(br#"{"id": "x1""#).unwrap_err();
        assert_eq!(e.message, "第 11 个字符处：内容在对象中途结束（缺少 }）");
        let e = from_slice::<Conv>(b"{\"id\": \"a\",\n \"turns\": [,]}").unwrap_err();
        assert!(e.message.starts_with("第 2 行第 "), "{}", e.message);
        let e = from_slice::<Conv>(br#"{"id": "a", "turns": []} {}"#).unwrap_err();
        assert!(e.message.contains("多余的内容"), "{}", e.message);
        for bad in [&b"{"[..], b"{id: 1}", b"[1,]", b"\"abc", b"{\"a\" 1}", b"nul", b"{\"id\": \"a\nb\"}"] {
            let e = from_slice::<Conv>(bad).unwrap_err();
            no_english(&e.message);
        }
    }
}
