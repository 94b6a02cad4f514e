//! One file per action: request, response, error codes and the `Action` impl tying them together.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, enums, inner_doc, structures, summary};
use crate::ir::Action;

pub(crate) fn action_file(ctx: &Ctx<'_>, a: &Action) -> TokenStream {
    let rt = &ctx.rt;
    let generated = &ctx.generated;
    let module_docs = inner_doc(&format!("The `{}` action: {}", a.name, summary(&a.docs)));
    let imports = ctx.type_imports(a.request.members.iter().chain(&a.response.members), &[]);
    let sendable = structures::Sendable { response: &a.response.rust_name, error_code: a.errors.type_name() };
    let request = structures::structure(ctx, &a.request, Some(sendable));
    let response = structures::structure(ctx, &a.response, None);
    let errors = enums::action_error_codes(ctx, a);
    let request_name = format_ident!("{}", a.request.rust_name);
    let response_name = format_ident!("{}", a.response.rust_name);
    let errors_name = format_ident!("{}", a.errors.type_name());
    let descriptor = format_ident!("{}", a.descriptor);
    quote! {
        #module_docs

        #imports

        #request

        #response

        #errors

        impl #rt::Action for #request_name {
            const DESCRIPTOR: &'static #rt::ActionDescriptor = &#generated::catalog::#descriptor;
            type Response = #response_name;
            type ErrorCode = #errors_name;
        }
    }
}
