//! Every resource in every FHIR IG package must survive `from_json` + `to_json` exactly (as a
//! JSON tree: member order ignored, numbers compared by spelling), and `from_json_lenient`
//! must report no issues on it.
//!
//! Packages come from `$FHIR_PACKAGES_DIR` (default `<manifest>/../../shared/fhir-packages`);
//! the test fails, saying how to set it, if there are none.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};

use crate::json_tree::{self, Json};
use crate::packages::{self, Package, ResourceFile};

/// One file that did not round-trip.
struct Failure {
    package: String,
    file: String,
    detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}: {}", self.package, self.file, self.detail)
    }
}

/// How many failures the assertion message lists.
const SHOWN: usize = 50;

/// Stack of each package's thread (see the comment where they are spawned).
const PACKAGE_THREAD_STACK: usize = 64 * 1024 * 1024;

#[test]
#[allow(clippy::print_stdout, reason = "the summary is the point of this test")]
fn every_ig_package_resource_round_trips_exactly() {
    let dir = packages::packages_dir().unwrap_or_else(|message| panic!("{message}"));
    let paths = packages::list_packages(&dir).unwrap_or_else(|message| panic!("{message}"));
    assert!(
        !paths.is_empty(),
        "no *.tgz packages in {}; set {} to a directory of FHIR IG package tarballs",
        dir.display(),
        packages::ENV_VAR
    );

    // One thread per package; each returns (label, resources seen, failures). The threads get
    // a roomy stack: this test is about losslessness, and stack use has its own tests
    // (`edge_cases`, last section), which fail cleanly instead of aborting this binary.
    let results: Vec<(String, usize, Vec<Failure>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .iter()
            .map(|path| {
                let thread = std::thread::Builder::new().stack_size(PACKAGE_THREAD_STACK);
                let handle =
                    thread.spawn_scoped(scope, move || match packages::read_package(path) {
                        Ok(package) => check_package(&package),
                        Err(message) => (
                            packages::label(path),
                            0,
                            vec![Failure {
                                package: packages::label(path),
                                file: String::new(),
                                detail: message,
                            }],
                        ),
                    });
                handle.expect("spawn a package thread")
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("package thread panicked outside catch_unwind")
            })
            .collect()
    });

    let mut exact_total = 0;
    let mut seen_total = 0;
    let mut failures = Vec::new();
    for (label, seen, package_failures) in results {
        let exact = seen.saturating_sub(
            package_failures
                .iter()
                .filter(|f| !f.file.is_empty())
                .count(),
        );
        if package_failures.is_empty() {
            println!("{label}: {seen} resources round-tripped exactly");
        } else {
            println!(
                "{label}: {exact} of {seen} resources round-tripped exactly ({} failures)",
                package_failures.len()
            );
        }
        exact_total += exact;
        seen_total += seen;
        failures.extend(package_failures);
    }
    println!(
        "round-tripped {exact_total} resources from {} packages exactly",
        paths.len()
    );
    assert!(
        seen_total > 0,
        "the packages in {} hold no resources",
        dir.display()
    );

    if !failures.is_empty() {
        println!("\n{} failures:", failures.len());
        for failure in &failures {
            println!("FAIL {failure}");
        }
        println!("\nfailures by cause:");
        for (cause, (count, example)) in group_by_cause(&failures) {
            println!("{count:5}  {cause}\n       e.g. {example}");
        }
        let listed: Vec<String> = failures.iter().take(SHOWN).map(|f| f.to_string()).collect();
        let more = failures.len().saturating_sub(SHOWN);
        panic!(
            "{} of {seen_total} resources did not round-trip exactly (first {}):\n{}{}",
            failures.len(),
            listed.len(),
            listed.join("\n"),
            if more > 0 {
                format!("\n... and {more} more")
            } else {
                String::new()
            }
        );
    }
}

