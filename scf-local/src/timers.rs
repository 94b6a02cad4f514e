//! Fires timer triggers. One task keeps, for each enabled timer, the next second its cron
//! expression names, sleeps until the earliest, and invokes the function asynchronously (as the
//! service does) with the Timer event, in instances started with `TRIGGER_SRC=timer`.
//!
//! Ticks are planned from the time the task sees a timer (the emulator's start, or the trigger's
//! change): ticks missed while the emulator was stopped are not replayed, and a tick reached late
//! (the machine was suspended) fires once, then the plan moves on from now.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use scf_sdk::types::TriggerType;

use crate::cron::Schedule;
use crate::records::{TriggerKey, TriggerRecord};
use crate::service::Source;
use crate::state::State;

/// The longest the task sleeps without looking again (it also wakes at every trigger change).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// A timer's plan: its expression (to notice changes) and next tick, in Unix seconds.
struct Planned {
    expression: String,
    schedule: Schedule,
    next: Option<i64>,
}

/// Runs until the task is aborted (when the emulator stops).
pub(crate) async fn run(state: Arc<State>) {
    let mut plan: BTreeMap<TriggerKey, Planned> = BTreeMap::new();
    let mut last_now = crate::util::unix_now();
    loop {
        // Registered before reading the triggers, so a change made meanwhile is not missed.
        let changed = state.timers_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();

        let timers: Vec<TriggerRecord> =
            state.read().triggers.values().filter(|t| t.kind == TriggerType::Timer && t.enabled).cloned().collect();
        let now = crate::util::unix_now();
        // The clock was set back: every plan would wait for a time already planned past.
        if now < last_now {
            plan.clear();
        }
        last_now = now;
        plan.retain(|key, _| timers.iter().any(|t| t.key() == *key));
        for timer in &timers {
            let expression = crate::service::triggers::timer_expression(&timer.desc);
            let current = plan.get(&timer.key()).is_some_and(|p| p.expression == expression);
            if current {
                continue;
            }
            match Schedule::parse(&expression) {
                Ok(schedule) => {
                    let next = schedule.next_after(now);
                    plan.insert(timer.key(), Planned { expression, schedule, next });
                }
                // Checked when stored; a record edited by hand is the only way here.
                Err(e) => tracing::warn!(trigger = %timer.name, "cannot plan the timer: {e}"),
            }
        }

        let now_ms = crate::util::unix_now_ms();
        let now = now_ms.div_euclid(1000);
        for timer in &timers {
            let Some(planned) = plan.get_mut(&timer.key()) else { continue };
            let Some(at) = planned.next.filter(|at| *at <= now) else { continue };
            fire(&state, timer, at);
            planned.next = planned.schedule.next_after(now);
        }

        let earliest = plan.values().filter_map(|p| p.next).min();
        let sleep = earliest.map_or(MAX_SLEEP, |at| {
            let wait_ms = at.saturating_mul(1000).saturating_sub(now_ms).max(0) as u64;
            Duration::from_millis(wait_ms).min(MAX_SLEEP)
        });
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = &mut changed => {}
        }
    }
}

/// Invokes the timer's function with the Timer event of tick `at`.
fn fire(state: &Arc<State>, timer: &TriggerRecord, at: i64) {
    let event = scf_events::TimerEvent::new(&timer.name, crate::util::rfc3339_utc(at), &timer.custom_argument);
    let event = match serde_json::to_vec(&event) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => {
            tracing::error!(trigger = %timer.name, "cannot encode the Timer event: {e}");
            return;
        }
    };
    let scope = timer.function_key().scope;
    match crate::service::invoke_async(state, &scope, &timer.function, &timer.qualifier, event, Source::Timer) {
        Ok(request_id) => {
            tracing::debug!(function = %timer.function, trigger = %timer.name, %request_id, "timer fired");
        }
        // The function is not `Active`, its version went, or too many events are running: the
        // tick is lost, as on the service, and said so.
        Err(error) => {
            tracing::warn!(function = %timer.function, trigger = %timer.name, "timer could not invoke: {}", error.en);
        }
    }
}
