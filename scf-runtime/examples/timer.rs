//! A function for a Timer trigger: the event is typed (`scf_events::TimerEvent`), and the log says
//! which trigger fired.

use scf_events::TimerEvent;
use scf_runtime::{Context, Error, service_fn};

async fn handler(event: TimerEvent, ctx: Context) -> Result<serde_json::Value, Error> {
    if event.kind != "Timer" {
        return Err(Error::new("UnexpectedTrigger", format!("this function runs on a timer, not on `{}`", event.kind)));
    }
    println!("{} fired at {} ({})", event.trigger_name, event.time, ctx.request_id);
    Ok(serde_json::json!({ "trigger": event.trigger_name, "time": event.time, "message": event.message }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    scf_runtime::run(service_fn(handler)).await
}
