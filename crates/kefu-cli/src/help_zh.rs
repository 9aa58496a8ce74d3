//! The command line's help and errors in Chinese. The commands' and flags'
//! own texts are Chinese doc comments (args.rs); what clap writes itself —
//! headings, "[default: …]", its error sentences — is English, so help is
//! rendered by clap and its fixed words replaced, and errors are said anew
//! from the error's kind and context (the invalid argument, the valid
//! values, the suggestion), never with clap's English sentence.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

use crate::args::Cli;

/// Exit status of a command-line error (clap's, kept for scripts).
const USAGE_ERROR: i32 = 2;

/// The parsed command line; help and version are printed and errors said
/// in Chinese, then the process exits.
pub fn parse_or_exit() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let (text, code) = render(&e);
            if code == 0 {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            std::process::exit(code)
        }
    }
}

/// What to print for a clap error and the exit status.
fn render(e: &clap::Error) -> (String, i32) {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let mut text = localise(&e.render().to_string());
            if !text.ends_with('\n') {
                text.push('\n');
            }
            (text, 0)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => (localise(&e.render().to_string()), USAGE_ERROR),
        _ => {
            let mut text = format!("错误：{}\n", message(e));
            if let Some(usage) = context_text(e, ContextKind::Usage) {
                text.push('\n');
                text.push_str(localise(usage.trim()).trim_end());
                text.push('\n');
            }
            text.push_str("\n更多信息请用 --help 查看。\n");
            (text, USAGE_ERROR)
        }
    }
}

/// clap's fixed English words in a rendered help or usage, in Chinese.
pub fn localise(text: &str) -> String {
    const WORDS: [(&str, &str); 13] = [
        ("Usage: ", "用法："),
        ("Usage:", "用法："),
        ("Options:", "选项："),
        ("Arguments:", "参数："),
        ("Commands:", "命令："),
        ("Possible values:", "可选值："),
        ("[OPTIONS]", "[选项]"),
        ("<COMMAND>", "<命令>"),
        ("[COMMAND]", "[命令]"),
        ("[default: ", "[默认："),
        ("[possible values: ", "[可选："),
        ("[env: ", "[环境变量："),
        ("[aliases: ", "[别名："),
    ];
    WORDS.iter().fold(text.to_string(), |t, (en, zh)| t.replace(en, zh))
}

fn context_text(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join("、")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("、")),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One sentence for the error, from its kind and context.
fn message(e: &clap::Error) -> String {
    let arg = context_text(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = context_text(e, ContextKind::InvalidValue).unwrap_or_default();
    let suggestion = context_text(e, ContextKind::SuggestedArg)
        .or_else(|| context_text(e, ContextKind::SuggestedSubcommand))
        .or_else(|| context_text(e, ContextKind::SuggestedValue))
        .map(|s| format!("（是否想用 {s}？）"))
        .unwrap_or_default();
    match e.kind() {
        ErrorKind::UnknownArgument => format!("无法识别的参数 {arg}{suggestion}"),
        ErrorKind::InvalidSubcommand => {
            let sub = context_text(e, ContextKind::InvalidSubcommand).unwrap_or(arg);
            format!("没有命令 {sub}{suggestion}")
        }
        ErrorKind::InvalidValue => {
            let valid = context_text(e, ContextKind::ValidValue).map(|v| format!("（可选：{v}）")).unwrap_or_default();
            if value.is_empty() {
                format!("参数 {arg} 需要一个值{valid}")
            } else {
                format!("参数 {arg} 的值 '{value}' 不在可选范围内{valid}{suggestion}")
            }
        }
        ErrorKind::ValueValidation => format!("参数 {arg} 的值 '{value}' 不符合要求（{}）", expected_of(&arg)),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_string(),
        ErrorKind::ArgumentConflict => {
            let prior = context_text(e, ContextKind::PriorArg).unwrap_or_default();
            format!("参数 {arg} 不能和 {prior} 同时使用")
        }
        ErrorKind::NoEquals => format!("参数 {arg} 的值要用 = 连写"),
        ErrorKind::TooManyValues => format!("参数 {arg} 给出的值太多（多余的是 '{value}'）"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!("参数 {arg} 的值个数不对"),
        ErrorKind::InvalidUtf8 => "参数不是有效的 UTF-8 文本".to_string(),
        _ => "命令行参数有误".to_string(),
    }
}

/// What a typed flag expects, for a value that did not parse.
fn expected_of(arg: &str) -> &'static str {
    let name = arg.split_whitespace().next().unwrap_or(arg);
    match name {
        "--listen" => "应为 地址:端口，例如 127.0.0.1:8080",
        "--jobs" | "--max-connections" | "--header-timeout" | "--hours" | "--working-days" | "--minutes" => "应为整数",
        "--working-hours" => "应为数字，例如 1.5",
        _ => "格式不对",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn error_of(args: &[&str]) -> (String, i32) {
        match Cli::try_parse_from(args) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => render(&e),
        }
    }

    /// Words of clap's English that must never reach a user.
    fn assert_no_english(text: &str) {
        for word in ["Usage", "Options", "Arguments", "Commands", "error:", "tip:", "For more information", "Print help", "Print version", "default:", "possible values", "unexpected argument", "invalid value", "命令:", "选项:", "参数:"] {
            assert!(!text.contains(word), "{word:?} in:\n{text}");
        }
    }

    #[test]
    fn help_of_every_command_is_chinese() {
        let mut cmd = Cli::command();
        cmd.build();
        let mut stack = vec![(vec!["kefu".to_string()], cmd)];
        let mut seen = 0;
        while let Some((path, cmd)) = stack.pop() {
            let mut argv: Vec<&str> = path.iter().map(String::as_str).collect();
            argv.push("--help");
            let (text, code) = error_of(&argv);
            assert_eq!(code, 0, "{argv:?}");
            assert_no_english(&text);
            assert!(text.contains("用法："), "{text}");
            // Every flag and argument has a Chinese description.
            for arg in cmd.get_arguments() {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(help.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{argv:?}: {} has no Chinese help", arg.get_id());
            }
            for sub in cmd.get_subcommands() {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                stack.push((p, sub.clone()));
            }
            seen += 1;
        }
        assert!(seen >= 14, "{seen} commands");
    }

    #[test]
    fn errors_are_said_in_chinese_with_the_usage() {
        let cases: [(&[&str], &str); 7] = [
            (&["kefu", "lint", "--bogus"], "无法识别的参数 --bogus"),
            (&["kefu", "lnt"], "没有命令 lnt（是否想用 lint？）"),
            (&["kefu", "reply", "--scenario", "x", "--line", "gold"], "不在可选范围内（可选：standard、vip）"),
            (&["kefu", "serve", "--listen", "nowhere"], "应为 地址:端口"),
            (&["kefu", "inspect"], "缺少必需的参数"),
            (&["kefu", "lint", "--json", "--count"], "不能和"),
            (&["kefu", "calendar", "due", "--from", "2026-01-01T09:00:00+08:00"], "缺少必需的参数"),
        ];
        for (args, want) in cases {
            let (text, code) = error_of(args);
            assert_eq!(code, USAGE_ERROR, "{args:?}");
            assert!(text.starts_with("错误："), "{text}");
            assert!(text.contains(want), "{args:?}: want {want:?} in\n{text}");
            assert_no_english(&text);
        }
        // Where clap knows the usage, it is shown, headed in Chinese.
        assert!(error_of(&["kefu", "lint", "--bogus"]).0.contains("用法：kefu lint"));
    }
}
