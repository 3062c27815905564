//! `nimbus init` installing a provider from a registry, through the real
//! CLI: a registry served on loopback by the test itself
//! (`nimbus_registry::testing`) publishes Terraform's null provider 2.1.2
//! (the binary of the Terraform install named by `NIMBUS_TEST_TERRAFORM`,
//! `bench/install-terraform.sh`), zipped, with `SHA256SUMS` signed by a
//! key generated here. Covered: install then plan/apply with the plugin,
//! reuse of the shared cache with the registry gone, refusals (checksum,
//! signature, unknown provider, no matching version) that install
//! nothing, and two `init`s at once.
//!
//! Without the Terraform install the tests are skipped with a notice,
//! except under `CI=true`, where that is a failure.
#![allow(clippy::print_stderr)] // says what it skips
#![cfg(unix)]

mod common;

use common::*;
use nimbus_registry::testing::{Fault, Release, SigningKey, TestRegistry};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const NULL_SHA256: &str = "c56285e7bd25a806bf86fcd4893edbe46e621a46e20fe24ef209b6fd0b7cf5fc";
const PLATFORM: &str = "linux_amd64";

/// The null provider's binary from the Terraform install, when present.
fn null_binary() -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let binary = std::env::var_os("NIMBUS_TEST_TERRAFORM")
        .filter(|d| !d.is_empty())
        .map(|d| {
            Path::new(&d).join(
                "mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4",
            )
        })
        .filter(|b| b.is_file());
    if binary.is_none() {
        let hint = "the Terraform install with the null provider is missing \
                    (export NIMBUS_TEST_TERRAFORM=\"$(bench/install-terraform.sh target/terraform)\")";
        assert!(!ci, "{hint}");
        eprintln!("notice: skipping: {hint}");
    }
    binary
}

/// A release of hashicorp/null 2.1.2 for this platform (zipped once).
fn null_release(binary: &Path, key: &SigningKey) -> Release {
    static ARCHIVE: OnceLock<Vec<u8>> = OnceLock::new();
    let archive = ARCHIVE.get_or_init(|| {
        let bytes = std::fs::read(binary).expect("the null provider binary");
        nimbus_registry::testing::zip_of(&[("terraform-provider-null_v2.1.2_x4", &bytes)])
    });
    let mut release = Release::new("hashicorp/null", "2.1.2", PLATFORM, b"", Some(key));
    release.archive = archive.clone();
    release
}

fn project(host: &str, name: &str, version: &str, cache: &Path) -> Workdir {
    let mut w = Workdir::empty();
    w.set_env(
        "NIMBUS_PLUGIN_CACHE_DIR",
        cache.to_str().expect("utf-8 path"),
    );
    w.write(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    null = {{
      source  = "{host}/hashicorp/{name}"
      version = "{version}"
    }}
  }}
}}

resource "null_resource" "a" {{
  triggers = {{
    n = "1"
  }}
}}

output "id" {{
  value = null_resource.a.id
}}
"#
        ),
    );
    w
}

/// Every file under `dir`, relative, sorted (hidden ones too).
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn init_installs_from_the_registry_and_the_cache_serves_without_it() {
    let Some(binary) = null_binary() else { return };
    let mut server = TestRegistry::start();
    let key = SigningKey::generate();
    server.publish(null_release(&binary, &key));
    let host = server.host();
    let cache = tempfile::tempdir().unwrap();

    let w = project(&host, "null", "~> 2.1", cache.path());
    w.run(&["init"])
        .success()
        .stdout_has(&format!("{host}/hashicorp/null 2.1.2"))
        .stdout_has("locked (installed from its registry)");
    let installed =
        format!("{host}/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4");
    assert_eq!(files(cache.path()), std::slice::from_ref(&installed));
    let lock: serde_json::Value = serde_json::from_str(&w.read(".nimbus.lock")).unwrap();
    assert_eq!(
        lock["providers"][0]["source"],
        format!("{host}/hashicorp/null")
    );
    assert_eq!(lock["providers"][0]["version"], "2.1.2");
    assert_eq!(lock["providers"][0]["sha256"], NULL_SHA256);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.ends_with("SHA256SUMS.sig")),
        "the signature was checked: {:?}",
        server.requests()
    );

    // The plugin runs from the cache.
    let plan = w.run(&["plan", "--json"]);
    plan.success();
    assert_eq!(
        planned_actions(&plan),
        actions(&[("null_resource.a", "create")])
    );
    w.run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 created");
    assert_eq!(w.state_list(), ["null_resource.a"]);
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");

    // With the registry gone: the project itself and another project use
    // the cache, without a request.
    let served = server.requests().len();
    server.stop();
    w.run(&["init"]).success().stdout_has("unchanged");
    let other = project(&host, "null", ">= 2.0", cache.path());
    other
        .run(&["init"])
        .success()
        .stdout_has("2.1.2")
        .stdout_has("(from the provider cache)");
    other
        .run(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 created");
    assert_eq!(other.state_list(), ["null_resource.a"]);
    assert_eq!(server.requests().len(), served);
    // A version the cache lacks needs the registry, which is unreachable.
    let newer = project(&host, "null", ">= 3", cache.path());
    newer
        .run(&["init"])
        .failure()
        .stderr_has("installing from its registry failed")
        .stderr_has(&format!("cannot reach http://{host}/"));
    assert!(!newer.exists(".nimbus.lock"));

    // A lock the constraint has left is stale, wherever the binary is.
    let locked = w.read(".nimbus.lock");
    let empty_cache = tempfile::tempdir().unwrap();
    let stale = project(&host, "null", ">= 3", empty_cache.path());
    stale.write(".nimbus.lock", &locked);
    stale
        .run(&["init"])
        .failure()
        .stderr_has("is locked to version 2.1.2 which does not satisfy >= 3")
        .stderr_has("nimbus init --upgrade");
    assert_eq!(stale.read(".nimbus.lock"), locked);
    assert_eq!(files(empty_cache.path()), Vec::<String>::new());

    // The binary in the cache changed behind the lock's back is refused.
    std::fs::write(cache.path().join(&installed), b"tampered").unwrap();
    w.run(&["plan"])
        .failure()
        .stderr_has("does not match the checksum");
}

