//! The command tree, built at run time from the generated action catalogue: one subcommand per
//! action, one flag per input member (made by `flags`), help from the spec's English docs.
//! Nothing here lists actions or members by hand.

use clap::{Arg, ArgAction, Command, ValueHint};
use scf_sdk::catalog;
use scf_sdk::runtime::{ActionDescriptor, TypeDescriptor};

use crate::exit::EXIT_CODES;
use crate::flags::{
    CLI_INPUT_JSON, GENERATE_CLI_SKELETON, NO_PAGINATE, flag_name, member_arg, summary, type_summary, value_name,
};
use crate::{deploy, globals, wait};

/// The action a subcommand name stands for.
pub fn action_named(command: &str) -> Option<&'static ActionDescriptor> {
    catalog::ACTIONS.iter().copied().find(|action| flag_name(action.name) == command)
}

/// The whole command tree.
pub fn command() -> Command {
    let mut root = Command::new("scf")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Tencent Cloud Serverless Cloud Function (SCF) from the command line: every API action, deploys, and a local emulator.")
        .after_help(root_after_help())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand_value_name("COMMAND")
        .max_term_width(100);
    root = globals::add(root, &[], false);
    root = root.subcommand(deploy::command());
    root = root.subcommand(wait::command());
    root = root.subcommand(crate::new::command());
    #[cfg(feature = "local")]
    {
        root = root.subcommand(crate::local::command());
    }
    root = root.subcommand(
        Command::new("completions")
            .about("Print a shell completion script, e.g. `scf completions bash > /etc/bash_completion.d/scf`")
            .arg(
                Arg::new("shell")
                    .value_name("SHELL")
                    .required(true)
                    .value_parser(clap::value_parser!(clap_complete::Shell)),
            ),
    );
    for action in catalog::ACTIONS {
        root = root.subcommand(action_command(action));
    }
    root
}

fn root_after_help() -> String {
    format!(
        "Actions: {count} commands, one per action of the SCF API {version}; `scf ACTION --help` shows its flags, \
         with the API's documentation, limits, defaults and allowed values.

Credentials and region: --region, then the SDK's default chain: the environment (TENCENTCLOUD_SECRET_ID, \
         TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_TOKEN, TENCENTCLOUD_REGION), then the tccli profile \
         (~/.tccli/<TCCLI_PROFILE or default>.credential and .configure), then the SDK profile \
         (~/.tencentcloud/credentials). --profile NAME uses ~/.tccli/NAME.* alone, as tccli does.

Examples:
  scf list-functions --limit 20 --output table
  scf invoke-function --function-name hello --event '{{\"k\":\"v\"}}' --log-type Tail
  scf invoke-function --function-name hello --query Result.RetMsg
  scf deploy ./src --function-name hello --runtime Python3.9 --handler index.main_handler
  scf wait function-active --function-name hello
  scf local serve

{EXIT_CODES}",
        count = catalog::ACTIONS.len(),
        version = catalog::SERVICE.version,
    )
}

