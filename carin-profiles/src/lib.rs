//! Typed CARIN Blue Button, US Core, PDex and Plan-Net profiles with a validator.
//!
//! Status: skeleton. Nothing is implemented yet; the profiles and the validator are the
//! subject of the carin-profiles issue. This crate exists so the workspace layout in
//! `ARCHITECTURE.md` is real and every later crate can depend on it.
