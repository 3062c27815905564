//! A provider registry for tests (feature `test-support`): a small HTTP/1
//! server on `127.0.0.1` at a free port that speaks the provider registry
//! protocol for the releases published to it, zips made in memory, and
//! OpenPGP keys generated on the spot to sign `SHA256SUMS`.
//!
//! ```text
//! GET /.well-known/terraform.json                          {"providers.v1": "/v1/providers/"}
//! GET /v1/providers/NS/TYPE/versions                       every published version
//! GET /v1/providers/NS/TYPE/VERSION/download/OS/ARCH       download metadata
//! GET /files/NS/TYPE/VERSION/FILENAME (and SHA256SUMS, SHA256SUMS.sig)
//! ```
//!
//! Every request path is recorded ([`TestRegistry::requests`]), so a test
//! can tell whether something was fetched at all.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

use pgp::composed::{
    ArmorOptions, DetachedSignature, EncryptionCaps, KeyType, SecretKeyParamsBuilder,
    SignedPublicKey, SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize as _;
use pgp::types::Password;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// An OpenPGP key (Ed25519) that signs `SHA256SUMS` documents.
#[derive(Clone)]
pub struct SigningKey {
    secret: SignedSecretKey,
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .can_encrypt(EncryptionCaps::None)
            .primary_user_id("Nimbus test registry <test@nimbus.invalid>".into());
        let secret = params
            .build()
            .expect("key parameters")
            .generate(rand_pgp::thread_rng())
            .expect("a generated key");
        SigningKey { secret }
    }

    /// The public key, ASCII-armored (as `gpg_public_keys[].ascii_armor`).
    pub fn public_armor(&self) -> String {
        SignedPublicKey::from(self.secret.clone())
            .to_armored_string(ArmorOptions::default())
            .expect("an armored public key")
    }

    fn signature(&self, data: &[u8]) -> DetachedSignature {
        DetachedSignature::sign_binary_data(
            rand_pgp::thread_rng(),
            &self.secret.primary_key,
            &Password::empty(),
            HashAlgorithm::Sha256,
            data,
        )
        .expect("a signature")
    }

    /// A binary detached signature of `data` (as registries serve it).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        self.signature(data).to_bytes().expect("signature bytes")
    }

    /// An ASCII-armored detached signature of `data`.
    pub fn sign_armored(&self, data: &[u8]) -> String {
        self.signature(data)
            .to_armored_string(ArmorOptions::default())
            .expect("an armored signature")
    }
}

/// A deflated zip of `(name, content)` entries, names taken as they are
/// (so `../x` makes a hostile archive). Entries named
/// `terraform-provider-*` are marked executable.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        let mode = if name.contains("terraform-provider-") {
            0o755
        } else {
            0o644
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        writer.start_file(*name, options).expect("a zip entry");
        writer.write_all(content).expect("zip content");
    }
    writer.finish().expect("a finished zip").into_inner()
}

/// What a release serves wrong, for the tests of refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// The archive served is not the one the checksums describe.
    CorruptArchive,
    /// `SHA256SUMS` is signed by a key other than the published one.
    WrongSigner,
    /// `SHA256SUMS` is changed after signing (its line for the archive
    /// still right).
    AlteredSums,
}

/// One version of a provider for one platform.
#[derive(Clone)]
pub struct Release {
    pub namespace: String,
    pub type_name: String,
    pub version: String,
    /// `linux_amd64`.
    pub platform: String,
    pub archive: Vec<u8>,
    /// Signs `SHA256SUMS` and is published; `None` publishes no key.
    pub key: Option<SigningKey>,
    pub fault: Fault,
}

impl Release {
    /// A release of `NAMESPACE/TYPE` whose archive holds `binary` as
    /// `terraform-provider-TYPE_vVERSION_x5`, signed by `key`.
    pub fn new(
        source: &str,
        version: &str,
        platform: &str,
        binary: &[u8],
        key: Option<&SigningKey>,
    ) -> Release {
        let (namespace, type_name) = source.split_once('/').expect("NAMESPACE/TYPE");
        let name = format!("terraform-provider-{type_name}_v{version}_x5");
        Release {
            namespace: namespace.to_string(),
            type_name: type_name.to_string(),
            version: version.to_string(),
            platform: platform.to_string(),
            archive: zip_of(&[(&name, binary)]),
            key: key.cloned(),
            fault: Fault::None,
        }
    }

    pub fn with_fault(mut self, fault: Fault) -> Release {
        self.fault = fault;
        self
    }

    fn filename(&self) -> String {
        format!(
            "terraform-provider-{}_{}_{}.zip",
            self.type_name, self.version, self.platform
        )
    }
}

type Routes = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// A route body starting so is a redirect to the rest.
const REDIRECT: &str = "\u{0}redirect:";

