//! The command tree, built at run time from the generated action catalogue: one subcommand per
//! action, one flag per input member, help from the spec's English docs. Nothing here lists
//! actions or members by hand; [`flag_name`] is the one place wire names become command and flag
//! names (`InvokeFunction` → `invoke-function`, `FunctionName` → `--function-name`).

use clap::{Arg, ArgAction, Command, ValueHint};
use scf_sdk::catalog;
use scf_sdk::runtime::{ActionDescriptor, JsonPayload, MemberDescriptor, TypeDescriptor};

use crate::exit::EXIT_CODES;
use crate::{deploy, globals, request};

/// The flag that reads the whole request from a file.
pub const CLI_INPUT_JSON: &str = "cli-input-json";
/// The flag that prints an empty request.
pub const GENERATE_CLI_SKELETON: &str = "generate-cli-skeleton";

/// A wire name in kebab case: `FunctionName` → `function-name`, `L5Enable` → `l5-enable`,
/// `VPCConfig` → `vpc-config`.
pub fn flag_name(wire: &str) -> String {
    let chars: Vec<char> = wire.chars().collect();
    let mut out = String::with_capacity(wire.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            out.push('-');
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary =
                prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

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

/// A type in a few words: `integer`, `list of Function (FunctionName, …)`.
fn type_summary(ty: &TypeDescriptor) -> String {
    match ty {
        TypeDescriptor::String => "string".into(),
        TypeDescriptor::DateTime => "date-time string".into(),
        TypeDescriptor::Int64 => "integer".into(),
        TypeDescriptor::UInt64 => "non-negative integer".into(),
        TypeDescriptor::Float => "number".into(),
        TypeDescriptor::Bool => "true or false".into(),
        TypeDescriptor::Enum(e) => {
            let values: Vec<_> = e.values.iter().map(|v| v.value).collect();
            format!("one of {}", values.join(", "))
        }
        TypeDescriptor::Structure(s) => {
            let members: Vec<_> = s.members.iter().map(|m| m.name).collect();
            format!("object {} ({})", s.name, members.join(", "))
        }
        TypeDescriptor::List(item) => format!("list of {}", type_summary(item)),
        _ => "value".into(),
    }
}

/// The flag of an input member. `required_unless`: flags that may stand in for a required one
/// (`--cli-input-json`).
pub fn member_arg(member: &'static MemberDescriptor, required_unless: &[&'static str]) -> Arg {
    let mut arg = Arg::new(member.name)
        .long(flag_name(member.name))
        .value_name(value_name(member))
        .value_parser(request::value_parser(member))
        .action(ArgAction::Set)
        .help(short_help(member))
        .long_help(long_help(member));
    if member.required {
        arg = if required_unless.is_empty() {
            arg.required(true)
        } else {
            arg.required_unless_present_any(required_unless.iter().copied())
        };
    }
    match member.ty {
        TypeDescriptor::Bool if !request::takes_json(member) => {
            // `--flag` alone means true; `--flag false` says false.
            arg = arg.num_args(0..=1).default_missing_value("true").ignore_case(true);
        }
        TypeDescriptor::Structure(_) | TypeDescriptor::List(_) => arg = arg.value_hint(ValueHint::Other),
        // `--offset -1` is a value, not a flag: its parser or the service's limits judge it.
        TypeDescriptor::Int64 | TypeDescriptor::UInt64 | TypeDescriptor::Float => {
            arg = arg.allow_negative_numbers(true)
        }
        _ => {}
    }
    arg
}

fn value_name(member: &MemberDescriptor) -> String {
    if request::takes_json(member) {
        return "JSON".into();
    }
    match member.ty {
        TypeDescriptor::Bool => "true|false".into(),
        _ => flag_name(member.name).replace('-', "_").to_ascii_uppercase(),
    }
}

/// The first sentence of some docs.
fn summary(docs: &str) -> String {
    let first_paragraph = docs.split("\n\n").next().unwrap_or(docs);
    let end = first_paragraph.find(". ").map_or(first_paragraph.len(), |at| at + 1);
    first_paragraph[..end].replace('\n', " ")
}

/// `-h`: the first sentence, required, default.
fn short_help(member: &MemberDescriptor) -> String {
    let mut text = summary(member.docs);
    if let Some(reason) = member.deprecated {
        text = format!("[deprecated: {reason}] {text}");
    }
    if member.required {
        text.push_str(" [required]");
    }
    if let Some(default) = member.default {
        text.push_str(&format!(" [default: {}]", literal_text(default)));
    }
    text
}

/// `--help`: the whole documentation, then what the value must be.
fn long_help(member: &'static MemberDescriptor) -> String {
    let mut text = String::new();
    if let Some(reason) = member.deprecated {
        text.push_str(&format!("Deprecated: {reason}\n\n"));
    }
    text.push_str(member.docs);
    let mut facts: Vec<String> = Vec::new();
    match (member.json, &member.ty) {
        (Some(JsonPayload::StringMap), _) => {
            facts.push("JSON: an object whose values are strings (sent as a string); or file://PATH.".into())
        }
        (Some(_), _) => facts.push("JSON: any value (sent as a string); or file://PATH.".into()),
        (None, TypeDescriptor::Structure(s)) => facts.push(format!(
            "JSON: an object {} with the members {}; or file://PATH.",
            s.name,
            s.members.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        )),
        (None, TypeDescriptor::List(item)) => {
            facts.push(format!("JSON: a list of {}; or file://PATH.", type_summary(item)))
        }
        (None, TypeDescriptor::Int64) => facts.push("An integer.".into()),
        (None, TypeDescriptor::UInt64) => facts.push("A non-negative integer.".into()),
        (None, TypeDescriptor::Float) => facts.push("A number.".into()),
        (None, TypeDescriptor::Bool) => facts.push("true or false; the flag alone means true.".into()),
        (None, TypeDescriptor::Enum(e)) if e.open => {
            let values: Vec<_> = e.values.iter().map(|v| v.value).collect();
            facts.push(format!("Known values: {}; others are sent as given.", values.join(", ")));
        }
        _ => {}
    }
    let limits = &member.limits;
    match (limits.min_bytes, limits.max_bytes) {
        (Some(min), Some(max)) => facts.push(format!("Length: {min} to {max} bytes.")),
        (None, Some(max)) => facts.push(format!("Length: at most {max} bytes{}.", mebibytes(max))),
        (Some(min), None) => facts.push(format!("Length: at least {min} bytes.")),
        (None, None) => {}
    }
    match (limits.min, limits.max) {
        (Some(min), Some(max)) => facts.push(format!("Range: {min} to {max}.")),
        (Some(min), None) => facts.push(format!("Minimum: {min}.")),
        (None, Some(max)) => facts.push(format!("Maximum: {max}.")),
        (None, None) => {}
    }
    if let Some(max) = limits.max_items {
        facts.push(format!("At most {max} items."));
    }
    if let Some(format) = member.format {
        facts.push(format!("Format: {}.", format.describe()));
    }
    if let Some(example) = member.example {
        facts.push(format!("Example: {example}"));
    }
    if member.sensitive {
        facts.push("Sensitive: never shown by --debug.".into());
    }
    if !facts.is_empty() {
        text.push_str("\n\n");
        text.push_str(&facts.join("\n"));
    }
    let mut tags = Vec::new();
    if member.required {
        tags.push("[required]".to_owned());
    }
    if let Some(default) = member.default {
        tags.push(format!("[default: {}]", literal_text(default)));
    }
    if !tags.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tags.join(" "));
    }
    text
}

