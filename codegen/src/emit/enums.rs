//! String enums: value enums, the region enum and error-code enums share one shape — the known
//! variants, a catch-all for values this SDK does not know, and conversions from and to the wire
//! string.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Ctx, doc, inner_doc};
use crate::ir::{self, ActionErrorCodes, RetryClass};

/// One variant of a string enum.
struct Variant {
    wire: String,
    ident: Ident,
    docs: String,
}

/// The common part of every string enum: definition, `as_str`, `KNOWN`, parsing, `Display`, serde.
fn string_enum(ctx: &Ctx<'_>, name: &Ident, docs: &str, what: &str, variants: &[Variant]) -> TokenStream {
    let rt = &ctx.rt;
    let docs = doc(docs);
    let unknown_doc = doc(&format!(
        "{what} this version of the SDK does not know. [`{name}::as_str`] returns it as received; \
         match on it only through `as_str`, as a later version may give it a variant of its own."
    ));
    let definitions = variants.iter().map(|v| {
        let docs = doc(&v.docs);
        let ident = &v.ident;
        quote! { #docs #ident, }
    });
    let idents: Vec<&Ident> = variants.iter().map(|v| &v.ident).collect();
    let wires: Vec<&str> = variants.iter().map(|v| v.wire.as_str()).collect();
    let known_doc = doc(&format!(
        "Every {} this version of the SDK knows, in the API description's order.",
        what.to_lowercase().trim_start_matches("a ").trim_start_matches("an ")
    ));
    quote! {
        #docs
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#definitions)*
            #unknown_doc
            Unknown(#rt::UnknownValue),
        }

        impl #name {
            #known_doc
            pub const KNOWN: &'static [#name] = &[#(#name::#idents),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#idents,)*
                    other => Self::Unknown(#rt::UnknownValue::from(other)),
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl From<&String> for #name {
            fn from(value: &String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    }
}

/// A value enum of the spec, in its own file.
pub(crate) fn value_enum(ctx: &Ctx<'_>, e: &ir::Enum) -> TokenStream {
    let name = format_ident!("{}", e.rust_name);
    let variants: Vec<Variant> = e
        .values
        .iter()
        .map(|v| Variant {
            wire: v.value.clone(),
            ident: format_ident!("{}", v.variant),
            docs: format!("`{}`: {}", v.value, v.docs),
        })
        .collect();
    let mut docs = e.docs.clone();
    if e.open {
        docs.push_str("\n\nThe service may use values beyond these: requests may carry others (through `From<&str>`), and answers with others parse to `Unknown`.");
    }
    if e.spec_name != e.rust_name {
        docs.push_str(&format!(
            "\n\nNamed `{}` in the API; renamed to avoid shadowing a common Rust name.",
            e.spec_name
        ));
    }
    let module_docs = inner_doc(&format!("The [`{}`] enum.", e.rust_name));
    let body = string_enum(ctx, &name, &docs, "A value", &variants);
    quote! {
        #module_docs
        #body
    }
}

/// The `Region` enum.
pub(crate) fn region(ctx: &Ctx<'_>) -> TokenStream {
    let s = ctx.service;
    let variants: Vec<Variant> = s
        .regions
        .iter()
        .map(|r| Variant {
            wire: r.id.clone(),
            ident: format_ident!("{}", r.variant),
            docs: format!("{} (`{}`).", r.name, r.id),
        })
        .collect();
    let docs = format!(
        "A region where {} is available.\n\nParses from and displays as the region id (`{}`); a region \
         this SDK does not know yet parses to [`Region::Unknown`] instead of failing.",
        s.title,
        s.regions.first().map(|r| r.id.as_str()).unwrap_or_default()
    );
    let name = format_ident!("Region");
    let body = string_enum(ctx, &name, &docs, "A region", &variants);
    let idents = variants.iter().map(|v| &v.ident);
    let names = s.regions.iter().map(|r| &r.name);
    quote! {
        //! The [`Region`] enum.
        #body

        impl Region {
            /// The region's English name, if this SDK knows the region.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    #(Self::#idents => Some(#names),)*
                    Self::Unknown(_) => None,
                }
            }
        }
    }
}

/// The service-wide `ErrorCode` enum: every code, with its description and retry class.
pub(crate) fn service_error_codes(ctx: &Ctx<'_>) -> TokenStream {
    let s = ctx.service;
    let rt = &ctx.rt;
    let indexes: Vec<usize> = (0..s.error_codes.len()).collect();
    let name = format_ident!("ErrorCode");
    let docs = format!(
        "Every error code {} may return, with its description and whether retrying may help.\n\n\
         Each action also has an enum of just the codes it may return (for example \
         [`{example}`]({generated}::actions::{example})); it converts into this one.",
        s.title,
        example = s.actions.first().map(|a| a.errors.type_name()).unwrap_or("ErrorCode"),
        generated = ctx.options.generated_path,
    );
    let body = string_enum(ctx, &name, &docs, "An error code", &code_variants(s, &indexes));
    let codes = &s.error_codes;
    let idents: Vec<Ident> = codes.iter().map(|c| format_ident!("{}", c.variant)).collect();
    let descriptions = codes.iter().map(|c| &c.docs);
    let retry_arms = codes.iter().zip(&idents).filter_map(|(c, ident)| {
        let class = match c.retry? {
            RetryClass::Throttling => quote!(#rt::RetryClass::Throttling),
            RetryClass::Transient => quote!(#rt::RetryClass::Transient),
            RetryClass::Credentials => quote!(#rt::RetryClass::Credentials),
        };
        Some(quote!(Self::#ident => Some(#class),))
    });
    let common = codes.iter().zip(&idents).filter(|(c, _)| c.common).map(|(_, ident)| ident);
    quote! {
        //! The service-wide [`ErrorCode`] enum.
        #body

        impl ErrorCode {
            /// What the code means, in English; `None` for a code this SDK does not know.
            pub fn description(&self) -> Option<&'static str> {
                match self {
                    #(Self::#idents => Some(#descriptions),)*
                    Self::Unknown(_) => None,
                }
            }

            /// Why repeating the request may succeed, if it may.
            pub fn retry_class(&self) -> Option<#rt::RetryClass> {
                match self {
                    #(#retry_arms)*
                    _ => None,
                }
            }

            /// Whether the code is one of the API's common codes, which every action may return.
            pub fn is_common(&self) -> bool {
                matches!(self, #(Self::#common)|*)
            }
        }

        impl #rt::ActionErrorCode for ErrorCode {
            fn as_str(&self) -> &str {
                self.as_str()
            }

            fn description(&self) -> Option<&'static str> {
                self.description()
            }

            fn retry_class(&self) -> Option<#rt::RetryClass> {
                self.retry_class()
            }
        }
    }
}

/// An action's own error-code enum (or an alias of the service-wide one).
pub(crate) fn action_error_codes(ctx: &Ctx<'_>, action: &ir::Action) -> TokenStream {
    let rt = &ctx.rt;
    let generated = &ctx.generated;
    match &action.errors {
        ActionErrorCodes::ServiceWide { type_name } => {
            let name = format_ident!("{}", type_name);
            let docs = doc(&format!(
                "Error codes of `{}`. No per-action list is published for it, so this is the \
                 service-wide [`ErrorCode`]({}::ErrorCode).",
                action.name, ctx.options.generated_path,
            ));
            quote! {
                #docs
                pub type #name = #generated::ErrorCode;
            }
        }
        ActionErrorCodes::Own { type_name, codes, .. } => {
            let name = format_ident!("{}", type_name);
            let docs = format!(
                "Error codes that `{}` may return: its own and the API's common codes.\n\nConverts into the \
                 service-wide [`ErrorCode`]({}::ErrorCode), which describes each code.",
                action.name, ctx.options.generated_path,
            );
            let body = string_enum(ctx, &name, &docs, "An error code", &code_variants(ctx.service, codes));
            quote! {
                #body

                impl From<&#name> for #generated::ErrorCode {
                    fn from(code: &#name) -> Self {
                        Self::from(code.as_str())
                    }
                }

                impl #rt::ActionErrorCode for #name {
                    fn as_str(&self) -> &str {
                        self.as_str()
                    }

                    fn description(&self) -> Option<&'static str> {
                        #generated::ErrorCode::from(self).description()
                    }

                    fn retry_class(&self) -> Option<#rt::RetryClass> {
                        #generated::ErrorCode::from(self).retry_class()
                    }
                }
            }
        }
    }
}

fn code_variants(service: &ir::Service, indexes: &[usize]) -> Vec<Variant> {
    indexes
        .iter()
        .map(|&i| {
            let c = &service.error_codes[i];
            Variant {
                wire: c.code.clone(),
                ident: format_ident!("{}", c.variant),
                docs: format!("`{}`: {}", c.code, c.docs),
            }
        })
        .collect()
}
