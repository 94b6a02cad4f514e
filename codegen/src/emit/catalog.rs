//! The action catalogue: the service, its actions and their members as static data, and a visitor
//! over the action types, so the runtime, the emulator and the CLI can work with every action
//! without naming any of them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, doc};
use crate::ir::{self, JsonPayload, Member, StringFormat, Type, WaiterState};
use crate::naming;

pub(crate) fn catalog(ctx: &Ctx<'_>) -> TokenStream {
    let runtime = &ctx.rt;
    let rt = quote!(rt);
    let generated = &ctx.generated;
    let s = ctx.service;
    let (name, title, version, endpoint, regional) = (&s.name, &s.title, &s.version, &s.endpoint, &s.regional_endpoint);
    let region_ids = s.regions.iter().map(|r| &r.id);

    let mut actions: Vec<&ir::Action> = s.actions.iter().collect();
    actions.sort_by(|a, b| a.name.cmp(&b.name));
    let descriptor_refs = actions.iter().map(|a| format_ident!("{}", a.descriptor));
    let request_types = actions.iter().map(|a| format_ident!("{}", a.request.rust_name));
    let action_statics = actions.iter().map(|a| action_descriptor(a));
    let struct_statics = s.structures.iter().map(|st| {
        let ident = format_ident!("{}", naming::static_name(&st.rust_name));
        let (spec_name, rust_name) = (&st.spec_name, &st.rust_name);
        let docs_text = &st.docs;
        let members = st.members.iter().map(|m| member_descriptor(m, &quote!()));
        let docs = doc(&format!("Descriptor of [`{rust_name}`]({}::types::{rust_name}).", ctx.options.generated_path));
        quote! {
            #docs
            pub static #ident: #rt::StructDescriptor =
                #rt::StructDescriptor::new(#spec_name, #rust_name, #docs_text, &[#(#members),*]);
        }
    });
    let enum_statics = s.enums.iter().map(|e| {
        let ident = format_ident!("{}", naming::static_name(&e.rust_name));
        let (spec_name, rust_name, docs_text) = (&e.spec_name, &e.rust_name, &e.docs);
        let open = if e.open { quote!(.open()) } else { quote!() };
        let values = e.values.iter().map(|v| {
            let (value, docs) = (&v.value, &v.docs);
            quote!(#rt::EnumValueDescriptor::new(#value, #docs))
        });
        let docs = doc(&format!("Descriptor of [`{rust_name}`]({}::types::{rust_name}).", ctx.options.generated_path));
        quote! {
            #docs
            pub static #ident: #rt::EnumDescriptor =
                #rt::EnumDescriptor::new(#spec_name, #rust_name, #docs_text, &[#(#values),*]) #open;
        }
    });

    let waiter_refs = s.waiters.iter().map(|w| format_ident!("{}", w.descriptor));
    let waiter_statics: Vec<TokenStream> = s.waiters.iter().map(waiter_descriptor).collect();
    let waiter_fn_docs = doc(&match s.waiters.first() {
        Some(w) => format!("The waiter with this name (`{}`), if the service has it.", w.name),
        None => "The waiter with this name, if the service has it.".to_owned(),
    });
    let waiter_import = if waiter_statics.is_empty() {
        quote!()
    } else {
        quote!(
            use super::rt;
        )
    };

    let visit_docs = doc(&format!(
        "Calls [`ActionVisitor::visit`]({}::ActionVisitor::visit) once for each action's request type, \
         in the order of [`ACTIONS`].",
        ctx.options.runtime_path
    ));
    quote! {
        //! The action catalogue: the service and every action, structure and enum as static data,
        //! plus [`visit_actions`] to reach every action's Rust types generically.

        use #runtime as rt;

        /// The service: name, version, endpoints and regions.
        pub static SERVICE: #rt::ServiceInfo = #rt::ServiceInfo::new(
            #name, #title, #version, #endpoint, #regional, &[#(#region_ids),*],
        );

        /// Every action of the service, sorted by name.
        pub static ACTIONS: &[&#rt::ActionDescriptor] = &[#(&#descriptor_refs),*];

        /// The action with this wire name (`InvokeFunction`), if the service has it.
        pub fn action(name: &str) -> Option<&'static #rt::ActionDescriptor> {
            ACTIONS.iter().copied().find(|action| action.name == name)
        }

        #visit_docs
        pub fn visit_actions<V: #rt::ActionVisitor + ?Sized>(visitor: &mut V) {
            #(visitor.visit::<#generated::actions::#request_types>();)*
        }

        /// Every waiter of the service, sorted by name.
        pub static WAITERS: &[&#rt::WaiterDescriptor] = &[#(&waiters::#waiter_refs),*];

        #waiter_fn_docs
        pub fn waiter(name: &str) -> Option<&'static #rt::WaiterDescriptor> {
            WAITERS.iter().copied().find(|waiter| waiter.name == name)
        }

        #(#action_statics)*

        /// Descriptors of the waiters: an action polled until its answer reaches a state.
        pub mod waiters {
            #waiter_import

            #(#waiter_statics)*
        }

        /// Descriptors of the structures and enums that members refer to.
        pub mod types {
            use super::rt;

            #(#struct_statics)*
            #(#enum_statics)*
        }
    }
}

