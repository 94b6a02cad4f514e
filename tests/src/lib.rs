//! What the integration tests in `tests/tests/` share: a test server that speaks Tencent Cloud API
//! 3.0 and verifies TC3 signatures on its own (it never calls the SDK's signer).
//! Beside it, `local` drives the `scf-local` emulator.

pub mod examples;
pub mod local;
pub mod server;
pub mod tc3;
