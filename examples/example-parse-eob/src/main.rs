//! `example-parse-eob [PATH | -]`: parse an `ExplanationOfBenefit` (from `PATH`, or stdin),
//! print a short summary to stderr and the re-serialized JSON to stdout.
//!
//! Without arguments and with stdin on a terminal it uses the bundled `eob.json`.
//!
//! Built for `wasm32-unknown-unknown` (no stdin there) it round-trips the bundled example,
//! which keeps the parser and writer in the binary whose size `cargo xtask ci` reports.

#![allow(
    clippy::print_stdout,
    reason = "the JSON on stdout is this program's result"
)]

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match native::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use std::hint::black_box;
    // `black_box` on both ends: the input is opaque to the optimizer and the output is used,
    // so neither parsing nor writing can be folded away.
    let written = example_parse_eob::roundtrip(black_box(example_parse_eob::EXAMPLE_EOB));
    black_box(written.map(|json| json.len()).ok());
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::{IsTerminal, Read};

    const USAGE: &str = "usage: example-parse-eob [PATH | -]   (no argument: stdin, or the bundled example on a terminal)";

    pub(super) fn run() -> Result<(), String> {
        let input = read_input()?;
        let resource = fhir_model::from_json(&input)
            .map_err(|err| format!("input is not a valid FHIR resource: {err}"))?;
        for (key, value) in example_parse_eob::summary(&resource) {
            eprintln!("{key}: {value}");
        }
        println!("{}", fhir_model::to_json(&resource));
        Ok(())
    }

    fn read_input() -> Result<String, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args.as_slice() {
            [] if std::io::stdin().is_terminal() => {
                eprintln!("(stdin is a terminal: using the bundled example eob.json)");
                Ok(example_parse_eob::EXAMPLE_EOB.to_owned())
            }
            [] => read_stdin(),
            [dash] if dash == "-" => read_stdin(),
            [flag] if flag == "-h" || flag == "--help" => Err(USAGE.to_owned()),
            [path] => {
                std::fs::read_to_string(path).map_err(|err| format!("cannot read {path}: {err}"))
            }
            _ => Err(USAGE.to_owned()),
        }
    }

    fn read_stdin() -> Result<String, String> {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .map_err(|err| format!("cannot read stdin: {err}"))?;
        Ok(input)
    }
}
