//! The tricky corners of FHIR JSON, one test each.
//!
//! Where FHIR leaves the exact output open these tests assert what FHIR requires and what a
//! demanding user expects: nothing lost (numbers keep their spelling), never a panic, and
//! errors that say where. Outputs are compared as trees (see `json_tree`) unless a test is
//! about the exact text (element order, `_x` right after `x`).

use fhir_model::{Error, Issue, IssueKind, Resource};

use crate::json_tree::{self, Json};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Stack for the model calls of the tests that are about JSON semantics. How much stack the
/// model needs is tested on its own (the last section of this file, in child processes); a
/// model whose frames are too big for the 2 MiB test threads must fail those tests, not abort
/// the whole test binary and hide every other result.
const ROOMY_STACK: usize = 64 * 1024 * 1024;

fn on_roomy_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(ROOMY_STACK)
            .spawn_scoped(scope, f)
            .expect("spawn a thread");
        handle
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
    })
}

fn from_json(json: &str) -> Result<Resource, Error> {
    on_roomy_stack(|| fhir_model::from_json(json))
}

fn from_json_lenient(json: &str) -> (Option<Resource>, Vec<Issue>) {
    on_roomy_stack(|| fhir_model::from_json_lenient(json))
}

fn to_json(resource: &Resource) -> String {
    on_roomy_stack(|| fhir_model::to_json(resource))
}

#[track_caller]
fn strict(json: &str) -> Resource {
    match from_json(json) {
        Ok(resource) => resource,
        Err(e) => panic!(
            "strict parse failed: {e}\n  error: {e:?}\n  input: {}",
            short(json)
        ),
    }
}

