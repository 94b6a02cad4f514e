//! Fault injection: make actions answer an error code the emulator cannot produce on its own
//! (insufficient balance, a suspended service, a CAM denial, an exhausted quota, an internal
//! error), so code that calls SCF can test its error handling — something the real service cannot
//! offer.

use std::str::FromStr;
use std::sync::Mutex;

use scf_sdk::ErrorCode;

use crate::api_error::ApiError;

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The code answered, e.g. `ResourceUnavailable.InsufficientBalance`.
    pub code: String,
    /// Only this action (default: the invoking actions, `InvokeFunction` and `Invoke`).
    pub action: Option<String>,
    /// Only calls for this function.
    pub function: Option<String>,
    /// Only this many times (default: until cleared).
    pub times: Option<u32>,
}

impl Fault {
    /// A fault answering `code` to every invocation.
    pub fn new(code: impl Into<String>) -> Self {
        Self { code: code.into(), action: None, function: None, times: None }
    }

    /// Only for `action`.
    pub fn for_action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Only for `function`.
    pub fn for_function(mut self, function: impl Into<String>) -> Self {
        self.function = Some(function.into());
        self
    }

    /// Only `times` times.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    fn applies(&self, action: &str, function: Option<&str>) -> bool {
        let action_matches = match &self.action {
            Some(only) => only == action,
            None => matches!(action, "InvokeFunction" | "Invoke"),
        };
        let function_matches = self.function.as_deref().is_none_or(|only| Some(only) == function);
        action_matches && function_matches && self.times != Some(0)
    }
}

/// `CODE`, `CODE:FUNCTION` or `CODE@ACTION[:FUNCTION]` (the command line's `--fault`).
impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (code_action, function) = match text.split_once(':') {
            Some((left, function)) => (left, Some(function.to_owned())),
            None => (text, None),
        };
        let (code, action) = match code_action.split_once('@') {
            Some((code, action)) => (code, Some(action.to_owned())),
            None => (code_action, None),
        };
        if matches!(ErrorCode::from(code), ErrorCode::Unknown(_)) {
            return Err(format!("`{code}` is not an SCF error code"));
        }
        if let Some(action) = &action
            && scf_sdk::catalog::action(action).is_none()
        {
            return Err(format!("`{action}` is not an SCF action"));
        }
        Ok(Fault { code: code.to_owned(), action, function, times: None })
    }
}

/// The faults in force.
#[derive(Debug, Default)]
pub struct Faults(Mutex<Vec<Fault>>);

impl Faults {
    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().push(fault);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The error to answer for this call, if a fault applies (counting it down).
    pub(crate) fn take(&self, action: &str, function: Option<&str>) -> Option<ApiError> {
        let mut faults = self.lock();
        let fault = faults.iter_mut().find(|f| f.applies(action, function))?;
        if let Some(times) = &mut fault.times {
            *times -= 1;
        }
        let code = ErrorCode::from(fault.code.as_str());
        let description = code.description().unwrap_or("Injected fault.");
        Some(ApiError::new(
            code.clone(),
            format!("{description} (injected by scf-local)"),
            format!("{} (scf-local 模拟故障)", code.as_str()),
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_match_action_function_and_count() {
        let faults = Faults::default();
        faults.inject(Fault::new("ResourceUnavailable.InsufficientBalance").for_function("f").times(1));
        assert!(faults.take("InvokeFunction", Some("g")).is_none());
        assert!(faults.take("ListFunctions", Some("f")).is_none());
        let error = faults.take("InvokeFunction", Some("f")).unwrap();
        assert_eq!(error.code, ErrorCode::ResourceUnavailableInsufficientBalance);
        assert!(error.en.ends_with("(injected by scf-local)"));
        assert!(faults.take("InvokeFunction", Some("f")).is_none(), "used up");
    }

    #[test]
    fn parsing() {
        assert_eq!("InternalError".parse::<Fault>().unwrap(), Fault::new("InternalError"));
        assert_eq!(
            "LimitExceeded.Quota@Invoke:f".parse::<Fault>().unwrap(),
            Fault::new("LimitExceeded.Quota").for_action("Invoke").for_function("f")
        );
        assert!("Nope".parse::<Fault>().unwrap_err().contains("not an SCF error code"));
        assert!("InternalError@Nope".parse::<Fault>().unwrap_err().contains("not an SCF action"));
    }
}
