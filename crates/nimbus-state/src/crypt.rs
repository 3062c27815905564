//! Encryption at rest: one layer over every backend.
//!
//! Every stored value that can hold a secret is sealed with AES-256-GCM
//! (a random 96-bit nonce per value) before a backend sees it, and opened
//! after it reads it: resource attributes and provider-private bytes,
//! events' `before` and `after`, outputs' values and intents' details.
//! What lookups and ordering need (addresses, kinds, sequence numbers,
//! times, workspace names, the sensitive-paths list) stays plain.
//!
//! The layer is a [`Tx`] decorator ([`SealedTx`]) inside a [`Backend`]
//! decorator ([`Sealed`]): backends store and return the sealed values as
//! they do any other text, so SQLite, PostgreSQL and any later backend get
//! it without a line of their own. A sealed value stays valid JSON (a JSON
//! string, `"nimbus-enc:v1:<base64 of nonce and ciphertext>"`), so the
//! backends' own decoding reads it and this layer replaces it with what it
//! decrypts to.
//!
//! The key is derived from a passphrase with Argon2id and a random salt;
//! the store's `encryption` setting records the derivation's parameters,
//! the salt and a check value (a known constant sealed with the key), never
//! the key. A wrong passphrase is refused by the check value when the store
//! is opened, before anything is written.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backend::{
    self, Backend, Connection, EncodedResource, EventRecord, EventRow, Finish, IntentRecord,
    IntentRow, IntentState, RawResource, RestorePointRow, RunRecord, RunRow, StoredEvent, Tx, Work,
};
use crate::error::StateError;
use crate::types::{
    Compaction, Event, Intent, IntentId, LockInfo, OutputRecord, ResourceRecord, RestorePoint,
};

type Result<T> = std::result::Result<T, StateError>;

/// The environment variable that holds the state's passphrase.
pub const PASSPHRASE_VAR: &str = "NIMBUS_STATE_PASSPHRASE";
/// The environment variable that holds the previous passphrase while the
/// state is rotated to a new one ([`crate::Store::rekey`]).
pub const FALLBACK_VAR: &str = "NIMBUS_STATE_PASSPHRASE_FALLBACK";
/// The environment variable that, set to `enforced`, refuses to write an
/// unencrypted state.
pub const ENFORCED_VAR: &str = "NIMBUS_STATE_ENCRYPTION";

/// The store setting that describes the encryption.
const SETTING: &str = "encryption";
/// What a sealed value starts with.
const PREFIX: &str = "nimbus-enc:v1:";
/// The constant sealed as the check value.
const CHECK_PLAINTEXT: &[u8] = b"nimbus state encryption check";
/// Associated data of each kind of sealed value: a value is only opened
/// as what it was sealed as.
mod label {
    pub const CHECK: &[u8] = b"check";
    pub const ATTRIBUTES: &[u8] = b"resource.attributes";
    pub const PRIVATE: &[u8] = b"resource.private";
    pub const EVENT: &[u8] = b"event";
    pub const OUTPUT: &[u8] = b"output.value";
    pub const INTENT: &[u8] = b"intent.detail";
}

/// The most memory a stored key derivation may ask for (1 GiB).
const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;

/// A passphrase. Never printed (`Debug` hides it); wiped from memory when
/// dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(zeroize::Zeroizing<String>);

impl Passphrase {
    /// A passphrase; empty ones are refused.
    pub fn new(text: impl Into<String>) -> Result<Passphrase> {
        let text = text.into();
        if text.is_empty() {
            return Err(StateError::InvalidInput(
                "the state passphrase must not be empty".into(),
            ));
        }
        Ok(Passphrase(zeroize::Zeroizing::new(text)))
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// Where a key comes from. One source today; a key management service
/// (envelope encryption of a data key) joins as another variant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A passphrase, stretched with Argon2id and the store's salt.
    Passphrase(Passphrase),
}

/// How a store is encrypted, as the caller configures it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encryption {
    /// The key: reads and writes use it.
    pub key: Option<KeySource>,
    /// The previous key, while rotating: a store still sealed with it is
    /// read (and written) with it until [`crate::Store::rekey`].
    pub fallback: Option<KeySource>,
    /// Refuse to write an unencrypted state.
    pub enforced: bool,
    /// Open an unencrypted state that holds data although a key is given
    /// (otherwise refused): for [`crate::Store::rekey`], which encrypts it.
    pub migrating: bool,
}

/// Argon2id parameters and salt, as recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    name: String,
    /// Memory, KiB.
    m_kib: u32,
    /// Passes.
    t: u32,
    /// Lanes.
    p: u32,
    /// Base64.
    salt: String,
}