/// The server; stops when dropped (or by [`TestRegistry::stop`]).
pub struct TestRegistry {
    port: u16,
    routes: Routes,
    releases: Mutex<Vec<Release>>,
    requests: Arc<Mutex<Vec<String>>>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestRegistry {
    /// Serves on `127.0.0.1` at a free port.
    pub fn start() -> TestRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
        routes.lock().unwrap().insert(
            "/.well-known/terraform.json".to_string(),
            br#"{"providers.v1": "/v1/providers/"}"#.to_vec(),
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, requests, stopping) = (routes.clone(), requests.clone(), stopping.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (routes, requests) = (routes.clone(), requests.clone());
                    std::thread::spawn(move || serve(stream, &routes, &requests));
                }
            })
        };
        TestRegistry {
            port,
            routes,
            releases: Mutex::new(Vec::new()),
            requests,
            stopping,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`, the host part of a source address.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Serves `body` at `path` (status 200); replaces what was there.
    pub fn put(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), body.into());
    }

    /// Answers `path` with a redirect (302) to `location`.
    pub fn redirect(&self, path: &str, location: &str) {
        self.put(path, format!("{REDIRECT}{location}"));
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Publishes a release: its version listing (with every release of the
    /// same provider), download metadata, archive, `SHA256SUMS` and
    /// signature.
    pub fn publish(&self, release: Release) {
        let mut releases = self.releases.lock().unwrap();
        releases.push(release.clone());
        let (ns, ty, version) = (&release.namespace, &release.type_name, &release.version);
        // The listing: each version with its platforms.
        let mut by_version: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for r in releases
            .iter()
            .filter(|r| &r.namespace == ns && &r.type_name == ty)
        {
            let (os, arch) = r.platform.split_once('_').expect("OS_ARCH");
            by_version
                .entry(r.version.clone())
                .or_default()
                .push(serde_json::json!({"os": os, "arch": arch}));
        }
        let versions: Vec<serde_json::Value> = by_version
            .into_iter()
            .map(|(v, platforms)| {
                serde_json::json!({"version": v, "protocols": ["5.0"], "platforms": platforms})
            })
            .collect();
        self.put(
            &format!("/v1/providers/{ns}/{ty}/versions"),
            serde_json::json!({"id": format!("{ns}/{ty}"), "versions": versions}).to_string(),
        );

        let filename = release.filename();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&release.archive));
        let sums = format!("{sha}  {filename}\n");
        let files = format!("/files/{ns}/{ty}/{version}");
        let served_archive = match release.fault {
            Fault::CorruptArchive => {
                let mut bytes = release.archive.clone();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0xff;
                bytes
            }
            _ => release.archive.clone(),
        };
        self.put(&format!("{files}/{filename}"), served_archive);
        let mut keys = Vec::new();
        if let Some(key) = &release.key {
            keys.push(serde_json::json!({"key_id": "", "ascii_armor": key.public_armor()}));
            let signature = match release.fault {
                Fault::WrongSigner => SigningKey::generate().sign(sums.as_bytes()),
                _ => key.sign(sums.as_bytes()),
            };
            self.put(&format!("{files}/SHA256SUMS.sig"), signature);
        }
        let served_sums = match release.fault {
            Fault::AlteredSums => format!("{sums}{}  other.zip\n", "0".repeat(64)),
            _ => sums,
        };
        self.put(&format!("{files}/SHA256SUMS"), served_sums);
        let (os, arch) = release.platform.split_once('_').expect("OS_ARCH");
        // The archive by an absolute URL, the checksums by relative ones.
        let meta = serde_json::json!({
            "protocols": ["5.0"],
            "os": os,
            "arch": arch,
            "filename": filename,
            "download_url": format!("http://{}{files}/{filename}", self.host()),
            "shasums_url": format!("{files}/SHA256SUMS"),
            "shasums_signature_url": format!("{files}/SHA256SUMS.sig"),
            "shasum": sha,
            "signing_keys": {"gpg_public_keys": keys},
        });
        self.put(
            &format!("/v1/providers/{ns}/{ty}/{version}/download/{os}/{arch}"),
            meta.to_string(),
        );
    }

    /// Stops serving: later connections are refused.
    pub fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stopping.store(true, Ordering::SeqCst);
            // Wake the accept loop.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = thread.join();
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Answers one request: GET of a known path, else 404.
fn serve(mut stream: TcpStream, routes: &Routes, requests: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    requests.lock().unwrap().push(path.clone());
    let body = routes.lock().unwrap().get(&path).cloned();
    let (status, body, location) = match body {
        Some(body) => match body.strip_prefix(REDIRECT.as_bytes()) {
            Some(to) => (
                "302 Found",
                Vec::new(),
                format!("Location: {}\r\n", String::from_utf8_lossy(to)),
            ),
            None => ("200 OK", body, String::new()),
        },
        None => (
            "404 Not Found",
            b"{\"errors\": [\"Not Found\"]}".to_vec(),
            String::new(),
        ),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{location}Content-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}