fn action_descriptor(a: &ir::Action) -> TokenStream {
    let ident = format_ident!("{}", a.descriptor);
    let (name, docs_text) = (&a.name, &a.docs);
    let types = quote!(types::);
    let input = a.request.members.iter().map(|m| member_descriptor(m, &types));
    let output = a.response.members.iter().map(|m| member_descriptor(m, &types));
    let docs = doc(&format!("`{name}`: {}", super::summary(&a.docs)));
    let (errors, service_wide) = match &a.errors {
        ir::ActionErrorCodes::Own { listed, .. } => (listed.clone(), false),
        ir::ActionErrorCodes::ServiceWide { .. } => (Vec::new(), true),
    };
    let mut modifiers = Vec::new();
    if a.idempotent {
        modifiers.push(quote!(.idempotent()));
    }
    if service_wide {
        modifiers.push(quote!(.service_wide_errors()));
    }
    if let Some(reason) = &a.deprecated {
        modifiers.push(quote!(.deprecated(#reason)));
    }
    if let Some(p) = &a.pagination {
        let (offset, limit, items) = (&p.offset, &p.limit, &p.items);
        let page_size = proc_macro2::Literal::u64_unsuffixed(p.page_size);
        let total = p.total.as_ref().map(|total| quote!(.total(#total)));
        modifiers.push(quote!(.paginated(rt::PaginationDescriptor::new(#offset, #limit, #items, #page_size) #total)));
    }
    quote! {
        #docs
        pub static #ident: rt::ActionDescriptor = rt::ActionDescriptor::new(
            &SERVICE,
            #name,
            #docs_text,
            &[#(#input),*],
            &[#(#output),*],
            &[#(#errors),*],
        ) #(#modifiers)*;
    }
}

fn waiter_descriptor(w: &ir::Waiter) -> TokenStream {
    let ident = format_ident!("{}", w.descriptor);
    let action = format_ident!("{}", naming::static_name(&w.action));
    let (name, docs_text) = (&w.name, &w.docs);
    let acceptors = w.acceptors.iter().map(|a| {
        let state = match a.state {
            WaiterState::Success => quote!(rt::WaiterState::Success),
            WaiterState::Failure => quote!(rt::WaiterState::Failure),
            WaiterState::Retry => quote!(rt::WaiterState::Retry),
        };
        let (status, errors) = (&a.status, &a.errors);
        if a.errors.is_empty() {
            quote!(rt::Acceptor::status(#state, &[#(#status),*]))
        } else {
            quote!(rt::Acceptor::errors(#state, &[#(#errors),*]))
        }
    });
    let mut modifiers = Vec::new();
    if !w.status.is_empty() {
        let status = &w.status;
        modifiers.push(quote!(.status(&[#(#status),*])));
    }
    if !w.reasons.is_empty() {
        let reasons = &w.reasons;
        modifiers.push(quote!(.reasons(&[#(#reasons),*])));
    }
    let unsuffixed = proc_macro2::Literal::u64_unsuffixed;
    let (min, max, total) =
        (unsuffixed(w.min_delay_seconds), unsuffixed(w.max_delay_seconds), unsuffixed(w.max_wait_seconds));
    modifiers.push(quote!(.delays(#min, #max, #total)));
    let docs = doc(&format!("`{name}`: {}", super::summary(&w.docs)));
    quote! {
        #docs
        pub static #ident: rt::WaiterDescriptor = rt::WaiterDescriptor::new(
            #name,
            #docs_text,
            &super::#action,
            &[#(#acceptors),*],
        ) #(#modifiers)*;
    }
}

/// A member's descriptor; `types` is the path prefix of the type statics from where it is emitted.
fn member_descriptor(m: &Member, types: &TokenStream) -> TokenStream {
    let rt = quote!(rt);
    let (name, docs) = (&m.wire_name, &m.docs);
    let ty = type_descriptor(&m.ty, types);
    let mut modifiers = Vec::new();
    if m.required {
        modifiers.push(quote!(.required()));
    }
    if m.output_required {
        modifiers.push(quote!(.output_required()));
    }
    if m.nullable {
        modifiers.push(quote!(.nullable()));
    }
    if let Some(default) = &m.default {
        let literal = match default {
            serde_json::Value::String(s) => quote!(#rt::Literal::Str(#s)),
            serde_json::Value::Bool(b) => quote!(#rt::Literal::Bool(#b)),
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64().map(proc_macro2::Literal::u64_unsuffixed) {
                    quote!(#rt::Literal::UInt(#u))
                } else if let Some(i) = n.as_i64().map(proc_macro2::Literal::i64_unsuffixed) {
                    quote!(#rt::Literal::Int(#i))
                } else {
                    let f = proc_macro2::Literal::f64_unsuffixed(n.as_f64().unwrap_or_default());
                    quote!(#rt::Literal::Float(#f))
                }
            }
            // Validation only admits the scalar kinds above.
            _ => quote!(),
        };
        if !literal.is_empty() {
            modifiers.push(quote!(.default(#literal)));
        }
    }
    if let Type::Json(payload) = &m.ty {
        let payload = match payload {
            JsonPayload::Any => quote!(#rt::JsonPayload::Any),
            JsonPayload::StringMap => quote!(#rt::JsonPayload::StringMap),
        };
        modifiers.push(quote!(.json(#payload)));
    }
    let limits = &m.limits;
    let unsuffixed = proc_macro2::Literal::u64_unsuffixed;
    let float = proc_macro2::Literal::f64_unsuffixed;
    if let Some(v) = limits.min_bytes.map(unsuffixed) {
        modifiers.push(quote!(.min_bytes(#v)));
    }
    if let Some(v) = limits.max_bytes.map(unsuffixed) {
        modifiers.push(quote!(.max_bytes(#v)));
    }
    if let Some(v) = limits.min.map(float) {
        modifiers.push(quote!(.min(#v)));
    }
    if let Some(v) = limits.max.map(float) {
        modifiers.push(quote!(.max(#v)));
    }
    if let Some(v) = limits.max_items.map(unsuffixed) {
        modifiers.push(quote!(.max_items(#v)));
    }
    if let Some(format) = m.format {
        let format = match format {
            StringFormat::Name => quote!(#rt::StringFormat::Name),
        };
        modifiers.push(quote!(.format(#format)));
    }
    if m.sensitive {
        modifiers.push(quote!(.sensitive()));
    }
    if let Some(reason) = &m.deprecated {
        modifiers.push(quote!(.deprecated(#reason)));
    }
    if let Some(example) = &m.example {
        modifiers.push(quote!(.example(#example)));
    }
    quote!(#rt::MemberDescriptor::new(#name, #docs, #ty) #(#modifiers)*)
}

fn type_descriptor(ty: &Type, types: &TokenStream) -> TokenStream {
    match ty {
        Type::String | Type::Json(_) => quote!(rt::TypeDescriptor::String),
        Type::Int64 => quote!(rt::TypeDescriptor::Int64),
        Type::UInt64 => quote!(rt::TypeDescriptor::UInt64),
        Type::Float => quote!(rt::TypeDescriptor::Float),
        Type::Bool => quote!(rt::TypeDescriptor::Bool),
        Type::DateTime => quote!(rt::TypeDescriptor::DateTime),
        Type::Enum(name) => {
            let ident = format_ident!("{}", naming::static_name(name));
            quote!(rt::TypeDescriptor::Enum(&#types #ident))
        }
        Type::Structure(name) => {
            let ident = format_ident!("{}", naming::static_name(name));
            quote!(rt::TypeDescriptor::Structure(&#types #ident))
        }
        Type::List(inner) => {
            let inner = type_descriptor(inner, types);
            quote!(rt::TypeDescriptor::List(&#inner))
        }
    }
}
