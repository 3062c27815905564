//! A provider registry for tests (feature `test-support`): a small HTTP/1
//! server on `127.0.0.1` at a free port that speaks the provider registry
//! protocol for the releases published to it, zips made in memory, and
//! OpenPGP keys generated on the spot (with ring) to sign `SHA256SUMS`.
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

use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The user ID of the keys made here.
const USER_ID: &str = "Nimbus test registry <test@nimbus.invalid>";
/// The OID of Ed25519 (1.3.6.1.4.1.11591.15.1), DER value octets.
const ED25519_OID: [u8; 9] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

/// An OpenPGP key (Ed25519) that signs `SHA256SUMS` documents: a version 4
/// key of OpenPGP's EdDSA algorithm (22) over Ed25519, with one user ID and
/// its self-signature, written here with ring; GnuPG accepts the key and
/// its signatures.
#[derive(Clone)]
pub struct SigningKey {
    pair: Arc<Ed25519KeyPair>,
    /// The version 4 fingerprint (its last 8 octets: the key ID).
    fingerprint: [u8; 20],
    /// The public key, ASCII-armored.
    armored: String,
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("an Ed25519 key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("an Ed25519 key");
        let mut key = vec![4]; // version
        key.extend_from_slice(&now().to_be_bytes());
        key.push(22); // EdDSA
        key.push(ED25519_OID.len() as u8);
        key.extend_from_slice(&ED25519_OID);
        let mut point = vec![0x40]; // native point encoding follows
        point.extend_from_slice(pair.public_key().as_ref());
        key.extend_from_slice(&mpi(&point));
        let mut hashed = key_prefix(&key);
        let fingerprint = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &hashed)
            .as_ref()
            .try_into()
            .expect("20 octets");
        let mut signing = SigningKey {
            pair: Arc::new(pair),
            fingerprint,
            armored: String::new(),
        };
        // The positive certification (0x13) of the user ID: the key may
        // certify and sign (key flags 0x03).
        hashed.push(0xB4);
        hashed.extend_from_slice(&(USER_ID.len() as u32).to_be_bytes());
        hashed.extend_from_slice(USER_ID.as_bytes());
        let certification = signing.signature(0x13, &hashed, &[(27, &[0x03])]);
        let mut block = packet(6, &key);
        block.extend_from_slice(&packet(13, USER_ID.as_bytes()));
        block.extend_from_slice(&certification);
        signing.armored = armor("PGP PUBLIC KEY BLOCK", &block);
        signing
    }

    /// The public key, ASCII-armored (as `gpg_public_keys[].ascii_armor`).
    pub fn public_armor(&self) -> String {
        self.armored.clone()
    }

    /// A signature packet of type `sig_type` (SHA-256) over `data` (what
    /// precedes the signature's own fields in the hash), with hashed
    /// subpackets: creation time, `extra`, issuer fingerprint.
    fn signature(&self, sig_type: u8, data: &[u8], extra: &[(u8, &[u8])]) -> Vec<u8> {
        let mut subpackets = subpacket(2, &now().to_be_bytes());
        for (kind, value) in extra {
            subpackets.extend_from_slice(&subpacket(*kind, value));
        }
        let mut issuer = vec![4];
        issuer.extend_from_slice(&self.fingerprint);
        subpackets.extend_from_slice(&subpacket(33, &issuer));
        // Version, type, EdDSA, SHA-256, the hashed subpackets.
        let mut body = vec![4, sig_type, 22, 8];
        body.extend_from_slice(&(subpackets.len() as u16).to_be_bytes());
        body.extend_from_slice(&subpackets);
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(data);
        context.update(&body);
        context.update(&[4, 0xFF]);
        context.update(&(body.len() as u32).to_be_bytes());
        let digest = context.finish();
        // Unhashed: the issuer key ID, for older readers.
        let unhashed = subpacket(16, &self.fingerprint[12..]);
        body.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
        body.extend_from_slice(&unhashed);
        body.extend_from_slice(&digest.as_ref()[..2]);
        // EdDSA signs the digest; R and S as two integers.
        let signature = self.pair.sign(digest.as_ref());
        let (r, s) = signature.as_ref().split_at(32);
        body.extend_from_slice(&mpi(r));
        body.extend_from_slice(&mpi(s));
        packet(2, &body)
    }

    /// A binary detached signature of `data` (as registries serve it).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        self.signature(0x00, data, &[])
    }

    /// An ASCII-armored detached signature of `data`.
    pub fn sign_armored(&self, data: &[u8]) -> String {
        armor("PGP SIGNATURE", &self.sign(data))
    }

    /// A detached signature of `data` of type `sig_type` (0x01: text, its
    /// line ends taken as CR LF), with the hashed subpackets `extra`.
    #[cfg(test)]
    pub(crate) fn sign_with(&self, sig_type: u8, data: &[u8], extra: &[(u8, &[u8])]) -> Vec<u8> {
        if sig_type == 0x01 {
            let mut text = Vec::new();
            for (i, line) in data.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    text.extend_from_slice(b"\r\n");
                }
                text.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            }
            return self.signature(sig_type, &text, extra);
        }
        self.signature(sig_type, data, extra)
    }
}

/// Seconds since 1970, as OpenPGP times are.
fn now() -> u32 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    u32::try_from(seconds).expect("a time before 2106")
}

/// What a key contributes to the hash of a signature over it.
fn key_prefix(key: &[u8]) -> Vec<u8> {
    let mut out = vec![0x99];
    out.extend_from_slice(&(key.len() as u16).to_be_bytes());
    out.extend_from_slice(key);
    out
}

/// A multiprecision integer: bit count, then the octets without leading
/// zeros.
fn mpi(value: &[u8]) -> Vec<u8> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let value = &value[start..];
    let bits = match value.first() {
        Some(first) => value.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    };
    let mut out = (bits as u16).to_be_bytes().to_vec();
    out.extend_from_slice(value);
    out
}

/// A signature subpacket (short: under 191 octets).
fn subpacket(kind: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![(value.len() + 1) as u8, kind];
    out.extend_from_slice(value);
    out
}

/// A packet in the new format.
fn packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0 | tag];
    match body.len() {
        len @ 0..192 => out.push(len as u8),
        len @ 192..8384 => {
            let len = len - 192;
            out.extend_from_slice(&[(len >> 8) as u8 + 192, len as u8]);
        }
        len => {
            out.push(0xFF);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(body);
    out
}

/// ASCII armor: base64 lines of 64, the CRC-24 line. (The checksum is
/// computed here rather than taken from `openpgp`: `tests/install.rs`
/// compiles this file on its own, outside the crate.)
fn armor(label: &str, data: &[u8]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut out = format!("-----BEGIN {label}-----\n\n");
    let encoded = base64.encode(data);
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    let mut crc: u32 = 0x00B7_04CE;
    for &byte in data {
        crc ^= u32::from(byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    out.push('=');
    out.push_str(&base64.encode(&crc.to_be_bytes()[1..]));
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
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
