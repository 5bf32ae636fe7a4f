//! A pull parser over a `&str` that the generated code drives key by key.
//!
//! Why not serde: a serde-derived model instantiates every (de)serializer once per
//! backend and buffers internally tagged enums (`resourceType`), which is what makes the
//! existing Rust FHIR crates slow to build and slower than untyped parsing. Owning the
//! reader also lets us keep decimals as written without serde_json's global
//! `arbitrary_precision`, report paths lazily (free on the happy path), and bound nesting.

use std::borrow::Cow;

use crate::error::{Error, Issue, IssueKind, Severity};
use crate::json::skip_plain_string_bytes;
use crate::unknown::UnknownElements;

/// JSON nested deeper than this is rejected. Real FHIR resources stay far below it
/// (a deeply nested Questionnaire is ~30 levels); the bound keeps the recursive descent
/// of the generated code within a small stack whatever the input.
pub(crate) const MAX_DEPTH: u32 = 100;

/// One step of a location, collected innermost first while an error or issue travels
/// back up to the resource, so the happy path never builds a path.
#[derive(Debug, Clone)]
pub(crate) enum PathSeg {
    Key(Box<str>),
    Index(usize),
}

#[derive(Debug)]
pub(crate) enum ParseError {
    /// Not JSON, or nested too deep: parsing cannot resume after it.
    Fatal {
        pos: usize,
        kind: IssueKind,
        message: Cow<'static, str>,
        path: Vec<PathSeg>,
    },
    /// JSON, but not what the FHIR type allows. Lenient mode keeps the value raw and goes on.
    Content {
        kind: IssueKind,
        message: Cow<'static, str>,
        path: Vec<PathSeg>,
    },
}

pub(crate) type PResult<T> = Result<T, Box<ParseError>>;

/// A lenient-mode issue whose path is still being collected (innermost first).
pub(crate) struct PendingIssue {
    pub(crate) severity: Severity,
    pub(crate) kind: IssueKind,
    pub(crate) message: Cow<'static, str>,
    pub(crate) path: Vec<PathSeg>,
}

pub(crate) fn content_error(
    kind: IssueKind,
    message: impl Into<Cow<'static, str>>,
) -> Box<ParseError> {
    Box::new(ParseError::Content {
        kind,
        message: message.into(),
        path: Vec::new(),
    })
}

impl ParseError {
    fn push_seg(&mut self, seg: PathSeg) {
        match self {
            ParseError::Fatal { path, .. } | ParseError::Content { path, .. } => path.push(seg),
        }
    }
}

/// The kind of the next JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peek {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Peek {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Peek::Object => "an object",
            Peek::Array => "an array",
            Peek::String => "a string",
            Peek::Number => "a number",
            Peek::Bool => "a boolean",
            Peek::Null => "null",
        }
    }
}

/// A position to come back to: after a content error, lenient mode re-reads the value raw.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    depth: u32,
    issues: usize,
}

