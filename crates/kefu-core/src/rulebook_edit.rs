//! Small edits of a rulebook file made from a form, not a text editor: one
//! phrase (pattern), one bad or one good example added to a rule. The file
//! keeps its comments, order and layout (toml_edit); only the array grows.
//! The caller validates the whole rulebook afterwards, as for any edit.

use toml_edit::{Array, DocumentMut, Item, Value};

/// What can be added to a rule, by its field in the file.
pub const ADDABLE: [(&str, &str); 4] = [("patterns", "禁用说法"), ("exceptions", "例外说法"), ("bad", "违规示例"), ("good", "合规示例")];

/// `text` with `value` appended to the `field` array of the `[[rule]]`
/// whose id is `rule_id` (the array is made when the rule has none).
pub fn add_to_rule(text: &str, rule_id: &str, field: &str, value: &str) -> Result<String, String> {
    if !ADDABLE.iter().any(|(f, _)| *f == field) {
        let allowed = ADDABLE.iter().map(|(f, label)| format!("{f}（{label}）")).collect::<Vec<_>>().join("、");
        return Err(format!("只能添加到：{allowed}"));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err("要添加的内容是空的".into());
    }
    if value.chars().count() > 500 {
        return Err("要添加的内容最多 500 字".into());
    }
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| format!("文件不是有效的 TOML：{}", e.message()))?;
    let rules = doc.get_mut("rule").and_then(Item::as_array_of_tables_mut).ok_or_else(|| "这个文件里没有规则（[[rule]]）".to_string())?;
    let rule = rules.iter_mut().find(|t| t.get("id").and_then(Item::as_str) == Some(rule_id)).ok_or_else(|| format!("这个文件里没有规则 {rule_id}"))?;
    let item = rule.entry(field).or_insert(Item::Value(Value::Array(Array::new())));
    let array = item.as_array_mut().ok_or_else(|| format!("规则 {rule_id} 的 {field} 不是列表"))?;
    if array.iter().any(|v| v.as_str() == Some(value)) {
        return Err(format!("规则 {rule_id} 已有“{value}”"));
    }
    array.push(value);
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# 推卸语 — a comment that stays

[[rule]]
id = "shirk.busy"
category = "shirk"
patterns = ["我~2忙着[呢|]"]
bad = ["我忙着呢。"]

[[rule]]
id = "shirk.other"
category = "shirk"
patterns = ["找别人"]
"#;

    #[test]
    fn a_value_is_appended_to_the_right_rule_and_the_rest_stays() {
        let out = add_to_rule(FILE, "shirk.busy", "bad", "我这会儿忙，回头再说").expect("added");
        assert!(out.starts_with("# 推卸语 — a comment that stays"), "{out}");
        assert!(out.contains(r#"bad = ["我忙着呢。", "我这会儿忙，回头再说"]"#), "{out}");
        assert!(out.contains(r#"patterns = ["找别人"]"#), "the other rule is untouched: {out}");
        let out = add_to_rule(FILE, "shirk.other", "good", "我帮您转接").expect("a new array");
        assert!(out.contains(r#"good = ["我帮您转接"]"#), "{out}");
    }

    #[test]
    fn bad_additions_are_said_in_chinese() {
        assert!(add_to_rule(FILE, "shirk.none", "bad", "x").is_err_and(|e| e.contains("没有规则")));
        assert!(add_to_rule(FILE, "shirk.busy", "severity", "x").is_err_and(|e| e.contains("只能添加到")));
        assert!(add_to_rule(FILE, "shirk.busy", "bad", "  ").is_err_and(|e| e.contains("空的")));
        assert!(add_to_rule(FILE, "shirk.busy", "bad", "我忙着呢。").is_err_and(|e| e.contains("已有")));
        assert!(add_to_rule("not = [toml", "shirk.busy", "bad", "x").is_err_and(|e| e.contains("TOML")));
    }
}
