//! What the integration tests in `tests/tests/` share: a test server that speaks Tencent Cloud API
//! 3.0 and verifies TC3 signatures on its own (it never calls the SDK's signer).
//! Beside it, `local` drives the `scf-local` emulator, and `fake_http` stands in for the CVM
//! metadata service and STS.

pub mod examples;
pub mod fake_http;
pub mod local;
pub mod server;
pub mod tc3;
pub mod temp;

pub use temp::TempDir;
