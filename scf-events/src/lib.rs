//! The events SCF's triggers send to a function, as Rust types: [`TimerEvent`],
//! [`ApiGatewayRequest`] (and the [`ApiGatewayResponse`] a function returns to API Gateway),
//! [`CosEvent`], [`CmqTopicEvent`], [`CkafkaEvent`] and [`ClsEvent`].
//!
//! Each type deserialises the JSON the trigger sends and serialises back to the same JSON. Members
//! this crate does not know are ignored, and members a trigger leaves out take their empty value,
//! so a newer or a sparser event still decodes.
//!
//! With `scf-runtime`, take the type as the handler's event:
//!
//! ```no_run
//! use scf_events::TimerEvent;
//! use scf_runtime::{Context, Error, service_fn};
//!
//! async fn handler(event: TimerEvent, _ctx: Context) -> Result<String, Error> {
//!     Ok(format!("{} fired at {}", event.trigger_name, event.time))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     scf_runtime::run(service_fn(handler)).await
//! }
//! ```
//!
//! The shapes follow Tencent Cloud's "Trigger Event Message Structure Summary" (SCF documentation
//! 583/31439) and the pages of each trigger.

mod api_gateway;
mod ckafka;
mod cls;
mod cmq;
mod cos;
mod timer;

pub use api_gateway::{ApiGatewayRequest, ApiGatewayResponse, QueryValue, RequestContext};
pub use ckafka::{CkafkaEvent, CkafkaMessage, CkafkaRecord};
#[cfg(feature = "cls")]
pub use cls::ClsDecodeError;
pub use cls::{ClsData, ClsEvent, ClsLogs, ClsRecord};
pub use cmq::{CmqTags, CmqTopicEvent, CmqTopicMessage, CmqTopicRecord};
pub use cos::{CosBucket, CosEvent, CosEventInfo, CosNotification, CosObject, CosRecord, CosRequestParameters};
pub use timer::TimerEvent;

/// The crate's README (the page crates.io shows): its examples compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