fn action_command(action: &'static ActionDescriptor) -> Command {
    let mut command = Command::new(flag_name(action.name))
        .about(summary(action.docs))
        .long_about(action_long_about(action))
        .max_term_width(100);
    let mut taken = Vec::with_capacity(action.input.len());
    for member in action.input {
        command = command.arg(member_arg(member, &[CLI_INPUT_JSON, GENERATE_CLI_SKELETON]));
        taken.push(flag_name(member.name));
    }
    command = command
        .arg(
            Arg::new(CLI_INPUT_JSON)
                .long(CLI_INPUT_JSON)
                .value_name("FILE|-")
                .value_hint(ValueHint::FilePath)
                .help("Read the request from a JSON file (`-`: stdin); flags override its members"),
        )
        .arg(
            Arg::new(GENERATE_CLI_SKELETON)
                .long(GENERATE_CLI_SKELETON)
                .action(ArgAction::SetTrue)
                .help("Print an empty request for --cli-input-json (defaults filled in) and exit"),
        );
    if let Some(pagination) = action.pagination {
        command = command.arg(Arg::new(NO_PAGINATE).long(NO_PAGINATE).action(ArgAction::SetTrue).help(format!(
            "Only the first page: without it, every page is read ({} {} a request) and the answer lists \
             every item; --{} or --{} also ask for one page",
            pagination.page_size,
            pagination.items,
            flag_name(pagination.offset),
            flag_name(pagination.limit)
        )));
    }
    let required: Vec<String> = action
        .input
        .iter()
        .filter(|m| m.required)
        .map(|m| format!("--{} <{}>", flag_name(m.name), value_name(m)))
        .collect();
    if !required.is_empty() {
        // Clap would show `[OPTIONS]` alone: the required flags may come from --cli-input-json.
        let name = flag_name(action.name);
        command = command.override_usage(format!(
            "scf {name} {} [OPTIONS]\n       scf {name} --{CLI_INPUT_JSON} <FILE|-> [OPTIONS]",
            required.join(" ")
        ));
    }
    let shadowed = globals::shadowed(&taken);
    command = globals::add(command, &taken, true);
    let mut after = output_help(action);
    for name in shadowed {
        after.push_str(&format!(
            "\n\nHere --{name} is a member of the request. The CLI's own --{name} goes before the action name:\n  \
             scf --{name} … {} …",
            flag_name(action.name)
        ));
    }
    command.after_long_help(after)
}

/// The action's documentation for `--help`.
fn action_long_about(action: &ActionDescriptor) -> String {
    let mut text = String::new();
    if let Some(reason) = action.deprecated {
        text.push_str(&format!("Deprecated: {reason}\n\n"));
    }
    text.push_str(action.docs);
    text.push_str(&format!("\n\nAPI action: {} (version {}).", action.name, action.service.version));
    if action.idempotent {
        text.push_str(" Idempotent: retried after a timeout.");
    }
    text
}

/// The output members, for `--query`.
fn output_help(action: &ActionDescriptor) -> String {
    let width = action.output.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let mut text = format!("Output (pick a part with --query, e.g. --query {}):", example_query(action));
    for member in action.output {
        text.push('\n');
        text.push_str(&hang(&format!("  {:width$}  ", member.name), &type_summary(&member.ty), 96));
    }
    text
}

/// `head` then `body` wrapped at `max` columns, continuation lines indented as far as `head` is
/// long (clap's own wrapping would not indent them).
fn hang(head: &str, body: &str, max: usize) -> String {
    let indent = head.len();
    let mut out = head.to_owned();
    let mut column = indent;
    for (i, word) in body.split_whitespace().enumerate() {
        if i > 0 && column + 1 + word.len() > max {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
        } else if i > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

fn example_query(action: &ActionDescriptor) -> String {
    let first = action.output.iter().find(|m| m.name != "RequestId").or(action.output.first());
    match first {
        Some(member) => match member.ty {
            TypeDescriptor::Structure(s) => match s.members.first() {
                Some(inner) => format!("{}.{}", member.name, inner.name),
                None => member.name.to_owned(),
            },
            TypeDescriptor::List(TypeDescriptor::Structure(s)) => match s.members.first() {
                Some(inner) => format!("{}[].{}", member.name, inner.name),
                None => format!("{}[0]", member.name),
            },
            _ => member.name.to_owned(),
        },
        None => "RequestId".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        // Clap's own checks: unique flags, valid references in `required_unless`, and so on.
        command().debug_assert();
    }

    #[test]
    fn every_action_is_a_command_and_every_member_a_flag() {
        let root = command();
        assert_eq!(catalog::ACTIONS.len(), 52);
        for action in catalog::ACTIONS {
            let name = flag_name(action.name);
            let sub = root.find_subcommand(&name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(action_named(&name).map(|a| a.name), Some(action.name));
            let longs: BTreeSet<_> = sub.get_arguments().filter_map(|a| a.get_long()).collect();
            for member in action.input {
                assert!(longs.contains(flag_name(member.name).as_str()), "{name} --{}", flag_name(member.name));
            }
        }
        let extras = ["deploy", "wait", "new", "completions"];
        for extra in extras {
            assert!(root.find_subcommand(extra).is_some(), "{extra}");
        }
    }
}
