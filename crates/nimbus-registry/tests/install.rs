//! Installing from the test registry over real HTTP on loopback: the happy
//! path, the cache, and every refusal (each leaving nothing installed).

// The crate's test support, compiled into this test (the library has it
// only under `cfg(test)` or the `test-support` feature).
#[allow(dead_code)]
#[path = "../src/testing.rs"]
mod testing;

use nimbus_plugin::{ProviderSource, Version, VersionConstraint};
use nimbus_registry::{Options, Registry, RegistryError};
use std::path::Path;
use std::time::Duration;
use testing::{Fault, Release, SigningKey, TestRegistry, zip_of};

const PLATFORM: &str = "linux_amd64";

fn registry() -> Registry {
    Registry::new(Options {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        download_timeout: Duration::from_secs(30),
        platform: PLATFORM.to_string(),
    })
    .unwrap()
}

fn source(server: &TestRegistry, name: &str) -> ProviderSource {
    ProviderSource::parse(&format!("{}/{name}", server.host())).unwrap()
}

fn constraint(text: &str) -> VersionConstraint {
    VersionConstraint::parse(text).unwrap()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
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

async fn install(
    server: &TestRegistry,
    name: &str,
    c: &str,
    cache: &Path,
) -> Result<nimbus_registry::Installed, RegistryError> {
    registry()
        .install(&source(server, name), &constraint(c), cache)
        .await
}

#[tokio::test]
async fn a_signed_release_installs_into_the_cache_once() {
    let server = TestRegistry::start();
    let key = SigningKey::generate();
    for version in ["1.0.0", "1.1.0", "2.0.0"] {
        server.publish(Release::new(
            "acme/thing",
            version,
            PLATFORM,
            version.as_bytes(),
            Some(&key),
        ));
    }
    // Newer, but not for this platform.
    server.publish(Release::new(
        "acme/thing",
        "2.1.0",
        "darwin_arm64",
        b"mac",
        Some(&key),
    ));
    let cache = tempfile::tempdir().unwrap();

    let installed = install(&server, "acme/thing", "~> 1.0", cache.path())
        .await
        .unwrap();
    assert_eq!(installed.version, Version::parse("1.1.0").unwrap());
    assert!(installed.downloaded);
    let host = server.host();
    assert_eq!(
        files(cache.path()),
        [format!(
            "{host}/acme/thing/1.1.0/linux_amd64/terraform-provider-thing_v1.1.0_x5"
        )]
    );
    let found = nimbus_plugin::mirror::find_in_mirror_for(
        cache.path(),
        &source(&server, "acme/thing"),
        &constraint(""),
        PLATFORM,
    )
    .unwrap();
    assert_eq!(std::fs::read(&found.binary).unwrap(), b"1.1.0");

    // The newest for this platform without a constraint.
    let newest = install(&server, "acme/thing", "", cache.path())
        .await
        .unwrap();
    assert_eq!(newest.version.to_string(), "2.0.0");

    // Already cached: no download (the archive is not requested again).
    let before = server.requests().len();
    let again = registry()
        .install_version(
            &source(&server, "acme/thing"),
            &Version::parse("1.1.0").unwrap(),
            cache.path(),
        )
        .await
        .unwrap();
    assert!(!again.downloaded);
    assert_eq!(server.requests().len(), before);
}

#[tokio::test]
async fn an_unsigned_release_installs_when_no_key_is_published() {
    let server = TestRegistry::start();
    server.publish(Release::new("acme/plain", "0.1.0", PLATFORM, b"bin", None));
    let cache = tempfile::tempdir().unwrap();
    let installed = install(&server, "acme/plain", "", cache.path())
        .await
        .unwrap();
    assert_eq!(installed.version.to_string(), "0.1.0");
    assert!(!server.requests().iter().any(|r| r.ends_with(".sig")));
}

#[tokio::test]
async fn bad_checksums_and_signatures_install_nothing() {
    let server = TestRegistry::start();
    let key = SigningKey::generate();
    let cases = [
        ("acme/corrupt", Fault::CorruptArchive, "checksum mismatch"),
        ("acme/forged", Fault::WrongSigner, "bad signature"),
        ("acme/altered", Fault::AlteredSums, "bad signature"),
    ];
    for (name, fault, _) in &cases {
        server
            .publish(Release::new(name, "1.0.0", PLATFORM, b"bin", Some(&key)).with_fault(*fault));
    }
    let cache = tempfile::tempdir().unwrap();
    for (name, _, expected) in cases {
        let e = install(&server, name, "", cache.path())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{e}");
        assert!(
            e.contains(&format!("{}/{name} 1.0.0", server.host())),
            "{e}"
        );
        assert!(e.contains("nothing installed"), "{e}");
    }
    assert_eq!(files(cache.path()), Vec::<String>::new());

    // A SHA256SUMS that does not list the archive, unsigned.
    server.publish(Release::new(
        "acme/unlisted",
        "1.0.0",
        PLATFORM,
        b"bin",
        None,
    ));
    server.put(
        "/files/acme/unlisted/1.0.0/SHA256SUMS",
        format!("{}  other.zip\n", "0".repeat(64)),
    );
    let e = install(&server, "acme/unlisted", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("has no line for terraform-provider-unlisted_1.0.0_linux_amd64.zip"),
        "{e}"
    );
    assert_eq!(files(cache.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_hostile_archive_is_refused() {
    let server = TestRegistry::start();
    let mut release = Release::new("acme/evil", "1.0.0", PLATFORM, b"", None);
    release.archive = zip_of(&[
        ("terraform-provider-evil_v1.0.0", b"bin".as_slice()),
        ("../../escaped", b"x".as_slice()),
    ]);
    server.publish(release);
    let cache = tempfile::tempdir().unwrap();
    let e = install(&server, "acme/evil", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("archive is refused"), "{e}");
    assert!(e.contains("outside"), "{e}");
    assert_eq!(files(cache.path()), Vec::<String>::new());
    assert!(!cache.path().parent().unwrap().join("escaped").exists());
}

#[tokio::test]
async fn unknown_providers_versions_and_platforms_are_reported() {
    let server = TestRegistry::start();
    server.publish(Release::new("acme/thing", "1.0.0", PLATFORM, b"a", None));
    server.publish(Release::new("acme/thing", "1.2.0", PLATFORM, b"b", None));
    server.publish(Release::new(
        "acme/mac",
        "3.0.0",
        "darwin_arm64",
        b"m",
        None,
    ));
    let cache = tempfile::tempdir().unwrap();

    let e = install(&server, "acme/nothing", "", cache.path())
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::NotFound { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("acme/nothing is not in the registry"),
        "{e}"
    );

    let e = install(&server, "acme/thing", ">= 2", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no version of"), "{e}");
    assert!(e.contains(">= 2"), "{e}");
    assert!(e.contains("available: 1.2.0, 1.0.0"), "{e}");

    let e = install(&server, "acme/mac", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("3.0.0 has no build for linux_amd64"), "{e}");
    assert!(e.contains("darwin_arm64"), "{e}");
    assert_eq!(files(cache.path()), Vec::<String>::new());
}

#[tokio::test]
async fn malformed_answers_and_missing_registries_are_errors() {
    let server = TestRegistry::start();
    let cache = tempfile::tempdir().unwrap();
    server.put("/v1/providers/acme/broken/versions", "{\"versions\": [");
    let e = install(&server, "acme/broken", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("malformed"), "{e}");

    server.put(
        "/v1/providers/acme/meta/versions",
        r#"{"versions": [{"version": "1.0.0", "platforms": [{"os": "linux", "arch": "amd64"}]}]}"#,
    );
    server.put(
        "/v1/providers/acme/meta/1.0.0/download/linux/amd64",
        r#"{"filename": "x.zip"}"#,
    );
    let e = install(&server, "acme/meta", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("malformed"), "{e}");
    server.put(
        "/v1/providers/acme/meta/1.0.0/download/linux/amd64",
        r#"{"filename": "../x.zip", "download_url": "x", "shasums_url": "s", "shasum": "00"}"#,
    );
    let e = install(&server, "acme/meta", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a SHA-256"), "{e}");
    // Plain http to a host that is not loopback is refused.
    server.put(
        "/v1/providers/acme/meta/1.0.0/download/linux/amd64",
        format!(
            r#"{{"filename": "x.zip", "download_url": "x.zip", "shasums_url": "http://example.com/SUMS", "shasum": "{}"}}"#,
            "0".repeat(64)
        ),
    );
    let e = install(&server, "acme/meta", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only for loopback"), "{e}");

    server.put("/.well-known/terraform.json", r#"{"modules.v1": "/m/"}"#);
    let e = install(&server, "acme/x", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a provider registry"), "{e}");
    assert!(e.contains("no providers.v1"), "{e}");
    assert_eq!(files(cache.path()), Vec::<String>::new());

    // Nobody listening.
    let mut stopped = TestRegistry::start();
    let host = stopped.host();
    stopped.stop();
    let e = registry()
        .install(
            &ProviderSource::parse(&format!("{host}/acme/x")).unwrap(),
            &constraint(""),
            cache.path(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&format!(
            "cannot reach http://{host}/.well-known/terraform.json"
        )),
        "{e}"
    );
}

#[test]
fn concurrent_installs_of_one_version_leave_one_whole_copy() {
    let server = TestRegistry::start();
    let key = SigningKey::generate();
    let binary = vec![7u8; 1 << 20];
    server.publish(Release::new(
        "acme/big",
        "1.0.0",
        PLATFORM,
        &binary,
        Some(&key),
    ));
    let cache = tempfile::tempdir().unwrap();
    let source = source(&server, "acme/big");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (cache, source) = (cache.path().to_path_buf(), source.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime
                    .block_on(async { registry().install(&source, &constraint(""), &cache).await })
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap().version.to_string(), "1.0.0");
    }
    let host = server.host();
    assert_eq!(
        files(cache.path()),
        [format!(
            "{host}/acme/big/1.0.0/linux_amd64/terraform-provider-big_v1.0.0_x5"
        )]
    );
    let binary_path = cache.path().join(format!(
        "{host}/acme/big/1.0.0/linux_amd64/terraform-provider-big_v1.0.0_x5"
    ));
    assert_eq!(std::fs::read(binary_path).unwrap(), binary);
}

#[tokio::test]
async fn redirects_are_followed_within_the_rules() {
    let server = TestRegistry::start();
    server.publish(Release::new("acme/moved", "1.0.0", PLATFORM, b"bin", None));
    let file = "/files/acme/moved/1.0.0/terraform-provider-moved_1.0.0_linux_amd64.zip";
    // The archive moved: its old place redirects (relative Location) to
    // the new one; the metadata still names the old place.
    let archive = server_body(&server, file).await;
    server.put("/new-home/moved.zip", archive);
    server.redirect(file, "/new-home/moved.zip");
    let cache = tempfile::tempdir().unwrap();
    let installed = install(&server, "acme/moved", "", cache.path())
        .await
        .unwrap();
    assert!(installed.downloaded);
    assert!(server.requests().iter().any(|r| r == "/new-home/moved.zip"));

    // A redirect to plain http elsewhere is refused; so is a loop.
    server.publish(Release::new("acme/away", "1.0.0", PLATFORM, b"bin", None));
    server.redirect(
        "/files/acme/away/1.0.0/terraform-provider-away_1.0.0_linux_amd64.zip",
        "http://example.com/x.zip",
    );
    let e = install(&server, "acme/away", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("only for loopback"), "{e}");
    server.publish(Release::new("acme/loop", "1.0.0", PLATFORM, b"bin", None));
    let looped = "/files/acme/loop/1.0.0/terraform-provider-loop_1.0.0_linux_amd64.zip";
    server.redirect(looped, looped);
    let e = install(&server, "acme/loop", "", cache.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("redirects"), "{e}");
}

/// What the server answers at `path`, fetched over HTTP.
async fn server_body(server: &TestRegistry, path: &str) -> Vec<u8> {
    let http = nimbus_registry::http::Http::new(Duration::from_secs(5)).unwrap();
    let response = http
        .get(
            &format!("http://{}{path}", server.host()),
            1 << 20,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    response.body.to_vec()
}

#[tokio::test]
async fn a_registry_that_never_answers_times_out() {
    // Accepts connections and says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let _held = std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(2).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(held);
    });
    let registry = Registry::new(Options {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        download_timeout: Duration::from_secs(1),
        platform: PLATFORM.to_string(),
    })
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let e = registry
        .install(
            &ProviderSource::parse(&format!("{host}/acme/x")).unwrap(),
            &constraint(""),
            cache.path(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no complete answer within 1 seconds"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(4));
}
