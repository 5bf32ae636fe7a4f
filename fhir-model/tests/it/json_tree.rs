//! A small, strict JSON tree parser and comparator, independent of `fhir-model`.
//!
//! The round-trip tests check `fhir-model`'s own JSON reader and writer, so they cannot use
//! them to decide what "the same JSON" means; `serde_json::Value` cannot either, because it
//! normalises numbers (`1.50` becomes `1.5`). This module:
//!
//! * keeps every number as its source text, so numbers compare by spelling
//!   (`1.50` != `1.5`, `1e2` != `100`);
//! * unescapes strings, so `"\u00e9"` equals `"é"` and `"\/"` equals `"/"`;
//! * keeps object members in source order (tests may check the order) but compares objects
//!   regardless of order;
//! * rejects duplicate keys, naming the object's path;
//! * follows RFC 8259 strictly (no BOM, no trailing commas, no leading zeros, no lone
//!   surrogates, no raw control characters in strings) and limits nesting to [`MAX_DEPTH`].
//!
//! It is shared by the `it` test binary and the `parse` bench (through `#[path]`), so not
//! every item is used by both.

use std::collections::HashSet;
use std::fmt;

/// Deepest nesting of arrays and objects the parser accepts (it recurses once per level).
pub(crate) const MAX_DEPTH: usize = 512;

/// A parsed JSON value.
///
/// There is deliberately no `PartialEq`: compare with [`first_difference`] or [`same`], which
/// ignore object member order.
#[derive(Debug, Clone)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number exactly as spelled in the source, e.g. `1.50` or `-0.0` or `1E+2`.
    Number(String),
    /// The unescaped string.
    String(String),
    Array(Vec<Json>),
    /// Members in source order; keys are unique.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The keys of an object in source order (empty for anything else).
    pub(crate) fn keys(&self) -> Vec<&str> {
        match self {
            Json::Object(members) => members.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Looks up a dotted path such as `item[0].adjudication[1].amount.value` (an empty path
    /// is the value itself; a leading `$` or `$.` is allowed).
    pub(crate) fn at(&self, path: &str) -> Option<&Json> {
        let path = path.strip_prefix('$').unwrap_or(path);
        let path = path.strip_prefix('.').unwrap_or(path);
        let mut current = self;
        if path.is_empty() {
            return Some(current);
        }
        for segment in path.split('.') {
            let (name, mut rest) = match segment.find('[') {
                Some(i) => (&segment[..i], &segment[i..]),
                None => (segment, ""),
            };
            if !name.is_empty() {
                current = current.get(name)?;
            }
            while let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']')?;
                let index: usize = after[..end].parse().ok()?;
                current = match current {
                    Json::Array(items) => items.get(index)?,
                    _ => return None,
                };
                rest = &after[end + 1..];
            }
            if !rest.is_empty() {
                return None;
            }
        }
        Some(current)
    }

    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// Why a text is not acceptable JSON.
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, in characters.
    pub(crate) column: usize,
    /// Path of the innermost value being parsed, e.g. `$.name[0]`.
    pub(crate) path: String,
    pub(crate) message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (in {}): {}",
            self.line, self.column, self.path, self.message
        )
    }
}

/// Parses one JSON text strictly (RFC 8259; duplicate keys and nesting deeper than
/// [`MAX_DEPTH`] are errors too).
pub(crate) fn parse(text: &str) -> Result<Json, ParseError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        path: Vec::new(),
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("unexpected characters after the JSON value"));
    }
    Ok(value)
}