/// The `encryption` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Recorded {
    version: u32,
    cipher: String,
    key_source: String,
    kdf: Kdf,
    /// [`CHECK_PLAINTEXT`] sealed with the key.
    check: String,
}

impl Kdf {
    /// OWASP's recommended Argon2id parameters (19 MiB, 2 passes, 1 lane)
    /// with a fresh 16-byte salt.
    fn fresh() -> Kdf {
        use aes_gcm::aead::rand_core::RngCore;
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        Kdf {
            name: "argon2id".into(),
            m_kib: 19 * 1024,
            t: 2,
            p: 1,
            salt: B64.encode(salt),
        }
    }

    fn derive(&self, source: &KeySource) -> Result<Key256> {
        let KeySource::Passphrase(Passphrase(text)) = source;
        if self.name != "argon2id" {
            return Err(StateError::Encryption(format!(
                "the state's key derivation {:?} is not supported by this nimbus",
                self.name
            )));
        }
        // The parameters come from the store: bounded, so that a damaged
        // or hostile setting cannot make the derivation take all memory.
        if self.m_kib > MAX_KDF_MEMORY_KIB || self.t > 64 || self.p > 16 {
            return Err(StateError::corrupt(format!(
                "the encryption setting's key derivation parameters are out of range (m={} KiB, t={}, p={})",
                self.m_kib, self.t, self.p
            )));
        }
        let salt = B64
            .decode(&self.salt)
            .map_err(|e| StateError::corrupt(format!("the encryption setting's salt: {e}")))?;
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| StateError::corrupt(format!("the encryption setting: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(text.as_bytes(), &salt, key.as_mut_slice())
            .map_err(|e| StateError::Encryption(format!("deriving the state key: {e}")))?;
        Ok(Key256(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(
            key.as_slice(),
        ))))
    }
}

/// A derived key, ready to seal and open.
#[derive(Clone)]
pub(crate) struct Key256(Aes256Gcm);

impl Key256 {
    fn seal_raw(&self, aad: &[u8], plaintext: &[u8]) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| StateError::Encryption("encryption failed".into()))?;
        let mut bytes = Vec::with_capacity(nonce.len() + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", B64.encode(bytes)))
    }

    /// `None` when this key does not open the value.
    fn open_raw(&self, aad: &[u8], sealed: &str) -> Result<Option<Vec<u8>>> {
        let body = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| StateError::Encryption("a stored value is not encrypted".into()))?;
        let bytes = B64
            .decode(body)
            .map_err(|e| StateError::Encryption(format!("a stored value is malformed: {e}")))?;
        if bytes.len() < 12 + 16 {
            return Err(StateError::Encryption(
                "a stored value is malformed: too short".into(),
            ));
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        Ok(self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok())
    }
}

/// The keys a store is opened with: values are sealed with `write`;
/// opening tries each of `read` in turn.
#[derive(Clone)]
pub(crate) struct Keyring {
    write: Key256,
    read: Vec<Key256>,
    /// The setting as it was when the keys were checked against it.
    recorded: String,
}

impl Keyring {
    fn single(key: Key256, recorded: String) -> Keyring {
        Keyring {
            read: vec![key.clone()],
            write: key,
            recorded,
        }
    }

    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String> {
        self.write.seal_raw(aad, plaintext)
    }

    fn open(&self, aad: &[u8], sealed: &str) -> Result<Vec<u8>> {
        for key in &self.read {
            if let Some(plain) = key.open_raw(aad, sealed)? {
                return Ok(plain);
            }
        }
        Err(StateError::Encryption(format!(
            "a stored {} does not decrypt with the state's key: it was changed, or written with another key",
            String::from_utf8_lossy(aad)
        )))
    }

    /// A JSON text sealed into a JSON string.
    fn seal_json(&self, aad: &[u8], json: &str) -> Result<String> {
        Ok(format!("\"{}\"", self.seal(aad, json.as_bytes())?))
    }

    /// The JSON text inside a sealed JSON string.
    fn open_json(&self, aad: &[u8], stored: &str) -> Result<String> {
        let inner = stored
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .ok_or_else(|| StateError::Encryption("a stored value is not encrypted".into()))?;
        String::from_utf8(self.open(aad, inner)?)
            .map_err(|e| StateError::Encryption(format!("a decrypted value: {e}")))
    }

    fn seal_value(&self, aad: &[u8], value: &Value) -> Result<Value> {
        let json =
            serde_json::to_string(value).map_err(|e| StateError::InvalidInput(e.to_string()))?;
        Ok(Value::String(self.seal(aad, json.as_bytes())?))
    }

