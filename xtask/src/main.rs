//! Project automation, run as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! - `cargo xtask codegen` regenerates `fhir-model/src/generated/` and
//!   `carin-profiles/src/generated/`.
//! - `cargo xtask codegen --check` fails if regenerating would change anything.
//! - `cargo xtask wasm` builds the npm package in `wasm/pkg/`.
//! - `cargo xtask ci` runs every check CI runs, in CI's order.
#![allow(clippy::print_stdout, reason = "a command-line tool reports on stdout")]

mod ci;
mod codegen;
mod postgres;
mod wasm;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen            regenerate fhir-model/src/generated/ (FHIR definitions) and
                     carin-profiles/src/generated/ (IG packages in FHIR_PACKAGES_DIR)
  codegen --check    fail if regenerating would change either
  wasm               build the npm package in wasm/pkg/ (needs wasm-bindgen-cli and
                     `npm ci --prefix wasm`)
  ci                 run everything CI runs (fmt, codegen check, clippy native + wasm32,
                     tests, doctests, wasm size probe, npm package and its Node tests)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(false),
        ["codegen", "--check"] => codegen::run(true),
        ["ci"] => ci::run(),
        ["wasm"] => ci::root().and_then(|root| wasm::build(&root, &ci::cargo_program())),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [] => {
            eprintln!("error: no command given\n\n{USAGE}");
            return ExitCode::from(2);
        }
        _ => {
            eprintln!(
                "error: unrecognized arguments: {}\n\n{USAGE}",
                args.join(" ")
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
