//! The hand-written runtime that generated code builds on.
//!
//! Nothing here names an SCF action: the runtime knows the shape of any Tencent Cloud API 3.0
//! service ([`Action`], [`ActionDescriptor`]) and the generated code fills it in.

mod action;
mod build;
mod catalog;
pub mod json_string;
mod unknown;

pub use action::{Action, ActionErrorCode, ActionVisitor, RetryClass};
pub use build::BuildError;
pub use catalog::{
    ActionDescriptor, EnumDescriptor, EnumValueDescriptor, JsonPayload, Limits, Literal,
    MemberDescriptor, ServiceInfo, StructDescriptor, TypeDescriptor,
};
pub use unknown::UnknownValue;