    fn open_value(&self, aad: &[u8], stored: Value) -> Result<Value> {
        let Value::String(sealed) = stored else {
            return Err(StateError::Encryption(
                "a stored value is not encrypted".into(),
            ));
        };
        serde_json::from_slice(&self.open(aad, &sealed)?)
            .map_err(|e| StateError::corrupt(format!("a decrypted value: {e}")))
    }

    fn seal_opt(&self, aad: &[u8], json: Option<&str>) -> Result<Option<String>> {
        json.map(|j| self.seal_json(aad, j)).transpose()
    }

    fn open_opt(&self, aad: &[u8], stored: Option<String>) -> Result<Option<String>> {
        stored.map(|s| self.open_json(aad, &s)).transpose()
    }

    fn open_value_opt(&self, aad: &[u8], stored: Option<Value>) -> Result<Option<Value>> {
        stored.map(|v| self.open_value(aad, v)).transpose()
    }

    fn seal_row(&self, row: &RawResource) -> Result<RawResource> {
        let mut sealed = row.clone();
        sealed.attributes = self.seal_json(label::ATTRIBUTES, &row.attributes)?;
        sealed.private = self.seal(label::PRIVATE, &row.private)?.into_bytes();
        Ok(sealed)
    }

    fn open_private(&self, stored: &[u8]) -> Result<Vec<u8>> {
        let text = std::str::from_utf8(stored)
            .map_err(|_| StateError::Encryption("a stored value is not encrypted".into()))?;
        self.open(label::PRIVATE, text)
    }

    fn open_row(&self, mut row: RawResource) -> Result<RawResource> {
        row.attributes = self.open_json(label::ATTRIBUTES, &row.attributes)?;
        row.private = self.open_private(&row.private)?;
        Ok(row)
    }
}

/// The check value: does `key` open the recorded one?
fn key_matches(key: &Key256, recorded: &Recorded) -> Result<bool> {
    Ok(key
        .open_raw(label::CHECK, &recorded.check)?
        .is_some_and(|plain| plain == CHECK_PLAINTEXT))
}

fn parse_recorded(text: &str) -> Result<Recorded> {
    let recorded: Recorded = serde_json::from_str(text)
        .map_err(|e| StateError::corrupt(format!("the encryption setting: {e}")))?;
    if recorded.version != 1 || recorded.cipher != "aes-256-gcm" {
        return Err(StateError::Encryption(format!(
            "the state is encrypted with {} (version {}), which this nimbus does not read",
            recorded.cipher, recorded.version
        )));
    }
    Ok(recorded)
}

/// A fresh setting (new salt) for `source`, with its key.
fn fresh_setting(source: &KeySource) -> Result<(String, Key256)> {
    let kdf = Kdf::fresh();
    let key = kdf.derive(source)?;
    let recorded = Recorded {
        version: 1,
        cipher: "aes-256-gcm".into(),
        key_source: "passphrase".into(),
        check: key.seal_raw(label::CHECK, CHECK_PLAINTEXT)?,
        kdf,
    };
    let text = serde_json::to_string(&recorded).map_err(|e| StateError::corrupt(e.to_string()))?;
    Ok((text, key))
}

