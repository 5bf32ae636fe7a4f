//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.
//!
//! `.ci/run` installs what a fresh machine lacks and then calls this; developers run it
//! directly. Each step prints a `==> [i/n] name` header; a failure names its step.

use crate::postgres::{TEST_POSTGRES_ENV, TestCluster};
use std::{
    env,
    error::Error,
    ffi::OsString,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

pub(crate) type DynError = Box<dyn Error>;

/// The wasm target every browser-facing crate must build for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Crates that must build (and pass clippy) for [`WASM_TARGET`].
const WASM_CRATES: &[&str] = &[
    "fhir-model",
    "carin-profiles",
    "smart-client",
    "cms-interop-wasm",
];
/// The example whose release wasm binary measures the size of a one-resource model.
const WASM_PROBE_CRATE: &str = "example-parse-eob";
/// Size-optimised profile (declared in the root `Cargo.toml`) for the wasm probe.
const WASM_PROFILE: &str = "wasm-release";
/// payer-server's PostgreSQL store, built and tested with the rest (with `testing`: its
/// replica test drives the member's browser), and the load test's option to use it.
const POSTGRES_FEATURE: &str =
    "payer-server/postgres,payer-server/testing,example-payer-load-test/postgres";
/// Environment variable that tells tests where the FHIR IG packages (`*.tgz`) are.
const FHIR_PACKAGES_ENV: &str = "FHIR_PACKAGES_DIR";

type Step = fn(&Ci) -> Result<(), DynError>;

const STEPS: &[(&str, Step)] = &[
    ("fmt", Ci::fmt),
    ("codegen --check", Ci::codegen_check),
    ("clippy (native)", Ci::clippy_native),
    ("clippy (wasm32)", Ci::clippy_wasm),
    ("tests (nextest)", Ci::nextest),
    ("doctests", Ci::doctests),
    ("wasm size probe", Ci::wasm_size),
    ("npm package + Node tests", Ci::npm_package),
];

pub(crate) fn run() -> Result<(), DynError> {
    let ci = Ci::new()?;
    println!("workspace: {}", ci.root.display());
    match &ci.fhir_packages {
        Some(dir) => println!("{FHIR_PACKAGES_ENV}: {}", dir.display()),
        None => println!(
            "{FHIR_PACKAGES_ENV}: not set, and ../shared/fhir-packages does not exist; \
             tests that need the IG packages will say so"
        ),
    }

    let total = Instant::now();
    for (i, (name, step)) in STEPS.iter().enumerate() {
        println!("\n==> [{}/{}] {name}", i + 1, STEPS.len());
        let start = Instant::now();
        step(&ci).map_err(|err| format!("CI step `{name}` failed: {err}"))?;
        println!("<== {name}: ok ({:.1}s)", start.elapsed().as_secs_f64());
    }
    println!(
        "\nci: all {} steps passed ({:.1}s)",
        STEPS.len(),
        total.elapsed().as_secs_f64()
    );
    Ok(())
}

struct Ci {
    /// Workspace root; every command runs there.
    root: PathBuf,
    /// The cargo that runs us (`$CARGO`), else `cargo` from `PATH`.
    cargo: OsString,
    /// Value for [`FHIR_PACKAGES_ENV`] in the test steps, if known.
    fhir_packages: Option<PathBuf>,
}

/// The workspace root.
pub(crate) fn root() -> Result<PathBuf, DynError> {
    Ok(Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask's manifest directory has no parent")?
        .to_path_buf())
}

/// The cargo that runs us (`$CARGO`), else `cargo` from `PATH`.
pub(crate) fn cargo_program() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

impl Ci {
    fn new() -> Result<Self, DynError> {
        let root = root()?;
        let cargo = cargo_program();
        let fhir_packages = match env::var_os(FHIR_PACKAGES_ENV) {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
            _ => root.join("../shared/fhir-packages").canonicalize().ok(),
        };
        Ok(Ci {
            root,
            cargo,
            fhir_packages,
        })
    }

    fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.args(args).current_dir(&self.root);
        cmd
    }

    /// Environment shared by the test steps.
    fn test_env(&self, cmd: &mut Command) {
        cmd.env("INSTA_UPDATE", "no");
        if let Some(dir) = &self.fhir_packages {
            cmd.env(FHIR_PACKAGES_ENV, dir);
        }
    }

    fn fmt(&self) -> Result<(), DynError> {
        exec(self.cargo(&["fmt", "--all", "--", "--check"]))
    }

    fn codegen_check(&self) -> Result<(), DynError> {
        crate::codegen::run(true)
    }

    fn clippy_native(&self) -> Result<(), DynError> {
        exec(self.cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            POSTGRES_FEATURE,
            "--",
            "-D",
            "warnings",
        ]))
    }

    fn clippy_wasm(&self) -> Result<(), DynError> {
        require_wasm_target()?;
        let mut args = vec!["clippy", "--target", WASM_TARGET];
        for krate in WASM_CRATES {
            args.extend(["-p", krate]);
        }
        args.extend(["--", "-D", "warnings"]);
        exec(self.cargo(&args))
    }

    /// The tests, with payer-server's PostgreSQL store: against the database
    /// `PAYER_SERVER_TEST_POSTGRES` names, else a throwaway cluster started for them.
    fn nextest(&self) -> Result<(), DynError> {
        let mut cmd = self.cargo(&[
            "nextest",
            "run",
            "--workspace",
            "--all-targets",
            "--features",
            POSTGRES_FEATURE,
            "--no-fail-fast",
        ]);
        self.test_env(&mut cmd);
        let cluster = match env::var(TEST_POSTGRES_ENV) {
            Ok(url) if !url.is_empty() => {
                println!("{TEST_POSTGRES_ENV}: {url} (given)");
                None
            }
            _ => {
                let cluster = TestCluster::start()?;
                println!("{TEST_POSTGRES_ENV}: {} (a throwaway cluster)", cluster.url);
                cmd.env(TEST_POSTGRES_ENV, &cluster.url);
                Some(cluster)
            }
        };
        let tested = exec(cmd);
        drop(cluster);
        tested
    }

    fn doctests(&self) -> Result<(), DynError> {
        let mut cmd = self.cargo(&["test", "--workspace", "--doc"]);
        self.test_env(&mut cmd);
        exec(cmd)
    }

    /// Builds the example for wasm32 with the size profile, with its one resource type and
    /// with all of them, and reports raw and gzip sizes of each.
    fn wasm_size(&self) -> Result<(), DynError> {
        require_wasm_target()?;
        for (label, features) in [
            ("ExplanationOfBenefit", None),
            ("all-resources", Some("fhir-model/all-resources")),
        ] {
            self.wasm_size_of(label, features)?;
        }
        Ok(())
    }

    fn wasm_size_of(&self, label: &str, features: Option<&str>) -> Result<(), DynError> {
        let mut args = vec![
            "build",
            "--profile",
            WASM_PROFILE,
            "-p",
            WASM_PROBE_CRATE,
            "--target",
            WASM_TARGET,
            "--message-format=json-render-diagnostics",
        ];
        if let Some(features) = features {
            args.extend(["--features", features]);
        }
        let wasm = built_wasm(self.cargo(&args), WASM_PROBE_CRATE, "bin")?;
        let (raw, gzip) = sizes(&wasm)?;
        println!("wasm_size_bytes[{label}]: {raw}");
        println!("wasm_gzip_bytes[{label}]: {gzip}");
        Ok(())
    }

    /// Builds the npm package (`cargo xtask wasm`) and runs its Node tests.
    fn npm_package(&self) -> Result<(), DynError> {
        crate::wasm::build(&self.root, &self.cargo)?;
        crate::wasm::node_tests(&self.root, &self.cargo, self.fhir_packages.as_deref())
    }
}

