//! What a call may use besides its arguments.
//!
//! Why the caller hands these in instead of the library reading them: the
//! library stays pure (the same arguments and context always give the same
//! result, so it is testable and replayable), and the one rule Terraform
//! has for the clock and randomness is enforced here, once:
//!
//! - `timestamp`, `uuid` and `bcrypt` are *unknown while planning* and
//!   known only when applying, because their result would differ between
//!   the plan and the apply. A plan is made with [`Phase::Plan`]; the apply
//!   passes [`Phase::Apply`] with the clock and random source to use.
//! - `plantimestamp` is the moment the plan started, the same value in the
//!   plan and in its apply: the caller records it once and passes it in
//!   [`Context::plan_timestamp`] in both phases. Without it (validation),
//!   the result is unknown.
//! - the `file` family reads through [`Context::files`]; without it, a call
//!   is an error (there is no sensible unknown for a missing file).

use std::time::SystemTime;

/// The clock and random source of the apply phase.
pub trait Effects {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// Fills `buffer` with cryptographically secure random bytes.
    fn fill_random(&self, buffer: &mut [u8]);
}

/// Read-only access to the files of a configuration, for `file`,
/// `fileexists`, `fileset`, `filebase64`, the `file*sha*` hashes,
/// `abspath` and `pathexpand`. Paths are passed as the configuration wrote
/// them; resolving a relative path (against the module's directory, as
/// Terraform does for `path.module`-relative paths) is the caller's
/// choice. Errors are messages for the user.
pub trait FileAccess {
    /// The bytes of the file at `path`.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Whether a regular file exists at `path`: `Ok(false)` when nothing is
    /// there, an error when something other than a file is (Terraform's
    /// `fileexists` rule).
    fn is_file(&self, path: &str) -> Result<bool, String>;
    /// The regular files under directory `base` whose path relative to it
    /// matches `pattern` (Terraform's `fileset` glob: `*`, `**`, `?`,
    /// `[class]`, `{alternatives}`), as `/`-separated relative paths.
    fn glob(&self, base: &str, pattern: &str) -> Result<Vec<String>, String>;
    /// The current working directory, for `abspath`.
    fn current_dir(&self) -> Result<String, String>;
    /// The user's home directory, for `pathexpand`.
    fn home_dir(&self) -> Result<String, String>;
}

/// Which phase of a run a call belongs to.
#[derive(Clone, Copy, Default)]
pub enum Phase<'a> {
    /// Validating or planning: the clock and randomness are off limits.
    #[default]
    Plan,
    /// Applying, with the clock and random source to use.
    Apply(&'a dyn Effects),
}

impl std::fmt::Debug for Phase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Plan => "Plan",
            Phase::Apply(_) => "Apply",
        })
    }
}

/// What the caller gives a call besides its arguments. The default is a
/// plan without a plan timestamp and without files: what validation and
/// the DSL's pure evaluation use.
#[derive(Clone, Copy, Default)]
pub struct Context<'a> {
    /// Plan or apply (see the module documentation).
    pub phase: Phase<'a>,
    /// When the plan started, for `plantimestamp`.
    pub plan_timestamp: Option<SystemTime>,
    /// The files `file` and its family read.
    pub files: Option<&'a dyn FileAccess>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("phase", &self.phase)
            .field("plan_timestamp", &self.plan_timestamp)
            .field("files", &self.files.is_some())
            .finish()
    }
}

impl<'a> Context<'a> {
    /// The clock and random source, when applying.
    pub(crate) fn effects(&self) -> Option<&'a dyn Effects> {
        match self.phase {
            Phase::Plan => None,
            Phase::Apply(effects) => Some(effects),
        }
    }
}
