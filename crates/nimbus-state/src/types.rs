//! The public data types: records, events, intents, locks, restore points.
//!
//! Records derive serde so the event log can store them as JSON: an event's
//! `after` for a resource is exactly the serialised [`ResourceRecord`], which
//! is what lets [`crate::Store::rebuild`] replay the log without loss.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether a resource instance is usable or must be replaced on the next apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    /// Created successfully.
    #[default]
    Ready,
    /// Creation was incomplete or the user asked for replacement.
    Tainted,
}

impl ResourceStatus {
    /// The stored spelling (`"ready"`, `"tainted"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Ready => "ready",
            ResourceStatus::Tainted => "tainted",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "ready" => Some(ResourceStatus::Ready),
            "tainted" => Some(ResourceStatus::Tainted),
            _ => None,
        }
    }
}

/// One resource instance as recorded in state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// Full instance address, e.g. `module.net.aws_subnet.a["x"]`.
    pub address: String,
    /// Resource type, e.g. `aws_subnet`.
    pub resource_type: String,
    /// Provider that manages it.
    pub provider: String,
    /// Attribute values as reported by the provider.
    pub attributes: Value,
    /// Names of top-level attributes whose values are sensitive.
    #[serde(default)]
    pub sensitive_attributes: Vec<String>,
    /// Opaque provider-private bytes (stored hex-encoded in the event log).
    #[serde(default, with = "hex_bytes")]
    pub private: Vec<u8>,
    /// Version of the provider's schema the attributes follow.
    #[serde(default)]
    pub schema_version: u64,
    /// Addresses this instance depends on.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Ready or tainted.
    #[serde(default)]
    pub status: ResourceStatus,
    /// Id of the run that last changed it (set by the caller; stored as given).
    #[serde(default)]
    pub last_run: Option<String>,
}

impl ResourceRecord {
    /// A ready record with no sensitive attributes, private data or dependencies.
    pub fn new(
        address: impl Into<String>,
        resource_type: impl Into<String>,
        provider: impl Into<String>,
        attributes: Value,
    ) -> Self {
        ResourceRecord {
            address: address.into(),
            resource_type: resource_type.into(),
            provider: provider.into(),
            attributes,
            sensitive_attributes: Vec::new(),
            private: Vec::new(),
            schema_version: 0,
            dependencies: Vec::new(),
            status: ResourceStatus::Ready,
            last_run: None,
        }
    }
}

/// A root module output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Output name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Whether the value must be hidden in human-facing output.
    #[serde(default)]
    pub sensitive: bool,
    /// The value's type as Terraform recorded it (its cty type JSON, e.g.
    /// `["map","string"]`), for an output adopted from a Terraform state:
    /// Terraform types values statically, and a map typed `map(string)`
    /// cannot be told from an object by its value. Kept while the value
    /// stays the same (see `set_outputs`); `None` when Nimbus made the
    /// value, whose type is then read from the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform_type: Option<Value>,
}

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Global, strictly increasing sequence number.
    pub seq: u64,
    /// Workspace the event belongs to.
    pub workspace: String,
    /// RFC 3339 UTC timestamp.
    pub time: String,
    /// Run that recorded it.
    pub run_id: String,
    /// What caused it: the run's cause (e.g. a plan id), or `event:<seq>` for
    /// the intent event a completion closes.
    pub cause: Option<String>,
    /// User that ran nimbus.
    pub user: String,
    /// Host nimbus ran on.
    pub host: String,
    /// Operation of the run, e.g. `apply`, `destroy`, `state rm`.
    pub operation: String,
    /// Kind of change: `resource.create`, `resource.update`, `resource.replace`,
    /// `resource.import`, `resource.delete`, `resource.move`, `resource.failed`,
    /// `intent.record`, `intent.resolve`, `output.set`, `output.delete`,
    /// `state.restore`, `policy.override` (informational: its `after`
    /// holds the rule and the reason).
    pub kind: String,
    /// Resource address concerned (the new address for a move).
    pub address: Option<String>,
    /// Value before the change (a resource record, an output, ...).
    pub before: Option<Value>,
    /// Value after the change.
    pub after: Option<Value>,
}

