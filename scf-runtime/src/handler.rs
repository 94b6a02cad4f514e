//! [`Handler`]: what [`run`](crate::run) calls for each event, and [`service_fn`] to make one from
//! an `async fn`.

use std::future::Future;

use serde::Serialize;

use crate::{Context, Error};

/// A function's code: called once per event, one event at a time.
///
/// [`service_fn`] makes one from an `async fn(Event, Context) -> Result<Output, E>`; implement it
/// yourself for a handler that keeps state between events.
pub trait Handler<Event> {
    /// The result, sent to SCF as JSON.
    type Output: Serialize;
    /// The error, reported to SCF as the invocation's error.
    type Error: Into<Error>;

    /// Handles one event.
    fn call(&mut self, event: Event, context: Context) -> impl Future<Output = Result<Self::Output, Self::Error>>;
}

/// A [`Handler`] from an `async fn(Event, Context) -> Result<Output, E>` (or a closure returning a
/// future).
pub fn service_fn<F>(f: F) -> ServiceFn<F> {
    ServiceFn(f)
}

/// A [`Handler`] made by [`service_fn`].
#[derive(Clone, Copy)]
pub struct ServiceFn<F>(F);

impl<F> std::fmt::Debug for ServiceFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceFn")
    }
}

impl<F, Fut, Event, Output, E> Handler<Event> for ServiceFn<F>
where
    F: FnMut(Event, Context) -> Fut,
    Fut: Future<Output = Result<Output, E>>,
    Output: Serialize,
    E: Into<Error>,
{
    type Output = Output;
    type Error = E;

    fn call(&mut self, event: Event, context: Context) -> impl Future<Output = Result<Output, E>> {
        (self.0)(event, context)
    }
}