/// Runs the cargo build `cmd` (with `--message-format=json-render-diagnostics`): the
/// `.wasm` of crate `name`'s target of `kind` it wrote.
pub(crate) fn built_wasm(mut cmd: Command, name: &str, kind: &str) -> Result<PathBuf, DynError> {
    cmd.stderr(Stdio::inherit());
    let shown = describe(&cmd);
    println!("$ {shown}");
    let out = cmd
        .output()
        .map_err(|err| format!("could not start `{shown}`: {err}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` exited with {}", out.status).into());
    }
    wasm_artifact(&String::from_utf8_lossy(&out.stdout), name, kind)
        .ok_or_else(|| format!("`{shown}` produced no {name} .wasm binary").into())
}

/// The raw and the gzip -9 size of `path`, in bytes.
pub(crate) fn sizes(path: &Path) -> Result<(u64, usize), DynError> {
    let raw = std::fs::metadata(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?
        .len();
    let gzip = Command::new("gzip")
        .args(["-c", "-9"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start `gzip`: {err}"))?;
    if !gzip.status.success() {
        return Err(format!(
            "`gzip -c -9 {}` exited with {}",
            path.display(),
            gzip.status
        )
        .into());
    }
    Ok((raw, gzip.stdout.len()))
}

/// Runs `cmd` with inherited stdio; an error names the command and its exit status.
pub(crate) fn exec(mut cmd: Command) -> Result<(), DynError> {
    let shown = describe(&cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|err| format!("could not start `{shown}`: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` exited with {status}").into())
    }
}

/// `ENV=value cargo args…`, for logs (the program shown by file name only).
fn describe(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(key, value)| {
            Some(format!(
                "{}={}",
                key.to_string_lossy(),
                value?.to_string_lossy()
            ))
        })
        .collect();
    let program = Path::new(cmd.get_program());
    parts.push(
        program
            .file_name()
            .unwrap_or(program.as_os_str())
            .to_string_lossy()
            .into_owned(),
    );
    parts.extend(cmd.get_args().map(|arg| arg.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Fails with a fix-it message when the standard library for [`WASM_TARGET`] is missing.
pub(crate) fn require_wasm_target() -> Result<(), DynError> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start rustc: {err}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if out.status.success() && libdir.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "the {WASM_TARGET} target is not installed; run \
             `rustup target add {WASM_TARGET}` (.ci/run does this)"
        )
        .into())
    }
}