/// A workspace and its size, for `workspace list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceInfo {
    /// Workspace name.
    pub name: String,
    /// Number of resource instances in it.
    pub resource_count: u64,
    /// Whether it is the selected workspace.
    pub is_current: bool,
}

/// What a run is, given to [`crate::Store::begin_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// Unique id of the run.
    pub run_id: String,
    /// Operation, e.g. `apply`, `destroy`, `refresh`, `import`.
    pub operation: String,
    /// What caused the run, typically the id of the plan being applied.
    pub cause: Option<String>,
}

impl RunInfo {
    /// A run with a fresh time-ordered UUID and no cause.
    pub fn new(operation: impl Into<String>) -> Self {
        RunInfo {
            run_id: uuid::Uuid::now_v7().to_string(),
            operation: operation.into(),
            cause: None,
        }
    }
}

/// How a run ended, given to [`crate::Recorder::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Every change succeeded.
    Succeeded,
    /// At least one change failed or the run was interrupted.
    Failed,
}

impl RunStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }
}

/// Identifier of a write-ahead intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IntentId(pub u64);

impl fmt::Display for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The provider call an intent announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentAction {
    /// Create a new resource.
    Create,
    /// Update in place.
    Update,
    /// Destroy and re-create.
    Replace,
    /// Delete.
    Delete,
    /// Import an existing resource.
    Import,
}

impl IntentAction {
    /// The stored spelling (`"create"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            IntentAction::Create => "create",
            IntentAction::Update => "update",
            IntentAction::Replace => "replace",
            IntentAction::Delete => "delete",
            IntentAction::Import => "import",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "create" => IntentAction::Create,
            "update" => IntentAction::Update,
            "replace" => IntentAction::Replace,
            "delete" => IntentAction::Delete,
            "import" => IntentAction::Import,
            _ => return None,
        })
    }
}

/// A change about to be made at a provider, recorded before the call.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntent {
    /// Resource address.
    pub address: String,
    /// What is about to happen.
    pub action: IntentAction,
    /// Resource type.
    pub resource_type: String,
    /// Provider.
    pub provider: String,
    /// Anything that helps recovery (planned values, import id, ...).
    pub detail: Value,
}

/// An intent that has not been completed or resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    /// Its id.
    pub id: IntentId,
    /// Run that recorded it.
    pub run_id: String,
    /// Resource address.
    pub address: String,
    /// What was about to happen.
    pub action: IntentAction,
    /// Resource type.
    pub resource_type: String,
    /// Provider.
    pub provider: String,
    /// The detail given when recording it.
    pub detail: Value,
    /// RFC 3339 UTC time it was recorded.
    pub created_at: String,
}

/// Result of the provider call announced by an intent.
// Upsert is by far the common case; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The resource was created or updated to this record.
    Upsert(ResourceRecord),
    /// The resource was deleted.
    Remove {
        /// Its address.
        address: String,
    },
    /// The call failed; state is unchanged.
    Failed {
        /// Error message from the provider.
        message: String,
    },
}

/// How an open intent left by an interrupted run is closed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IntentResolution {
    /// The provider-side change is known to have happened: apply the outcome
    /// (an [`Outcome::Failed`] closes it without changing state).
    Adopted(Outcome),
    /// Ignore it: state is unchanged.
    Discarded,
}

/// A request for the workspace lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    /// Run taking the lock.
    pub run_id: String,
    /// Operation, shown to whoever finds the state locked.
    pub operation: String,
    /// How long to retry while someone else holds it (zero: fail at once).
    pub timeout: Duration,
    /// Take over a lock whose holder process is gone from this host.
    pub steal_stale: bool,
    /// Stop waiting (and fail as [`crate::StateError::Locked`]) once this
    /// flag is set: the caller was interrupted.
    pub stop_waiting: Option<StopWaiting>,
}

