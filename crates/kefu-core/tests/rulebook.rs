//! The default rulebook: it loads, every example in it runs, and every item
//! cites one of the five standards.

use kefu_core::rulebook::{Rulebook, CATEGORY_IDS, SCENARIO_IDS};
use kefu_core::Engine;

const STANDARDS: [&str; 5] = [
    "01-online-service-manual.md",
    "02-daily-conduct.md",
    "03-after-sales-phrases.md",
    "04-hotline-conduct.md",
    "05-response-standards.md",
];

fn engine() -> Engine {
    Engine::embedded().unwrap_or_else(|errors| {
        panic!("default rulebook invalid:\n{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })
}

#[test]
fn every_example_of_the_default_rulebook_passes() {
    let failures = engine().run_examples();
    assert!(failures.is_empty(), "{}", failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
}

#[test]
fn every_item_cites_a_standard() {
    let e = engine();
    let book = &e.rulebook;
    let cites = |s: &str| STANDARDS.iter().any(|d| s.contains(d));
    for r in &book.rules {
        assert!(cites(&r.source), "rule {} cites {}", r.id, r.source);
        assert!(!r.bad.is_empty() && !r.suggestion.is_empty(), "rule {}", r.id);
    }
    for s in &book.scenarios {
        assert!(cites(&s.source), "scenario {} cites {}", s.id, s.source);
    }
    for p in &book.phrases {
        assert!(cites(&p.source), "phrase {} cites {}", p.id, p.source);
    }
    for p in &book.procedures {
        assert!(cites(&p.source), "procedure {} cites {}", p.id, p.source);
    }
}

#[test]
fn fixed_ids_are_all_there() {
    let e = engine();
    for c in CATEGORY_IDS {
        assert!(e.rulebook.category(c).is_some(), "category {c}");
        assert!(e.rulebook.rules.iter().any(|r| r.category == c), "no rule in category {c}");
    }
    for s in SCENARIO_IDS {
        assert!(e.rulebook.scenario(s).is_some(), "scenario {s}");
    }
    for p in ["opening", "closing"] {
        assert!(e.rulebook.phrase(p).is_some(), "phrase {p}");
    }
}

#[test]
fn the_listed_forbidden_phrases_of_01_and_04_are_all_caught() {
    // The documents' own lists, verbatim (01 在线客服服务忌语, 04 §3 服务忌语, 03 不对/错了).
    let listed = [
        "我不明白您的意思", "说呀！我听着呢。", "能不能再说清楚点呀？", "什么呀", "你先听我说。", "你到底听不听我说。",
        "怎么搞的，半天才讲话。", "你懂不懂，你能不能理解。", "你怎么还不明白。", "你凭什么这么说。",
        "真讨厌。", "真罗嗦。", "真烦人！", "真糟糕。", "我不是已经说了吗。", "我不是已经告诉你了吗。", "刚才不是讲过了吗？", "刚才不是给你查过了吗？", "你怎么不早说。",
        "什么乱七八糟的，你以后想清楚再问！", "你会不会讲话。", "急什么？", "冷静点。",
        "我不知道。", "我忙着呢。", "那不是我的工作。", "机器（系统）有故障，我能有什么办法。", "这是其它部门的问题，不关我的事。",
        "你都不知道，我怎么知道。", "你问我，我问谁？", "我也没用过，不知道怎么用。", "这个问题不是我处理的，我能有什么办法。",
        "刚才不是我受理的，我不知道。", "你自己去问问吧。", "您跟我说这么多是没有用的。", "那不是我的错！", "我解决不了，愿意找谁找谁去！", "有意见，有领导去；",
        "知道了，知道了，不要再讲了。", "好了，好了，不是正在给你查吗？", "你催什么，我都不急，你急什么？", "你不放心，问别人就是了。", "你不放心，我也没办法。",
        "我就这态度！", "有能耐你告去，随便告哪都不怕；",
        "喂，", "嘿，", "什么怎么样？", "为什么？", "什么？", "说什么？", "你说什么？", "你到底在说什么？", "你不是要查什么吗？", "你到底想查什么？",
        "你到底想怎么样？", "你到底要不要查？", "你到底要不要听我说？", "你听不听我说？", "我态度怎么样？",
        "不行就是不行，这是规定。", "我就这样的态度！", "我态度哪里不好，你说！", "没法查，我没办法。", "有意见找领导去，要告就告去！", "用不起就别用！",
        "你有什么了不起！", "你有没有搞错？", "你这人怎么这样说话！", "你怎么这么罗嗦！",
        "我不清楚，我不知道，你找营业厅问。", "这不是我办理的。", "我们公司就是这么规定的。", "这不关我的事，这不是我的错，没这回事。",
        "我查不到，你拨10086电话去查。", "我没法查，我也没办法。", "你自己先查清楚。",
        "不对。", "错了。",
    ];
    let e = engine();
    let missed: Vec<&str> = listed.iter().copied().filter(|t| e.lint(t).is_empty()).collect();
    assert!(missed.is_empty(), "not caught: {missed:?}");
}

#[test]
fn the_standard_phrases_are_clean() {
    // run_examples checks every phrase text; this guards the polite examples
    // quoted in the issue against regressions too.
    let e = engine();
    for t in ["您不知道型号也没关系", "我不知道您是否方便现在核对一下地址？", "对不起，打断一下，请听我说。", "您好，很高兴为您服务！"] {
        assert!(e.lint(t).is_empty(), "{t}: {:?}", e.lint(t));
    }
    let mixed = e.lint("您不知道型号也没关系，我不知道");
    assert_eq!(mixed.len(), 1);
    assert_eq!((mixed[0].start, mixed[0].end), (11, 15));
}

#[test]
fn a_rulebook_from_text_reports_file_and_line() {
    let files = vec![
        ("rulebook.toml".to_string(), "[rulebook]\nformat = 2\nversion = \"x\"\nname = \"x\"\n".to_string()),
        ("bad.toml".to_string(), "\n\n[[rule]]\nid = \"oops\n".to_string()),
    ];
    let errors = Rulebook::from_files(&files).expect_err("invalid");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.starts_with("bad.toml:4:")), "{text:?}");
    assert!(text.iter().any(|e| e.contains("格式 2")), "{text:?}");
}
