//! Encryption at rest from the command line: with NIMBUS_STATE_PASSPHRASE
//! set, nothing under `.nimbus/` and no saved plan holds a secret in the
//! clear; without it, an encrypted state or plan is refused with a message
//! naming the variable; `state rekey` encrypts a state and rotates its key.

mod common;

use common::*;
use std::path::Path;

const SECRET: &str = "s3cr3t-7d1f0a9e-do-not-store";

fn config() -> String {
    format!(
        r#"(define-variables
  (password (type string) (default "{SECRET}")))

(define-infrastructure enc
  (resource terraform-data "secret"
    (input (var password)))
  (output "pw" (value (var password)) (sensitive #t)))
"#
    )
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn encrypted_workdir() -> Workdir {
    let mut w = Workdir::empty();
    w.write("main.nim", &config());
    w.set_env("NIMBUS_STATE_PASSPHRASE", "correct horse battery");
    w.run(&["init"]).success();
    w
}

#[test]
fn an_encrypted_state_and_plan_hold_no_secret() {
    let w = encrypted_workdir();
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 created");
    w.run(&[
        "plan",
        "-out",
        "p.plan",
        "--var",
        "password=also-secret-9f8e",
    ])
    .success();
    let nimbus = w.path().join(".nimbus");
    assert_eq!(files_containing(&nimbus, SECRET), Vec::<String>::new());
    assert!(files_containing(w.path(), "also-secret-9f8e").is_empty());
    assert!(
        !w.read("p.plan").contains("terraform-data"),
        "the plan is encrypted whole"
    );
    // The key reads it all back.
    assert_eq!(w.attribute("terraform-data.secret", "input"), SECRET);
    w.run(&["state", "check"]).success();

    // Without the key: refused, naming the variable, for the state and the plan.
    w.run_env(&["state", "list"], &[("NIMBUS_STATE_PASSPHRASE", "")])
        .failure()
        .stderr_has("NIMBUS_STATE_PASSPHRASE")
        .no_panic();
    w.run_env(&["apply", "p.plan"], &[("NIMBUS_STATE_PASSPHRASE", "")])
        .failure()
        .stderr_has("NIMBUS_STATE_PASSPHRASE");
    w.run_env(
        &["apply", "p.plan"],
        &[("NIMBUS_STATE_PASSPHRASE", "wrong one")],
    )
    .failure()
    .stderr_has("does not decrypt");
    // With it, the saved plan applies; then it is stale.
    w.run(&["apply", "p.plan"])
        .success()
        .stdout_has("1 updated");
    assert_eq!(
        w.attribute("terraform-data.secret", "input"),
        "also-secret-9f8e"
    );
    w.run(&["apply", "p.plan"]).failure().stderr_has("stale");
}

#[test]
fn an_encrypted_plan_binds_the_configuration() {
    let w = encrypted_workdir();
    w.run(&["plan", "-out", "p.plan"]).success();
    // A comment changes no value, but the plan binds the configuration.
    w.write("main.nim", &format!(";; edited\n{}", config()));
    w.run(&["apply", "p.plan"])
        .failure()
        .stderr_has("the configuration changed");
    w.write("main.nim", &config());
    // The clear fields of the file edited to pass the checks: the
    // decryption itself refuses it.
    let tampered =
        w.read("p.plan")
            .replacen("\"workspace\":\"default\"", "\"workspace\":\"other\"", 1);
    w.write("t.plan", &tampered);
    w.run(&["workspace", "new", "other"]).success();
    w.run(&["workspace", "select", "other"]).success();
    w.run(&["apply", "t.plan"])
        .failure()
        .stderr_has("does not decrypt");
    w.run(&["workspace", "select", "default"]).success();
    w.run(&["apply", "p.plan"]).success();
}

#[test]
fn rekey_encrypts_then_rotates() {
    let mut w = Workdir::empty();
    w.write("main.nim", &config());
    w.run(&["init"]).success();
    w.run(&["apply", "--auto-approve"]).success();
    let nimbus = w.path().join(".nimbus");
    assert!(
        !files_containing(&nimbus, SECRET).is_empty(),
        "in the clear"
    );

    // A plan saved in the clear before the state is encrypted.
    w.run(&["plan", "-out", "clear.plan", "--var", "password=other"])
        .success();
    // A passphrase set on an unencrypted state: refused until `state rekey`.
    w.set_env("NIMBUS_STATE_PASSPHRASE", "first");
    w.run(&["state", "list"])
        .failure()
        .stderr_has("nimbus state rekey");
    w.run(&["state", "rekey"])
        .success()
        .stdout_has("Encrypted the state")
        .stdout_has("1 resources")
        .stdout_has("backups taken before");
    // The automatic backups taken before are of the unencrypted state,
    // and the command says so.
    std::fs::remove_dir_all(nimbus.join("backups")).expect("remove backups");
    assert_eq!(files_containing(&nimbus, SECRET), Vec::<String>::new());
    w.run(&["state", "list"]).success();
    w.run(&["apply", "clear.plan"])
        .failure()
        .stderr_has("made before the state was encrypted");

    // Rotation: the new passphrase, the old one as the fallback.
    w.set_env("NIMBUS_STATE_PASSPHRASE", "second");
    w.run(&["state", "list"])
        .failure()
        .stderr_has("does not decrypt");
    w.set_env("NIMBUS_STATE_PASSPHRASE_FALLBACK", "first");
    w.run(&["state", "list"]).success();
    w.run(&["state", "rekey"])
        .success()
        .stdout_has("Re-encrypted the state");
    w.remove_env("NIMBUS_STATE_PASSPHRASE_FALLBACK");
    assert_eq!(w.attribute("terraform-data.secret", "input"), SECRET);
    w.run(&["apply", "--auto-approve"]).success();
    w.run_env(&["state", "list"], &[("NIMBUS_STATE_PASSPHRASE", "first")])
        .failure()
        .stderr_has("does not decrypt");
}

#[test]
fn enforced_encryption_refuses_a_plaintext_state() {
    let w = Workdir::empty();
    w.write("main.nim", &config());
    w.run_env(&["init"], &[("NIMBUS_STATE_ENCRYPTION", "enforced")])
        .failure()
        .stderr_has("NIMBUS_STATE_PASSPHRASE");
    w.run(&["init"]).success();
    w.run(&["apply", "--auto-approve"]).success();
    let db = w.path().join(".nimbus/state.db");
    let before = std::fs::read(&db).expect("db");
    w.run_env(
        &["apply", "--auto-approve", "--var", "password=x"],
        &[("NIMBUS_STATE_ENCRYPTION", "enforced")],
    )
    .failure()
    .stderr_has("enforced");
    assert!(std::fs::read(&db).expect("db") == before, "nothing written");
    w.run_env(
        &["state", "list"],
        &[("NIMBUS_STATE_ENCRYPTION", "sometimes")],
    )
    .failure()
    .stderr_has("NIMBUS_STATE_ENCRYPTION");
}
