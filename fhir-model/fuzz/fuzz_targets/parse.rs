//! Fuzz target `parse`: the JSON reader must never panic or overflow the stack, and what
//! the writer produces must read back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The public API takes `&str`; non-UTF-8 bytes can't reach the reader.
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };

    // Strict: whatever it accepts, it must accept again once written, and writing must be
    // a fixed point (the output of a parse of the output is the output, byte for byte).
    if let Ok(resource) = fhir_model::from_json(json) {
        let first = fhir_model::to_json(&resource);
        let again = fhir_model::from_json(&first).unwrap_or_else(|err| {
            panic!("strict re-parse of to_json output failed: {err}\n{first}")
        });
        assert_eq!(
            fhir_model::to_json(&again),
            first,
            "strict to_json is not a fixed point"
        );
    }

    // Lenient: must not panic on anything. What it keeps (including unknown or unparseable
    // members kept as JSON) must survive a write and a re-read unchanged. The re-read may be
    // strict or lenient, because lenient output can legitimately fail the strict reader.
    if let (Some(resource), _issues) = fhir_model::from_json_lenient(json) {
        let first = fhir_model::to_json(&resource);
        let again = match fhir_model::from_json(&first) {
            Ok(again) => again,
            Err(_) => match fhir_model::from_json_lenient(&first) {
                (Some(again), _) => again,
                (None, issues) => {
                    panic!("lenient re-parse of to_json output failed: {issues:?}\n{first}")
                }
            },
        };
        assert_eq!(
            fhir_model::to_json(&again),
            first,
            "lenient round trip is not stable"
        );
    }
});
