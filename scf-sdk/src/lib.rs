//! Typed Rust SDK for Tencent Cloud Serverless Cloud Function (SCF), API version 2018-04-16.
//!
//! - [`actions`]: every action's request (with a builder), response and error codes; paginated
//!   actions' builders have `into_paginator()`;
//! - [`types`]: the structures and enums they share;
//! - [`waiters`]: polls of an action until a state is reached (`client.wait_until_function_active()`);
//! - [`Region`] and the service-wide [`ErrorCode`];
//! - [`catalog`]: the API description as data, for tools that handle every action generically;
//! - [`runtime`]: the hand-written machinery the generated code builds on.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use scf_sdk::{Client, Region};
//! use scf_sdk::runtime::{Config, Credentials};
//!
//! let config = Config::builder()
//!     .region(Region::ApGuangzhou)
//!     .credentials(Credentials::new("AKID…", "…"))
//!     .build();
//! let client = Client::new(config)?;
//! let response = client.invoke_function().function_name("hello").send().await?;
//! println!("{}", response.result.ret_msg);
//! # Ok(())
//! # }
//! ```
//!
//! Everything except [`runtime`] is generated from `api-spec/scf/2018-04-16.json` by
//! `cargo xtask codegen`.
//!
//! ```
//! use scf_sdk::actions::InvokeFunctionRequest;
//! use scf_sdk::types::LogType;
//!
//! let request = InvokeFunctionRequest::builder()
//!     .function_name("hello")
//!     .event(serde_json::json!({ "key": "value" }))
//!     .log_type(LogType::Tail)
//!     .build()?; // names the missing member if `function_name` was not set
//!
//! // Exactly the wire JSON: `Event` is JSON carried in a string.
//! assert_eq!(
//!     serde_json::to_string(&request)?,
//!     r#"{"FunctionName":"hello","Event":"{\"key\":\"value\"}","LogType":"Tail"}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

#[rustfmt::skip] // Formatted by the generator (prettyplease); `cargo xtask codegen --check` guards it.
mod generated;
mod invoke;
pub mod runtime;

pub use generated::{Client, ErrorCode, Region, actions, catalog, types, waiters};

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

/// The crate's own README (the page crates.io shows), compiled the same way.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeExamples;
