//! Structures (shared types, requests and responses) and their builders.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, deprecated, doc, inner_doc, member_docs, summary};
use crate::ir::{JsonPayload, Member, Structure, Type};

/// A file holding one shared structure.
pub(crate) fn structure_file(ctx: &Ctx<'_>, s: &Structure) -> TokenStream {
    let module_docs = inner_doc(&format!("The [`{}`] structure.", s.rust_name));
    let imports = ctx.type_imports(&s.members, &[&s.rust_name]);
    let body = structure(ctx, s, None);
    quote! {
        #module_docs
        #imports
        #body
    }
}

/// What a request's builder needs to send itself.
pub(crate) struct Sendable<'a> {
    pub response: &'a str,
    pub error_code: &'a str,
}

/// A structure, its builder and their `Debug` impls.
///
/// A request's builder (`sendable`) carries a client type parameter: `()` when built on its own,
/// the runtime's `ApiClient` when it comes from the service client, which adds `send()`. One set of
/// setters serves both.
pub(crate) fn structure(ctx: &Ctx<'_>, s: &Structure, sendable: Option<Sendable<'_>>) -> TokenStream {
    let rt = &ctx.rt;
    let name = format_ident!("{}", s.rust_name);
    let builder = format_ident!("{}", s.builder_name);
    let mut docs = s.docs.clone();
    if s.spec_name != s.rust_name && sendable.is_none() && !s.spec_name.ends_with("Response") {
        docs.push_str(&format!(
            "\n\nNamed `{}` in the API; renamed to avoid shadowing a common Rust name.",
            s.spec_name
        ));
    }
    docs.push_str(&format!("\n\nBuild one with [`{}::builder`].", s.rust_name));
    let docs = doc(&docs);
    let deprecated_attr = deprecated(s.deprecated.as_deref());

    let eq = if s.eq { quote!(Eq,) } else { quote!() };
    let derive_debug = if s.has_sensitive() { quote!() } else { quote!(Debug,) };
    let fields = s.members.iter().map(|m| field(ctx, m));

    let (client_param, client_field, client_generic, impl_generic) = if sendable.is_some() {
        (quote!(<C = ()>), quote!(client: C,), quote!(<C>), quote!(<C>))
    } else {
        (quote!(), quote!(), quote!(), quote!())
    };
    let builder_fields = s.members.iter().map(|m| {
        let field = format_ident!("{}", m.field);
        let ty = ctx.value_type(&m.ty);
        quote!(#field: Option<#ty>,)
    });
    let setters = s.members.iter().map(|m| setters(ctx, s, m));
    let build_fields = s.members.iter().map(|m| {
        let field = format_ident!("{}", m.field);
        if m.optional {
            quote!(#field: self.#field,)
        } else {
            let type_name = &s.rust_name;
            let wire = &m.wire_name;
            quote!(#field: self.#field.ok_or(#rt::BuildError::MissingMember { structure: #type_name, member: #wire })?,)
        }
    });
    let builder_doc =
        doc(&format!("Builder for [`{0}`]; [`build`](Self::build) checks that required members are set.", s.rust_name));
    let build_doc =
        doc(&format!("Builds the [`{}`], or names the first required member that is not set.", s.rust_name));
    let builder_fn_doc = doc(&format!("Returns a builder for [`{}`].", s.rust_name));
    let debug_impls = if s.has_sensitive() {
        let value_debug = debug_impl(&name, &quote!(), &s.rust_name, &s.members, false);
        let builder_debug = debug_impl(&builder, &impl_generic, &s.builder_name, &s.members, true);
        quote!(#value_debug #builder_debug)
    } else {
        quote!()
    };
    let deserialize = deserialize_impl(ctx, s);
    let send = sendable.map(|sendable| {
        let response = format_ident!("{}", sendable.response);
        let error_code = format_ident!("{}", sendable.error_code);
        let moved = s.members.iter().map(|m| format_ident!("{}", m.field));
        let with_client_doc = doc(
            "Attaches a client, so that the request can be sent with `send`. The service client's method for this \
             action returns a builder with its client already attached.",
        );
        let send_doc = doc(&format!(
            "Builds the [`{}`] and sends it: validated against the documented limits, signed, retried as the \
             client's policy allows.",
            s.rust_name
        ));
        quote! {
            impl<C> #builder<C> {
                #with_client_doc
                pub fn with_client<D>(self, client: D) -> #builder<D> {
                    #builder { client, #(#moved: self.#moved,)* }
                }
            }

            impl #builder<#rt::ApiClient> {
                #send_doc
                pub async fn send(self) -> Result<#response, #rt::Error<#error_code>> {
                    let client = self.client.clone();
                    let request = self.build()?;
                    client.call(&request).await
                }
            }
        }
    });

    quote! {
        #docs
        #deprecated_attr
        #[derive(Clone, #derive_debug PartialEq, #eq serde::Serialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            #builder_fn_doc
            pub fn builder() -> #builder {
                #builder::default()
            }
        }

        #builder_doc
        #[derive(Clone, #derive_debug Default)]
        #[must_use]
        pub struct #builder #client_param {
            #client_field
            #(#builder_fields)*
        }

        impl #impl_generic #builder #client_generic {
            #(#setters)*

            #build_doc
            pub fn build(self) -> Result<#name, #rt::BuildError> {
                Ok(#name {
                    #(#build_fields)*
                })
            }
        }

        #deserialize

        #send

        #debug_impls
    }
}

