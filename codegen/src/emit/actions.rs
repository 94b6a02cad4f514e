//! One file per action: request, response, error codes and the `Action` impl tying them together.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, doc, enums, inner_doc, structures, summary};
use crate::ir::{Action, Member, Pagination, Type};

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
    let paginated = a.pagination.as_ref().map(|p| paginated(ctx, a, p));
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

        #paginated
    }
}

/// `Paginated` for a paginated action's request, and `into_paginator()` on its builder.
fn paginated(ctx: &Ctx<'_>, a: &Action, p: &Pagination) -> TokenStream {
    let rt = &ctx.rt;
    let member = |members: &'_ [Member], wire: &str| members.iter().find(|m| m.wire_name == wire).cloned();
    // Validation made sure the members exist with these types.
    let (Some(offset), Some(limit), Some(items)) = (
        member(&a.request.members, &p.offset),
        member(&a.request.members, &p.limit),
        member(&a.response.members, &p.items),
    ) else {
        return quote!();
    };
    let total = p.total.as_deref().and_then(|wire| member(&a.response.members, wire));
    let request = format_ident!("{}", a.request.rust_name);
    let response = format_ident!("{}", a.response.rust_name);
    let builder = format_ident!("{}", a.request.builder_name);
    let item = match &items.ty {
        Type::List(inner) => ctx.value_type(inner),
        other => ctx.value_type(other),
    };
    let read = |m: &Member| {
        let field = format_ident!("{}", m.field);
        match (m.optional, &m.ty) {
            (true, Type::Int64) => quote!(self.#field.and_then(|value| u64::try_from(value).ok())),
            (true, Type::UInt64) => quote!(self.#field),
            (true, _) => quote!(self.#field.as_deref().and_then(|value| value.trim().parse().ok())),
            (false, Type::Int64) => quote!(u64::try_from(self.#field).ok()),
            (false, Type::UInt64) => quote!(Some(self.#field)),
            (false, _) => quote!(self.#field.trim().parse().ok()),
        }
    };
    let write = |m: &Member, value: TokenStream| {
        let field = format_ident!("{}", m.field);
        let converted = match m.ty {
            Type::Int64 => quote!(i64::try_from(#value).unwrap_or(i64::MAX)),
            Type::UInt64 => quote!(#value),
            _ => quote!(#value.to_string()),
        };
        if m.optional { quote!(self.#field = Some(#converted);) } else { quote!(self.#field = #converted;) }
    };
    let (read_offset, read_limit) = (read(&offset), read(&limit));
    let (write_offset, write_limit) = (write(&offset, quote!(offset)), write(&limit, quote!(limit)));
    let items_field = format_ident!("{}", items.field);
    let (page_len, into_items) = if items.optional {
        (quote!(response.#items_field.as_ref().map_or(0, Vec::len)), quote!(response.#items_field.unwrap_or_default()))
    } else {
        (quote!(response.#items_field.len()), quote!(response.#items_field))
    };
    let total_param = if total.is_some() { quote!(response) } else { quote!(_response) };
    let total_value = match &total {
        None => quote!(None),
        Some(m) => {
            let field = format_ident!("{}", m.field);
            match (m.optional, &m.ty) {
                (true, Type::Int64) => quote!(response.#field.and_then(|total| u64::try_from(total).ok())),
                (true, _) => quote!(response.#field),
                (false, Type::Int64) => quote!(u64::try_from(response.#field).ok()),
                (false, _) => quote!(Some(response.#field)),
            }
        }
    };
    let paginator_doc = doc(&format!(
        "The pages of `{}`, one request each, as a stream: [`items`]({rt}::Paginator::items) gives the `{}` \
         one by one. From the offset and limit set here, if any, else from the start, {} at a time; it stops at the \
         last page.",
        a.name,
        p.items,
        p.page_size,
        rt = ctx.options.runtime_path,
    ));
    quote! {
        impl #rt::Paginated for #request {
            type Item = #item;

            fn page_request(&self) -> (Option<u64>, Option<u64>) {
                (#read_offset, #read_limit)
            }

            fn set_page(&mut self, offset: u64, limit: u64) {
                #write_offset
                #write_limit
            }

            fn page_len(response: &#response) -> usize {
                #page_len
            }

            fn total(#total_param: &#response) -> Option<u64> {
                #total_value
            }

            fn into_items(response: #response) -> Vec<#item> {
                #into_items
            }
        }

        impl #builder<#rt::ApiClient> {
            #paginator_doc
            pub fn into_paginator(self) -> #rt::Paginator<#request> {
                let client = self.client.clone();
                #rt::Paginator::new(client, self.build().map_err(Into::into))
            }
        }
    }
}
