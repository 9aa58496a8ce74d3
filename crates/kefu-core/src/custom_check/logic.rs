//! A check's `logic`: `&&`, `||`, `!` and parentheses over condition ids
//! (`a && !b`, `(a || b) && !c`). `!` binds tightest, then `&&`, then `||`.

/// A parsed logic expression; variables are indexes into the check's conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Var(usize),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Evaluates with `value` asked only for the conditions it needs
    /// (`a && !b` never looks at `b` when `a` is false).
    pub fn eval_lazy(&self, value: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Expr::Var(i) => value(*i),
            Expr::Not(e) => !e.eval_lazy(value),
            Expr::And(a, b) => a.eval_lazy(value) && b.eval_lazy(value),
            Expr::Or(a, b) => a.eval_lazy(value) || b.eval_lazy(value),
        }
    }

    pub fn eval(&self, values: &[bool]) -> bool {
        match self {
            Expr::Var(i) => values.get(*i).copied().unwrap_or(false),
            Expr::Not(e) => !e.eval(values),
            Expr::And(a, b) => a.eval(values) && b.eval(values),
            Expr::Or(a, b) => a.eval(values) || b.eval(values),
        }
    }

    /// The conditions whose truth makes the expression true as it is (for
    /// evidence): those under an even number of `!`.
    pub fn positive(&self, out: &mut Vec<usize>) {
        fn walk(e: &Expr, negated: bool, out: &mut Vec<usize>) {
            match e {
                Expr::Var(i) if !negated => out.push(*i),
                Expr::Var(_) => {}
                Expr::Not(inner) => walk(inner, !negated, out),
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, negated, out);
                    walk(b, negated, out);
                }
            }
        }
        walk(self, false, out);
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '!' => {
                out.push(Token::Not);
                i += 1;
            }
            '&' | '|' => {
                if chars.get(i + 1) != Some(&c) {
                    return Err(format!("第 {} 个字符处应为 {c}{c}", i + 1));
                }
                out.push(if c == '&' { Token::And } else { Token::Or });
                i += 2;
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("第 {} 个字符“{other}”不能出现在逻辑表达式中（只能用条件 id、&&、||、! 和括号）", i + 1)),
        }
    }
    Ok(out)
}

/// Parses `text`, each identifier looked up in `ids` (the check's condition ids).
pub fn parse(text: &str, ids: &[&str]) -> Result<Expr, String> {
    let toks = tokens(text)?;
    if toks.is_empty() {
        return Err("logic 是空的".into());
    }
    let mut p = Parser { toks, at: 0, ids };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return Err("逻辑表达式在结尾处多了内容（少了 && 或 ||？）".into());
    }
    Ok(e)
}

struct Parser<'a> {
    toks: Vec<Token>,
    at: usize,
    ids: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        match self.toks.get(self.at).cloned() {
            Some(Token::Not) => {
                self.at += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Token::Open) => {
                self.at += 1;
                let e = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("括号没有闭合（缺少 )）".into());
                }
                self.at += 1;
                Ok(e)
            }
            Some(Token::Ident(name)) => {
                self.at += 1;
                match self.ids.iter().position(|id| *id == name) {
                    Some(i) => Ok(Expr::Var(i)),
                    None => Err(format!("逻辑表达式用到了不存在的条件“{name}”（已定义：{}）", self.ids.join("、"))),
                }
            }
            Some(Token::Close) => Err("多了一个 )".into()),
            Some(Token::And | Token::Or) => Err("&& 或 || 前面缺少条件".into()),
            None => Err("逻辑表达式不完整（结尾缺少条件）".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_parentheses() {
        let ids = ["a", "b", "c"];
        let e = parse("a && !b || c", &ids).expect("parse");
        // (a && !b) || c
        assert!(e.eval(&[true, false, false]));
        assert!(!e.eval(&[true, true, false]));
        assert!(e.eval(&[false, true, true]));
        let e = parse("a && !(b || c)", &ids).expect("parse");
        assert!(!e.eval(&[true, false, true]));
        let mut pos = Vec::new();
        parse("a && !b", &ids).expect("parse").positive(&mut pos);
        assert_eq!(pos, vec![0]);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let ids = ["a", "b"];
        assert!(parse("a && x", &ids).is_err_and(|e| e.contains("不存在的条件“x”")));
        assert!(parse("a & b", &ids).is_err_and(|e| e.contains("&&")));
        assert!(parse("(a || b", &ids).is_err_and(|e| e.contains("闭合")));
        assert!(parse("a b", &ids).is_err_and(|e| e.contains("多了内容")));
        assert!(parse("", &ids).is_err());
        assert!(parse("a &&", &ids).is_err_and(|e| e.contains("不完整")));
        assert!(parse("a + b", &ids).is_err_and(|e| e.contains("“+”")));
    }
}
