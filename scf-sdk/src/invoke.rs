//! Conveniences for invoking functions: events from your own types, results into your own types.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::actions::InvokeFunctionRequestBuilder;
use crate::types::ResultValue;

impl<C> InvokeFunctionRequestBuilder<C> {
    /// Sets the event from any serialisable value (a struct of yours, a map, …).
    ///
    /// ```
    /// # use scf_sdk::actions::InvokeFunctionRequest;
    /// #[derive(serde::Serialize)]
    /// struct Order { id: u64 }
    /// let request = InvokeFunctionRequest::builder().function_name("orders").event_from(&Order { id: 7 })?.build()?;
    /// assert_eq!(request.event, Some(serde_json::json!({ "id": 7 })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn event_from<T: Serialize + ?Sized>(self, event: &T) -> Result<Self, serde_json::Error> {
        Ok(self.event(serde_json::to_value(event)?))
    }
}

impl ResultValue {
    /// Decodes what the function returned (`RetMsg`, JSON text) into `T`.
    ///
    /// ```
    /// # use scf_sdk::types::ResultValue;
    /// # let result: ResultValue = serde_json::from_str(r#"{"Log":"","RetMsg":"{\"total\":3}","ErrMsg":"",
    /// #   "MemUsage":0,"Duration":1.0,"BillDuration":1,"FunctionRequestId":"r"}"#)?;
    /// #[derive(serde::Deserialize)]
    /// struct Summary { total: u32 }
    /// let summary: Summary = result.ret_msg_as()?;
    /// assert_eq!(summary.total, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ret_msg_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.ret_msg)
    }
}
