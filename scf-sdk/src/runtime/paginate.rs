//! Pages of a paginated action, one request each, as a [`Stream`] (and an async `next()` for code
//! that does not use streams): [`Paginator`] gives whole answers, [`Items`] the items one by one.
//!
//! The action's [`PaginationDescriptor`] says which members carry the offset, the limit, the items
//! and the total; [`PageCursor`] decides where the next page starts and when to stop, for typed
//! paginators and for tools that call actions as JSON alike. It stops at the total, on an empty
//! page, or — when the answer has no total — on a short page, and it never follows a service that
//! keeps sending pages past [`PageCursor::MAX_PAGES`].
//!
//! Why [`futures_core::Stream`]: it is the ecosystem's trait for async sequences (what
//! `StreamExt`, `tokio-stream` and `futures` combinators take), the crate is a few hundred lines
//! with no dependencies of its own, and reqwest already builds it, so it costs the SDK nothing.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::action::Action;
use super::catalog::PaginationDescriptor;
use super::client::ApiClient;
use super::error::{Error, ResponseError, ResponseErrorKind};

/// A paginated action's request, response and items, as the generated code implements it for
/// every action the API description marks paginated.
pub trait Paginated: Action + Unpin {
    /// One item of a page (`Function` for `ListFunctions`).
    type Item: Send + Unpin + 'static;

    /// The offset and limit the request asks for, if they are set.
    fn page_request(&self) -> (Option<u64>, Option<u64>);

    /// Asks for `limit` items from `offset` on.
    fn set_page(&mut self, offset: u64, limit: u64);

    /// How many items a page holds.
    fn page_len(response: &Self::Response) -> usize;

    /// How many items there are in all, if the answer says.
    fn total(response: &Self::Response) -> Option<u64>;

    /// The page's items.
    fn into_items(response: Self::Response) -> Vec<Self::Item>;
}

/// Where the next page starts and whether there is one: the paging rules shared by typed
/// paginators and by tools that page through actions as JSON (the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    offset: u64,
    page_size: u64,
    /// The smallest total any page has reported: items added while paging are not chased.
    total: Option<u64>,
    pages: u32,
    done: bool,
}

impl PageCursor {
    /// A service that has sent this many pages without an end is misbehaving: the cursor gives up
    /// with an error rather than follow it forever.
    pub const MAX_PAGES: u32 = 10_000;

    /// Pages of `page_size` items (at least 1) from `offset` on.
    pub fn new(offset: u64, page_size: u64) -> Self {
        Self { offset, page_size: page_size.max(1), total: None, pages: 0, done: false }
    }

    /// A cursor for `descriptor`'s paging, starting where a request asks (its offset and limit,
    /// when set) or at the start with the description's page size.
    pub fn for_request(descriptor: &PaginationDescriptor, offset: Option<u64>, limit: Option<u64>) -> Self {
        Self::new(offset.unwrap_or(0), limit.unwrap_or(descriptor.page_size))
    }

    /// The next page's offset and limit, or `None` after the last page.
    pub fn next_page(&self) -> Option<(u64, u64)> {
        (!self.done).then_some((self.offset, self.page_size))
    }

    /// Pages read so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Records a page of `items` items, with the total it reports; an error if the service keeps
    /// sending pages past [`MAX_PAGES`](Self::MAX_PAGES).
    pub fn advance(&mut self, items: usize, total: Option<u64>) -> Result<(), String> {
        self.pages += 1;
        self.total = match (self.total, total) {
            (Some(seen), Some(now)) => Some(seen.min(now)),
            (seen, now) => seen.or(now),
        };
        self.offset = self.offset.saturating_add(items as u64);
        self.done = items == 0
            || match self.total {
                Some(total) => self.offset >= total,
                // Without a total, a page shorter than asked for is the last.
                None => (items as u64) < self.page_size,
            };
        if !self.done && self.pages >= Self::MAX_PAGES {
            self.done = true;
            return Err(format!(
                "the pages do not end: {} pages of up to {} items, {} items in all{}, and the service still \
                 says there are more",
                self.pages,
                self.page_size,
                self.offset,
                self.total.map(|t| format!(" of {t}")).unwrap_or_default()
            ));
        }
        Ok(())
    }
}