#[test]
fn corrupt_archives_and_bad_signatures_install_nothing() {
    let Some(binary) = null_binary() else { return };
    let server = TestRegistry::start();
    let key = SigningKey::generate();
    // The same release under two namespaces, each served wrong.
    for (namespace, fault) in [
        ("corrupt", Fault::CorruptArchive),
        ("forged", Fault::WrongSigner),
    ] {
        let mut release = null_release(&binary, &key).with_fault(fault);
        release.namespace = namespace.to_string();
        server.publish(release);
    }
    let host = server.host();
    let cache = tempfile::tempdir().unwrap();
    for (namespace, expected) in [
        ("corrupt", "checksum mismatch"),
        ("forged", "bad signature"),
    ] {
        let w = project(&host, "null", "~> 2.1", cache.path());
        let text = w
            .read("main.tf")
            .replace("hashicorp/null", &format!("{namespace}/null"));
        w.write("main.tf", &text);
        w.run(&["init"])
            .failure()
            .stderr_has(expected)
            .stderr_has(&format!("{host}/{namespace}/null 2.1.2"))
            .stderr_has("nothing installed");
        assert!(!w.exists(".nimbus.lock"));
        assert_eq!(files(cache.path()), Vec::<String>::new());
        w.run(&["plan"])
            .failure()
            .stderr_has("not recorded in .nimbus.lock");
    }
}

#[test]
fn unknown_providers_and_versions_are_reported_with_what_exists() {
    let Some(binary) = null_binary() else { return };
    let server = TestRegistry::start();
    server.publish(null_release(&binary, &SigningKey::generate()));
    let host = server.host();
    let cache = tempfile::tempdir().unwrap();

    let w = project(&host, "nothing", "~> 1.0", cache.path());
    w.run(&["init"]).failure().stderr_has(&format!(
        "provider {host}/hashicorp/nothing is not in the registry at {host}"
    ));
    let w = project(&host, "null", "~> 3.0", cache.path());
    w.run(&["init"])
        .failure()
        .stderr_has(&format!(
            "no version of {host}/hashicorp/null matches ~> 3.0"
        ))
        .stderr_has("available: 2.1.2");
    assert_eq!(files(cache.path()), Vec::<String>::new());
}

#[test]
fn two_inits_at_once_share_one_cache() {
    let Some(binary) = null_binary() else { return };
    let server = TestRegistry::start();
    server.publish(null_release(&binary, &SigningKey::generate()));
    let host = server.host();
    let cache = tempfile::tempdir().unwrap();
    let projects: Vec<Workdir> = (0..2)
        .map(|_| project(&host, "null", "2.1.2", cache.path()))
        .collect();
    let children: Vec<_> = projects
        .iter()
        .map(|w| w.spawn_captured(&["init"], &[]))
        .collect();
    for child in children {
        let output = wait_output(child, Duration::from_secs(120), &["init"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        files(cache.path()),
        [format!(
            "{host}/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4"
        )]
    );
    for w in &projects {
        let lock: serde_json::Value = serde_json::from_str(&w.read(".nimbus.lock")).unwrap();
        assert_eq!(lock["providers"][0]["sha256"], NULL_SHA256);
        w.run(&["plan"]).success();
    }
}