#[track_caller]
fn strict_err(json: &str) -> Error {
    match from_json(json) {
        Ok(resource) => panic!(
            "strict parse should have failed\n  input:  {}\n  output: {}",
            short(json),
            short(&to_json(&resource))
        ),
        Err(e) => e,
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 400 {
        format!(
            "{}… ({} bytes)",
            text.chars().take(400).collect::<String>(),
            text.len()
        )
    } else {
        text.to_owned()
    }
}

#[track_caller]
fn tree(text: &str) -> Json {
    json_tree::parse(text).unwrap_or_else(|e| panic!("not valid JSON ({e}): {}", short(text)))
}

/// Panics unless `actual` is the same JSON tree as `expected` (member order ignored, numbers
/// by spelling) and compact.
#[track_caller]
fn assert_same_tree(expected: &str, actual: &str) {
    if let Err(difference) = json_tree::compare_texts(expected, actual) {
        panic!(
            "output differs from input at {difference}\n  input:  {}\n  output: {}",
            short(expected),
            short(actual)
        );
    }
    assert!(
        json_tree::is_compact(actual),
        "output is not compact: {}",
        short(actual)
    );
}

/// Strict parse, write, and check the output is the same tree as the input. Returns the output.
#[track_caller]
fn round_trip(json: &str) -> String {
    let out = to_json(&strict(json));
    assert_same_tree(json, &out);
    out
}

#[track_caller]
fn issue_of(e: &Error) -> &Issue {
    e.issue()
        .unwrap_or_else(|| panic!("expected Error::Invalid carrying an issue, got {e:?} ({e})"))
}

/// Strict parse fails with an issue of `kind` at exactly `path`, and the message says where.
#[track_caller]
fn assert_strict_error(json: &str, path: &str, kind: IssueKind) -> Error {
    let e = strict_err(json);
    let issue = issue_of(&e);
    assert_eq!(issue.path, path, "issue path; error: {e}");
    assert_eq!(issue.kind, kind, "issue kind; error: {e}");
    assert!(
        e.to_string().contains(path),
        "the message should name {path}: {e}"
    );
    e
}

#[track_caller]
fn lenient(json: &str) -> (Option<Resource>, Vec<Issue>) {
    from_json_lenient(json)
}

/// Lenient parse keeps everything (output is the same tree as the input) and reports exactly
/// one issue, of `kind`, at `path`.
#[track_caller]
fn assert_lenient_keeps_with_one_issue(json: &str, path: &str, kind: IssueKind) -> String {
    let (resource, issues) = lenient(json);
    let Some(resource) = resource else {
        panic!("lenient parse returned no resource; issues: {issues:?}");
    };
    assert_eq!(
        issues.len(),
        1,
        "expected exactly one issue, got {issues:?}"
    );
    assert_eq!(issues[0].path, path, "issue path: {issues:?}");
    assert_eq!(issues[0].kind, kind, "issue kind: {issues:?}");
    assert!(
        issues[0].to_string().contains(path),
        "Display names the path: {}",
        issues[0]
    );
    let out = to_json(&resource);
    assert_same_tree(json, &out);
    out
}

/// Lenient parse of something that is not a resource at all: no resource, at least one issue,
/// no panic.
#[track_caller]
fn assert_lenient_rejects(json: &str) {
    let (resource, issues) = lenient(json);
    assert!(
        resource.is_none(),
        "lenient parse should not produce a resource from {}",
        short(json)
    );
    assert!(
        !issues.is_empty(),
        "lenient parse should report why it failed on {}",
        short(json)
    );
}

#[track_caller]
fn number_at(out: &str, path: &str) -> String {
    match tree(out).at(path) {
        Some(Json::Number(n)) => n.clone(),
        other => panic!(
            "expected a number at {path}, found {other:?} in {}",
            short(out)
        ),
    }
}

const EXT_URL: &str = "http://example.org/fhir/StructureDefinition/note";

/// An ExplanationOfBenefit with the R4 required elements, plus `extra` members (a JSON member
/// list without braces; may be empty).
fn eob(extra: &str) -> String {
    let head = r#""resourceType":"ExplanationOfBenefit","id":"eob1","status":"active","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claim-type","code":"professional"}]},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024-01-15T10:00:00Z","insurer":{"reference":"Organization/payer1"},"provider":{"reference":"Practitioner/pr1"},"outcome":"complete","insurance":[{"focal":true,"coverage":{"reference":"Coverage/c1"}}]"#;
    if extra.is_empty() {
        format!("{{{head}}}")
    } else {
        format!("{{{head},{extra}}}")
    }
}

fn adjudication(code: &str, value: &str) -> String {
    format!(
        r#"{{"category":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/adjudication","code":"{code}"}}]}},"amount":{{"value":{value},"currency":"USD"}}}}"#
    )
}

const OBSERVATION: &str = r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-10","valueQuantity":{"value":72.50,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"#;

// ---------------------------------------------------------------------------------------------
// Primitive extensions (`_x`)

#[test]
fn singular_primitive_with_extension_round_trips_exactly() {
    let input = r#"{"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:00-05:00"}]}}"#;
    assert_eq!(round_trip(input), input);
}

#[test]
fn singular_primitive_extension_read_before_its_value_is_written_after_it() {
    let input = r#"{"_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:00-05:00"}]},"birthDate":"1970-03-30","resourceType":"Patient"}"#;
    let expected = r#"{"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:00-05:00"}]}}"#;
    assert_eq!(round_trip(input), expected);
}

#[test]
fn primitive_extension_without_a_value_round_trips_exactly() {
    let input = r#"{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}"#;
    let out = round_trip(input);
    assert_eq!(out, input);
    assert!(
        !out.contains("\"birthDate\""),
        "no value must be invented: {out}"
    );
}

#[test]
fn primitive_extension_with_only_an_id_round_trips() {
    round_trip(r#"{"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"id":"bd1"}}"#);
}

#[test]
fn repeating_primitive_with_nulls_round_trips_in_both_key_orders() {
    let canonical = format!(
        r#"{{"resourceType":"Patient","name":[{{"given":["a",null,"c"],"_given":[null,{{"extension":[{{"url":"{EXT_URL}","valueString":"middle"}}]}},null]}}]}}"#
    );
    assert_eq!(round_trip(&canonical), canonical, "value array first");

    let extension_first = format!(
        r#"{{"resourceType":"Patient","name":[{{"_given":[null,{{"extension":[{{"url":"{EXT_URL}","valueString":"middle"}}]}},null],"given":["a",null,"c"]}}]}}"#
    );
    assert_eq!(
        round_trip(&extension_first),
        canonical,
        "`_given` before `given`"
    );
}

#[test]
fn repeating_primitive_with_extensions_only_round_trips() {
    // Every value absent. HL7's own examples write the placeholder array
    // (`"given":[null],"_given":[...]`), and the model keeps the values and the `_` data
    // position by position, so that canonical form is what comes back when `_given` came
    // alone: same data, one explicit `null` placeholder more.
    let ext = format!(r#"[{{"extension":[{{"url":"{EXT_URL}","valueString":"x"}}]}}]"#);
    let canonical = format!(
        r#"{{"resourceType":"Patient","name":[{{"family":"Doe","given":[null],"_given":{ext}}}]}}"#
    );
    round_trip(&canonical);
    let alone =
        format!(r#"{{"resourceType":"Patient","name":[{{"family":"Doe","_given":{ext}}}]}}"#);
    let resource = from_json(&alone).expect("`_given` alone is valid FHIR");
    assert_same_tree(&canonical, &to_json(&resource));
}

#[test]
fn repeating_primitive_extension_on_every_position_round_trips() {
    round_trip(&format!(
        r#"{{"resourceType":"Patient","name":[{{"given":["a","b"],"_given":[{{"id":"g0"}},{{"extension":[{{"url":"{EXT_URL}","valueString":"x"}}]}}]}}]}}"#
    ));
}

#[test]
fn value_and_extension_arrays_of_different_lengths_are_an_error() {
    let json = r#"{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]}"#;
    let e = strict_err(json);
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::ArrayLengthMismatch, "{e}");
    assert!(
        issue.path.starts_with("Patient.name[0]") && issue.path.contains("given"),
        "{e}"
    );
}

#[test]
fn null_without_an_extension_is_an_error() {
    for json in [
        r#"{"resourceType":"Patient","name":[{"given":["a",null]}]}"#,
        r#"{"resourceType":"Patient","name":[{"given":[null],"_given":[null]}]}"#,
    ] {
        let e = strict_err(json);
        assert!(issue_of(&e).path.contains("given"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers

#[test]
fn decimals_keep_their_exact_spelling() {
    let values = [
        "1.50",
        "1e2",
        "-0.0",
        "1.0E-7",
        "1234567890123456789012345678901234567890",
        "0.1234567890123456789012345678901234567890",
        "1234567890123456789.012345678901234567890",
        "100",
        "0.010",
        "1E+2",
        "-12.340",
    ];
    let adjudications: Vec<String> = values
        .iter()
        .map(|v| adjudication("submitted", v))
        .collect();
    let json = eob(&format!(
        r#""item":[{{"sequence":1,"productOrService":{{"coding":[{{"system":"http://www.ama-assn.org/go/cpt","code":"99213"}}]}},"servicedDate":"2024-01-10","quantity":{{"value":2.0}},"unitPrice":{{"value":125.50,"currency":"USD"}},"factor":0.50,"net":{{"value":125.50,"currency":"USD"}},"adjudication":[{}]}}],"total":[{{"category":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/adjudication","code":"submitted"}}]}},"amount":{{"value":80.00,"currency":"USD"}}}}],"payment":{{"amount":{{"value":0.00,"currency":"USD"}}}}"#,
        adjudications.join(",")
    ));
    let out = round_trip(&json);
    for (i, value) in values.iter().enumerate() {
        assert_eq!(
            number_at(&out, &format!("item[0].adjudication[{i}].amount.value")),
            *value,
            "adjudication {i}"
        );
    }
    assert_eq!(number_at(&out, "item[0].quantity.value"), "2.0");
    assert_eq!(number_at(&out, "item[0].unitPrice.value"), "125.50");
    assert_eq!(number_at(&out, "item[0].factor"), "0.50");
    assert_eq!(number_at(&out, "total[0].amount.value"), "80.00");
    assert_eq!(number_at(&out, "payment.amount.value"), "0.00");
    assert!(
        out.contains(r#""value":1.50,"#) && out.contains(r#""value":1e2,"#),
        "{out}"
    );
}

#[test]
fn decimal_written_as_a_string_is_a_wrong_type() {
    let json = OBSERVATION.replace(r#""value":72.50"#, r#""value":"72.50""#);
    let path = "Observation.valueQuantity.value";
    assert_strict_error(&json, path, IssueKind::WrongType);
    assert_lenient_keeps_with_one_issue(&json, path, IssueKind::WrongType);
}

#[test]
fn malformed_number_literals_are_syntax_errors() {
    for bad in [
        "01.5", "1.", ".5", "+1", "NaN", "1e", "-", "0x1F", "Infinity",
    ] {
        let json = OBSERVATION.replace("72.50", bad);
        let e = strict_err(&json);
        assert!(
            matches!(e, Error::Syntax { .. }),
            "{bad}: expected a syntax error, got {e:?}"
        );
        assert_lenient_rejects(&json);
    }
}

#[test]
fn integers_round_trip() {
    round_trip(r#"{"resourceType":"Patient","multipleBirthInteger":2}"#);
    for value in ["0", "-5", "2147483647", "-2147483648"] {
        let json = format!(
            r#"{{"resourceType":"Observation","status":"final","code":{{"text":"count"}},"valueInteger":{value},"component":[{{"code":{{"text":"c"}},"valueInteger":{value}}}]}}"#
        );
        let out = round_trip(&json);
        assert_eq!(number_at(&out, "valueInteger"), value);
    }
    round_trip(&eob(
        r#""careTeam":[{"sequence":1,"provider":{"reference":"Practitioner/pr1"}},{"sequence":2,"provider":{"reference":"Practitioner/pr2"}}],"item":[{"sequence":1,"careTeamSequence":[1,2],"productOrService":{"text":"visit"}}]"#,
    ));
}

#[test]
fn integer_out_of_range_is_an_error() {
    // FHIR `integer` is a signed 32-bit value.
    for value in ["99999999999999999999", "2147483648", "-2147483649", "1e10"] {
        let json = format!(r#"{{"resourceType":"Patient","multipleBirthInteger":{value}}}"#);
        let e = strict_err(&json);
        assert_eq!(
            issue_of(&e).path,
            "Patient.multipleBirthInteger",
            "{value}: {e}"
        );
        assert_lenient_keeps_with_one_issue(
            &json,
            "Patient.multipleBirthInteger",
            issue_of(&e).kind,
        );
    }
}

#[test]
fn integer_with_a_fraction_or_exponent_is_an_error() {
    for value in ["1.0", "1e0", "2.5", "1E2"] {
        let json = format!(r#"{{"resourceType":"Patient","multipleBirthInteger":{value}}}"#);
        let e = strict_err(&json);
        assert_eq!(
            issue_of(&e).path,
            "Patient.multipleBirthInteger",
            "{value}: {e}"
        );
    }
}

#[test]
fn integer_written_as_a_string_is_a_wrong_type() {
    let json = r#"{"resourceType":"Patient","multipleBirthInteger":"2"}"#;
    assert_strict_error(json, "Patient.multipleBirthInteger", IssueKind::WrongType);
    assert_lenient_keeps_with_one_issue(json, "Patient.multipleBirthInteger", IssueKind::WrongType);
}

#[test]
fn positive_int_zero_is_an_error() {
    // `sequence` is a positiveInt (1..): 0 does not match its format.
    let json = eob(r#""item":[{"sequence":0,"productOrService":{"text":"visit"}}]"#);
    let e = strict_err(&json);
    assert_eq!(
        issue_of(&e).path,
        "ExplanationOfBenefit.item[0].sequence",
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Choice types (`value[x]`, `deceased[x]`)

#[test]
fn choice_quantity_round_trips() {
    let out = round_trip(OBSERVATION);
    assert_eq!(number_at(&out, "valueQuantity.value"), "72.50");
    let tiny = OBSERVATION.replace("72.50", "1.0E-7");
    assert_eq!(
        number_at(&round_trip(&tiny), "valueQuantity.value"),
        "1.0E-7"
    );
}

#[test]
fn choice_string_with_extension_round_trips_exactly() {
    let input = format!(
        r#"{{"resourceType":"Observation","status":"final","code":{{"text":"note"}},"valueString":"see attached","_valueString":{{"extension":[{{"url":"{EXT_URL}","valueCode":"scanned"}}]}}}}"#
    );
    assert_eq!(round_trip(&input), input);
    let reordered = format!(
        r#"{{"resourceType":"Observation","_valueString":{{"extension":[{{"url":"{EXT_URL}","valueCode":"scanned"}}]}},"code":{{"text":"note"}},"valueString":"see attached","status":"final"}}"#
    );
    assert_eq!(round_trip(&reordered), input);
}

#[test]
fn choice_extension_without_a_value_round_trips() {
    round_trip(
        r#"{"resourceType":"Observation","status":"final","code":{"text":"note"},"_valueString":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}}"#,
    );
}

#[test]
fn deceased_boolean_and_deceased_date_time_each_round_trip() {
    let boolean = r#"{"resourceType":"Patient","id":"p1","deceasedBoolean":false}"#;
    assert_eq!(round_trip(boolean), boolean);
    let date_time =
        r#"{"resourceType":"Patient","id":"p1","deceasedDateTime":"2020-02-29T13:45:00+01:00"}"#;
    assert_eq!(round_trip(date_time), date_time);
}

#[test]
fn two_types_of_one_choice_are_a_strict_error() {
    let json =
        r#"{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020-01-01"}"#;
    let e = strict_err(json);
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::Duplicate, "{e}");
    assert!(issue.path.starts_with("Patient.deceased"), "{e}");

    let json = OBSERVATION.replace(
        r#""valueQuantity""#,
        r#""valueString":"heavy","valueQuantity""#,
    );
    let e = strict_err(&json);
    assert_eq!(issue_of(&e).kind, IssueKind::Duplicate, "{e}");
    assert!(issue_of(&e).path.starts_with("Observation.value"), "{e}");
}

#[test]
fn two_types_of_one_choice_are_kept_by_lenient_parsing() {
    let json =
        r#"{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020-01-01"}"#;
    let (resource, issues) = lenient(json);
    assert!(
        issues.iter().any(|i| i.kind == IssueKind::Duplicate),
        "{issues:?}"
    );
    let resource = resource.expect("lenient parse keeps the resource");
    assert_same_tree(json, &to_json(&resource));
}

#[test]
fn choice_with_a_type_it_does_not_allow_is_an_unknown_element() {
    // Patient.deceased[x] is boolean | dateTime; Observation.value[x] has no decimal in R4.
    assert_strict_error(
        r#"{"resourceType":"Patient","deceasedString":"yes"}"#,
        "Patient.deceasedString",
        IssueKind::UnknownElement,
    );
    assert_strict_error(
        r#"{"resourceType":"Patient","deceased":true}"#,
        "Patient.deceased",
        IssueKind::UnknownElement,
    );
    let json = OBSERVATION.replace(r#""valueQuantity":{"value":72.50,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}"#, r#""valueDecimal":72.50"#);
    assert_strict_error(&json, "Observation.valueDecimal", IssueKind::UnknownElement);
    let out = assert_lenient_keeps_with_one_issue(
        &json,
        "Observation.valueDecimal",
        IssueKind::UnknownElement,
    );
    assert!(out.contains(r#""valueDecimal":72.50"#), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Contained resources and references

fn eob_with_contained() -> String {
    let mut json = eob(
        r##""contained":[{"resourceType":"Coverage","id":"cov1","status":"active","beneficiary":{"reference":"Patient/p1"},"payor":[{"reference":"#org1"}]},{"id":"org1","name":"Acme Health Plan","resourceType":"Organization"}],"item":[{"sequence":1,"productOrService":{"text":"visit"},"adjudication":[CONTAINED_ADJ]}]"##,
    );
    json = json.replace("CONTAINED_ADJ", &adjudication("benefit", "42.10"));
    json.replace(r#""Coverage/c1""#, r##""#cov1""##)
        .replace(r#""Organization/payer1""#, r##""#org1""##)
}

#[test]
fn contained_resources_round_trip_with_local_references() {
    let json = eob_with_contained();
    let resource = strict(&json);
    assert_eq!(resource.resource_type(), "ExplanationOfBenefit");
    assert_eq!(resource.id(), Some("eob1"));
    let out = to_json(&resource);
    assert_same_tree(&json, &out);
    let t = tree(&out);
    assert_eq!(
        t.at("insurer.reference").and_then(Json::as_str),
        Some("#org1")
    );
    assert_eq!(
        t.at("insurance[0].coverage.reference")
            .and_then(Json::as_str),
        Some("#cov1")
    );
    assert_eq!(
        t.at("contained[0].payor[0].reference")
            .and_then(Json::as_str),
        Some("#org1")
    );
    for i in 0..2 {
        let contained = t
            .at(&format!("contained[{i}]"))
            .expect("contained resource");
        assert_eq!(
            contained.keys().first().copied(),
            Some("resourceType"),
            "contained[{i}] is written with resourceType first: {out}"
        );
    }
}

#[test]
fn contained_resources_are_parsed_as_resources() {
    let base = eob_with_contained();

    // An element Organization does not have.
    let json = base.replace(
        r#""name":"Acme Health Plan""#,
        r#""name":"Acme Health Plan","foo":1"#,
    );
    let e = strict_err(&json);
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::UnknownElement, "{e}");
    assert!(
        issue.path.starts_with("ExplanationOfBenefit.contained[1]") && issue.path.ends_with(".foo"),
        "path should lead to contained[1] and name foo: {e}"
    );

    // A type error inside a contained resource.
    let json = base.replace(
        r#""status":"active","beneficiary""#,
        r#""status":true,"beneficiary""#,
    );
    let e = strict_err(&json);
    assert!(
        issue_of(&e)
            .path
            .starts_with("ExplanationOfBenefit.contained[0]"),
        "{e}"
    );
    assert!(issue_of(&e).path.ends_with("status"), "{e}");

    // Not a resource type.
    let json = base.replace(
        r#""resourceType":"Organization""#,
        r#""resourceType":"Organisation""#,
    );
    assert_eq!(
        issue_of(&strict_err(&json)).kind,
        IssueKind::UnknownResourceType
    );

    // No resource type.
    let json = base.replace(r#","resourceType":"Organization""#, "");
    assert!(
        json.contains(r#"{"id":"org1","name":"Acme Health Plan"}"#),
        "test setup"
    );
    strict_err(&json);
}

// ---------------------------------------------------------------------------------------------
// resourceType position, Bundles

#[test]
fn resource_type_need_not_be_the_first_key() {
    let json = r#"{"id":"p1","active":true,"name":[{"family":"Doe","given":["Jane"]}],"resourceType":"Patient"}"#;
    let resource = strict(json);
    assert_eq!(resource.resource_type(), "Patient");
    assert_eq!(resource.id(), Some("p1"));
    let out = to_json(&resource);
    assert_same_tree(json, &out);
    assert!(
        out.starts_with(r#"{"resourceType":"Patient","#),
        "resourceType first in output: {out}"
    );
}

#[test]
fn output_follows_fhir_element_order() {
    let json = r#"{"name":[{"given":["Jane"],"family":"Doe"}],"active":true,"id":"p1","resourceType":"Patient","gender":"female","birthDate":"1970-03-30"}"#;
    assert_eq!(
        to_json(&strict(json)),
        r#"{"resourceType":"Patient","id":"p1","active":true,"name":[{"family":"Doe","given":["Jane"]}],"gender":"female","birthDate":"1970-03-30"}"#
    );
}

fn searchset_bundle() -> String {
    let eob = eob(&format!(
        r#""item":[{{"sequence":1,"productOrService":{{"text":"visit"}},"adjudication":[{},{}]}}]"#,
        adjudication("submitted", "125.50"),
        adjudication("paidtoprovider", "100.00")
    ));
    format!(
        r#"{{"resourceType":"Bundle","id":"b1","meta":{{"lastUpdated":"2024-01-15T10:00:00Z"}},"type":"searchset","total":2,"link":[{{"relation":"self","url":"https://example.org/fhir/ExplanationOfBenefit?patient=p1&_include=ExplanationOfBenefit:patient"}}],"entry":[{{"fullUrl":"https://example.org/fhir/ExplanationOfBenefit/eob1","resource":{eob},"search":{{"mode":"match"}}}},{{"fullUrl":"https://example.org/fhir/Patient/p1","resource":{{"id":"p1","name":[{{"family":"Doe","given":["Jane"]}}],"resourceType":"Patient"}},"search":{{"mode":"include"}}}},{{"fullUrl":"https://example.org/fhir/Observation/o1","resource":{OBSERVATION},"search":{{"mode":"match","score":1.0}}}}]}}"#
    )
}

#[test]
fn searchset_bundle_round_trips() {
    let json = searchset_bundle();
    let resource = strict(&json);
    assert_eq!(resource.resource_type(), "Bundle");
    assert_eq!(resource.id(), Some("b1"));
    let out = to_json(&resource);
    assert_same_tree(&json, &out);
    assert_eq!(number_at(&out, "entry[2].search.score"), "1.0");
    assert_eq!(
        number_at(
            &out,
            "entry[0].resource.item[0].adjudication[1].amount.value"
        ),
        "100.00"
    );
    let patient = tree(&out);
    let patient = patient.at("entry[1].resource").expect("entry 1");
    assert_eq!(
        patient.keys().first().copied(),
        Some("resourceType"),
        "{out}"
    );
}

#[test]
fn errors_inside_bundle_entries_name_the_entry() {
    let json = searchset_bundle().replace(r#""family":"Doe""#, r#""family":"Doe","foo":[1.50]"#);
    let e = strict_err(&json);
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::UnknownElement, "{e}");
    assert!(
        issue.path.starts_with("Bundle.entry[1].resource") && issue.path.ends_with("name[0].foo"),
        "{e}"
    );
    let (resource, issues) = lenient(&json);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].path, issue.path);
    assert_same_tree(
        &json,
        &to_json(&resource.expect("lenient keeps the bundle")),
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown elements and wrong types

const UNKNOWN_TOP: &str = r#"{"resourceType":"Patient","id":"p1","foo":{"n":1.50,"arr":[1e2,-0.0,null,true,"s\u00e9"],"o":{}},"active":true}"#;
const UNKNOWN_NESTED: &str =
    r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","foo":1.50}]}"#;

#[test]
fn unknown_element_is_a_strict_error_naming_it() {
    assert_strict_error(UNKNOWN_TOP, "Patient.foo", IssueKind::UnknownElement);
}

#[test]
fn unknown_nested_element_is_a_strict_error_naming_it() {
    assert_strict_error(
        UNKNOWN_NESTED,
        "Patient.name[0].foo",
        IssueKind::UnknownElement,
    );
}

#[test]
fn unknown_element_is_kept_verbatim_by_lenient_parsing() {
    let out =
        assert_lenient_keeps_with_one_issue(UNKNOWN_TOP, "Patient.foo", IssueKind::UnknownElement);
    assert_eq!(number_at(&out, "foo.n"), "1.50");
    assert_eq!(number_at(&out, "foo.arr[0]"), "1e2");
    assert_eq!(number_at(&out, "foo.arr[1]"), "-0.0");
    // Written back unchanged (as compact JSON), member order inside it included.
    let value = tree(&out)
        .at("foo")
        .map(json_tree::render)
        .expect("foo kept");
    assert_eq!(
        value,
        r#"{"n":1.50,"arr":[1e2,-0.0,null,true,"sé"],"o":{}}"#
    );

    let out = assert_lenient_keeps_with_one_issue(
        UNKNOWN_NESTED,
        "Patient.name[0].foo",
        IssueKind::UnknownElement,
    );
    assert_eq!(number_at(&out, "name[0].foo"), "1.50");
}

#[test]
fn unknown_extension_like_keys_are_unknown_elements() {
    assert_strict_error(
        r#"{"resourceType":"Patient","_foo":{"extension":[{"url":"http://example.org/x","valueString":"y"}]}}"#,
        "Patient._foo",
        IssueKind::UnknownElement,
    );
    // `_active` belongs to `active`, but `_name` does not exist: `name` is not a primitive.
    assert_strict_error(
        r#"{"resourceType":"Patient","name":[{"family":"Doe"}],"_name":[{"id":"n"}]}"#,
        "Patient._name",
        IssueKind::UnknownElement,
    );
}

#[test]
fn wrong_type_is_a_strict_error_with_a_path() {
    let json = r#"{"resourceType":"Patient","id":"p1","active":"yes"}"#;
    assert_strict_error(json, "Patient.active", IssueKind::WrongType);
}

#[test]
fn wrong_type_is_kept_raw_by_lenient_parsing() {
    let json = r#"{"resourceType":"Patient","id":"p1","active":"yes"}"#;
    let out = assert_lenient_keeps_with_one_issue(json, "Patient.active", IssueKind::WrongType);
    assert_eq!(tree(&out).at("active").and_then(Json::as_str), Some("yes"));
}

#[test]
fn other_wrong_types_are_strict_errors_with_paths() {
    let cases = [
        (
            r#"{"resourceType":"Patient","active":"true"}"#,
            "Patient.active",
        ),
        (r#"{"resourceType":"Patient","active":1}"#, "Patient.active"),
        (
            r#"{"resourceType":"Patient","name":{"family":"Doe"}}"#,
            "Patient.name",
        ),
        (
            r#"{"resourceType":"Patient","gender":["female"]}"#,
            "Patient.gender",
        ),
        (
            r#"{"resourceType":"Patient","birthDate":19700330}"#,
            "Patient.birthDate",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"family":["Doe"]}]}"#,
            "Patient.name[0].family",
        ),
        (
            r#"{"resourceType":"Patient","name":["Doe"]}"#,
            "Patient.name[0]",
        ),
        (
            r#"{"resourceType":"Patient","_birthDate":"x"}"#,
            "Patient._birthDate",
        ),
    ];
    for (json, path) in cases {
        let e = strict_err(json);
        assert_eq!(issue_of(&e).path, path, "{json}: {e}");
        assert_eq!(issue_of(&e).kind, IssueKind::WrongType, "{json}: {e}");
        assert_lenient_keeps_with_one_issue(json, path, IssueKind::WrongType);
    }
}

#[test]
fn malformed_primitive_is_an_invalid_primitive() {
    for json in [
        r#"{"resourceType":"Patient","birthDate":"1970-13-45"}"#,
        r#"{"resourceType":"Patient","birthDate":"30/03/1970"}"#,
    ] {
        assert_strict_error(json, "Patient.birthDate", IssueKind::InvalidPrimitive);
        assert_lenient_keeps_with_one_issue(json, "Patient.birthDate", IssueKind::InvalidPrimitive);
    }
    let json = r#"{"resourceType":"Patient","deceasedDateTime":"2020-01-01T25:00:00Z"}"#;
    assert_strict_error(
        json,
        "Patient.deceasedDateTime",
        IssueKind::InvalidPrimitive,
    );
}

#[test]
fn duplicate_json_keys_are_a_strict_error() {
    let e = strict_err(r#"{"resourceType":"Patient","active":true,"active":false}"#);
    assert_eq!(issue_of(&e).kind, IssueKind::Duplicate, "{e}");
    assert_eq!(issue_of(&e).path, "Patient.active", "{e}");

    let e = strict_err(r#"{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}"#);
    assert_eq!(issue_of(&e).path, "Patient.name[0].family", "{e}");

    strict_err(r#"{"resourceType":"Patient","resourceType":"Observation"}"#);

    let (_, issues) = lenient(r#"{"resourceType":"Patient","active":true,"active":false}"#);
    assert!(
        issues
            .iter()
            .any(|i| i.kind == IssueKind::Duplicate && i.path == "Patient.active"),
        "{issues:?}"
    );
}

#[test]
fn null_and_empty_values_are_strict_errors() {
    // FHIR JSON: null only inside value/_value array pairs; no empty arrays or objects
    // (ele-1); strings have at least one character.
    let cases = [
        (
            r#"{"resourceType":"Patient","active":null}"#,
            "Patient.active",
        ),
        (r#"{"resourceType":"Patient","name":[]}"#, "Patient.name"),
        (
            r#"{"resourceType":"Patient","name":[{}]}"#,
            "Patient.name[0]",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"family":""}]}"#,
            "Patient.name[0].family",
        ),
        (
            r#"{"resourceType":"Patient","_birthDate":{}}"#,
            "Patient._birthDate",
        ),
    ];
    for (json, path) in cases {
        let e = strict_err(json);
        assert!(issue_of(&e).path.starts_with(path), "{json}: {e}");
        let (resource, issues) = lenient(json);
        assert!(!issues.is_empty(), "{json}: lenient should report it");
        let resource = resource.expect("lenient keeps the resource");
        assert_same_tree(json, &to_json(&resource));
    }
}

#[test]
fn fhir_comments_are_tolerated_and_written_back() {
    let json = r#"{"resourceType":"Patient","fhir_comments":["  a comment  "],"id":"p1","name":[{"fhir_comments":["about the name"],"family":"Doe"}],"birthDate":"1970-03-30","_birthDate":{"fhir_comments":["about the date"]}}"#;
    round_trip(json);
    let (resource, issues) = lenient(json);
    assert!(
        issues
            .iter()
            .all(|i| i.severity != fhir_model::Severity::Error),
        "fhir_comments are not an error: {issues:?}"
    );
    assert_same_tree(json, &to_json(&resource.expect("lenient resource")));
}

// ---------------------------------------------------------------------------------------------
// Strings

#[test]
fn string_escapes_round_trip() {
    let json = r#"{"resourceType":"Patient","name":[{"text":"Jos\u00e9 \"Pepe\" O\\Brien\n\t\u0001 \ud83d\ude00 a\/b \u2028 é"}]}"#;
    let out = round_trip(json);
    let text = tree(&out)
        .at("name[0].text")
        .and_then(Json::as_str)
        .map(str::to_owned);
    assert_eq!(
        text.as_deref(),
        Some("José \"Pepe\" O\\Brien\n\t\u{1} 😀 a/b \u{2028} é")
    );
}

#[test]
fn lone_surrogates_are_errors() {
    for escape in [
        r"\ud800",
        r"\udc00",
        r"\ud800\u0041",
        r"\ud800x",
        r"\udbff\udbff",
    ] {
        let json = format!(r#"{{"resourceType":"Patient","name":[{{"family":"a{escape}b"}}]}}"#);
        strict_err(&json);
        assert_lenient_rejects(&json);
    }
}

// ---------------------------------------------------------------------------------------------
// Not JSON, not a resource

#[test]
fn invalid_json_is_an_error_not_a_panic() {
    let cases = [
        ("truncated", r#"{"resourceType":"Patient","id":"x""#),
        (
            "truncated in a string",
            r#"{"resourceType":"Patient","id":"x"#,
        ),
        (
            "truncated after a comma",
            r#"{"resourceType":"Patient","id":"x","#,
        ),
        ("trailing garbage", r#"{"resourceType":"Patient"} x"#),
        (
            "second value",
            r#"{"resourceType":"Patient"}{"resourceType":"Patient"}"#,
        ),
        ("extra brace", r#"{"resourceType":"Patient"}}"#),
        ("bad escape", r#"{"resourceType":"Patient","id":"a\qb"}"#),
        (
            "bad unicode escape",
            r#"{"resourceType":"Patient","id":"a\u12G4"}"#,
        ),
        (
            "raw control character",
            "{\"resourceType\":\"Patient\",\"id\":\"a\u{1}b\"}",
        ),
        (
            "raw newline in a string",
            "{\"resourceType\":\"Patient\",\"id\":\"a\nb\"}",
        ),
        (
            "trailing comma",
            r#"{"resourceType":"Patient","active":true,}"#,
        ),
        ("single quotes", r#"{'resourceType':'Patient'}"#),
        ("comment", r#"{"resourceType":"Patient" /* c */}"#),
        ("bare word", r#"{"resourceType":"Patient","active":yes}"#),
        ("missing colon", r#"{"resourceType" "Patient"}"#),
    ];
    for (what, json) in cases {
        let e = strict_err(json);
        assert!(
            matches!(e, Error::Syntax { .. }),
            "{what}: expected a syntax error, got {e:?}"
        );
        assert_lenient_rejects(json);
    }
}

#[test]
fn syntax_errors_give_line_and_column() {
    match strict_err("{\n  \"resourceType\": \"Patient\",\n  \"active\": tru\n}") {
        Error::Syntax { line, .. } => assert_eq!(line, 3),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    match strict_err(r#"{"resourceType":"Patient"} x"#) {
        Error::Syntax { line, column, .. } => assert_eq!((line, column), (1, 28)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn empty_input_is_an_error() {
    for json in ["", " ", "\n\t "] {
        let e = strict_err(json);
        assert!(matches!(e, Error::Syntax { .. }), "{json:?}: {e:?}");
        assert_lenient_rejects(json);
    }
}

#[test]
fn non_object_top_level_is_an_error() {
    for json in [
        "[]",
        r#""x""#,
        "42",
        "null",
        "true",
        r#"[{"resourceType":"Patient"}]"#,
    ] {
        strict_err(json);
        assert_lenient_rejects(json);
    }
}

#[test]
fn missing_or_non_string_resource_type_is_an_error() {
    for json in ["{}", r#"{"id":"x"}"#, r#"{"id":"x","active":true}"#] {
        let e = strict_err(json);
        assert_eq!(
            issue_of(&e).kind,
            IssueKind::UnknownResourceType,
            "{json}: {e}"
        );
        assert_lenient_rejects(json);
    }
    for json in [
        r#"{"resourceType":5}"#,
        r#"{"resourceType":null}"#,
        r#"{"resourceType":["Patient"]}"#,
    ] {
        strict_err(json);
        assert_lenient_rejects(json);
    }
}

#[test]
fn unknown_resource_type_is_a_strict_error_and_a_lenient_issue() {
    // Not FHIR; R5-only (R4 has DeviceUseStatement); wrong case.
    for name in [
        "Foo",
        "DeviceUsage",
        "patient",
        "Element",
        "BackboneElement",
        "Resource",
    ] {
        let json = format!(r#"{{"resourceType":"{name}","id":"x"}}"#);
        let e = strict_err(&json);
        assert_eq!(
            issue_of(&e).kind,
            IssueKind::UnknownResourceType,
            "{name}: {e}"
        );
        let (_, issues) = lenient(&json);
        assert!(
            issues
                .iter()
                .any(|i| i.kind == IssueKind::UnknownResourceType),
            "{name}: {issues:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Stack use: deep nesting is an error, never a stack overflow, and ordinary data fits the
// stacks it will meet.
//
// Each test re-runs itself in a child process, where the body calls the model directly on a
// thread with a given stack size. A stack overflow aborts the process, so the child keeps it
// from killing the whole test binary; the parent reports it as a normal test failure.

const KIB: usize = 1024;
/// Small enough that a parser recursing once per JSON level without a limit overflows it.
const SMALL_STACK: usize = 256 * KIB;
/// The default for threads spawned by std (and so for libtest's test threads) and for tokio's
/// worker threads.
const DEFAULT_THREAD_STACK: usize = 2 * 1024 * KIB;
/// The usual main-thread stack on Linux.
const MAIN_THREAD_STACK: usize = 8 * 1024 * KIB;
const CHILD_ENV: &str = "FHIR_MODEL_IT_STACK_CHILD";
const DEPTH: usize = 10_000;

fn in_child_with_stack(test: &str, stack: usize, body: fn()) {
    if std::env::var_os(CHILD_ENV).is_some() {
        let handle = std::thread::Builder::new()
            .name(format!("{}k-stack", stack / KIB))
            .stack_size(stack)
            .spawn(body)
            .expect("spawn a thread with the given stack");
        if let Err(payload) = handle.join() {
            std::panic::resume_unwind(payload);
        }
        return;
    }
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    let name = format!("{module}::{test}");
    let exe = std::env::current_exe().expect("path of the test binary");
    let output = std::process::Command::new(exe)
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the test binary as a child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} failed on a {} KiB stack (exit status {}; a signal such as SIGABRT/SIGSEGV \
         means the stack overflowed)\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        stack / KIB,
        output.status
    );
}

/// Strict parse on the current thread (no roomy-stack helper): must fail.
#[track_caller]
fn strict_err_here(json: &str) -> Error {
    match fhir_model::from_json(json) {
        Ok(_) => panic!("strict parse should have failed on {}", short(json)),
        Err(e) => e,
    }
}

/// Strict parse and write on the current thread: must give back the same tree.
#[track_caller]
fn round_trip_here(json: &str) {
    match fhir_model::from_json(json) {
        Ok(resource) => assert_same_tree(json, &fhir_model::to_json(&resource)),
        Err(e) => panic!("strict parse failed: {e}\n  input: {}", short(json)),
    }
    let (resource, issues) = fhir_model::from_json_lenient(json);
    assert!(issues.is_empty(), "{issues:?}");
    assert!(resource.is_some());
}

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_objects(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

fn nested_extensions(depth: usize) -> String {
    let open = r#"{"url":"http://example.org/fhir/StructureDefinition/nested","extension":["#;
    let leaf =
        r#"{"url":"http://example.org/fhir/StructureDefinition/nested","valueString":"leaf"}"#;
    format!(
        r#"{{"resourceType":"Patient","extension":[{}{leaf}{}]}}"#,
        open.repeat(depth - 1),
        "]}".repeat(depth - 1)
    )
}

/// Bundles in Bundles (`entry.resource`): each level is a resource parsed inside a resource.
fn nested_bundles(depth: usize) -> String {
    let open = r#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":"#;
    format!(
        "{}{}{}",
        open.repeat(depth),
        r#"{"resourceType":"Patient","id":"p"}"#,
        "}]}".repeat(depth)
    )
}

#[test]
fn deep_nesting_in_an_unknown_element_is_an_error_not_a_stack_overflow() {
    in_child_with_stack(
        "deep_nesting_in_an_unknown_element_is_an_error_not_a_stack_overflow",
        SMALL_STACK,
        || {
            for inner in [nested_arrays(DEPTH), nested_objects(DEPTH)] {
                let json = format!(r#"{{"resourceType":"Patient","foo":{inner}}}"#);
                strict_err_here(&json);
                let (_, issues) = fhir_model::from_json_lenient(&json);
                assert!(
                    !issues.is_empty(),
                    "lenient parse must report the deep unknown element"
                );
                // Also where a known element is expected.
                let json = format!(r#"{{"resourceType":"Patient","name":{inner}}}"#);
                strict_err_here(&json);
                let (_, issues) = fhir_model::from_json_lenient(&json);
                assert!(!issues.is_empty());
            }
        },
    );
}

#[test]
fn deeply_nested_extensions_are_an_error_not_a_stack_overflow() {
    in_child_with_stack(
        "deeply_nested_extensions_are_an_error_not_a_stack_overflow",
        SMALL_STACK,
        || {
            let json = nested_extensions(DEPTH);
            let e = strict_err_here(&json);
            assert_eq!(e.issue().map(|i| i.kind), Some(IssueKind::TooDeep), "{e}");
            let (_, issues) = fhir_model::from_json_lenient(&json);
            assert!(
                issues.iter().any(|i| i.kind == IssueKind::TooDeep),
                "{issues:?}"
            );
        },
    );
}

#[test]
fn deeply_nested_resources_are_an_error_not_a_stack_overflow() {
    in_child_with_stack(
        "deeply_nested_resources_are_an_error_not_a_stack_overflow",
        SMALL_STACK,
        || {
            let json = nested_bundles(DEPTH / 3);
            let e = strict_err_here(&json);
            assert_eq!(e.issue().map(|i| i.kind), Some(IssueKind::TooDeep), "{e}");
            let (_, issues) = fhir_model::from_json_lenient(&json);
            assert!(
                issues.iter().any(|i| i.kind == IssueKind::TooDeep),
                "{issues:?}"
            );
        },
    );
}

#[test]
fn a_simple_resource_parses_on_a_256_kib_stack() {
    // If this fails, so do the three tests above, whatever the nesting limit: the cost is per
    // resource, not per JSON level.
    in_child_with_stack(
        "a_simple_resource_parses_on_a_256_kib_stack",
        SMALL_STACK,
        || round_trip_here(r#"{"resourceType":"Patient","id":"p1","active":true}"#),
    );
}

#[test]
fn ordinary_resources_parse_on_a_default_2_mib_thread_stack() {
    // What a `#[test]`, a `std::thread::spawn`ed worker or a tokio worker gets.
    in_child_with_stack(
        "ordinary_resources_parse_on_a_default_2_mib_thread_stack",
        DEFAULT_THREAD_STACK,
        || {
            round_trip_here(&eob_with_contained());
            round_trip_here(&searchset_bundle());
            // A batch-response style Bundle holding a searchset Bundle.
            round_trip_here(&format!(
                r#"{{"resourceType":"Bundle","type":"batch-response","entry":[{{"resource":{},"response":{{"status":"200 OK"}}}}]}}"#,
                searchset_bundle()
            ));
        },
    );
}

#[test]
fn nesting_up_to_the_limit_fits_the_main_thread_stack() {
    // Every depth either parses or is rejected as too deep; none may overflow 8 MiB.
    in_child_with_stack(
        "nesting_up_to_the_limit_fits_the_main_thread_stack",
        MAIN_THREAD_STACK,
        || {
            for depth in 1..=60 {
                let json = nested_bundles(depth);
                if let Err(e) = fhir_model::from_json(&json) {
                    assert_eq!(e.issue().map(|i| i.kind), Some(IssueKind::TooDeep), "{e}");
                }
                let json = nested_extensions(depth);
                if let Err(e) = fhir_model::from_json(&json) {
                    assert_eq!(e.issue().map(|i| i.kind), Some(IssueKind::TooDeep), "{e}");
                }
            }
        },
    );
}

#[test]
fn moderately_deep_nesting_is_accepted() {
    // Real data nests extensions a few levels and Bundles in Bundles; leave room for that.
    round_trip(&nested_extensions(30));
    round_trip(&nested_bundles(10));
}

#[test]
fn syntax_and_depth_errors_name_the_element_being_read() {
    let e = from_json(r#"{"resourceType":"Patient","name":[{"given":["a" "b"]}]}"#)
        .expect_err("missing comma");
    match &e {
        Error::Syntax { path, .. } => assert_eq!(path, "Patient.name[0].given", "{e}"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let e = strict_err(&nested_extensions(60));
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::TooDeep, "{e}");
    assert!(
        issue
            .path
            .starts_with("Patient.extension[0].extension[0].extension[0]"),
        "{e}"
    );
}

#[test]
fn unknown_keys_that_need_escaping_are_written_back_as_valid_json() {
    // Found by the fuzzer: keys of unknown elements come from the input, so unlike FHIR
    // element names they can hold quotes, backslashes and (escaped) control characters.
    let json = r#"{"resourceType":"Patient","a\"b\\c\u0001":1.50,"name":[{"x\ny":[true]}]}"#;
    let (resource, issues) = from_json_lenient(json);
    assert_eq!(issues.len(), 2, "{issues:?}");
    let written = to_json(&resource.expect("lenient keeps the resource"));
    assert_same_tree(json, &written);
    let (again, _) = from_json_lenient(&written);
    assert_eq!(to_json(&again.expect("re-read")), written);
}

#[test]
fn open_typed_values_round_trip_and_unknown_types_are_errors() {
    // Extension.value[x], Parameters.parameter.value[x] and the other open-typed elements
    // share one enum; each keeps its own JSON name.
    round_trip(
        r#"{"resourceType":"Parameters","parameter":[{"name":"a","valueString":"x","_valueString":{"id":"s1"}},{"name":"b","valueCodeableConcept":{"text":"t"}},{"name":"c","valueDecimal":1.50}]}"#,
    );
    let json = r#"{"resourceType":"Parameters","parameter":[{"name":"a","valueFoo":"x"}]}"#;
    let e = strict_err(json);
    let issue = issue_of(&e);
    assert_eq!(issue.kind, IssueKind::UnknownElement, "{e}");
    assert_eq!(issue.path, "Parameters.parameter[0].valueFoo", "{e}");
    let e = strict_err(
        r#"{"resourceType":"Parameters","parameter":[{"name":"a","valueString":"x","valueBoolean":true}]}"#,
    );
    assert_eq!(issue_of(&e).kind, IssueKind::Duplicate, "{e}");
}

#[test]
fn typed_access_from_a_resource() {
    use fhir_model::TypedResource;
    use fhir_model::resources::{Observation, Patient};

    let resource = from_json(r#"{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"}}"#)
        .expect("valid Patient");
    let meta = resource.meta().expect("meta is present");
    assert_eq!(meta.version_id.as_str(), Some("3"));
    let patient: &Patient = resource.downcast_ref().expect("a Patient");
    assert_eq!(patient.id.as_deref(), Some("p1"));
    assert_eq!(TypedResource::meta(patient), Some(meta));
    assert!(resource.downcast_ref::<Observation>().is_none());
    assert_eq!(<Patient as TypedResource>::RESOURCE_TYPE, "Patient");
}
