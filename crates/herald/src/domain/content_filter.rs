//! Filters on an event's content, beside an endpoint's event types:
//! `data.project_type == "scene_project"`, `data.balance <= 10`,
//! `data.error_code in ["E1", "E2"]`, `data.person_id exists`, joined with
//! `and`, `or`, `not` and parentheses. Parsed once into a tree, checked
//! against the catalog's schemas when set ([`ContentFilter::fields`]), and
//! matched against each event's `data` at publish.

use std::{cmp::Ordering, fmt};

use serde_json::Value;

/// A parsed filter, kept with the text it was parsed from.
#[derive(Clone, PartialEq)]
pub struct ContentFilter {
    text: String,
    root: Expr,
}

/// Why a filter's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at})")]
pub struct FilterError {
    /// What is wrong.
    pub message: String,
    /// Where, counted in characters from 1.
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Vec<String>, Op, Value),
    In(Vec<String>, Vec<Value>),
    Exists(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl ContentFilter {
    /// The longest filter text accepted.
    pub const MAX_LEN: usize = 1024;
    /// Nesting allowed, so that no filter can exhaust the stack.
    pub const MAX_DEPTH: usize = 32;

    /// Parses a filter.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        if text.chars().count() > Self::MAX_LEN {
            return Err(FilterError { message: format!("is longer than {} characters", Self::MAX_LEN), at: 1 });
        }
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err(FilterError { message: "is empty; send null for no filter".into(), at: 1 });
        }
        let mut parser = Parser { tokens, next: 0, depth: 0, end: text.chars().count() + 1 };
        let root = parser.or()?;
        if let Some((token, at)) = parser.tokens.get(parser.next) {
            return Err(FilterError { message: format!("unexpected {token} after a complete filter"), at: *at });
        }
        Ok(Self { text: text.to_owned(), root })
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Every `data` field it reads, as paths below `data`.
    pub fn fields(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.root.fields(&mut out);
        out
    }

    /// Whether an event whose `data` is this matches.
    pub fn matches(&self, data: &Value) -> bool {
        self.root.eval(data)
    }
}

impl fmt::Debug for ContentFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ContentFilter").field(&self.text).finish()
    }
}

impl Expr {
    fn fields(&self, out: &mut Vec<Vec<String>>) {
        match self {
            Self::And(a, b) | Self::Or(a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Self::Not(e) => e.fields(out),
            Self::Compare(path, ..) | Self::In(path, _) | Self::Exists(path) => out.push(path.clone()),
        }
    }

    fn eval(&self, data: &Value) -> bool {
        match self {
            Self::And(a, b) => a.eval(data) && b.eval(data),
            Self::Or(a, b) => a.eval(data) || b.eval(data),
            Self::Not(e) => !e.eval(data),
            Self::Exists(path) => lookup(data, path).is_some(),
            Self::In(path, values) => lookup(data, path).is_some_and(|v| values.iter().any(|w| same(v, w))),
            Self::Compare(path, op, value) => lookup(data, path).is_some_and(|v| match op {
                Op::Eq => same(v, value),
                Op::Ne => !same(v, value),
                _ => order(v, value).is_some_and(|o| match op {
                    Op::Lt => o == Ordering::Less,
                    Op::Le => o != Ordering::Greater,
                    Op::Gt => o == Ordering::Greater,
                    Op::Ge => o != Ordering::Less,
                    Op::Eq | Op::Ne => false,
                }),
            }),
        }
    }
}

/// The value at `path` below `data`; a field that is absent (or null) is `None`.
fn lookup<'a>(data: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(data, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// Equality, numbers by value (`10` equals `10.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => order(a, b) == Some(Ordering::Equal),
        _ => a == b,
    }
}