type PageFuture<A> =
    Pin<Box<dyn Future<Output = Result<<A as Action>::Response, Error<<A as Action>::ErrorCode>>> + Send>>;

/// The pages of a paginated action, one request each: a [`Stream`] of answers, or call
/// [`next`](Self::next) in a loop. Made by the request builder's `into_paginator()`.
///
/// ```no_run
/// # async fn example(client: scf_sdk::Client) -> Result<(), scf_sdk::runtime::Error<scf_sdk::actions::ListFunctionsErrorCode>> {
/// let mut pages = client.list_functions().namespace("default").into_paginator();
/// while let Some(page) = pages.next().await {
///     let page = page?;
///     println!("{} of {}", page.functions.len(), page.total_count);
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "a paginator does nothing until polled"]
pub struct Paginator<A: Paginated> {
    client: ApiClient,
    /// `None` when it could not be built (`failed` says why).
    request: Option<A>,
    cursor: PageCursor,
    in_flight: Option<PageFuture<A>>,
    /// An error to yield before anything else (the request could not be built). Boxed: a box is
    /// `Unpin` whatever it holds.
    failed: Option<Box<Error<A::ErrorCode>>>,
}

impl<A: Paginated> fmt::Debug for Paginator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("action", &A::DESCRIPTOR.name)
            .field("cursor", &self.cursor)
            .field("in_flight", &self.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl<A: Paginated> Paginator<A> {
    /// Pages of `request` through `client`, from the request's offset (or the start), as many
    /// items at a time as its limit says (or the API description's page size). If `request` is an
    /// error (it could not be built), that error is the only item.
    pub fn new(client: ApiClient, request: Result<A, Error<A::ErrorCode>>) -> Self {
        let (request, failed) = match request {
            Ok(request) => (Some(request), None),
            Err(error) => (None, Some(Box::new(error))),
        };
        let (offset, limit) = request.as_ref().map(Paginated::page_request).unwrap_or_default();
        let cursor = match A::DESCRIPTOR.pagination {
            Some(descriptor) => PageCursor::for_request(&descriptor, offset, limit),
            // The generated code only implements `Paginated` for paginated actions.
            None => PageCursor::new(offset.unwrap_or(0), limit.unwrap_or(20)),
        };
        Self { client, request, cursor, in_flight: None, failed }
    }

    /// Asks for `items` items per page (at least 1) instead of the API description's page size.
    pub fn page_size(mut self, items: u64) -> Self {
        let offset = self.cursor.offset;
        self.cursor = PageCursor::new(offset, items);
        self
    }

    /// The items one by one, across pages.
    pub fn items(self) -> Items<A> {
        Items { pages: self, buffer: VecDeque::new() }
    }

    /// The next page, `None` after the last one. After an error, the paginator ends.
    pub async fn next(&mut self) -> Option<Result<A::Response, Error<A::ErrorCode>>> {
        std::future::poll_fn(|context| Pin::new(&mut *self).poll_next(context)).await
    }
}

impl<A: Paginated> Stream for Paginator<A> {
    type Item = Result<A::Response, Error<A::ErrorCode>>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(error) = this.failed.take() {
            this.cursor.done = true;
            return Poll::Ready(Some(Err(*error)));
        }
        if this.in_flight.is_none() {
            let (Some(request), Some((offset, limit))) = (&this.request, this.cursor.next_page()) else {
                return Poll::Ready(None);
            };
            let mut request = request.clone();
            request.set_page(offset, limit);
            let client = this.client.clone();
            this.in_flight = Some(Box::pin(async move { client.call(&request).await }));
        }
        let Some(in_flight) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        let result = match in_flight.as_mut().poll(context) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.in_flight = None;
        Poll::Ready(Some(match result {
            Ok(page) => match this.cursor.advance(A::page_len(&page), A::total(&page)) {
                Ok(()) => Ok(page),
                Err(reason) => Err(Error::Response(ResponseError::new(ResponseErrorKind::Paging, 200, reason, &[]))),
            },
            Err(error) => {
                this.cursor.done = true;
                Err(error)
            }
        }))
    }
}

