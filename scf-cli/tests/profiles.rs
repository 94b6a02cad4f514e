//! Credentials and region from the environment and from tccli and SDK profiles, in a temporary
//! HOME, and which wins. The emulator accepts one key pair only (the `work` profile's), so a call
//! succeeds exactly when those keys were chosen.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

mod common;

use std::path::Path;

use common::{Local, Run, Scf};
use scf_local::{AccessKey, EmulatorConfig};

const WORK_ID: &str = "AKIDworkPROFILExxxxxxxxxxxxxxxxxxxxxx";
const WORK_KEY: &str = "work-profile-secret-key-000000000";
const OTHER_ID: &str = "AKIDotherKEYxxxxxxxxxxxxxxxxxxxxxxxxx";
const OTHER_KEY: &str = "other-secret-key-1111111111111111";

fn emulator() -> Local {
    let key = AccessKey { secret_id: WORK_ID.into(), secret_key: WORK_KEY.into(), token: None };
    Local::start_with(EmulatorConfig::default().key(key))
}

/// `~/.tccli/<profile>.credential` and `.configure`, as `tccli configure` writes them.
fn tccli_profile(home: &Path, profile: &str, id: &str, key: &str, region: &str) {
    let dir = home.join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{profile}.credential")),
        format!(r#"{{"secretId": "{id}", "secretKey": "{key}"}}"#),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{profile}.configure")),
        format!(r#"{{"_sys_param": {{"region": "{region}", "output": "json"}}, "scf": {{"endpoint": "scf.tencentcloudapi.com"}}}}"#),
    )
    .unwrap();
}

/// `scf … list-functions --debug` against the emulator, with no keys or region unless the test adds them.
fn list(local: &Local, home: &Path) -> Scf {
    Scf::new(home).args(["--endpoint-url", &local.endpoint(), "--debug", "list-functions"])
}

fn region(run: &Run) -> String {
    let line = run.stderr.lines().find(|l| l.contains("sending")).unwrap_or_default();
    line.split("region=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
}

/// Succeeded with the work keys, or was refused with the others.
fn used_work_keys(run: &Run) -> bool {
    match run.code {
        0 => true,
        1 => {
            assert!(run.stderr.contains("AuthFailure.SecretIdNotFound"), "{}", run.stderr);
            false
        }
        other => panic!("exit code {other}: {}", run.stderr),
    }
}

#[test]
fn the_default_tccli_profile_gives_keys_and_region() {
    let local = emulator();
    let home = local.home.path();
    tccli_profile(home, "default", WORK_ID, WORK_KEY, "ap-chengdu");
    let run = list(&local, home).run();
    assert!(used_work_keys(&run));
    assert_eq!(region(&run), "ap-chengdu");
}

#[test]
fn the_environment_comes_before_the_profiles() {
    let local = emulator();
    let home = local.home.path();
    tccli_profile(home, "default", WORK_ID, WORK_KEY, "ap-chengdu");
    let run = list(&local, home)
        .env("TENCENTCLOUD_SECRET_ID", OTHER_ID)
        .env("TENCENTCLOUD_SECRET_KEY", OTHER_KEY)
        .env("TENCENTCLOUD_REGION", "ap-beijing")
        .run();
    assert!(!used_work_keys(&run));
    assert_eq!(region(&run), "ap-beijing");
}

#[test]
fn tccli_profile_chooses_the_profile_and_the_environment_still_wins() {
    let local = emulator();
    let home = local.home.path();
    tccli_profile(home, "default", OTHER_ID, OTHER_KEY, "ap-chengdu");
    tccli_profile(home, "work", WORK_ID, WORK_KEY, "ap-shanghai");
    let run = list(&local, home).env("TCCLI_PROFILE", "work").run();
    assert!(used_work_keys(&run));
    assert_eq!(region(&run), "ap-shanghai");
    let run = list(&local, home)
        .env("TCCLI_PROFILE", "work")
        .env("TENCENTCLOUD_SECRET_ID", OTHER_ID)
        .env("TENCENTCLOUD_SECRET_KEY", OTHER_KEY)
        .run();
    assert!(!used_work_keys(&run), "the SDK's chain: the environment first");
}

#[test]
fn the_profile_flag_wins_over_the_environment_as_in_tccli() {
    let local = emulator();
    let home = local.home.path();
    tccli_profile(home, "default", OTHER_ID, OTHER_KEY, "ap-chengdu");
    tccli_profile(home, "work", WORK_ID, WORK_KEY, "ap-shanghai");
    let with_env = |scf: Scf| {
        scf.env("TENCENTCLOUD_SECRET_ID", OTHER_ID)
            .env("TENCENTCLOUD_SECRET_KEY", OTHER_KEY)
            .env("TENCENTCLOUD_REGION", "ap-beijing")
            .env("TCCLI_PROFILE", "default")
    };
    let run = with_env(list(&local, home).args(["--profile", "work"])).run();
    assert!(used_work_keys(&run));
    assert_eq!(region(&run), "ap-shanghai");
    // Before the command as well; and --region still wins.
    let run = with_env(Scf::new(home))
        .args([
            "--profile",
            "work",
            "--endpoint-url",
            &local.endpoint(),
            "--debug",
            "list-functions",
            "--region",
            "ap-tokyo",
        ])
        .run();
    assert!(used_work_keys(&run));
    assert_eq!(region(&run), "ap-tokyo");
}

#[test]
fn a_named_profile_without_credentials_does_not_fall_back_to_other_keys() {
    let local = emulator();
    let home = local.home.path();
    // Only a .configure for `partial`, and work keys in the SDK profile: --profile must not use them.
    tccli_profile(home, "partial", WORK_ID, WORK_KEY, "ap-chengdu");
    std::fs::remove_file(home.join(".tccli/partial.credential")).unwrap();
    sdk_profile(home, WORK_ID, WORK_KEY);
    let run = list(&local, home).args(["--profile", "partial"]).run().expect_code(3);
    let message = run.last_line_json()["Error"]["Message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("tccli profile `partial`") && message.contains("partial.credential: not found"),
        "{message}"
    );
    assert!(!message.contains(WORK_KEY));
}

#[test]
fn the_sdk_profile_file_is_the_last_resort() {
    let local = emulator();
    let home = local.home.path();
    sdk_profile(home, WORK_ID, WORK_KEY);
    let run = list(&local, home).args(["--region", "ap-guangzhou"]).run();
    assert!(used_work_keys(&run));
    // A tccli profile comes before it.
    tccli_profile(home, "default", OTHER_ID, OTHER_KEY, "ap-chengdu");
    assert!(!used_work_keys(&list(&local, home).run()));
}

fn sdk_profile(home: &Path, id: &str, key: &str) {
    std::fs::create_dir_all(home.join(".tencentcloud")).unwrap();
    std::fs::write(
        home.join(".tencentcloud/credentials"),
        format!("[default]\nsecret_id = {id}\nsecret_key = {key}\n"),
    )
    .unwrap();
}