/// The order of two numbers or two strings; `None` for anything else.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Path(Vec<String>),
    Literal(Value),
    Op(Op),
    And,
    Or,
    Not,
    In,
    Exists,
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(p) => write!(f, "`data.{}`", p.join(".")),
            Self::Literal(v) => write!(f, "`{v}`"),
            Self::Op(_) => f.write_str("a comparison"),
            Self::And => f.write_str("`and`"),
            Self::Or => f.write_str("`or`"),
            Self::Not => f.write_str("`not`"),
            Self::In => f.write_str("`in`"),
            Self::Exists => f.write_str("`exists`"),
            Self::Open => f.write_str("`(`"),
            Self::Close => f.write_str("`)`"),
            Self::OpenList => f.write_str("`[`"),
            Self::CloseList => f.write_str("`]`"),
            Self::Comma => f.write_str("`,`"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = i + 1;
        let c = chars[i];
        let fail = |message: String| Err(FilterError { message, at });
        let two = chars.get(i + 1).copied();
        let (token, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '[' => (Token::OpenList, 1),
            ']' => (Token::CloseList, 1),
            ',' => (Token::Comma, 1),
            '=' if two == Some('=') => (Token::Op(Op::Eq), 2),
            '!' if two == Some('=') => (Token::Op(Op::Ne), 2),
            '<' if two == Some('=') => (Token::Op(Op::Le), 2),
            '>' if two == Some('=') => (Token::Op(Op::Ge), 2),
            '<' => (Token::Op(Op::Lt), 1),
            '>' => (Token::Op(Op::Gt), 1),
            '"' => {
                let (value, len) =
                    string(&chars[i..]).ok_or(FilterError { message: "a string is not closed".into(), at })?;
                (Token::Literal(Value::String(value)), len)
            }
            c if c == '-' || c.is_ascii_digit() => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || "+-.".contains(**c)).count();
                let word: String = chars[i..i + len].iter().collect();
                match serde_json::from_str::<serde_json::Number>(&word) {
                    Ok(n) => (Token::Literal(Value::Number(n)), len),
                    Err(_) => return fail(format!("`{word}` is not a number")),
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_alphanumeric() || "_.".contains(**c)).count();
                let word: String = chars[i..i + len].iter().collect();
                let token = match word.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    "in" => Token::In,
                    "exists" => Token::Exists,
                    "true" => Token::Literal(Value::Bool(true)),
                    "false" => Token::Literal(Value::Bool(false)),
                    "null" => Token::Literal(Value::Null),
                    _ => match word.strip_prefix("data.") {
                        Some(rest) if rest.split('.').all(|s| !s.is_empty()) => {
                            Token::Path(rest.split('.').map(str::to_owned).collect())
                        }
                        _ => {
                            return fail(format!(
                                "`{word}` is not a field of the event: fields are written data.<name>, such as data.balance"
                            ))
                        }
                    },
                };
                (token, len)
            }
            other => return fail(format!("`{other}` is not part of a filter")),
        };
        tokens.push((token, at));
        i += len;
    }
    Ok(tokens)
}

