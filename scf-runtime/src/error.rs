//! [`Error`]: what a handler returns when it fails, and what [`run`](crate::run) returns when the
//! runtime itself cannot go on.

use std::any::TypeId;
use std::borrow::Cow;
use std::error::Error as StdError;

/// A boxed error with a type name, reported to SCF as the invocation's `errorType` and
/// `errorMessage`.
///
/// Any [`std::error::Error`] converts into it with `?` (its type name becomes the `errorType`), and
/// so does a message: `Error::from(format!("no user {id}"))` (`errorType` `Error`).
/// [`Error::new`] names the type yourself.
///
/// Like `anyhow::Error`, it does not implement [`std::error::Error`] itself (that would conflict
/// with converting every error into it); [`Error::into_inner`] gives the boxed error.
/// Its `Debug` output is the message and its causes, so `main` returning `Err` prints a readable
/// line.
pub struct Error {
    error_type: Cow<'static, str>,
    inner: Box<dyn StdError + Send + Sync + 'static>,
}

impl Error {
    /// An error with this `errorType`: `Error::new("ValidationError", "`name` is missing")`.
    pub fn new(
        error_type: impl Into<Cow<'static, str>>,
        error: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Error {
        Error { error_type: error_type.into(), inner: error.into() }
    }

    /// An error of the runtime itself (the runtime API unreachable or answering nonsense).
    pub(crate) fn runtime(message: impl Into<String>) -> Error {
        Error::new("RuntimeError", message.into())
    }

    /// The `errorType` reported to SCF: the source error's type name (`core::num::error::ParseIntError`),
    /// `Error` for a message, or what [`Error::new`] was given.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The error itself.
    pub fn inner(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }

    /// The boxed error.
    pub fn into_inner(self) -> Box<dyn StdError + Send + Sync + 'static> {
        self.inner
    }

    /// The message and its causes, one per line after the first (`caused by: …`).
    pub(crate) fn report(&self) -> String {
        let mut text = self.inner.to_string();
        let mut source = self.inner.source();
        while let Some(cause) = source {
            text.push_str("\ncaused by: ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

impl<E> From<E> for Error
where
    E: Into<Box<dyn StdError + Send + Sync + 'static>> + 'static,
{
    fn from(error: E) -> Error {
        Error { error_type: type_name_of::<E>(), inner: error.into() }
    }
}

/// `E`'s name, or `Error` for plain messages and boxed errors (whose own type is not known here).
fn type_name_of<E: 'static>() -> Cow<'static, str> {
    let id = TypeId::of::<E>();
    let anonymous = [
        TypeId::of::<String>(),
        TypeId::of::<&'static str>(),
        TypeId::of::<Cow<'static, str>>(),
        TypeId::of::<Box<dyn StdError + Send + Sync + 'static>>(),
    ];
    if anonymous.contains(&id) { Cow::Borrowed("Error") } else { Cow::Borrowed(std::any::type_name::<E>()) }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.report())
    }
}

impl AsRef<dyn StdError + Send + Sync + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("cannot load the settings")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    fn parse(text: &str) -> Result<i32, Error> {
        Ok(text.parse::<i32>()?)
    }

    #[test]
    fn errors_keep_their_type_and_message() {
        let error = parse("x").unwrap_err();
        assert_eq!(error.error_type(), "core::num::error::ParseIntError");
        assert_eq!(error.to_string(), "invalid digit found in string");

        let error = Error::from(format!("no user {}", 7));
        assert_eq!((error.error_type(), error.to_string().as_str()), ("Error", "no user 7"));
        assert_eq!(Error::from("plain").error_type(), "Error");
        let boxed: Box<dyn StdError + Send + Sync> = "boxed".into();
        assert_eq!(Error::from(boxed).error_type(), "Error");

        let error = Error::new("ValidationError", "`name` is missing");
        assert_eq!(error.error_type(), "ValidationError");
        assert_eq!(format!("{error:?}"), "`name` is missing");
    }

    #[test]
    fn debug_shows_the_causes() {
        let error = Error::from(Outer(std::io::Error::new(std::io::ErrorKind::NotFound, "settings.toml")));
        assert_eq!(format!("{error:?}"), "cannot load the settings\ncaused by: settings.toml");
        assert_eq!(error.to_string(), "cannot load the settings");
        assert!(error.error_type().ends_with("Outer"));
        assert!(error.into_inner().source().is_some());
    }
}
