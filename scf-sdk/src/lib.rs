//! Typed Rust SDK for Tencent Cloud Serverless Cloud Function (SCF), API version 2018-04-16.
//!
//! - [`actions`]: every action's request (with a builder), response and error codes;
//! - [`types`]: the structures and enums they share;
//! - [`Region`] and the service-wide [`ErrorCode`];
//! - [`catalog`]: the API description as data, for tools that handle every action generically;
//! - [`runtime`]: the hand-written machinery the generated code builds on.
//!
//! Everything except [`runtime`] is generated from `api-spec/scf/2018-04-16.json` by
//! `cargo xtask codegen`.
#![warn(missing_docs)]

mod generated;
pub mod runtime;

pub use generated::{ErrorCode, Region, actions, catalog, types};