/// A JSON string literal at the start of `chars`: its value and its length in characters.
fn string(chars: &[char]) -> Option<(String, usize)> {
    let mut escaped = false;
    for (i, c) in chars.iter().enumerate().skip(1) {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, '"') => {
                let text: String = chars[..=i].iter().collect();
                return serde_json::from_str(&text).ok().map(|s| (s, i + 1));
            }
            _ => escaped = false,
        }
    }
    None
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    depth: usize,
    /// The position just after the text, for what is missing at its end.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(t, _)| t)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(_, at)| *at)
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError { message: message.into(), at: self.at() })
    }

    fn take(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).map(|(t, _)| t.clone());
        self.next += 1;
        token
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.next += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.next += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        self.depth += 1;
        if self.depth > ContentFilter::MAX_DEPTH {
            return self.fail(format!("nests deeper than {} levels", ContentFilter::MAX_DEPTH));
        }
        let expr = match self.peek() {
            Some(Token::Not) => {
                self.next += 1;
                Expr::Not(Box::new(self.unary()?))
            }
            Some(Token::Open) => {
                self.next += 1;
                let inner = self.or()?;
                if self.take() != Some(Token::Close) {
                    self.next -= 1;
                    return self.fail("a `(` is not closed");
                }
                inner
            }
            _ => self.condition()?,
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn condition(&mut self) -> Result<Expr, FilterError> {
        let Some(Token::Path(path)) = self.peek().cloned() else {
            return match self.peek() {
                Some(token) => self.fail(format!("expected a field such as data.balance, not {token}")),
                None => self.fail("expected a field such as data.balance at the end"),
            };
        };
        self.next += 1;
        match self.take() {
            Some(Token::Exists) => Ok(Expr::Exists(path)),
            Some(Token::Op(op)) => {
                let value = self.literal()?;
                if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && !(value.is_number() || value.is_string()) {
                    self.next -= 1;
                    return self.fail("<, <=, > and >= compare with a number or a string");
                }
                Ok(Expr::Compare(path, op, value))
            }
            Some(Token::In) => {
                if self.take() != Some(Token::OpenList) {
                    self.next -= 1;
                    return self.fail("`in` takes a list such as [\"a\", \"b\"]");
                }
                let mut values = vec![self.literal()?];
                loop {
                    match self.take() {
                        Some(Token::Comma) => values.push(self.literal()?),
                        Some(Token::CloseList) => return Ok(Expr::In(path, values)),
                        _ => {
                            self.next -= 1;
                            return self.fail("a list goes on with `,` or ends with `]`");
                        }
                    }
                }
            }
            _ => {
                self.next -= 1;
                self.fail("expected ==, !=, <, <=, >, >=, in or exists after the field")
            }
        }
    }

    fn literal(&mut self) -> Result<Value, FilterError> {
        match self.take() {
            Some(Token::Literal(v)) => Ok(v),
            _ => {
                self.next -= 1;
                self.fail("expected a value: a \"string\", a number, true, false or null")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn matches(filter: &str, data: Value) -> bool {
        ContentFilter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}")).matches(&data)
    }

    #[test]
    fn the_issues_examples_match_as_written() {
        let scene = json!({"project_id": 1, "project_type": "scene_project"});
        assert!(matches(r#"data.project_type == "scene_project""#, scene.clone()));
        assert!(!matches(r#"data.project_type == "avatar""#, scene));
        assert!(matches("data.balance <= 10", json!({"balance": 10, "threshold": 50})));
        assert!(!matches("data.balance <= 10", json!({"balance": 11, "threshold": 50})));
    }

    #[test]
    fn every_operator_and_connective() {
        let d = json!({"balance": 5, "code": "E2", "score": 2.5, "who": {"name": "Ann"}, "gone": null});
        for (filter, expected) in [
            ("data.balance == 5.0", true),
            ("data.balance != 5", false),
            ("data.balance < 6 and data.balance > 4", true),
            ("data.balance >= 6 or data.score <= 2.5", true),
            (r#"data.code in ["E1", "E2"]"#, true),
            (r#"data.code in ["E1"]"#, false),
            ("data.who.name exists", true),
            ("data.missing exists", false),
            ("data.gone exists", false),
            ("not data.missing exists", true),
            ("data.missing == 1", false),
            ("data.missing != 1", false),
            (r#"data.balance == "5""#, false),
            (r#"(data.balance == 1 or data.balance == 5) and not data.code == "E1""#, true),
            (r#"data.who.name > "Al""#, true),
            ("data.balance == 1 or data.balance == 2 and data.balance == 5", false),
        ] {
            assert_eq!(matches(filter, d.clone()), expected, "{filter}");
        }
    }

    #[test]
    fn the_fields_read_are_listed() {
        let f = ContentFilter::parse(r#"data.a == 1 or (data.b.c exists and data.d in [1])"#).unwrap();
        let fields: Vec<String> = f.fields().iter().map(|p| p.join(".")).collect();
        assert_eq!(fields, ["a", "b.c", "d"]);
    }

    #[test]
    fn nonsense_is_refused_with_where_and_why() {
        for (text, at) in [
            ("", 1),
            ("balance <= 10", 1),
            ("data.balance", 13),
            ("data.balance <=", 16),
            ("data.balance <= true", 17),
            (r#"data.code in "E1""#, 14),
            ("data.balance == 1 and", 22),
            ("(data.balance == 1", 19),
            ("data.balance == 1)", 18),
            ("data.balance = 1", 14),
            (r#"data.code == "open"#, 14),
            ("data..x == 1", 1),
            ("data.x == 1e", 11),
        ] {
            let e = ContentFilter::parse(text).expect_err(text);
            assert_eq!(e.at, at, "{text}: {e}");
        }
        let deep = format!("{}data.a == 1{}", "(".repeat(40), ")".repeat(40));
        assert!(ContentFilter::parse(&deep).is_err());
        assert!(ContentFilter::parse(&format!("data.a == \"{}\"", "x".repeat(1100))).is_err());
    }
}
