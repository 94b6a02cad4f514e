//! `scf wait WAITER`: polls an action until its answer reaches a state, as `aws lambda wait` does —
//! one subcommand per waiter of the catalogue (`function-active`, `function-deleted`,
//! `async-event-finished`), with the polled action's flags. The waiting is the SDK's: the same
//! acceptors, backoff and errors as `client.wait_until_…()`.

use clap::{Arg, ArgAction, ArgMatches, Command, ValueHint, value_parser};
use scf_sdk::ErrorCode;
use scf_sdk::catalog;
use scf_sdk::runtime::{ApiClient, WaitSettings, WaiterDescriptor, WaiterState, wait_json};

use crate::action;
use crate::exit::CliError;
use crate::flags::{CLI_INPUT_JSON, flag_name, member_arg, summary};
use crate::globals::{self, DEFAULT_TIMEOUT, Globals};
use crate::json::Json;
use crate::request;

const MAX_WAIT: &str = "max-wait";

/// `scf wait` and its subcommands.
pub fn command() -> Command {
    let names: Vec<String> = catalog::WAITERS.iter().map(|w| flag_name(w.name)).collect();
    let mut wait = Command::new("wait")
        .about(format!("Wait until a function or an event reaches a state ({})", names.join(", ")))
        .long_about(
            "Polls an action until its answer reaches a state, with backoff, as `aws lambda wait` does. Exits 0 \
             when the state is reached (printing the last answer, if the state is one); 6 when a failure state \
             comes first or --max-wait passes, with the last status and the time waited; as the action would \
             when a poll fails otherwise (1 for a service error such as ResourceNotFound.Function).",
        )
        .subcommand_required(true)
        .subcommand_value_name("WAITER")
        .max_term_width(100);
    for waiter in catalog::WAITERS {
        wait = wait.subcommand(waiter_command(waiter));
    }
    wait
}

fn waiter_command(waiter: &'static WaiterDescriptor) -> Command {
    let action = waiter.action;
    let mut command = Command::new(flag_name(waiter.name))
        .about(summary(waiter.docs))
        .long_about(format!(
            "{}\n\nPolls {} with the flags given, waiting {} s at first and up to {} s between polls, for {} s in \
             all unless --max-wait says otherwise.{}",
            waiter.docs,
            action.name,
            waiter.min_delay.as_secs(),
            waiter.max_delay.as_secs(),
            waiter.max_wait.as_secs(),
            states(waiter),
        ))
        .max_term_width(100);
    let mut taken = Vec::with_capacity(action.input.len());
    for member in action.input {
        command = command.arg(member_arg(member, &[CLI_INPUT_JSON]));
        taken.push(flag_name(member.name));
    }
    command = command
        .arg(Arg::new(CLI_INPUT_JSON).long(CLI_INPUT_JSON).value_name("FILE|-").value_hint(ValueHint::FilePath).help(
            format!("Read the {} request from a JSON file (`-`: stdin); flags override its members", action.name),
        ))
        .arg(
            Arg::new(MAX_WAIT)
                .long(MAX_WAIT)
                .value_name("SECONDS")
                .action(ArgAction::Set)
                .value_parser(value_parser!(u64).range(1..=86_400))
                .help(format!("How long to wait in all [default: {}]", waiter.max_wait.as_secs())),
        );
    globals::add(command, &taken, true)
}

/// The acceptors in words, for `--help`.
fn states(waiter: &WaiterDescriptor) -> String {
    let mut lines = Vec::new();
    for acceptor in waiter.acceptors {
        let what = match acceptor.matcher {
            scf_sdk::runtime::Matcher::Status(values) => format!("status {}", values.join(", ")),
            scf_sdk::runtime::Matcher::Errors(codes) => format!("error {}", codes.join(", ")),
            _ => continue,
        };
        let state = match acceptor.state {
            WaiterState::Success => "done",
            WaiterState::Failure => "fails the wait",
            _ => "goes on waiting",
        };
        lines.push(format!("  {what}: {state}"));
    }
    if lines.is_empty() { String::new() } else { format!("\n\n{}:\n{}", waiter.action.name, lines.join("\n")) }
}

/// Runs `scf wait WAITER …`; `matches` are the waiter subcommand's.
pub fn run(globals: &Globals, name: &str, matches: &ArgMatches) -> Result<(), CliError> {
    let waiter = catalog::WAITERS
        .iter()
        .copied()
        .find(|w| flag_name(w.name) == name)
        .ok_or_else(|| CliError::internal(format!("no waiter `{name}`")))?;
    let query = action::checked_query(globals, waiter.action)?;
    let (params, origins) = request::build(waiter.action, matches)?;
    let config = globals::checked(globals.config_builder(DEFAULT_TIMEOUT)?.build())?;
    let client = ApiClient::new(config).map_err(|e| CliError::config(e.message))?;
    let mut settings = WaitSettings::new(waiter);
    if let Some(seconds) = matches.try_get_one::<u64>(MAX_WAIT).ok().flatten() {
        settings.max_wait = std::time::Duration::from_secs(*seconds);
    }
    settings.on_poll = Some(std::sync::Arc::new(|progress| {
        tracing::debug!(
            status = progress.status,
            polls = progress.polls,
            waited_ms = progress.waited.as_millis() as u64,
            "waiting"
        );
    }));
    let waited = action::runtime()?.block_on(wait_json::<ErrorCode>(&client, &params, waiter, &settings));
    match waited {
        Ok(Some(answer)) => {
            let answer = Json::parse(answer.get())
                .map_err(|e| CliError::new(crate::exit::Kind::Response, format!("the answer cannot be read: {e}")))?;
            action::print(&answer, globals, query.as_ref())
        }
        // The state was an error code (the function is gone): nothing to print.
        Ok(None) => Ok(()),
        Err(error) => Err(CliError::from_wait(error, |member| origins.source_of(member))),
    }
}