/// The `.wasm` file of crate `name`'s target of `kind` (`bin`, `cdylib`), from cargo's
/// JSON messages.
pub(crate) fn wasm_artifact(messages: &str, name: &str, kind: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| {
            msg["reason"] == "compiler-artifact"
                && msg["target"]["name"] == name
                && msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == kind))
        })
        .flat_map(|msg| {
            msg["filenames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(PathBuf::from))
                .collect::<Vec<_>>()
        })
        .find(|path| path.extension().is_some_and(|ext| ext == "wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_probe_wasm_among_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"fhir-model","kind":["lib"]},"filenames":["/t/libfhir_model.rlib"]}
not json
{"reason":"compiler-artifact","target":{"name":"example-parse-eob","kind":["lib"]},"filenames":["/t/libexample_parse_eob.rlib"]}
{"reason":"compiler-artifact","target":{"name":"example-parse-eob","kind":["bin"]},"filenames":["/t/example-parse-eob.wasm"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            wasm_artifact(messages, WASM_PROBE_CRATE, "bin"),
            Some(PathBuf::from("/t/example-parse-eob.wasm"))
        );
        assert_eq!(
            wasm_artifact(r#"{"reason":"build-finished"}"#, WASM_PROBE_CRATE, "bin"),
            None
        );
    }

    #[test]
    fn describe_shows_env_program_and_args() {
        let mut cmd = Command::new("/usr/local/bin/cargo");
        cmd.args(["test", "--doc"]).env("INSTA_UPDATE", "no");
        assert_eq!(describe(&cmd), "INSTA_UPDATE=no cargo test --doc");
    }
}
