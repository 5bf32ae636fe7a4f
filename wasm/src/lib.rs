//! WebAssembly facade for browser apps (npm package).
//!
//! Status: skeleton. Nothing is implemented yet; the npm package is the subject of the
//! wasm issue.