/// Whether any workspace has an event.
fn has_data(tx: &mut dyn Tx) -> Result<bool> {
    for (ws, _) in tx.list_workspaces()? {
        if tx.head_seq(&ws)? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The keys among `config`'s that open the store whose setting is `text`.
fn keys_for(text: String, config: &Encryption) -> Result<Keyring> {
    let recorded = parse_recorded(&text)?;
    if config.key.is_none() && config.fallback.is_none() {
        return Err(StateError::PassphraseRequired);
    }
    for source in [&config.key, &config.fallback].into_iter().flatten() {
        let key = recorded.kdf.derive(source)?;
        if key_matches(&key, &recorded)? {
            return Ok(Keyring::single(key, text));
        }
    }
    Err(StateError::WrongPassphrase)
}

/// The keys that open the store `tx` belongs to (`None`: it is not
/// encrypted), for readers below the [`Store`](crate::Store) (the check).
pub(crate) fn keys_in(tx: &mut dyn Tx, config: &Encryption) -> Result<Option<Keyring>> {
    tx.setting(SETTING)?
        .map(|text| keys_for(text, config))
        .transpose()
}

/// Runs `f` on `tx` through `keys`, or on `tx` itself without.
pub(crate) fn through<T>(
    tx: &mut dyn Tx,
    keys: Option<&Keyring>,
    f: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    match keys {
        Some(keys) => f(&mut SealedTx { inner: tx, keys }),
        None => f(tx),
    }
}

/// What an opened store is: unencrypted, or the keys that open it.
pub(crate) fn establish(
    backend: &dyn Backend,
    config: &Encryption,
    writable: bool,
) -> Result<Option<Keyring>> {
    let (setting, data) = backend::read(backend, |tx| Ok((tx.setting(SETTING)?, has_data(tx)?)))?;
    if let Some(text) = setting {
        return keys_for(text, config).map(Some);
    }
    let Some(source) = &config.key else {
        if config.enforced && writable {
            return Err(StateError::EncryptionEnforced);
        }
        return Ok(None);
    };
    if data {
        if config.migrating {
            return Ok(None);
        }
        return Err(StateError::NotEncrypted);
    }
    if !writable {
        return Ok(None);
    }
    // A new, empty store: it is encrypted from its first write on.
    let (text, key) = fresh_setting(source)?;
    let recorded = backend::write(backend, |tx| {
        tx.init_setting(SETTING, &text)?;
        tx.setting(SETTING)
    })?;
    match recorded {
        Some(recorded) if recorded == text => Ok(Some(Keyring::single(key, text))),
        // Another process initialised it first: our keys must open its.
        Some(recorded) => keys_for(recorded, config).map(Some),
        None => Err(StateError::corrupt("the encryption setting vanished")),
    }
}

/// What [`crate::Store::rekey`] re-encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Resource rows.
    pub resources: u64,
    /// Outputs.
    pub outputs: u64,
    /// Events.
    pub events: u64,
    /// Intents, open or closed.
    pub intents: u64,
}

/// Events re-encrypted per page.
const REKEY_PAGE: usize = 1024;

/// Re-encrypts every sealed value of every workspace from `old` (`None`:
/// an unencrypted store) to the new key of `new_setting` (a fresh salt,
/// from [`prepare_rekey`]), and records that setting, in the transaction
/// `tx`. Returns the new keys.
pub(crate) fn rekey(
    tx: &mut dyn Tx,
    old: Option<&Keyring>,
    new_setting: (String, Key256),
) -> Result<(Keyring, RekeyReport)> {
    let current = tx.setting(SETTING)?;
    if current.as_deref() != old.map(|k| k.recorded.as_str()) {
        return Err(StateError::Encryption(
            "the state's encryption changed while it was being re-encrypted; run the command again"
                .into(),
        ));
    }
    let (text, key) = new_setting;
    let new = Keyring::single(key, text.clone());
    let mut report = RekeyReport::default();
    // Reads through the old keys, writes through the new ones: one
    // decorator at a time over the same transaction.
    for (ws, _) in tx.list_workspaces()? {
        let addresses: Vec<String> = through(tx, old, |r| r.load_resources(&ws))?
            .into_iter()
            .map(|r| r.address)
            .collect();
        for address in addresses {
            let Some(raw) = through(tx, old, |r| r.fetch_resource(&ws, &address))? else {
                continue;
            };
            SealedTx {
                inner: &mut *tx,
                keys: &new,
            }
            .put_resource(&ws, &EncodedResource::stored_row(raw))?;
            report.resources += 1;
        }
        for output in through(tx, old, |r| r.load_outputs(&ws))? {
            SealedTx {
                inner: &mut *tx,
                keys: &new,
            }
            .put_output(&ws, &output)?;
            report.outputs += 1;
        }
        let head = tx.head_seq(&ws)?;
        let mut after = 0;
        loop {
            let page = through(tx, old, |r| r.events_page(&ws, after, head, REKEY_PAGE))?;
            for ev in &page {
                SealedTx {
                    inner: &mut *tx,
                    keys: &new,
                }
                .set_event_payload(
                    ev.seq,
                    ev.before.as_deref(),
                    ev.after.as_deref(),
                )?;
                after = ev.seq;
                report.events += 1;
            }
            if page.len() < REKEY_PAGE {
                break;
            }
        }
        for (id, detail) in through(tx, old, |r| r.intent_details(&ws))? {
            SealedTx {
                inner: &mut *tx,
                keys: &new,
            }
            .set_intent_detail(id, &detail)?;
            report.intents += 1;
        }
    }
    tx.set_setting(SETTING, &text)?;
    Ok((new, report))
}

/// A fresh setting and key for [`rekey`], derived before its transaction
/// opens (the derivation is deliberately slow).
pub(crate) fn prepare_rekey(config: &Encryption) -> Result<(String, Key256)> {
    let source = config.key.as_ref().ok_or(StateError::PassphraseRequired)?;
    fresh_setting(source)
}

// ----- the decorators ------------------------------------------------------------

/// A backend whose values are sealed: with no keys (an unencrypted store)
/// it passes every transaction through as it is.
pub(crate) struct Sealed {
    pub inner: Arc<dyn Backend>,
    pub keys: RwLock<Option<Arc<Keyring>>>,
}

impl Sealed {
    pub(crate) fn keys(&self) -> Option<Arc<Keyring>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_keys(&self, keys: Option<Keyring>) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys.map(Arc::new);
    }
}