/// A flag that ends a wait for the lock when set. Equal only to itself.
#[derive(Debug, Clone, Default)]
pub struct StopWaiting(pub Arc<AtomicBool>);

impl StopWaiting {
    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl PartialEq for StopWaiting {
    fn eq(&self, other: &StopWaiting) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StopWaiting {}

impl LockRequest {
    /// A request that fails at once if the lock is held and never steals.
    pub fn new(run_id: impl Into<String>, operation: impl Into<String>) -> Self {
        LockRequest {
            run_id: run_id.into(),
            operation: operation.into(),
            timeout: Duration::ZERO,
            steal_stale: false,
            stop_waiting: None,
        }
    }
}

/// Who holds a workspace lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Lock id (for `force-unlock`).
    pub id: String,
    /// Run holding it.
    pub run_id: String,
    /// User.
    pub user: String,
    /// Host.
    pub host: String,
    /// Process id on `host`.
    pub pid: u32,
    /// Operation, e.g. `apply`.
    pub operation: String,
    /// RFC 3339 UTC time it was taken.
    pub started_at: String,
    /// RFC 3339 UTC time its lease ends unless renewed, by the backend's
    /// clock; `None` on backends without leases (SQLite).
    pub expires_at: Option<String>,
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{} pid {} ({} since {}",
            self.user, self.host, self.pid, self.operation, self.started_at
        )?;
        if let Some(expires_at) = &self.expires_at {
            write!(f, ", lease until {expires_at}")?;
        }
        write!(f, ", lock id {})", self.id)
    }
}

/// A point the state of a workspace can be restored to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePoint {
    /// Its id.
    pub id: u64,
    /// Workspace.
    pub workspace: String,
    /// Head event sequence number when it was taken: pass it to
    /// [`crate::Store::restore_to_event`].
    pub seq: u64,
    /// Run that was starting.
    pub run_id: String,
    /// That run's operation.
    pub operation: String,
    /// RFC 3339 UTC time.
    pub created_at: String,
    /// Full database copy taken at that point, if one was made and still exists.
    pub backup: Option<PathBuf>,
}

/// Serde adapter storing bytes as a lowercase hex string.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    const DIGITS: &[u8; 16] = b"0123456789abcdef";

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digit = |c: u8| match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(D::Error::custom("invalid hex digit in private data")),
        };
        let raw = s.as_bytes();
        if raw.len() % 2 != 0 {
            return Err(D::Error::custom("odd-length hex in private data"));
        }
        raw.chunks_exact(2)
            .map(|p| Ok(digit(p[0])? << 4 | digit(p[1])?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_roundtrips_through_json() {
        let mut r = ResourceRecord::new(
            "a.b",
            "a",
            "p",
            serde_json::json!({"x": 1.5, "y": [1, "s"]}),
        );
        r.private = vec![0, 1, 0xab, 0xff];
        r.status = ResourceStatus::Tainted;
        r.sensitive_attributes = vec!["x".into()];
        let text = serde_json::to_string(&r).expect("serialize");
        assert!(text.contains("\"0001abff\""));
        let back: ResourceRecord = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, r);
        assert!(serde_json::from_str::<ResourceRecord>(&text.replace("0001abff", "0g")).is_err());
    }

    #[test]
    fn lock_info_display_names_holder() {
        let l = LockInfo {
            id: "L1".into(),
            run_id: "r".into(),
            user: "ann".into(),
            host: "box".into(),
            pid: 42,
            operation: "apply".into(),
            started_at: "2024-01-01T00:00:00Z".into(),
            expires_at: None,
        };
        assert_eq!(
            l.to_string(),
            "ann@box pid 42 (apply since 2024-01-01T00:00:00Z, lock id L1)"
        );
        let leased = LockInfo {
            expires_at: Some("2024-01-01T00:00:30Z".into()),
            ..l
        };
        assert_eq!(
            leased.to_string(),
            "ann@box pid 42 (apply since 2024-01-01T00:00:00Z, lease until 2024-01-01T00:00:30Z, lock id L1)"
        );
    }
}

