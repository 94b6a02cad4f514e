//! Errors as the API answers them: a code from the catalogue and a message in the caller's
//! language (`X-TC-Language`: `en-US`, or Chinese by default, as the real service).

use scf_sdk::ErrorCode;
use serde_json::{Value, json};

/// The language of error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// `zh-CN`, the service's default.
    #[default]
    Chinese,
    /// `en-US`.
    English,
}

impl Language {
    /// From an `X-TC-Language` header value.
    pub fn from_header(value: Option<&str>) -> Language {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en-US") => Language::English,
            _ => Language::Chinese,
        }
    }
}

/// An error answer: `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The error code.
    pub code: ErrorCode,
    /// The message in English.
    pub en: String,
    /// The message in Chinese.
    pub zh: String,
}

impl ApiError {
    /// An error with messages in both languages.
    pub fn new(code: ErrorCode, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self { code, en: en.into(), zh: zh.into() }
    }

    /// The message in `language`.
    pub fn message(&self, language: Language) -> &str {
        match language {
            Language::English => &self.en,
            Language::Chinese => &self.zh,
        }
    }

    /// The `Response` object of the envelope.
    pub fn to_response(&self, request_id: &str, language: Language) -> Value {
        json!({ "Error": { "Code": self.code.as_str(), "Message": self.message(language) }, "RequestId": request_id })
    }

    // Errors used by several actions.

    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        ApiError::new(ErrorCode::InternalError, format!("Internal error: {what}."), format!("内部错误：{what}。"))
    }

    pub(crate) fn namespace_not_found(namespace: &str) -> Self {
        ApiError::new(
            ErrorCode::ResourceNotFoundNamespace,
            format!("The namespace `{namespace}` does not exist."),
            format!("命名空间 `{namespace}` 不存在。"),
        )
    }

    pub(crate) fn function_not_found(namespace: &str, name: &str) -> Self {
        ApiError::new(
            ErrorCode::ResourceNotFoundFunction,
            format!("The function `{name}` does not exist in namespace `{namespace}`."),
            format!("函数 `{name}` 在命名空间 `{namespace}` 中不存在。"),
        )
    }

    pub(crate) fn version_not_found(name: &str, version: &str) -> Self {
        ApiError::new(
            ErrorCode::ResourceNotFoundVersion,
            format!("The function `{name}` has no version `{version}`."),
            format!("函数 `{name}` 的版本 `{version}` 不存在。"),
        )
    }

    pub(crate) fn status(name: &str, status: &str) -> Self {
        ApiError::new(
            ErrorCode::FailedOperationFunctionStatusError,
            format!("The function `{name}` is `{status}`; the operation needs it `Active`. Try again later."),
            format!("函数 `{name}` 当前状态为 `{status}`，无法进行此操作，请稍后重试。"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_in_each_language() {
        let error = ApiError::function_not_found("default", "f");
        let en = error.to_response("r1", Language::English);
        assert_eq!(en["Error"]["Code"], "ResourceNotFound.Function");
        assert_eq!(en["Error"]["Message"], "The function `f` does not exist in namespace `default`.");
        assert_eq!(en["RequestId"], "r1");
        assert!(
            error.to_response("r1", Language::Chinese)["Error"]["Message"]
                .as_str()
                .unwrap_or_default()
                .contains("不存在")
        );
        assert_eq!(Language::from_header(Some("en-US")), Language::English);
        assert_eq!(Language::from_header(Some("zh-CN")), Language::Chinese);
        assert_eq!(Language::from_header(None), Language::Chinese);
    }
}