fn run_sealed(
    keys: Option<&Keyring>,
    tx: &mut dyn Tx,
    work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>,
) -> Result<Finish> {
    match keys {
        Some(keys) => work(&mut SealedTx { inner: tx, keys }),
        None => work(tx),
    }
}

impl Backend for Sealed {
    fn read(&self, work: &mut Work<'_>) -> Result<()> {
        let keys = self.keys();
        self.inner.read(&mut |tx| match keys.as_deref() {
            Some(keys) => work(&mut SealedTx { inner: tx, keys }),
            None => work(tx),
        })
    }

    fn write(&self, work: &mut Work<'_>) -> Result<()> {
        let keys = self.keys();
        self.inner.write(&mut |tx| match keys.as_deref() {
            Some(keys) => work(&mut SealedTx { inner: tx, keys }),
            None => work(tx),
        })
    }

    fn connect(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SealedConnection {
            inner: self.inner.connect()?,
            keys: self.keys(),
        }))
    }

    fn location(&self) -> String {
        self.inner.location()
    }

    fn is_stale(&self, holder: &LockInfo) -> bool {
        self.inner.is_stale(holder)
    }

    fn lock_lease(&self) -> Option<Duration> {
        self.inner.lock_lease()
    }
}

struct SealedConnection {
    inner: Box<dyn Connection>,
    keys: Option<Arc<Keyring>>,
}

impl Connection for SealedConnection {
    fn write(&mut self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<Finish>) -> Result<Finish> {
        let keys = self.keys.clone();
        self.inner
            .write(&mut |tx| run_sealed(keys.as_deref(), tx, work))
    }
}

/// Records opened per thread at least: below that, one thread does it all.
const OPEN_CHUNK: usize = 512;

/// `open` applied to every item, in order: a large workspace's listing
/// (decrypting and parsing each object's attributes) on several threads,
/// as the backends decode it.
fn open_all<T: Send>(items: Vec<T>, open: impl Fn(T) -> Result<T> + Sync) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || items.len() < 2 * OPEN_CHUNK {
        return items.into_iter().map(open).collect();
    }
    let per_thread = items.len().div_ceil(threads).max(OPEN_CHUNK);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<T> = items.by_ref().take(per_thread).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let open = &open;
    let opened: Vec<Result<Vec<T>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(open).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(StateError::corrupt("a decrypting thread failed")))
            })
            .collect()
    });
    let mut out = Vec::new();
    for chunk in opened {
        out.extend(chunk?);
    }
    Ok(out)
}

/// [`Tx`] that seals what it writes and opens what it reads.
pub(crate) struct SealedTx<'t, 'k> {
    pub inner: &'t mut dyn Tx,
    pub keys: &'k Keyring,
}

impl Tx for SealedTx<'_, '_> {
    fn append_event(&mut self, event: &EventRow<'_>) -> Result<u64> {
        let before = self.keys.seal_opt(label::EVENT, event.before)?;
        let after = self.keys.seal_opt(label::EVENT, event.after)?;
        self.inner.append_event(&EventRow {
            before: before.as_deref(),
            after: after.as_deref(),
            ..*event
        })
    }

    fn head_seq(&mut self, workspace: &str) -> Result<u64> {
        self.inner.head_seq(workspace)
    }