enum Segment {
    Key(String),
    Index(usize),
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    path: Vec<Segment>,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        let pos = self.pos.min(self.bytes.len());
        // `pos` may sit inside a multi-byte character after an error; back up to a boundary.
        let mut boundary = pos;
        while !self.text.is_char_boundary(boundary) {
            boundary -= 1;
        }
        let before = &self.text[..boundary];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        ParseError {
            line,
            column,
            path: render_path(&self.path),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &str, value: Json) -> Result<Json, ParseError> {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error(format!("invalid literal (expected `{literal}`)")))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input (expected a value)")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.expect_literal("true", Json::Bool(true)),
            Some(b'f') => self.expect_literal("false", Json::Bool(false)),
            Some(b'n') => self.expect_literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character (expected a value)")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.check_depth(depth)?;
        self.pos += 1; // `{`
        let mut members: Vec<(String, Json)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            if !seen.insert(key.clone()) {
                self.pos = key_pos;
                return Err(self.error(format!("duplicate key {}", quote(&key))));
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            self.path.push(Segment::Key(key.clone()));
            let value = self.value(depth)?;
            self.path.pop();
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                None => return Err(self.error("unexpected end of input inside an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.check_depth(depth)?;
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_whitespace();
            self.path.push(Segment::Index(items.len()));
            let value = self.value(depth)?;
            self.path.pop();
            items.push(value);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                None => return Err(self.error("unexpected end of input inside an array")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let Some(hex) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.error("truncated \\u escape"));
        };
        let mut value = 0u32;
        for &b in hex {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.error("invalid hex digit in a \\u escape")),
            };
            value = value * 16 + u32::from(digit);
        }
        self.pos += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of ordinary characters in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error("unexpected end of input inside a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(escape) = self.peek() else {
                        return Err(self.error("unexpected end of input inside an escape"));
                    };
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let escape_start = self.pos - 2;
                            let first = self.hex4()?;
                            let code = match first {
                                0xD800..=0xDBFF => {
                                    if !self.bytes[self.pos..].starts_with(b"\\u") {
                                        self.pos = escape_start;
                                        return Err(
                                            self.error("lone high surrogate in a \\u escape")
                                        );
                                    }
                                    self.pos += 2;
                                    let second = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&second) {
                                        self.pos = escape_start;
                                        return Err(self.error(
                                            "high surrogate not followed by a low surrogate",
                                        ));
                                    }
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                }
                                0xDC00..=0xDFFF => {
                                    self.pos = escape_start;
                                    return Err(self.error("lone low surrogate in a \\u escape"));
                                }
                                other => other,
                            };
                            match char::from_u32(code) {
                                Some(c) => out.push(c),
                                None => return Err(self.error("invalid \\u escape")),
                            }
                        }
                        _ => {
                            self.pos -= 2;
                            return Err(self.error("invalid escape sequence"));
                        }
                    }
                }
                Some(_) => return Err(self.error("unescaped control character inside a string")),
            }
        }
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn push_key(path: &mut String, key: &str) {
    if is_identifier(key) {
        path.push('.');
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&quote(key));
        path.push(']');
    }
}