pub(crate) struct Reader<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
    lenient: bool,
    pub(crate) issues: Vec<PendingIssue>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a str, lenient: bool) -> Self {
        Reader {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            depth: 0,
            lenient,
            issues: Vec::new(),
        }
    }

    pub(crate) fn lenient(&self) -> bool {
        self.lenient
    }

    fn fatal(&self, message: impl Into<Cow<'static, str>>) -> Box<ParseError> {
        Box::new(ParseError::Fatal {
            pos: self.pos,
            kind: IssueKind::WrongType,
            message: message.into(),
            path: Vec::new(),
        })
    }

    /// Turns an error that reached the top into the public error, naming the location.
    pub(crate) fn error_of(&self, err: ParseError, root: &str) -> Error {
        match err {
            ParseError::Fatal {
                pos,
                kind: IssueKind::TooDeep,
                message,
                path,
            } => {
                let mut issue = Issue::new(IssueKind::TooDeep, message);
                issue.path = format_path(root, &path);
                let (line, column) = self.line_column(pos);
                issue.message = format!("{} (line {line}, column {column})", issue.message);
                Error::Invalid(Box::new(issue))
            }
            ParseError::Fatal {
                pos, message, path, ..
            } => {
                let (line, column) = self.line_column(pos);
                Error::Syntax {
                    line,
                    column,
                    path: format_path(root, &path),
                    message: message.into_owned(),
                }
            }
            ParseError::Content {
                kind,
                message,
                path,
            } => {
                let mut issue = Issue::new(kind, message);
                issue.path = format_path(root, &path);
                Error::Invalid(Box::new(issue))
            }
        }
    }

    fn line_column(&self, pos: usize) -> (usize, usize) {
        let before = &self.bytes[..pos.min(self.bytes.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        (line, pos - line_start + 1)
    }

    /// Takes the issues collected in lenient mode, with paths rooted at `root`.
    pub(crate) fn take_issues(&mut self, root: &str) -> Vec<Issue> {
        self.issues
            .drain(..)
            .map(|p| {
                let mut issue = Issue::new(p.kind, p.message);
                issue.severity = p.severity;
                issue.path = format_path(root, &p.path);
                issue
            })
            .collect()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Where the next value starts; `rewind` returns there.
    #[inline]
    pub(crate) fn mark(&mut self) -> Mark {
        self.skip_ws();
        Mark {
            pos: self.pos,
            depth: self.depth,
            issues: self.issues.len(),
        }
    }

    pub(crate) fn rewind(&mut self, mark: Mark) {
        self.pos = mark.pos;
        self.depth = mark.depth;
    }

    /// Fails unless only whitespace is left.
    pub(crate) fn end(&mut self) -> PResult<()> {
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.fatal("unexpected data after the JSON value"))
        }
    }

    #[inline]
    pub(crate) fn peek(&mut self) -> PResult<Peek> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => Ok(Peek::Object),
            Some(b'[') => Ok(Peek::Array),
            Some(b'"') => Ok(Peek::String),
            Some(b'-' | b'0'..=b'9') => Ok(Peek::Number),
            Some(b't' | b'f') => Ok(Peek::Bool),
            Some(b'n') => Ok(Peek::Null),
            Some(_) => Err(self.fatal("expected a JSON value")),
            None => Err(self.fatal("unexpected end of input")),
        }
    }

    /// A content error saying the value has the wrong JSON kind.
    pub(crate) fn wrong_type(&mut self, expected: &'static str) -> Box<ParseError> {
        match self.peek() {
            Ok(found) => content_error(
                IssueKind::WrongType,
                format!("expected {expected}, found {}", found.name()),
            ),
            Err(e) => e,
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Box::new(ParseError::Fatal {
                pos: self.pos,
                kind: IssueKind::TooDeep,
                message: format!("JSON is nested more than {MAX_DEPTH} levels deep").into(),
                path: Vec::new(),
            }));
        }
        Ok(())
    }

    /// Consumes `{`. Follow with [`Reader::next_key`] until it returns `None`.
    #[inline]
    pub(crate) fn begin_object(&mut self) -> PResult<()> {
        if self.peek()? != Peek::Object {
            return Err(self.wrong_type("an object"));
        }
        self.enter()?;
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Consumes `{` of a FHIR element or resource. An empty object is a content error:
    /// every element needs a value or children (R4 invariant ele-1).
    #[inline]
    pub(crate) fn begin_element(&mut self) -> PResult<()> {
        self.begin_object()?;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            return Err(content_error(
                IssueKind::Empty,
                "empty object: a FHIR element needs a value or children (ele-1)",
            ));
        }
        Ok(())
    }

    /// Reports a problem found after a member was read, which leaves the data as it is:
    /// an error in strict mode, a warning in lenient mode.
    pub(crate) fn report(
        &mut self,
        key: &str,
        kind: IssueKind,
        message: &'static str,
    ) -> PResult<()> {
        if !self.lenient {
            let mut err = content_error(kind, message);
            err.push_seg(PathSeg::Key(key.into()));
            return Err(err);
        }
        self.issues.push(PendingIssue {
            severity: Severity::Warning,
            kind,
            message: message.into(),
            path: vec![PathSeg::Key(key.into())],
        });
        Ok(())
    }

    /// The next key of the current object (positioned at its value), or `None` after `}`.
    #[inline]
    pub(crate) fn next_key(&mut self) -> PResult<Option<Cow<'a, str>>> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') => {
                // Only valid after a member: the byte before (ignoring whitespace) is
                // the end of a value, never `{` or `,`.
                if self.prev_significant() == Some(b'{') {
                    return Err(self.fatal("expected a key"));
                }
                self.pos += 1;
                self.skip_ws();
            }
            Some(b'"') => {
                if self.prev_significant() != Some(b'{') {
                    return Err(self.fatal("expected ',' or '}'"));
                }
            }
            Some(_) => return Err(self.fatal("expected a key, ',' or '}'")),
            None => return Err(self.fatal("unexpected end of input in an object")),
        }
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.fatal("expected a key"));
        }
        let key = self.parse_string()?;
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(self.fatal("expected ':'"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(Some(key))
    }

    fn prev_significant(&self) -> Option<u8> {
        self.bytes[..self.pos]
            .iter()
            .rev()
            .copied()
            .find(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    }

    /// Consumes `[`. Follow with [`Reader::next_element`] until it returns false.
    #[inline]
    pub(crate) fn begin_array(&mut self) -> PResult<()> {
        if self.peek()? != Peek::Array {
            return Err(self.wrong_type("an array"));
        }
        self.enter()?;
        self.pos += 1;
        Ok(())
    }

    /// Moves to the next array element; false after `]`.
    #[inline]
    pub(crate) fn next_element(&mut self, index: usize) -> PResult<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if index > 0 => {
                self.pos += 1;
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    return Err(self.fatal("trailing comma in an array"));
                }
                Ok(true)
            }
            Some(_) if index == 0 => Ok(true),
            Some(_) => Err(self.fatal("expected ',' or ']'")),
            None => Err(self.fatal("unexpected end of input in an array")),
        }
    }

    /// Reads a JSON string, borrowing from the input when it has no escapes.
    #[inline]
    pub(crate) fn read_str(&mut self) -> PResult<Cow<'a, str>> {
        if self.peek()? != Peek::String {
            return Err(self.wrong_type("a string"));
        }
        self.parse_string()
    }

    fn parse_string(&mut self) -> PResult<Cow<'a, str>> {
        let start = self.pos + 1;
        let bytes = self.bytes;
        let mut i = skip_plain_string_bytes(bytes, start);
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.src[start..i]));
                }
                b'\\' => return self.parse_escaped(start, i).map(Cow::Owned),
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.fatal("control character in a string"));
                }
                _ => i += 1,
            }
        }
        self.pos = i;
        Err(self.fatal("unterminated string"))
    }

    fn parse_escaped(&mut self, start: usize, first_escape: usize) -> PResult<String> {
        let mut out = String::with_capacity(first_escape - start + 16);
        out.push_str(&self.src[start..first_escape]);
        let mut i = first_escape;
        let bytes = self.bytes;
        loop {
            let run_start = i;
            i = skip_plain_string_bytes(bytes, i);
            while let Some(&b) = bytes.get(i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                i += 1;
            }
            out.push_str(&self.src[run_start..i]);
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc = bytes.get(i + 1).copied();
                    i += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            self.pos = i;
                            let c = self.parse_unicode_escape()?;
                            i = self.pos;
                            out.push(c);
                        }
                        _ => {
                            self.pos = i - 2;
                            return Err(self.fatal("invalid escape in a string"));
                        }
                    }
                }
                Some(_) => {
                    self.pos = i;
                    return Err(self.fatal("control character in a string"));
                }
                None => {
                    self.pos = i;
                    return Err(self.fatal("unterminated string"));
                }
            }
        }
    }

    /// Reads the `XXXX` of `\uXXXX` (and a following low surrogate) at `self.pos`.
    fn parse_unicode_escape(&mut self) -> PResult<char> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.pos) != Some(&b'\\')
                || self.bytes.get(self.pos + 1) != Some(&b'u')
            {
                return Err(self.fatal("unpaired surrogate in a string"));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.fatal("unpaired surrogate in a string"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..0xE000).contains(&high) {
            return Err(self.fatal("unpaired surrogate in a string"));
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.fatal("invalid \\u escape"))
    }

    fn hex4(&mut self) -> PResult<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.bytes.get(self.pos) {
                Some(&b) => (b as char).to_digit(16),
                None => None,
            };
            match d {
                Some(d) => v = v * 16 + d,
                None => return Err(self.fatal("invalid \\u escape")),
            }
            self.pos += 1;
        }
        Ok(v)
    }

    /// Reads a JSON number and returns its exact text.
    pub(crate) fn read_number(&mut self) -> PResult<&'a str> {
        if self.peek()? != Peek::Number {
            return Err(self.wrong_type("a number"));
        }
        let start = self.pos;
        let b = self.bytes;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                return Err(self.fatal("invalid number"));
            }
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                return Err(self.fatal("invalid number"));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                self.pos = i;
                return Err(self.fatal("invalid number"));
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        self.pos = i;
        Ok(&self.src[start..i])
    }

    pub(crate) fn read_bool(&mut self) -> PResult<bool> {
        if self.peek()? != Peek::Bool {
            return Err(self.wrong_type("a boolean"));
        }
        if self.bytes[self.pos..].starts_with(b"true") {
            self.pos += 4;
            Ok(true)
        } else if self.bytes[self.pos..].starts_with(b"false") {
            self.pos += 5;
            Ok(false)
        } else {
            Err(self.fatal("invalid literal"))
        }
    }

    /// Consumes `null` if it is next.
    pub(crate) fn read_null(&mut self) -> PResult<bool> {
        if self.peek()? != Peek::Null {
            return Ok(false);
        }
        if self.bytes[self.pos..].starts_with(b"null") {
            self.pos += 4;
            Ok(true)
        } else {
            Err(self.fatal("invalid literal"))
        }
    }

    /// Skips one value without recursion, checking it is well-formed JSON.
    pub(crate) fn skip_value(&mut self) -> PResult<()> {
        // Each open container pushes its index counter; the depth limit bounds the stack.
        let mut counters: Vec<(bool, usize)> = Vec::new();
        loop {
            match self.peek()? {
                Peek::Object => {
                    self.begin_object()?;
                    counters.push((true, 0));
                }
                Peek::Array => {
                    self.begin_array()?;
                    counters.push((false, 0));
                }
                Peek::String => {
                    self.parse_string()?;
                }
                Peek::Number => {
                    self.read_number()?;
                }
                Peek::Bool => {
                    self.read_bool()?;
                }
                Peek::Null => {
                    self.read_null()?;
                }
            }
            // Close finished containers, then position at the next value (if any).
            loop {
                let Some((is_object, index)) = counters.last_mut() else {
                    return Ok(());
                };
                let more = if *is_object {
                    self.next_key()?.is_some()
                } else {
                    let more = self.next_element(*index)?;
                    *index += 1;
                    more
                };
                if more {
                    break;
                }
                counters.pop();
            }
        }
    }

    /// Skips one value and returns it minified, for keeping content we do not model.
    pub(crate) fn capture_raw(&mut self) -> PResult<Box<str>> {
        let start = self.mark().pos;
        self.skip_value()?;
        let text = &self.src[start..self.pos];
        Ok(minify(text))
    }

    /// Closes the parse of one object member.
    ///
    /// On success, adds the key to the paths of issues raised inside the value. On a
    /// content error in lenient mode, records the issue, keeps the value's JSON text in
    /// `unknown` (so it is written back unchanged) and carries on; otherwise the error goes
    /// up with the key added to its path.
    #[inline]
    pub(crate) fn finish_field(
        &mut self,
        mark: Mark,
        key: Cow<'a, str>,
        result: PResult<()>,
        unknown: &mut UnknownElements,
    ) -> PResult<()> {
        // Only the check for the common case is inlined into the generated readers (one call
        // site per struct); the rest is one shared function, which keeps code size and
        // compile time down.
        if result.is_ok() && self.issues.len() == mark.issues {
            return Ok(());
        }
        self.finish_field_slow(mark, key, result, unknown)
    }

    #[cold]
    #[inline(never)]
    fn finish_field_slow(
        &mut self,
        mark: Mark,
        key: Cow<'a, str>,
        result: PResult<()>,
        unknown: &mut UnknownElements,
    ) -> PResult<()> {
        let Err(mut err) = result else {
            self.prefix_issues(mark.issues, PathSeg::Key(key.into()));
            return Ok(());
        };
        let ParseError::Content {
            kind,
            message,
            path,
        } = *err
        else {
            err.push_seg(PathSeg::Key(key.into()));
            return Err(err);
        };
        if !self.lenient {
            err = Box::new(ParseError::Content {
                kind,
                message,
                path,
            });
            err.push_seg(PathSeg::Key(key.into()));
            return Err(err);
        }
        self.issues.truncate(mark.issues);
        let mut path = path;
        path.push(PathSeg::Key(key.as_ref().into()));
        self.issues.push(PendingIssue {
            severity: if kind == IssueKind::UnknownElement {
                Severity::Warning
            } else {
                Severity::Error
            },
            kind,
            message,
            path,
        });
        self.rewind(mark);
        let raw = self.capture_raw()?;
        unknown.push(key.into_owned(), raw);
        Ok(())
    }

    pub(crate) fn prefix_issues(&mut self, from: usize, seg: PathSeg) {
        for issue in &mut self.issues[from..] {
            issue.path.push(seg.clone());
        }
    }

    /// Handles a key the type does not define: `fhir_comments` (older FHIR JSON) is kept
    /// silently; anything else is an error the caller's `finish_field` deals with.
    pub(crate) fn unknown_key(&mut self, key: &str, unknown: &mut UnknownElements) -> PResult<()> {
        if key == "fhir_comments" {
            let raw = self.capture_raw()?;
            unknown.push(key.to_owned(), raw);
            return Ok(());
        }
        Err(unknown_element())
    }
}

/// The error for a key that names no element of the type being read.
pub(crate) fn unknown_element() -> Box<ParseError> {
    content_error(IssueKind::UnknownElement, "unknown element")
}

/// Adds `seg` to the path of an error travelling up.
pub(crate) fn with_seg<T>(result: PResult<T>, seg: impl FnOnce() -> PathSeg) -> PResult<T> {
    result.map_err(|mut e| {
        e.push_seg(seg());
        e
    })
}

fn format_path(root: &str, path: &[PathSeg]) -> String {
    let mut out = String::from(root);
    for seg in path.iter().rev() {
        match seg {
            PathSeg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            PathSeg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Removes insignificant whitespace from valid JSON text.
fn minify(text: &str) -> Box<str> {
    if !text
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            out.push(c);
        }
    }
    out.into()
}