    fn events_page(
        &mut self,
        workspace: &str,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>> {
        self.inner
            .events_page(workspace, after, upto, limit)?
            .into_iter()
            .map(|mut ev| {
                ev.before = self.keys.open_opt(label::EVENT, ev.before)?;
                ev.after = self.keys.open_opt(label::EVENT, ev.after)?;
                Ok(ev)
            })
            .collect()
    }

    fn set_event_payload(
        &mut self,
        seq: u64,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<()> {
        let before = self.keys.seal_opt(label::EVENT, before)?;
        let after = self.keys.seal_opt(label::EVENT, after)?;
        self.inner
            .set_event_payload(seq, before.as_deref(), after.as_deref())
    }

    fn history(
        &mut self,
        workspace: &str,
        address: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Event>> {
        self.inner
            .history(workspace, address, limit)?
            .into_iter()
            .map(|mut ev| {
                ev.before = self.keys.open_value_opt(label::EVENT, ev.before)?;
                ev.after = self.keys.open_value_opt(label::EVENT, ev.after)?;
                Ok(ev)
            })
            .collect()
    }

    fn fetch_resource(&mut self, workspace: &str, address: &str) -> Result<Option<RawResource>> {
        self.inner
            .fetch_resource(workspace, address)?
            .map(|row| self.keys.open_row(row))
            .transpose()
    }

    fn resource_exists(&mut self, workspace: &str, address: &str) -> Result<bool> {
        self.inner.resource_exists(workspace, address)
    }

    fn addresses_within(&mut self, workspace: &str, prefix: &str) -> Result<Vec<String>> {
        self.inner.addresses_within(workspace, prefix)
    }

    fn put_resource(&mut self, workspace: &str, resource: &EncodedResource) -> Result<()> {
        let sealed = EncodedResource::stored_row(self.keys.seal_row(resource.row())?);
        self.inner.put_resource(workspace, &sealed)
    }

    fn delete_resource(&mut self, workspace: &str, address: &str) -> Result<bool> {
        self.inner.delete_resource(workspace, address)
    }

    fn rename_resource(&mut self, workspace: &str, from: &str, to: &str) -> Result<bool> {
        self.inner.rename_resource(workspace, from, to)
    }

    fn load_resources(&mut self, workspace: &str) -> Result<Vec<ResourceRecord>> {
        let keys = self.keys;
        open_all(self.inner.load_resources(workspace)?, |mut r| {
            r.attributes = keys.open_value(label::ATTRIBUTES, r.attributes)?;
            r.private = keys.open_private(&r.private)?;
            Ok(r)
        })
    }

    fn count_resources(&mut self, workspace: &str) -> Result<u64> {
        self.inner.count_resources(workspace)
    }

    fn clear_projection(&mut self, workspace: &str) -> Result<()> {
        self.inner.clear_projection(workspace)
    }

    fn load_outputs(&mut self, workspace: &str) -> Result<Vec<OutputRecord>> {
        self.inner
            .load_outputs(workspace)?
            .into_iter()
            .map(|mut o| {
                o.value = self.keys.open_value(label::OUTPUT, o.value)?;
                Ok(o)
            })
            .collect()
    }

    fn put_output(&mut self, workspace: &str, output: &OutputRecord) -> Result<()> {
        let sealed = OutputRecord {
            value: self.keys.seal_value(label::OUTPUT, &output.value)?,
            ..output.clone()
        };
        self.inner.put_output(workspace, &sealed)
    }

    fn delete_output(&mut self, workspace: &str, name: &str) -> Result<()> {
        self.inner.delete_output(workspace, name)
    }

    fn insert_intent(&mut self, intent: &IntentRow<'_>) -> Result<IntentId> {
        let detail = self.keys.seal_json(label::INTENT, intent.detail)?;
        self.inner.insert_intent(&IntentRow {
            detail: &detail,
            ..*intent
        })
    }

    fn intent_state(&mut self, id: IntentId) -> Result<Option<IntentState>> {
        self.inner.intent_state(id)
    }

    fn close_intent(
        &mut self,
        id: IntentId,
        closed_at: &str,
        resolution: &str,
        closed_seq: u64,
    ) -> Result<()> {
        self.inner
            .close_intent(id, closed_at, resolution, closed_seq)
    }

    fn open_intents(&mut self, workspace: &str) -> Result<Vec<Intent>> {
        self.inner
            .open_intents(workspace)?
            .into_iter()
            .map(|mut i| {
                i.detail = self.keys.open_value(label::INTENT, i.detail)?;
                Ok(i)
            })
            .collect()
    }

    fn count_open_intents(&mut self, workspace: &str) -> Result<u64> {
        self.inner.count_open_intents(workspace)
    }

    fn intent_details(&mut self, workspace: &str) -> Result<Vec<(IntentId, String)>> {
        self.inner
            .intent_details(workspace)?
            .into_iter()
            .map(|(id, d)| Ok((id, self.keys.open_json(label::INTENT, &d)?)))
            .collect()
    }

    fn set_intent_detail(&mut self, id: IntentId, detail: &str) -> Result<()> {
        let sealed = self.keys.seal_json(label::INTENT, detail)?;
        self.inner.set_intent_detail(id, &sealed)
    }

    // A copy (`Store::copy_into`) reads through the source's layer and
    // writes through the destination's: values are opened with one key
    // and sealed with the other, so a state moves between backends (and
    // passphrases) with every value readable on arrival.

    fn events_after(
        &mut self,
        workspace: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>> {
        self.inner
            .events_after(workspace, after, limit)?
            .into_iter()
            .map(|mut ev| {
                ev.before = self.keys.open_opt(label::EVENT, ev.before)?;
                ev.after = self.keys.open_opt(label::EVENT, ev.after)?;
                Ok(ev)
            })
            .collect()
    }

    fn insert_event(&mut self, event: &EventRecord) -> Result<()> {
        let sealed = EventRecord {
            before: self.keys.seal_opt(label::EVENT, event.before.as_deref())?,
            after: self.keys.seal_opt(label::EVENT, event.after.as_deref())?,
            ..event.clone()
        };
        self.inner.insert_event(&sealed)
    }

    fn runs_of(&mut self, workspace: &str) -> Result<Vec<RunRecord>> {
        self.inner.runs_of(workspace)
    }

    fn insert_run_record(&mut self, run: &RunRecord) -> Result<()> {
        self.inner.insert_run_record(run)
    }

    fn intents_of(&mut self, workspace: &str) -> Result<Vec<IntentRecord>> {
        self.inner
            .intents_of(workspace)?
            .into_iter()
            .map(|mut i| {
                i.detail = self.keys.open_json(label::INTENT, &i.detail)?;
                Ok(i)
            })
            .collect()
    }

    fn insert_intent_record(&mut self, intent: &IntentRecord) -> Result<()> {
        let sealed = IntentRecord {
            detail: self.keys.seal_json(label::INTENT, &intent.detail)?,
            ..intent.clone()
        };
        self.inner.insert_intent_record(&sealed)
    }

    fn insert_restore_point_with_id(&mut self, id: u64, point: &RestorePointRow<'_>) -> Result<()> {
        self.inner.insert_restore_point_with_id(id, point)
    }

    fn workspace_created_at(&mut self, name: &str) -> Result<Option<String>> {
        self.inner.workspace_created_at(name)
    }

    /// The state's settings without this layer's own (its salt and check
    /// value belong to the key of this store, not to the state a copy
    /// carries elsewhere).
    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        let mut all = self.inner.settings()?;
        all.retain(|(key, _)| key != SETTING);
        Ok(all)
    }

    fn delete_setting(&mut self, key: &str) -> Result<()> {
        if key == SETTING {
            return Ok(());
        }
        self.inner.delete_setting(key)
    }

    fn counter(&mut self, name: &str) -> Result<u64> {
        self.inner.counter(name)
    }

    fn advance_counter(&mut self, name: &str, past: u64) -> Result<()> {
        self.inner.advance_counter(name, past)
    }

    fn run_exists(&mut self, run_id: &str) -> Result<bool> {
        self.inner.run_exists(run_id)
    }

    // Compaction writes its snapshot through `insert_event`, sealed above;
    // what it deletes or counts holds nothing secret.

    fn compaction(&mut self, workspace: &str) -> Result<Option<Compaction>> {
        self.inner.compaction(workspace)
    }

    fn set_compaction(&mut self, workspace: &str, compaction: &Compaction) -> Result<()> {
        self.inner.set_compaction(workspace, compaction)
    }

    fn delete_events_upto(&mut self, workspace: &str, upto: u64) -> Result<u64> {
        self.inner.delete_events_upto(workspace, upto)
    }

    fn delete_runs_upto(&mut self, workspace: &str, upto: u64) -> Result<u64> {
        self.inner.delete_runs_upto(workspace, upto)
    }

    fn delete_closed_intents_upto(&mut self, workspace: &str, upto: u64) -> Result<u64> {
        self.inner.delete_closed_intents_upto(workspace, upto)
    }

    fn delete_restore_point(&mut self, id: u64) -> Result<()> {
        self.inner.delete_restore_point(id)
    }

    fn oldest_open_intent_seq(&mut self, workspace: &str) -> Result<Option<u64>> {
        self.inner.oldest_open_intent_seq(workspace)
    }

    fn insert_run(&mut self, run: &RunRow<'_>) -> Result<bool> {
        self.inner.insert_run(run)
    }

    fn finish_run(
        &mut self,
        run_id: &str,
        finished_at: &str,
        status: &str,
        end_seq: u64,
    ) -> Result<()> {
        self.inner.finish_run(run_id, finished_at, status, end_seq)
    }

    fn insert_restore_point(&mut self, point: &RestorePointRow<'_>) -> Result<()> {
        self.inner.insert_restore_point(point)
    }

    fn restore_points(&mut self, workspace: &str) -> Result<Vec<RestorePoint>> {
        self.inner.restore_points(workspace)
    }

    fn workspace_exists(&mut self, name: &str) -> Result<bool> {
        self.inner.workspace_exists(name)
    }

    fn insert_workspace(&mut self, name: &str, created_at: &str) -> Result<bool> {
        self.inner.insert_workspace(name, created_at)
    }

    fn list_workspaces(&mut self) -> Result<Vec<(String, u64)>> {
        self.inner.list_workspaces()
    }

    fn delete_workspace(&mut self, name: &str) -> Result<()> {
        self.inner.delete_workspace(name)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        self.inner.setting(key)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.inner.set_setting(key, value)
    }

    fn init_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.inner.init_setting(key, value)
    }

    fn lock(&mut self, workspace: &str) -> Result<Option<LockInfo>> {
        self.inner.lock(workspace)
    }

    fn insert_lock(&mut self, workspace: &str, lock: &LockInfo) -> Result<()> {
        self.inner.insert_lock(workspace, lock)
    }

    fn delete_lock(&mut self, workspace: &str, id: &str) -> Result<bool> {
        self.inner.delete_lock(workspace, id)
    }

    fn renew_lock(&mut self, workspace: &str, id: &str, lease: Duration) -> Result<bool> {
        self.inner.renew_lock(workspace, id, lease)
    }

    fn savepoint(&mut self) -> Result<()> {
        self.inner.savepoint()
    }

    fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.inner.rollback_to_savepoint()
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.inner.release_savepoint()
    }
}

// ----- saved plans ------------------------------------------------------------------

/// Seals bytes that belong with the state (a saved plan) with the state's
/// key, binding `aad`: they open only with the same key and the same `aad`.
pub(crate) fn seal_blob(keys: &Keyring, aad: &[u8], plaintext: &[u8]) -> Result<String> {
    keys.seal(aad, plaintext)
}

/// Opens what [`seal_blob`] sealed.
pub(crate) fn open_blob(keys: &Keyring, aad: &[u8], sealed: &str) -> Result<Vec<u8>> {
    keys.open(aad, sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pass: &str) -> Keyring {
        let source = KeySource::Passphrase(Passphrase::new(pass).expect("passphrase"));
        let (text, key) = fresh_setting(&source).expect("setting");
        Keyring::single(key, text)
    }

    #[test]
    fn values_round_trip_and_bind_their_label() {
        let k = keys("correct horse");
        let sealed = k
            .seal_json(label::ATTRIBUTES, r#"{"pw":"hunter2"}"#)
            .expect("seal");
        assert!(!sealed.contains("hunter2"));
        assert!(
            serde_json::from_str::<Value>(&sealed).is_ok(),
            "sealed values stay JSON"
        );
        assert_eq!(
            k.open_json(label::ATTRIBUTES, &sealed).expect("open"),
            r#"{"pw":"hunter2"}"#
        );
        assert!(matches!(
            k.open_json(label::OUTPUT, &sealed),
            Err(StateError::Encryption(_))
        ));
        // A fresh nonce each time.
        assert_ne!(
            sealed,
            k.seal_json(label::ATTRIBUTES, r#"{"pw":"hunter2"}"#)
                .expect("seal")
        );
        let other = keys("battery staple");
        assert!(other.open_json(label::ATTRIBUTES, &sealed).is_err());
        assert!(k.open_json(label::ATTRIBUTES, "\"plain\"").is_err());
    }

    #[test]
    fn opening_many_values_keeps_their_order_and_reports_a_failure() {
        let k = keys("many");
        let n = OPEN_CHUNK * 5 + 3;
        let sealed: Vec<Value> = (0..n)
            .map(|i| k.seal_value(label::OUTPUT, &Value::from(i)).expect("seal"))
            .collect();
        let opened = open_all(sealed.clone(), |v| k.open_value(label::OUTPUT, v)).expect("open");
        assert_eq!(opened, (0..n).map(Value::from).collect::<Vec<_>>());
        let mut broken = sealed;
        broken[n - 2] = Value::String("plain".into());
        assert!(matches!(
            open_all(broken, |v| k.open_value(label::OUTPUT, v)),
            Err(StateError::Encryption(_))
        ));
    }

    #[test]
    fn stored_derivation_parameters_are_bounded() {
        let source = KeySource::Passphrase(Passphrase::new("p").expect("passphrase"));
        let mut kdf = Kdf::fresh();
        kdf.m_kib = u32::MAX;
        assert!(matches!(kdf.derive(&source), Err(StateError::Corrupt(_))));
        let mut kdf = Kdf::fresh();
        kdf.name = "scrypt".into();
        assert!(matches!(
            kdf.derive(&source),
            Err(StateError::Encryption(_))
        ));
    }

    #[test]
    fn passphrases_do_not_print() {
        let p = Passphrase::new("s3cret").expect("passphrase");
        assert!(!format!("{:?}", KeySource::Passphrase(p)).contains("s3cret"));
        assert!(Passphrase::new("").is_err());
    }
}