/// `Deserialize` for a structure: a single map visitor (the API only sends objects), members
/// matched by wire name, unknown members skipped, `null` read as absent, required members checked
/// last. Much less code than serde's derive, which adds a field enum and a sequence visitor.
fn deserialize_impl(ctx: &Ctx<'_>, s: &Structure) -> TokenStream {
    let rt = &ctx.rt;
    let name = format_ident!("{}", s.rust_name);
    let spec_name = &s.spec_name;
    let var = |m: &Member| format_ident!("v_{}", m.field);
    let vars = s.members.iter().map(|m| {
        let (var, ty) = (var(m), ctx.value_type(&m.ty));
        quote!(let mut #var: Option<#ty> = None;)
    });
    let arms = s.members.iter().map(|m| {
        let (var, wire) = (var(m), &m.wire_name);
        match &m.ty {
            Type::Json(_) => {
                let ty = ctx.value_type(&m.ty);
                quote!(#wire => #var = map.next_value::<#rt::de::JsonString<#ty>>()?.0,)
            }
            _ => quote!(#wire => #var = map.next_value()?,),
        }
    });
    let fields = s.members.iter().map(|m| {
        let (var, field, wire) = (var(m), format_ident!("{}", m.field), &m.wire_name);
        if m.optional { quote!(#field: #var,) } else { quote!(#field: #rt::de::required(#var, #wire)?,) }
    });
    let read_members = if s.members.is_empty() {
        quote! {
            while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
    } else {
        quote! {
            while let Some(key) = map.next_key::<#rt::de::Key<'de>>()? {
                match key.as_str() {
                    #(#arms)*
                    _ => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
        }
    };
    quote! {
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;

                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = #name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        #rt::de::expecting(f, #spec_name)
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<#name, A::Error> {
                        #(#vars)*
                        #read_members
                        Ok(#name { #(#fields)* })
                    }
                }

                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    }
}

fn field(ctx: &Ctx<'_>, m: &Member) -> TokenStream {
    let docs = doc(&member_docs(m));
    let deprecated_attr = deprecated(m.deprecated.as_deref());
    let field = format_ident!("{}", m.field);
    let ty = ctx.field_type(m);
    let wire = &m.wire_name;
    // Attributes for the derived `Serialize`; `Deserialize` is emitted by `deserialize_impl`.
    let serialize_with = match (&m.ty, m.optional) {
        (Type::Json(_), false) => Some(ctx.runtime_str("json_string::serialize")),
        (Type::Json(_), true) => Some(ctx.runtime_str("json_string::option::serialize")),
        _ => None,
    };
    let serde = match (m.optional, serialize_with) {
        (false, None) => quote!(#[serde(rename = #wire)]),
        (false, Some(with)) => quote!(#[serde(rename = #wire, serialize_with = #with)]),
        (true, None) => quote!(#[serde(rename = #wire, skip_serializing_if = "Option::is_none")]),
        (true, Some(with)) => quote! {
            #[serde(rename = #wire, skip_serializing_if = "Option::is_none", serialize_with = #with)]
        },
    };
    quote! {
        #docs
        #deprecated_attr
        #serde
        pub #field: #ty,
    }
}

/// The two setters of a member: `name(value)` and `set_name(Option<value>)`.
fn setters(ctx: &Ctx<'_>, s: &Structure, m: &Member) -> TokenStream {
    let field = format_ident!("{}", m.field);
    let set_field = format_ident!("{}", m.setter_option);
    let ty = ctx.value_type(&m.ty);
    let deprecated_attr = deprecated(m.deprecated.as_deref());
    let (param, convert) = setter_param(ctx, &m.ty);
    let set_doc = doc(&format!("Sets [`{}::{}`]: {}", s.rust_name, m.field, summary(&m.docs)));
    let set_option_doc = doc(&format!("Sets or clears [`{}::{}`].", s.rust_name, m.field));
    quote! {
        #set_doc
        #deprecated_attr
        pub fn #field(mut self, value: #param) -> Self {
            self.#field = Some(#convert);
            self
        }

        #set_option_doc
        #deprecated_attr
        pub fn #set_field(mut self, value: Option<#ty>) -> Self {
            self.#field = value;
            self
        }
    }
}

/// The parameter type of a setter and the expression that turns `value` into the field's type.
pub(crate) fn setter_param(ctx: &Ctx<'_>, ty: &Type) -> (TokenStream, TokenStream) {
    match ty {
        Type::String | Type::DateTime => (quote!(impl Into<String>), quote!(value.into())),
        Type::Json(JsonPayload::Any) => (quote!(impl Into<serde_json::Value>), quote!(value.into())),
        Type::Json(JsonPayload::StringMap) => (
            quote! {
                impl IntoIterator<
                    Item = (impl Into<String>, impl Into<String>),
                >
            },
            quote!(value.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
        ),
        Type::Enum(_) => {
            let ty = ctx.value_type(ty);
            (quote!(impl Into<#ty>), quote!(value.into()))
        }
        Type::List(inner) => {
            let (item, convert_item) = match inner.as_ref() {
                Type::String | Type::DateTime => (quote!(impl Into<String>), true),
                other => (ctx.value_type(other), false),
            };
            let convert = if convert_item {
                quote!(value.into_iter().map(Into::into).collect())
            } else {
                quote!(value.into_iter().collect())
            };
            (quote!(impl IntoIterator<Item = #item>), convert)
        }
        Type::Int64 | Type::UInt64 | Type::Float | Type::Bool | Type::Structure(_) => {
            (ctx.value_type(ty), quote!(value))
        }
    }
}

/// A `Debug` impl that prints sensitive members as redacted (and leaves out a builder's client).
fn debug_impl(
    type_ident: &proc_macro2::Ident,
    generics: &TokenStream,
    type_name: &str,
    members: &[Member],
    all_optional: bool,
) -> TokenStream {
    let fields = members.iter().map(|m| {
        let field = format_ident!("{}", m.field);
        let label = &m.field;
        let optional = all_optional || m.optional;
        match (m.sensitive, optional) {
            (false, _) => quote!(.field(#label, &self.#field)),
            (true, false) => quote!(.field(#label, &"** redacted **")),
            (true, true) => quote!(.field(#label, &self.#field.as_ref().map(|_| "** redacted **"))),
        }
    });
    quote! {
        impl #generics std::fmt::Debug for #type_ident #generics {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#type_name)
                    #(#fields)*
                    .finish_non_exhaustive()
            }
        }
    }
}
