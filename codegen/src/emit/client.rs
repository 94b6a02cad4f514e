//! The service client: one method per action, each returning the action's request builder with
//! the client attached, so a call reads `client.invoke_function().function_name("f").send().await`;
//! and one `wait_until_…` method per waiter.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, doc, summary};

pub(crate) fn client(ctx: &Ctx<'_>) -> TokenStream {
    let rt = &ctx.rt;
    let generated = &ctx.generated;
    let s = ctx.service;
    let mut actions: Vec<_> = s.actions.iter().collect();
    actions.sort_by(|a, b| a.method.cmp(&b.method));
    let methods = actions.iter().map(|a| {
        let method = format_ident!("{}", a.method);
        let request = format_ident!("{}", a.request.rust_name);
        let builder = format_ident!("{}", a.request.builder_name);
        let docs = doc(&format!(
            "`{}`: {}\n\nSet the request's members on the returned builder, then call `send().await`.",
            a.name,
            summary(&a.docs)
        ));
        let deprecated = super::deprecated(a.deprecated.as_deref());
        quote! {
            #docs
            #deprecated
            pub fn #method(&self) -> #generated::actions::#builder<#rt::ApiClient> {
                #generated::actions::#request::builder().with_client(self.api.clone())
            }
        }
    });
    let waiters = s.waiters.iter().filter_map(|w| {
        let action = s.actions.iter().find(|a| a.name == w.action)?;
        Some(super::waiters::client_method(ctx, w, action))
    });
    let client_docs = doc(&format!(
        "A client for {} (`{}`, API version {}): one method per action.\n\n\
         Cheap to clone; clones share the configuration and the connection pool.",
        s.title, s.name, s.version
    ));
    let from_env_docs = doc(&format!(
        "A client configured from the environment: region, endpoint URL and the default credentials \
         chain (see [`ConfigBuilder::from_env`]({}::ConfigBuilder::from_env)).",
        ctx.options.runtime_path
    ));
    quote! {
        //! The service [`Client`].

        #client_docs
        #[derive(Clone, Debug)]
        pub struct Client {
            api: #rt::ApiClient,
        }

        impl Client {
            /// A client for `config`. Fails if an endpoint URL is unusable or TLS cannot be set up.
            pub fn new(config: #rt::Config) -> Result<Self, #rt::ConfigError> {
                Ok(Self { api: #rt::ApiClient::new(config)? })
            }

            #from_env_docs
            pub fn from_env() -> Result<Self, #rt::ConfigError> {
                Self::new(#rt::Config::from_env())
            }

            /// The underlying API client, to call an action by its request type.
            pub fn api(&self) -> &#rt::ApiClient {
                &self.api
            }

            #(#methods)*

            #(#waiters)*
        }
    }
}