fn check_package(package: &Package) -> (String, usize, Vec<Failure>) {
    let mut failures = Vec::new();
    let mut fail = |file: &str, detail: String| {
        failures.push(Failure {
            package: package.label.clone(),
            file: file.to_owned(),
            detail,
        });
    };
    for (name, problem) in &package.unreadable {
        fail(name, problem.clone());
    }
    for resource in &package.resources {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check_resource(resource)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(detail)) => fail(&resource.name, detail),
            Err(payload) => fail(
                &resource.name,
                format!("panicked: {}", panic_message(&*payload)),
            ),
        }
    }
    let seen = package.resources.len() + package.unreadable.len();
    (package.label.clone(), seen, failures)
}

/// Strict parse, write, compare; then lenient parse with no issues, write, compare.
fn check_resource(file: &ResourceFile) -> Result<(), String> {
    let resource =
        fhir_model::from_json(&file.text).map_err(|e| format!("strict parse failed: {e}"))?;
    if resource.resource_type() != file.resource_type {
        return Err(format!(
            "resource_type() is {:?}, the input says {:?}",
            resource.resource_type(),
            file.resource_type
        ));
    }
    let input_id = file.tree.get("id").and_then(Json::as_str);
    if resource.id() != input_id {
        return Err(format!(
            "id() is {:?}, the input says {input_id:?}",
            resource.id()
        ));
    }
    compare_output("strict", &file.tree, &fhir_model::to_json(&resource))?;

    let (lenient, issues) = fhir_model::from_json_lenient(&file.text);
    if !issues.is_empty() {
        let first: Vec<String> = issues.iter().take(3).map(|i| i.to_string()).collect();
        return Err(format!(
            "lenient parse reported {} issue(s) on a file strict parsing accepted: {}",
            issues.len(),
            first.join("; ")
        ));
    }
    let Some(lenient) = lenient else {
        return Err("lenient parse returned no resource and no issues".to_owned());
    };
    compare_output("lenient", &file.tree, &fhir_model::to_json(&lenient))
}

fn compare_output(mode: &str, input: &Json, output: &str) -> Result<(), String> {
    let tree =
        json_tree::parse(output).map_err(|e| format!("{mode} output is not valid JSON: {e}"))?;
    if let Some(difference) = json_tree::first_difference(input, &tree) {
        return Err(format!("{mode} round trip differs at {difference}"));
    }
    if !json_tree::is_compact(output) {
        return Err(format!("{mode} output is not compact JSON"));
    }
    Ok(())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// Groups failures whose details differ only in array indices and values, so a few
/// systematic bugs do not hide among hundreds of lines. Returns cause -> (count, an example).
fn group_by_cause(failures: &[Failure]) -> Vec<(String, (usize, String))> {
    let mut groups: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for failure in failures {
        let entry = groups
            .entry(cause_of(&failure.detail))
            .or_insert_with(|| (0, failure.to_string()));
        entry.0 += 1;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    groups
}

/// `strict round trip differs at $.item[3].net.value: expected 1.50, got 1.5` becomes
/// `strict round trip differs at $.item[].net.value: expected …, got …`.
fn cause_of(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut chars = detail.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
    }
    for marker in ["expected ", "got ", "(expected ", "(got "] {
        // Drop the values after "expected"/"got": they are per-file.
        if let Some(i) = out.find(marker) {
            let tail = &out[i + marker.len()..];
            let end = tail.find([',', ';', ')']).unwrap_or(tail.len());
            out = format!("{}{marker}…{}", &out[..i], &tail[end..]);
        }
    }
    out
}

#[test]
fn causes_ignore_indices_and_values() {
    assert_eq!(
        cause_of("strict round trip differs at $.item[3].net.value: expected 1.50, got 1.5"),
        "strict round trip differs at $.item[].net.value: expected …, got …"
    );
    assert_eq!(
        cause_of("strict parse failed: ExplanationOfBenefit.item[12].foo: unknown element"),
        "strict parse failed: ExplanationOfBenefit.item[].foo: unknown element"
    );
    assert_eq!(
        cause_of(
            r#"strict round trip differs at $.a[1]: missing from output (expected "x"; array of 2 became 1)"#
        ),
        "strict round trip differs at $.a[]: missing from output (expected …; array of 2 became 1)"
    );
}
