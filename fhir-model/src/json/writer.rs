//! Compact JSON output straight into a `String`, driven by the generated code.

use crate::json::skip_plain_string_bytes;

/// Appends JSON to a buffer. Commas are placed by remembering whether the current
/// container has a member yet: after any nested value ends, the enclosing container has
/// one, so no stack is needed.
pub(crate) struct Writer {
    pub(crate) out: String,
    first: bool,
}

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            first: true,
        }
    }

    #[inline]
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(',');
        }
    }

    #[inline]
    pub(crate) fn begin_object(&mut self) {
        self.out.push('{');
        self.first = true;
    }

    #[inline]
    pub(crate) fn end_object(&mut self) {
        self.out.push('}');
        self.first = false;
    }

    #[inline]
    pub(crate) fn begin_array(&mut self) {
        self.out.push('[');
        self.first = true;
    }

    #[inline]
    pub(crate) fn end_array(&mut self) {
        self.out.push(']');
        self.first = false;
    }

    /// Writes `"key":` (keys are FHIR element names: never need escaping).
    #[inline]
    pub(crate) fn key(&mut self, key: &str) {
        self.comma();
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        // The value that follows is this member, not a new one.
        self.first = true;
    }

    /// Writes `"<prefix><name><type_name>":`, the key of a choice element (`_valueString`).
    #[inline]
    pub(crate) fn key_parts(&mut self, prefix: &str, name: &str, type_name: &str) {
        self.comma();
        self.out.push('"');
        self.out.push_str(prefix);
        self.out.push_str(name);
        self.out.push_str(type_name);
        self.out.push_str("\":");
        self.first = true;
    }

    /// Writes `"key":` for a key taken from input (an unknown element), escaping it.
    pub(crate) fn key_escaped(&mut self, key: &str) {
        self.comma();
        self.string(key);
        self.out.push(':');
        self.first = true;
    }

    /// Starts an array element (or the top-level value).
    #[inline]
    pub(crate) fn element(&mut self) {
        self.comma();
        self.first = true;
    }

    #[inline]
    pub(crate) fn null(&mut self) {
        self.out.push_str("null");
        self.first = false;
    }

    #[inline]
    pub(crate) fn bool(&mut self, v: bool) {
        self.out.push_str(if v { "true" } else { "false" });
        self.first = false;
    }

    /// Writes JSON text that is already valid and compact (numbers, raw unknown content).
    #[inline]
    pub(crate) fn raw(&mut self, json: &str) {
        self.out.push_str(json);
        self.first = false;
    }

    pub(crate) fn int(&mut self, v: i64) {
        let mut buf = [0u8; 20];
        let mut n = v.unsigned_abs();
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            self.out.push('-');
        }
        for &b in &buf[i..] {
            self.out.push(b as char);
        }
        self.first = false;
    }

    #[inline]
    pub(crate) fn string(&mut self, s: &str) {
        self.out.push('"');
        let bytes = s.as_bytes();
        let mut run_start = 0;
        loop {
            let i = skip_plain_string_bytes(bytes, run_start);
            let i = bytes[i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map_or(bytes.len(), |offset| i + offset);
            self.out.push_str(&s[run_start..i]);
            let Some(&b) = bytes.get(i) else {
                break;
            };
            match b {
                b'"' => self.out.push_str("\\\""),
                b'\\' => self.out.push_str("\\\\"),
                b'\n' => self.out.push_str("\\n"),
                b'\r' => self.out.push_str("\\r"),
                b'\t' => self.out.push_str("\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.push_str("\\u00");
                    self.out.push(HEX[(b >> 4) as usize] as char);
                    self.out.push(HEX[(b & 0xf) as usize] as char);
                }
            }
            run_start = i + 1;
        }
        self.out.push('"');
        self.first = false;
    }

    /// Writes a string produced by `write` (used by dates, so they need no allocation).
    #[inline]
    pub(crate) fn string_with(&mut self, write: impl FnOnce(&mut String)) {
        self.out.push('"');
        write(&mut self.out);
        self.out.push('"');
        self.first = false;
    }
}