fn render_path(segments: &[Segment]) -> String {
    let mut path = String::from("$");
    for segment in segments {
        match segment {
            Segment::Key(key) => push_key(&mut path, key),
            Segment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

/// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Compact JSON text for `value`, members in their stored order, numbers as spelled.
pub(crate) fn render(value: &Json) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::String(s) => write_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// [`render`], cut to about `max` characters for messages.
pub(crate) fn render_short(value: &Json, max: usize) -> String {
    let full = render(value);
    if full.chars().count() <= max {
        full
    } else {
        let cut: String = full.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Whether `text` has no whitespace outside string literals (what "compact" JSON means).
pub(crate) fn is_compact(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return false;
        }
    }
    true
}

/// The first place where two trees differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Difference {
    /// JSONPath-like location, e.g. `$.item[0].adjudication[1].amount.value`.
    pub(crate) path: String,
    /// E.g. `expected 1.50, got 1.5`.
    pub(crate) message: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

const SHORT: usize = 80;

/// The first difference between `expected` and `actual`, in `expected`'s document order, or
/// `None` if they are the same tree (object member order ignored, numbers by spelling,
/// strings after unescaping, array order significant).
pub(crate) fn first_difference(expected: &Json, actual: &Json) -> Option<Difference> {
    let mut path = String::from("$");
    diff_at(expected, actual, &mut path)
}

/// Whether two trees are the same (see [`first_difference`]).
pub(crate) fn same(expected: &Json, actual: &Json) -> bool {
    first_difference(expected, actual).is_none()
}

fn diff_at(expected: &Json, actual: &Json, path: &mut String) -> Option<Difference> {
    let here = |message: String, path: &String| {
        Some(Difference {
            path: path.clone(),
            message,
        })
    };
    match (expected, actual) {
        (Json::Null, Json::Null) => None,
        (Json::Bool(a), Json::Bool(b)) if a == b => None,
        (Json::Number(a), Json::Number(b)) if a == b => None,
        (Json::String(a), Json::String(b)) if a == b => None,
        (Json::Array(a), Json::Array(b)) => {
            let len = path.len();
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push_str(&format!("[{i}]"));
                if let Some(d) = diff_at(x, y, path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            if a.len() > b.len() {
                path.push_str(&format!("[{}]", b.len()));
                let d = here(
                    format!(
                        "missing from output (expected {}; array of {} became {})",
                        render_short(&a[b.len()], SHORT),
                        a.len(),
                        b.len()
                    ),
                    path,
                );
                path.truncate(len);
                return d;
            }
            if b.len() > a.len() {
                path.push_str(&format!("[{}]", a.len()));
                let d = here(
                    format!(
                        "not in input (got {}; array of {} became {})",
                        render_short(&b[a.len()], SHORT),
                        a.len(),
                        b.len()
                    ),
                    path,
                );
                path.truncate(len);
                return d;
            }
            None
        }
        (Json::Object(a), Json::Object(b)) => {
            let len = path.len();
            for (key, x) in a {
                push_key(path, key);
                let d = match b.iter().find(|(k, _)| k == key) {
                    Some((_, y)) => diff_at(x, y, path),
                    None => here(
                        format!("missing from output (expected {})", render_short(x, SHORT)),
                        path,
                    ),
                };
                if d.is_some() {
                    return d;
                }
                path.truncate(len);
            }
            for (key, y) in b {
                if !a.iter().any(|(k, _)| k == key) {
                    push_key(path, key);
                    let d = here(
                        format!("not in input (got {})", render_short(y, SHORT)),
                        path,
                    );
                    path.truncate(len);
                    return d;
                }
            }
            None
        }
        _ => {
            let kinds = if expected.kind() == actual.kind() {
                String::new()
            } else {
                format!(" ({} became {})", expected.kind(), actual.kind())
            };
            here(
                format!(
                    "expected {}, got {}{kinds}",
                    render_short(expected, SHORT),
                    render_short(actual, SHORT)
                ),
                path,
            )
        }
    }
}

/// Parses both texts and returns the first difference, or a description of a parse failure.
pub(crate) fn compare_texts(expected: &str, actual: &str) -> Result<(), String> {
    let e = parse(expected).map_err(|e| format!("expected text is not valid JSON: {e}"))?;
    let a = parse(actual).map_err(|e| format!("actual text is not valid JSON: {e}"))?;
    match first_difference(&e, &a) {
        None => Ok(()),
        Some(d) => Err(d.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Json {
        match parse(text) {
            Ok(v) => v,
            Err(e) => panic!("{text:?} should parse: {e}"),
        }
    }

    fn diff(a: &str, b: &str) -> Option<String> {
        first_difference(&p(a), &p(b)).map(|d| d.to_string())
    }

    #[test]
    fn numbers_compare_by_spelling() {
        assert_eq!(
            diff("1.50", "1.5").as_deref(),
            Some("$: expected 1.50, got 1.5")
        );
        assert_eq!(
            diff("1e2", "100").as_deref(),
            Some("$: expected 1e2, got 100")
        );
        assert!(diff("1e2", "1E2").is_some());
        assert!(diff("1e2", "1e+2").is_some());
        assert!(diff("-0.0", "0.0").is_some());
        assert!(diff("-0", "0").is_some());
        assert!(diff("1.0E-7", "1e-7").is_some());
        assert_eq!(diff("1.50", "1.50"), None);
        assert_eq!(diff("-0.0", "-0.0"), None);
        let forty = "1234567890123456789012345678901234567890.0000000001";
        assert_eq!(diff(forty, forty), None);
        assert!(diff(forty, "1234567890123456789012345678901234567890").is_some());
        assert_eq!(
            diff("1.50", "\"1.50\"").as_deref(),
            Some("$: expected 1.50, got \"1.50\" (number became string)")
        );
    }

    #[test]
    fn object_member_order_is_ignored_but_array_order_is_not() {
        assert_eq!(
            diff(
                r#"{"a":1,"b":[1,2],"c":{"x":null,"y":true}}"#,
                r#"{"c":{"y":true,"x":null},"b":[1,2],"a":1}"#
            ),
            None
        );
        assert_eq!(
            diff("[1,2]", "[2,1]").as_deref(),
            Some("$[0]: expected 1, got 2")
        );
        // Order is still recorded, for tests that care.
        assert_eq!(p(r#"{"b":1,"a":2}"#).keys(), vec!["b", "a"]);
    }

    #[test]
    fn strings_compare_after_unescaping() {
        assert_eq!(diff(r#""\u00e9""#, "\"é\""), None);
        assert_eq!(diff(r#""\u00E9""#, "\"é\""), None);
        assert_eq!(diff(r#""\ud83d\ude00""#, "\"😀\""), None);
        assert_eq!(diff(r#""a\/b""#, r#""a/b""#), None);
        assert_eq!(diff(r#""\n\t\"\\""#, r#""\u000a\u0009\u0022\u005c""#), None);
        assert_eq!(diff(r#"{"\u0061":1}"#, r#"{"a":1}"#), None);
        assert!(
            diff(r#""e\u0301""#, r#""\u00e9""#).is_some(),
            "no Unicode normalisation"
        );
    }

    #[test]
    fn reports_the_path_of_a_nested_difference() {
        let input = r#"{"resourceType":"ExplanationOfBenefit","item":[{"sequence":1,"adjudication":[{"amount":{"value":10.00}},{"amount":{"value":1.50,"currency":"USD"}}]}]}"#;
        let output = r#"{"resourceType":"ExplanationOfBenefit","item":[{"sequence":1,"adjudication":[{"amount":{"value":10.00}},{"amount":{"currency":"USD","value":1.5}}]}]}"#;
        assert_eq!(
            diff(input, output).as_deref(),
            Some("$.item[0].adjudication[1].amount.value: expected 1.50, got 1.5")
        );
    }

    #[test]
    fn reports_missing_and_extra_members_and_elements() {
        assert_eq!(
            diff(r#"{"a":{"b":1,"c":[1]}}"#, r#"{"a":{"b":1}}"#).as_deref(),
            Some("$.a.c: missing from output (expected [1])")
        );
        assert_eq!(
            diff(r#"{"a":{"b":1}}"#, r#"{"a":{"b":1,"_b":{"id":"x"}}}"#).as_deref(),
            Some(r#"$.a._b: not in input (got {"id":"x"})"#)
        );
        assert_eq!(
            diff(r#"{"given":["a",null,"c"]}"#, r#"{"given":["a",null]}"#).as_deref(),
            Some(r#"$.given[2]: missing from output (expected "c"; array of 3 became 2)"#)
        );
        assert_eq!(
            diff(r#"[1]"#, r#"[1,null]"#).as_deref(),
            Some("$[1]: not in input (got null; array of 1 became 2)")
        );
        assert_eq!(
            diff(r#"{"a":[]}"#, r#"{"a":{}}"#).as_deref(),
            Some("$.a: expected [], got {} (array became object)")
        );
        assert_eq!(
            diff(r#"{"odd key":1}"#, r#"{"odd key":2}"#).as_deref(),
            Some(r#"$["odd key"]: expected 1, got 2"#)
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = format!("\"{}\"", "x".repeat(500));
        let d = diff(&long, "\"y\"").expect("differs");
        assert!(d.len() < 200, "{d}");
        assert!(d.contains('…'), "{d}");
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_path() {
        let e = parse(r#"{"a":[{"b":1,"b":2}]}"#).expect_err("duplicate");
        assert!(e.message.contains("duplicate key \"b\""), "{e}");
        assert_eq!(e.path, "$.a[0]");
        assert!(
            parse(r#"{"a":1,"\u0061":2}"#).is_err(),
            "duplicates are found after unescaping"
        );
        assert!(
            parse(r#"[{"a":1},{"a":1}]"#).is_ok(),
            "same key in sibling objects is fine"
        );
    }

    #[test]
    fn rejects_invalid_json() {
        let cases = [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            r#"{"a":1,}"#,
            "[1 2]",
            r#"{"a" 1}"#,
            "{1:2}",
            "{'a':1}",
            "01",
            "-01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "0x10",
            "NaN",
            "Infinity",
            "-Infinity",
            "tru",
            "nul",
            "True",
            r#""abc"#,
            r#""\q""#,
            r#""\u12G4""#,
            r#""\u00e""#,
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            "\"a\nb\"",
            "\"a\tb\"",
            "\"\u{1}\"",
            "[1] x",
            "{} {}",
            "{}}",
            "\u{feff}{}",
            "/* c */ {}",
            "[1]\u{0}",
        ];
        for case in cases {
            assert!(
                parse(case).is_err(),
                "{case:?} should be rejected, got {:?}",
                parse(case)
            );
        }
    }

    #[test]
    fn accepts_valid_json() {
        let cases = [
            "0",
            "-0",
            "-0.0",
            "1.50",
            "1e2",
            "1E+2",
            "1.0E-7",
            "123456789012345678901234567890123456789012",
            "[]",
            "{}",
            " \t\r\n[ 1 , { \"a\" : [ ] } ]\n",
            "\"\"",
            "true",
            "false",
            "null",
            r#""\u0000""#,
            r#""\ud83d\ude00""#,
            "\"\u{7f}\"",
            "\"é😀\"",
        ];
        for case in cases {
            assert!(
                parse(case).is_ok(),
                "{case:?} should parse: {:?}",
                parse(case).err()
            );
        }
    }

    #[test]
    fn error_positions_are_line_and_column() {
        let e = parse("{\n  \"a\": tru\n}").expect_err("invalid");
        assert_eq!((e.line, e.column), (2, 8), "{e}");
        assert_eq!(e.path, "$.a");
        let e = parse(r#"{"resourceType":"Patient"} x"#).expect_err("trailing");
        assert_eq!((e.line, e.column), (1, 28), "{e}");
        let e = parse("\"é\\q\"").expect_err("bad escape");
        assert_eq!((e.line, e.column), (1, 3), "columns count characters: {e}");
    }

    #[test]
    fn nesting_is_limited_without_overflowing_the_stack() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(
            parse(&deep)
                .expect_err("too deep")
                .message
                .contains("nesting")
        );
        let very_deep = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert!(parse(&very_deep).is_err());
    }

    #[test]
    fn render_keeps_order_and_spelling_and_reparses_to_the_same_tree() {
        let text = r#"{"b":1.50,"a":[1e2,-0.0,null,true,false,"x\"y\\z\u0001é/"],"c":{}}"#;
        let tree = p(text);
        let rendered = render(&tree);
        assert_eq!(
            rendered,
            r#"{"b":1.50,"a":[1e2,-0.0,null,true,false,"x\"y\\z\u0001é/"],"c":{}}"#
        );
        assert!(same(&tree, &p(&rendered)));
        assert_eq!(quote("a\u{1f}\r"), r#""a\u001f\r""#);
    }

    #[test]
    fn compactness_ignores_whitespace_inside_strings() {
        assert!(is_compact(r#"{"a":"x y\" z","b":[1,2]}"#));
        assert!(is_compact(r#"{"a":"\\"}"#));
        assert!(!is_compact(r#"{"a": 1}"#));
        assert!(!is_compact("{\"a\":1}\n"));
        assert!(!is_compact(r#"{"a":"\\" ,"b":1}"#));
    }

    #[test]
    fn path_lookup() {
        let tree = p(r#"{"item":[{"adjudication":[{},{"amount":{"value":1.50}}]}],"odd":[[1,2]]}"#);
        assert!(
            matches!(tree.at("item[0].adjudication[1].amount.value"), Some(Json::Number(n)) if n == "1.50")
        );
        assert!(
            matches!(tree.at("$.item[0].adjudication[1].amount.value"), Some(Json::Number(n)) if n == "1.50")
        );
        assert!(matches!(tree.at("odd[0][1]"), Some(Json::Number(n)) if n == "2"));
        assert!(tree.at("item[1]").is_none());
        assert!(tree.at("item.x").is_none());
        assert!(tree.at("").is_some());
    }

    #[test]
    fn compare_texts_reports_parse_failures_and_differences() {
        assert_eq!(compare_texts(r#"{"a":1}"#, r#"{ "a" : 1 }"#), Ok(()));
        assert_eq!(
            compare_texts(r#"{"a":1}"#, r#"{"a":1.0}"#),
            Err("$.a: expected 1, got 1.0".to_owned())
        );
        assert!(
            compare_texts(r#"{"a":1}"#, r#"{"a":1"#)
                .expect_err("invalid")
                .starts_with("actual text is not valid JSON")
        );
    }
}
