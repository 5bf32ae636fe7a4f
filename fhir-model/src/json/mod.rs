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
