//! Help and completions: `invoke-function --help` as a snapshot (the spec's docs, required flags,
//! defaults, allowed values, limits, the output members), the root's list of commands, and
//! completion scripts.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use common::Scf;

fn scf(args: &[&str]) -> common::Run {
    let home = tempfile::tempdir().unwrap();
    Scf::new(home.path()).args(args).run()
}

#[test]
fn invoke_function_help() {
    let help = scf(&["invoke-function", "--help"]).ok().stdout;
    insta::assert_snapshot!(help);
}

#[test]
fn invoke_function_short_help() {
    let help = scf(&["invoke-function", "-h"]).ok().stdout;
    insta::assert_snapshot!(help);
}

#[test]
fn the_root_help_lists_every_command_and_the_exit_codes() {
    let help = scf(&["--help"]).ok().stdout;
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(str::trim)
        .collect();
    let extras: &[&str] = if cfg!(feature = "local") {
        &["deploy", "wait", "new", "local", "completions"]
    } else {
        &["deploy", "wait", "new", "completions"]
    };
    assert_eq!(commands.len(), 52 + extras.len() + 1, "52 actions, the extras, and help: {commands:?}");
    assert_eq!(&commands[..extras.len()], extras);
    assert!(commands.contains(&"invoke-function") && commands.contains(&"update-trigger-status"));
    assert!(help.contains("Exit codes:\n  0   success\n  1   the service answered with an error"), "{help}");
    // Without a command: the help, and the usage exit code.
    let run = scf(&[]).expect_code(2);
    assert!(run.stderr.contains("Usage: scf [OPTIONS] <COMMAND>"), "{}", run.stderr);
    assert!(scf(&["--version"]).ok().stdout.starts_with("scf 0."));
}

#[test]
fn deploy_new_and_local_serve_document_their_flags() {
    let deploy = scf(&["deploy", "--help"]).ok().stdout;
    for flag in [
        "--function-name",
        "--runtime",
        "--handler",
        "--memory-size",
        "--timeout",
        "--env",
        "--wait-timeout",
        "--target",
        "--bin",
        "--region",
    ] {
        assert!(deploy.contains(flag), "{flag}: {deploy}");
    }
    assert!(deploy.contains("honouring .gitignore and .scfignore"), "{deploy}");
    assert!(deploy.contains("If DIR holds a Cargo package"), "{deploy}");
    let new = scf(&["new", "--help"]).ok().stdout;
    assert!(new.contains("--runtime-path <DIR>") && new.contains("[env: SCF_RUNTIME_PATH="), "{new}");
    if !cfg!(feature = "local") {
        return;
    }
    let serve = scf(&["local", "serve", "--help"]).ok().stdout;
    for flag in ["--listen", "--data-dir", "--secret-id", "--activation-delay"] {
        assert!(serve.contains(flag), "{flag}: {serve}");
    }
}

#[test]
fn completion_scripts_know_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = scf(&["completions", shell]).ok().stdout;
        assert!(script.contains("invoke-function") && script.contains("function-name"), "{shell}");
    }
    let run = scf(&["completions", "tcsh"]).expect_code(2);
    assert!(run.stderr.contains("[possible values: bash, elvish, fish, powershell, zsh]"), "{}", run.stderr);
}