/// The items of a paginated action, across pages: a [`Stream`], or call [`next`](Self::next).
#[must_use = "a paginator does nothing until polled"]
pub struct Items<A: Paginated> {
    pages: Paginator<A>,
    buffer: VecDeque<A::Item>,
}

impl<A: Paginated> fmt::Debug for Items<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("pages", &self.pages).field("buffered", &self.buffer.len()).finish()
    }
}

impl<A: Paginated> Items<A> {
    /// The next item, `None` after the last one. After an error, the stream ends.
    pub async fn next(&mut self) -> Option<Result<A::Item, Error<A::ErrorCode>>> {
        std::future::poll_fn(|context| Pin::new(&mut *self).poll_next(context)).await
    }

    /// Every item, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<A::Item>, Error<A::ErrorCode>> {
        let mut items = Vec::new();
        while let Some(item) = self.next().await {
            items.push(item?);
        }
        Ok(items)
    }
}

impl<A: Paginated> Stream for Items<A> {
    type Item = Result<A::Item, Error<A::ErrorCode>>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(context) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(A::into_items(page)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pages` (items, total) to a cursor; returns the requests it made.
    fn walk(page_size: u64, pages: &[(usize, Option<u64>)]) -> (Vec<(u64, u64)>, Result<(), String>) {
        let mut cursor = PageCursor::new(0, page_size);
        let mut asked = Vec::new();
        for &(items, total) in pages {
            let Some(next) = cursor.next_page() else { break };
            asked.push(next);
            if let Err(e) = cursor.advance(items, total) {
                return (asked, Err(e));
            }
        }
        assert_eq!(cursor.next_page(), None, "the cursor stopped");
        (asked, Ok(()))
    }

    #[test]
    fn it_stops_at_the_total() {
        let (asked, _) = walk(20, &[(20, Some(45)), (20, Some(45)), (5, Some(45)), (0, Some(45))]);
        assert_eq!(asked, [(0, 20), (20, 20), (40, 20)]);
    }

    #[test]
    fn it_stops_on_an_empty_page_even_if_the_total_says_more() {
        let (asked, _) = walk(20, &[(20, Some(100)), (0, Some(100)), (20, Some(100))]);
        assert_eq!(asked, [(0, 20), (20, 20)]);
    }

    #[test]
    fn without_a_total_a_short_page_is_the_last() {
        let (asked, _) = walk(10, &[(10, None), (10, None), (3, None), (10, None)]);
        assert_eq!(asked, [(0, 10), (10, 10), (20, 10)]);
    }

    #[test]
    fn a_growing_total_is_not_chased() {
        // Each page claims more items than the last: the first (smallest) total bounds the walk.
        let (asked, _) = walk(10, &[(10, Some(20)), (10, Some(1_000)), (10, Some(1_000_000))]);
        assert_eq!(asked, [(0, 10), (10, 10)]);
    }

    #[test]
    fn a_page_shorter_than_asked_moves_the_offset_by_what_came() {
        // A service that caps pages below the limit asked for is followed item by item.
        let (asked, _) = walk(100, &[(30, Some(70)), (30, Some(70)), (10, Some(70))]);
        assert_eq!(asked, [(0, 100), (30, 100), (60, 100)]);
    }

    #[test]
    fn endless_pages_end_in_an_error() {
        let pages = vec![(1, None); PageCursor::MAX_PAGES as usize + 5];
        let (asked, result) = walk(1, &pages);
        assert_eq!(asked.len(), PageCursor::MAX_PAGES as usize);
        let error = result.unwrap_err();
        assert!(error.starts_with("the pages do not end: 10000 pages of up to 1 items"), "{error}");
    }
}