fn mebibytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) { format!(" ({} MB)", bytes / MB) } else { String::new() }
}

fn literal_text(value: scf_sdk::runtime::Literal) -> String {
    match request::literal(value) {
        crate::json::Json::String(s) => s,
        other => other.to_compact(),
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
    fn wire_names_become_kebab_case() {
        for (wire, flag) in [
            ("FunctionName", "function-name"),
            ("InvokeFunction", "invoke-function"),
            ("L5Enable", "l5-enable"),
            ("VPCConfig", "vpc-config"),
            ("Orderby", "orderby"),
            ("OrderBy", "order-by"),
            ("VersionProvisionedConcurrencyNum", "version-provisioned-concurrency-num"),
            ("ZipFile", "zip-file"),
            ("Limit", "limit"),
        ] {
            assert_eq!(flag_name(wire), flag, "{wire}");
        }
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
        let extras = ["deploy", "completions"];
        for extra in extras {
            assert!(root.find_subcommand(extra).is_some(), "{extra}");
        }
    }

    #[test]
    fn help_says_what_a_value_must_be() {
        let member = catalog::action("InvokeFunction").unwrap().input_member("FunctionName").unwrap();
        let help = long_help(member);
        assert!(help.contains("Length: 2 to 60 bytes."), "{help}");
        assert!(help.contains("Format: must start with a letter"), "{help}");
        assert!(help.ends_with("[required]"), "{help}");
        let event = catalog::action("InvokeFunction").unwrap().input_member("Event").unwrap();
        assert!(long_help(event).contains("Length: at most 6291456 bytes (6 MB)."));
        assert_eq!(summary("One. Two.\n\nThree."), "One.");
        assert_eq!(summary("No period"), "No period");
    }
}