/// How much of a workspace's history compaction keeps (see
/// [`crate::Store::compact`]): the runs that any rule keeps stay with
/// their events; everything recorded before the oldest of them is folded
/// into a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep the newest this many runs (`None`: no rule by count).
    pub keep_runs: Option<u64>,
    /// Keep every run started in the last this many days (`None`: no rule
    /// by age).
    pub keep_days: Option<u64>,
}

impl Retention {
    /// Days of history kept when nothing else is configured: compacting
    /// without a setting never drops anything recent.
    pub const DEFAULT_DAYS: u64 = 90;

    /// A retention that keeps nothing by any rule: refused, since it says
    /// nothing about what to keep.
    pub fn is_empty(&self) -> bool {
        self.keep_runs.is_none() && self.keep_days.is_none()
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_runs: None,
            keep_days: Some(Retention::DEFAULT_DAYS),
        }
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.keep_runs, self.keep_days) {
            (Some(runs), Some(days)) => {
                write!(
                    f,
                    "the last {runs} run(s) and every run of the last {days} day(s)"
                )
            }
            (Some(runs), None) => write!(f, "the last {runs} run(s)"),
            (None, Some(days)) => write!(f, "every run of the last {days} day(s)"),
            (None, None) => write!(f, "nothing"),
        }
    }
}

/// Where a workspace's history was last compacted: events up to
/// `boundary` were folded into `snapshot.*` events (one per resource and
/// output as they were right after event `boundary`), and later events
/// replay on top of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// The last event folded; every later event is kept as recorded.
    pub boundary: u64,
    /// When that event was recorded (RFC 3339 UTC).
    pub boundary_time: String,
    /// When the compaction ran (RFC 3339 UTC).
    pub compacted_at: String,
    /// Events removed by every compaction so far (net of the snapshot
    /// events written in their place).
    pub events_removed: u64,
    /// Runs removed by every compaction so far.
    pub runs_removed: u64,
}

/// What [`crate::Store::compact`] did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactionReport {
    /// The workspace.
    pub workspace: String,
    /// The boundary before this compaction (0: never compacted).
    pub previous_boundary: u64,
    /// The boundary afterwards (equal to the previous one when nothing
    /// was old enough to fold).
    pub boundary: u64,
    /// When the boundary event was recorded (empty when there is none).
    pub boundary_time: String,
    /// Events removed, net of the snapshot events written in their place.
    pub events_removed: u64,
    /// Snapshot events the folded history now consists of.
    pub snapshot_events: u64,
    /// Runs removed with their events.
    pub runs_removed: u64,
    /// Closed intents removed with their events.
    pub intents_removed: u64,
    /// Restore points without a backup file that pointed before the new
    /// boundary: no replay reaches them any more, so they were removed.
    pub restore_points_expired: u64,
    /// Runs kept.
    pub runs_kept: u64,
    /// Size of the database file (with its write-ahead log) before and
    /// after, for the embedded backend (after `VACUUM`).
    pub bytes: Option<(u64, u64)>,
    /// Nothing was written: what a compaction would do now.
    pub dry_run: bool,
}

impl CompactionReport {
    /// Bytes the database file shrank by (0 when unknown or grown).
    pub fn bytes_freed(&self) -> u64 {
        self.bytes
            .map_or(0, |(before, after)| before.saturating_sub(after))
    }

    /// Whether anything was (or would be) removed.
    pub fn removed_anything(&self) -> bool {
        self.boundary > self.previous_boundary
    }
}
