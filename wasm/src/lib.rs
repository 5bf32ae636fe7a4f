//! WebAssembly facade for browser apps and Node (the npm package `cms-interop`, built by
//! `cargo xtask wasm` into `wasm/pkg/`). Thin on purpose: every rule lives in
//! `smart-client`, `fhir-model` and `carin-profiles`; this crate turns their types into
//! JavaScript values (JSON objects), their futures into Promises and their errors into
//! `Error`s with a stable `code`.
//!
//! ```js
//! import init, { SmartClient, Session, summarizeEob } from "cms-interop";
//! await init();
//! const payer = await SmartClient.discover("https://payer.example/fhir");
//! const pending = payer.authorize("my-app", "https://app.example/callback", "launch/patient patient/*.rs offline_access");
//! sessionStorage.setItem("pending", JSON.stringify(pending));
//! location.assign(pending.url);
//! // ...on the redirect page:
//! const session = await payer.complete(JSON.parse(sessionStorage.getItem("pending")), location.href, "my-app", sessionStorage);
//! const patient = await session.patientContext();
//! const record = await session.syncAll(patient.id, { onProgress: (p) => console.log(p) });
//! const claims = record.resources.ExplanationOfBenefit.map(summarizeEob);
//! // ...after a reload: the grant kept in sessionStorage, refreshed when due.
//! const again = await Session.resume("my-app", sessionStorage);
//! ```

// Everything is wasm32 only: the futures hold JavaScript values, which are not `Send`,
// and natively there is nothing to call the exports.
#[cfg(target_arch = "wasm32")]
mod facade;
#[cfg(target_arch = "wasm32")]
pub use facade::*;
