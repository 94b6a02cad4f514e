//! Waiters: one file per waiter, holding its builder — the polled action's setters, the wait's
//! limits, and `send()`, which runs the runtime's wait loop with the waiter's descriptor.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, deprecated, doc, inner_doc, structures, summary};
use crate::ir::{Action, Waiter};

pub(crate) fn waiter_file(ctx: &Ctx<'_>, w: &Waiter) -> TokenStream {
    let rt = &ctx.rt;
    let generated = &ctx.generated;
    // Validation made sure the action exists.
    let Some(action) = ctx.service.actions.iter().find(|a| a.name == w.action) else {
        return quote!();
    };
    let name = format_ident!("{}", w.type_name);
    let descriptor = format_ident!("{}", w.descriptor);
    let builder = format_ident!("{}", action.request.builder_name);
    let response = format_ident!("{}", action.response.rust_name);
    let error_code = format_ident!("{}", action.errors.type_name());
    let imports = ctx.type_imports(&action.request.members, &[]);
    let setters = action.request.members.iter().map(|m| {
        let field = format_ident!("{}", m.field);
        let set_field = format_ident!("{}", m.setter_option);
        let ty = ctx.value_type(&m.ty);
        let (param, _) = structures::setter_param(ctx, &m.ty);
        let deprecated_attr = deprecated(m.deprecated.as_deref());
        let set_doc = doc(&format!("Sets the polled request's `{}`: {}", m.wire_name, summary(&m.docs)));
        let set_option_doc = doc(&format!("Sets or clears the polled request's `{}`.", m.wire_name));
        quote! {
            #set_doc
            #deprecated_attr
            pub fn #field(mut self, value: #param) -> Self {
                self.request = self.request.#field(value);
                self
            }

            #set_option_doc
            #deprecated_attr
            pub fn #set_field(mut self, value: Option<#ty>) -> Self {
                self.request = self.request.#set_field(value);
                self
            }
        }
    });
    let action_imports = if w.succeeds_on_error {
        quote!(use #generated::actions::{#builder, #error_code};)
    } else {
        quote!(use #generated::actions::{#builder, #error_code, #response};)
    };
    let (output, wait, returns) = if w.succeeds_on_error {
        (quote!(()), quote!(wait_for_error), "Ends well when the state is reached.".to_owned())
    } else {
        (
            quote!(#response),
            quote!(wait_for_output),
            format!("Gives the last answer: the [`{}`] that reached the state.", action.response.rust_name),
        )
    };
    let module_docs = inner_doc(&format!("The `{}` waiter: {}", w.name, summary(&w.docs)));
    let docs = doc(&format!(
        "{}\n\nPolls `{}` with the request set here until its answer reaches the state, waiting {} s at first \
         and up to {} s between polls (with jitter), {} s in all unless [`max_wait`](Self::max_wait) says \
         otherwise. Made by [`Client::{}`]({generated}::Client::{}).",
        w.docs,
        w.action,
        w.min_delay_seconds,
        w.max_delay_seconds,
        w.max_wait_seconds,
        w.method,
        w.method,
        generated = ctx.options.generated_path,
    ));
    let send_docs = doc(&format!(
        "Builds the request and polls `{}` until the state is reached. {returns}\n\n\
         Fails with the last status and the time waited when a failure state comes first, when the time \
         limit passes, or when a poll fails in a way the waiter does not expect.",
        w.action
    ));
    let new_docs = doc(&format!("A waiter for `{}` that polls through `client`.", w.name));
    quote! {
        #module_docs

        use std::time::Duration;

        #action_imports
        #imports

        #docs
        #[derive(Debug, Clone)]
        #[must_use = "a waiter does nothing until `send` is awaited"]
        pub struct #name {
            client: #rt::ApiClient,
            request: #builder,
            settings: #rt::WaitSettings,
        }

        impl #name {
            #new_docs
            pub fn new(client: #rt::ApiClient) -> Self {
                let settings = #rt::WaitSettings::new(&#generated::catalog::waiters::#descriptor);
                Self { client, request: #builder::default(), settings }
            }

            #(#setters)*

            /// How long to wait in all before giving up.
            pub fn max_wait(mut self, max_wait: Duration) -> Self {
                self.settings.max_wait = max_wait;
                self
            }

            /// The first wait between polls; later waits double, up to [`max_delay`](Self::max_delay).
            pub fn min_delay(mut self, delay: Duration) -> Self {
                self.settings.min_delay = delay;
                self
            }

            /// The longest wait between polls.
            pub fn max_delay(mut self, delay: Duration) -> Self {
                self.settings.max_delay = delay;
                self
            }

            /// Calls `progress` after every poll that does not end the wait, with the status it found.
            pub fn on_poll(mut self, progress: impl Fn(&#rt::WaitProgress<'_>) + Send + Sync + 'static) -> Self {
                self.settings.on_poll = Some(std::sync::Arc::new(progress));
                self
            }

            #send_docs
            pub async fn send(self) -> Result<#output, #rt::WaitError<#error_code>> {
                let waiter = &#generated::catalog::waiters::#descriptor;
                let request = self.request.build().map_err(|e| #rt::WaitError::invalid_request(waiter, e))?;
                #rt::#wait(&self.client, &request, waiter, &self.settings).await
            }
        }
    }
}

/// The client's method that starts a waiter.
pub(crate) fn client_method(ctx: &Ctx<'_>, w: &Waiter, action: &Action) -> TokenStream {
    let generated = &ctx.generated;
    let method = format_ident!("{}", w.method);
    let name = format_ident!("{}", w.type_name);
    let docs = doc(&format!(
        "Waits until `{}` says so: {}\n\nSet the polled request's members on the returned waiter, then call \
         `send().await`.",
        action.name,
        summary(&w.docs)
    ));
    quote! {
        #docs
        pub fn #method(&self) -> #generated::waiters::#name {
            #generated::waiters::#name::new(self.api.clone())
        }
    }
}
