//! The JSON reader and writer behind [`crate::from_json`] and [`crate::to_json`].

pub(crate) mod fields;
pub(crate) mod reader;
pub(crate) mod writer;

use reader::{PResult, Reader};
use writer::Writer;

/// Types the generated code can read from JSON.
pub(crate) trait FromJson: Sized {
    fn from_json(r: &mut Reader<'_>) -> PResult<Self>;
}

/// Types the generated code can write as JSON.
pub(crate) trait ToJson {
    fn write_json(&self, w: &mut Writer);
}

impl<T: ToJson> ToJson for Box<T> {
    fn write_json(&self, w: &mut Writer) {
        (**self).write_json(w);
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn from_json(r: &mut Reader<'_>) -> PResult<Self> {
        T::from_json(r).map(Box::new)
    }
}

/// The index of the first byte at or after `i` that ends a plain run of string content:
/// `"`, `\` or a control character (what the reader must look at and the writer must
/// escape). Strings are most of FHIR JSON, so this looks at eight
/// bytes per step (bit tricks on a `u64`) instead of one.
#[inline]
pub(crate) fn skip_plain_string_bytes(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Sets the high bit of each byte of `x` that is zero (exact for the lowest such byte).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let stops = zero_bytes(x ^ u64::from_ne_bytes([b'"'; 8]))
            | zero_bytes(x ^ u64::from_ne_bytes([b'\\'; 8]))
            // Bytes below 0x20: subtracting 0x20 borrows into the high bit.
            | (x.wrapping_sub(u64::from_ne_bytes([0x20; 8])) & !x & HIGHS);
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}
