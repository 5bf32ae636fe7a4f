//! `cargo xtask wasm`: the npm package `cms-interop` in `wasm/pkg/`, built without
//! wasm-pack (which downloads binaries at run time): cargo builds the facade for wasm32
//! with the size profile, `wasm-bindgen` (the CLI of the same version as the crate, from
//! `cargo install`) writes the ESM glue and TypeScript definitions, `wasm-opt` from the
//! npm package `binaryen` (in `wasm/node_modules`, `npm ci --prefix wasm`) shrinks the
//! binary, and the `package.json` is ours. The definitions wasm-bindgen writes carry the
//! types of `wasm/src/facade.rs`'s TypeScript section; `wasm/tests/consumer.ts` is
//! type-checked against them.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use crate::ci::{DynError, built_wasm, exec, require_wasm_target, sizes};

const CRATE: &str = "cms-interop-wasm";
/// The library target's name (the crate name with `_`).
const LIB: &str = "cms_interop_wasm";
/// The file names in the package: `cms_interop.js`, `cms_interop_bg.wasm`...
const OUT_NAME: &str = "cms_interop";

/// Builds `wasm/pkg/` and reports the `.wasm` size raw and gzipped.
pub(crate) fn build(root: &Path, cargo: &OsString) -> Result<(), DynError> {
    require_wasm_target()?;
    let version = wasm_bindgen_version(root)?;
    check_wasm_bindgen_cli(&version)?;
    let wasm_opt = root.join("wasm/node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        return Err("wasm-opt is missing: run `npm ci --prefix wasm` (.ci/run does this)".into());
    }

    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args([
        "build",
        "-p",
        CRATE,
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-package",
        "--message-format=json-render-diagnostics",
    ]);
    let wasm = built_wasm(cmd, LIB, "cdylib")?;

    let pkg = root.join("wasm/pkg");
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).map_err(|e| format!("{}: {e}", pkg.display()))?;
    }
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen
        .args(["--target", "web", "--out-name", OUT_NAME, "--out-dir"])
        .arg(&pkg)
        .arg(&wasm);
    exec(bindgen)?;

    let binary = pkg.join(format!("{OUT_NAME}_bg.wasm"));
    let mut opt = Command::new(&wasm_opt);
    // The features rustc's wasm32 target emits by default.
    opt.args([
        "-Oz",
        "--strip-debug",
        "--strip-producers",
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ])
    .arg(&binary)
    .arg("-o")
    .arg(&binary);
    exec(opt)?;

    let package = serde_json::json!({
        "name": "cms-interop",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "SMART on FHIR client for the US CMS interoperability APIs: launch, tokens that keep working, patient context, FHIR R4 parsing and profile validation, the whole record",
        "license": "MIT OR Apache-2.0",
        "type": "module",
        "main": format!("{OUT_NAME}.js"),
        "module": format!("{OUT_NAME}.js"),
        "types": format!("{OUT_NAME}.d.ts"),
        "files": [
            format!("{OUT_NAME}.js"),
            format!("{OUT_NAME}.d.ts"),
            format!("{OUT_NAME}_bg.wasm"),
            format!("{OUT_NAME}_bg.wasm.d.ts"),
        ],
        "sideEffects": false,
    });
    std::fs::write(
        pkg.join("package.json"),
        serde_json::to_string_pretty(&package)? + "\n",
    )?;
    // wasm-bindgen's own .gitignore would hide the package from `npm pack` users who
    // copy it into a repository.
    let _ = std::fs::remove_file(pkg.join(".gitignore"));
    let (raw, gzip) = sizes(&binary)?;
    println!("npm_wasm_bytes: {raw}");
    println!("npm_wasm_gzip_bytes: {gzip}");
    Ok(())
}

/// Type-checks the TypeScript consumer (`tsc`, `wasm/tsconfig.json`) against the
/// package's definitions, then runs the package's Node tests (`node --test
/// wasm/tests/`): in Node, and the example page in headless Chromium
/// (`browser.test.mjs`, which saves its screenshot in `target/ci-artifacts/`). The
/// payer-server binary they start is built first (the dev profile: the tests' build
/// already compiled its dependencies, and 3 demo members load fast unoptimized).
pub(crate) fn node_tests(
    root: &Path,
    cargo: &OsString,
    fhir_packages: Option<&Path>,
) -> Result<(), DynError> {
    let mut tsc = Command::new(root.join("wasm/node_modules/.bin/tsc"));
    tsc.current_dir(root.join("wasm"))
        .args(["-p", "tsconfig.json"]);
    exec(tsc)?;
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args(["build", "-p", "payer-server", "--bin", "payer-server"]);
    exec(build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut node = Command::new("node");
    node.current_dir(root.join("wasm"))
        .env("PAYER_SERVER_BIN", target.join("debug/payer-server"))
        .env("CI_ARTIFACTS_DIR", target.join("ci-artifacts"))
        .args(["--test", "--test-reporter=spec", "tests/"]);
    if let Some(dir) = fhir_packages {
        node.env("FHIR_PACKAGES_DIR", dir);
    }
    exec(node)
}

/// The `wasm-bindgen` crate's version in `Cargo.lock`.
fn wasm_bindgen_version(root: &Path) -> Result<String, DynError> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    Err("no wasm-bindgen in Cargo.lock".into())
}

/// Fails with the install command unless `wasm-bindgen --version` is `version`.
fn check_wasm_bindgen_cli(version: &str) -> Result<(), DynError> {
    let install = format!("cargo install wasm-bindgen-cli --version {version}");
    let out = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map_err(|_| {
            format!("wasm-bindgen is not installed: run `{install}` (.ci/run does this)")
        })?;
    let found = String::from_utf8_lossy(&out.stdout);
    if found.split_whitespace().nth(1) == Some(version) {
        Ok(())
    } else {
        Err(format!(
            "wasm-bindgen {} is installed, the crate is {version}: run `{install}`",
            found.trim()
        )
        .into())
    }
}
