//! What every command needs: the working directory, the configuration,
//! variable inputs, the state store and the provider catalog.

use crate::Global;
use crate::output::Output;
use nimbus_builtin::{Builtin, BuiltinOptions, TerraformProvider};
use nimbus_config::{Config, Files};
use nimbus_engine::backend::{BackendError, BackendSettings};
use nimbus_engine::{Catalog, Requirement};
use nimbus_eval::{
    InputOrigin, InputValue, Inputs, parse_text_value, parse_var_file, parse_var_json,
};
use nimbus_provider::Provider;
use nimbus_state::{LockGuard, LockRequest, Store};
use nimbus_syntax::{Diagnostic, SourceMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The state directory inside the working directory.
pub const STATE_DIR: &str = ".nimbus";

/// The signals that interrupt a run: Ctrl-C, and what CI runners, systemd
/// and Kubernetes send to cancel (SIGTERM) or a closed terminal (SIGHUP).
/// Each is `(name, signal number)`.
const INTERRUPTS: [(&str, i32); 3] = [
    ("SIGINT", libc::SIGINT),
    ("SIGTERM", libc::SIGTERM),
    ("SIGHUP", libc::SIGHUP),
];

/// A command failed; what to say was already printed.
#[derive(Debug)]
pub struct Reported;

pub type CmdResult<T = ()> = Result<T, Reported>;

pub struct Session {
    pub global: Global,
    pub dir: PathBuf,
    pub out: Output,
    /// Set on the first Ctrl-C of a command that watches for it: the
    /// engine's cancel flag, and what ends a built-in `time-sleep` early.
    pub interrupt: Arc<AtomicBool>,
    /// Set once [`Session::watch_interrupts`] has installed its listeners.
    watching: AtomicBool,
}

/// The real file system.
pub struct OsFiles;

impl OsFiles {
    /// The regular files directly inside `dir` that `wanted` accepts,
    /// sorted by name.
    fn files_in(dir: &Path, wanted: impl Fn(&Path) -> bool) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if wanted(&path) && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

impl Files for OsFiles {
    fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Self::files_in(dir, |p| p.extension().is_some_and(|e| e == "nim"))
    }

    fn configuration_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Self::files_in(dir, nimbus_config::is_configuration_file)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn read_bytes(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn files_under(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        // Links are followed (a linked policy file is one; walkdir stops at
        // a loop); hidden directories (`.git`, `.nimbus`, `.terraform`) are
        // not entered, and what cannot be read below `dir` is passed over.
        let hidden_dir = |entry: &walkdir::DirEntry| {
            entry.depth() > 0
                && entry.file_type().is_dir()
                && entry.file_name().to_string_lossy().starts_with('.')
        };
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(true)
            .into_iter()
            .filter_entry(|entry| !hidden_dir(entry))
        {
            match entry {
                Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
                Ok(_) => {}
                Err(e) if e.depth() == 0 => return Err(e.into()),
                Err(_) => {}
            }
        }
        files.sort();
        Ok(files)
    }
}

/// The providers this build of Nimbus carries.
pub struct BuiltinCatalog {
    pub base_dir: PathBuf,
    /// `--plugin-mirror`, else `NIMBUS_PLUGIN_MIRROR`, else
    /// `(plugin-mirror "DIR")` in the CLI configuration file.
    pub plugin_mirror: Result<Option<PathBuf>, String>,
    /// The provider cache shared between projects (`NIMBUS_PLUGIN_CACHE_DIR`,
    /// else under `XDG_CACHE_HOME` or `~/.cache`), where registry installs go.
    pub plugin_cache: Option<PathBuf>,
    /// The session's interrupt flag, for the built-in provider.
    pub interrupt: Arc<AtomicBool>,
}

impl BuiltinCatalog {
    /// The mirror and the cache; an error when the mirror's configuration
    /// cannot be read.
    pub fn places(&self) -> Result<crate::plugins::Places, String> {
        Ok(crate::plugins::Places {
            mirror: self.plugin_mirror.clone()?,
            cache: self.plugin_cache.clone(),
        })
    }

    fn builtin_options(&self) -> BuiltinOptions {
        BuiltinOptions::from_env(self.base_dir.clone()).with_interrupt(self.interrupt.clone())
    }
}

impl Catalog for BuiltinCatalog {
    /// A provider block with a `source`: the built-in when it implements
    /// that Terraform provider at an allowed version and the lock pins no
    /// plugin for it (`plugins::server`), else the plugin the lock names.
    /// Without a source: the built-in, AWS, LocalStack, or (`null`,
    /// `random`, `local`, `time`, as Terraform implies `hashicorp/NAME`)
    /// the built-in's Terraform types of that provider.
    fn instantiate(
        &self,
        name: &str,
        requirement: Requirement<'_>,
    ) -> Result<Arc<dyn Provider>, String> {
        match (name, requirement.source) {
            (_, Some(source)) => {
                match crate::plugins::server_of(&self.base_dir, source, requirement.version)? {
                    crate::plugins::Server::Builtin(provider) => Ok(Arc::new(Builtin::terraform(
                        self.builtin_options(),
                        provider.family,
                    ))),
                    crate::plugins::Server::Plugin => {
                        let places = self.places()?;
                        if places.mirror.is_none() && places.cache.is_none() {
                            return Err(crate::plugins::no_mirror_message(source));
                        }
                        let provider = crate::plugins::start(
                            &places,
                            &self.base_dir,
                            source,
                            requirement.version,
                        )?;
                        Ok(Arc::new(provider))
                    }
                }
            }
            (nimbus_builtin::NAME, None) => Ok(Arc::new(Builtin::new(self.builtin_options()))),
            ("aws" | "localstack", None) => aws_provider(name, &self.base_dir),
            (other, None) => match TerraformProvider::for_local_name(other) {
                Some(provider) => Ok(Arc::new(Builtin::terraform(
                    self.builtin_options(),
                    provider.family,
                ))),
                None => Err(format!("no provider named `{other}` is available")),
            },
        }
    }

    fn names(&self) -> Vec<String> {
        vec![
            nimbus_builtin::NAME.to_string(),
            "aws".to_string(),
            "localstack".to_string(),
        ]
    }

    fn implicit(&self) -> Vec<String> {
        vec![nimbus_builtin::NAME.to_string()]
    }
}

/// The AWS provider (`aws`, or `localstack` with its preset), when this
/// build carries it (the `aws` feature, on by default).
#[cfg(feature = "aws")]
fn aws_provider(name: &str, base_dir: &Path) -> Result<Arc<dyn Provider>, String> {
    let preset = if name == "localstack" {
        nimbus_aws::Preset::LocalStack
    } else {
        nimbus_aws::Preset::Aws
    };
    Ok(Arc::new(nimbus_aws::Aws::new(
        preset,
        base_dir.to_path_buf(),
    )))
}

#[cfg(not(feature = "aws"))]
fn aws_provider(name: &str, _base_dir: &Path) -> Result<Arc<dyn Provider>, String> {
    Err(format!(
        "this nimbus was built without the AWS provider, so `{name}` is not available; \
         build it with the `aws` feature (on by default): cargo install --locked --path crates/nimbus-cli"
    ))
}

impl Session {
    pub fn new(global: Global) -> io::Result<Session> {
        let dir = match &global.dir {
            Some(d) => d.clone(),
            None => std::env::current_dir()?,
        };
        let out = Output::new(global.json, global.no_color);
        Ok(Session {
            global,
            dir,
            out,
            interrupt: Arc::new(AtomicBool::new(false)),
            watching: AtomicBool::new(false),
        })
    }

    /// The directory of the embedded state: the local backend's `path`
    /// (`.nimbus` unless `nimbus init` recorded another).
    pub fn state_dir(&self) -> PathBuf {
        BackendSettings::of_project(&self.dir)
            .ok()
            .and_then(|b| b.local_dir(&self.dir))
            .unwrap_or_else(|| self.dir.join(STATE_DIR))
    }

    /// The backend `nimbus init` recorded (local when none).
    pub fn backend(&self) -> CmdResult<BackendSettings> {
        BackendSettings::of_project(&self.dir).map_err(|e| {
            self.out.error(&format!("cannot use the state: {e}"));
            Reported
        })
    }

    /// A path the user gave, relative to the working directory (`-C DIR`).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The working directory, absolute and with links resolved: what a
    /// saved plan records as the directory it belongs to.
    pub fn canonical_dir(&self) -> CmdResult<PathBuf> {
        std::fs::canonicalize(&self.dir).map_err(|e| {
            self.out
                .error(&format!("cannot resolve {}: {e}", self.dir.display()));
            Reported
        })
    }

    pub fn catalog(&self) -> BuiltinCatalog {
        BuiltinCatalog {
            base_dir: self.dir.clone(),
            plugin_mirror: nimbus_plugin::plugin_mirror(
                self.global.plugin_mirror.as_deref(),
                |k| std::env::var(k).ok(),
            )
            .map_err(|e| e.to_string()),
            plugin_cache: nimbus_plugin::plugin_cache_dir(|k| std::env::var(k).ok()),
            interrupt: self.interrupt.clone(),
        }
    }

    /// Loads the configuration; prints diagnostics and fails on errors.
    pub fn load_config(&self) -> CmdResult<Config> {
        if !self.dir.is_dir() {
            self.out
                .error(&format!("{} is not a directory", self.dir.display()));
            return Err(Reported);
        }
        let (config, diagnostics) = nimbus_config::load(&self.dir, &OsFiles);
        let relative = relativize(&config.sources, &self.dir);
        if !diagnostics.is_empty() {
            self.out.diagnostics(&relative, &diagnostics);
            if diagnostics.iter().any(Diagnostic::is_error) {
                return Err(Reported);
            }
        }
        Ok(config)
    }

    /// Paths relative to the working directory, for messages.
    pub fn sources_for_display(&self, config: &Config) -> SourceMap {
        relativize(&config.sources, &self.dir)
    }

    /// Variable values from the environment, var files and `--var`, in
    /// increasing precedence.
    pub fn inputs(&self, config: &Config) -> CmdResult<(Inputs, SourceMap)> {
        let mut inputs = Inputs::new();
        let mut sources = self.sources_for_display(config);
        let root = config.root();
        let mut errors = Vec::new();
        for variable in &root.variables {
            let env_name = format!(
                "NIMBUS_VAR_{}",
                nimbus_eval::vars::env_suffix(&variable.name.text)
            );
            if let Ok(text) = std::env::var(&env_name) {
                match parse_text_value(&text, &variable.ty, variable.sensitive) {
                    Ok(value) => {
                        inputs.insert(
                            variable.name.text.clone(),
                            InputValue {
                                value,
                                origin: InputOrigin::Environment(env_name),
                            },
                        );
                    }
                    Err(e) => errors.push(Diagnostic::error(format!("{env_name}: {e}"))),
                }
            }
        }
        for file in &self.global.var_files {
            let path = if file.is_absolute() {
                file.clone()
            } else {
                self.dir.join(file)
            };
            let shown = file.display().to_string();
            let text = match std::fs::read(&path) {
                Ok(bytes) => {
                    let (text, invalid) = nimbus_syntax::decode_lossy(bytes);
                    if let Some(invalid) = invalid {
                        let id = sources.add(file.clone(), text);
                        errors.push(invalid.diagnostic(id));
                        continue;
                    }
                    text
                }
                Err(e) => {
                    errors.push(Diagnostic::error(format!(
                        "cannot read var file {shown}: {e}"
                    )));
                    continue;
                }
            };
            let parsed = if path.extension().is_some_and(|e| e == "json") {
                parse_var_json(&text, &shown).map_err(|e| vec![Diagnostic::error(e)])
            } else {
                let id = sources.add(file.clone(), text.clone());
                parse_var_file(id, &text, &shown)
            };
            match parsed {
                Ok(values) => inputs.extend(values),
                Err(ds) => errors.extend(ds),
            }
        }
        for assignment in &self.global.vars {
            let Some((name, text)) = assignment.split_once('=') else {
                errors.push(Diagnostic::error(format!(
                    "--var {assignment}: expected NAME=VALUE"
                )));
                continue;
            };
            let (ty, sensitive) = root
                .variable(name)
                .map_or((nimbus_value::Type::String, false), |v| {
                    (v.ty.clone(), v.sensitive)
                });
            match parse_text_value(text, &ty, sensitive) {
                Ok(value) => {
                    inputs.insert(
                        name.to_string(),
                        InputValue {
                            value,
                            origin: InputOrigin::CommandLine,
                        },
                    );
                }
                Err(e) => errors.push(Diagnostic::error(format!("--var {name}: {e}"))),
            }
        }
        if !errors.is_empty() {
            self.out.diagnostics(&sources, &errors);
            return Err(Reported);
        }
        Ok((inputs, sources))
    }

    /// Opens the state on the project's backend, creating the embedded
    /// store when asked to (without `create`, a project with no local
    /// state yet has none: `None`).
    pub fn store(&self, create: bool) -> CmdResult<Option<Store>> {
        self.store_with(create, &self.encryption()?)
    }

    /// The state's encryption, from the environment
    /// (`NIMBUS_STATE_PASSPHRASE`, ...).
    pub fn encryption(&self) -> CmdResult<nimbus_state::Encryption> {
        nimbus_engine::backend::encryption_from_environment(|k| std::env::var(k).ok()).map_err(
            |e| {
                self.out.error(&format!("cannot open the state: {e}"));
                Reported
            },
        )
    }

    /// [`Session::store`] with explicit encryption settings.
    pub fn store_with(
        &self,
        create: bool,
        encryption: &nimbus_state::Encryption,
    ) -> CmdResult<Option<Store>> {
        let backend = self.backend()?;
        match backend.open(&self.dir, create, encryption) {
            Ok(store) => Ok(store),
            Err(BackendError::State(e)) => {
                let place = match backend.local_dir(&self.dir) {
                    Some(dir) => dir.display().to_string(),
                    None => backend.describe(),
                };
                self.state_error(&format!("cannot open the state in {place}"), &e);
                Err(Reported)
            }
            Err(e) => {
                self.out.error(&format!("cannot open the state: {e}"));
                Err(Reported)
            }
        }
    }

    /// Reports a failure of the state store: `WHAT: ERROR`, or, when the
    /// database itself is damaged, one sentence saying so and how to restore
    /// the latest sound backup, naming it.
    pub fn state_error(&self, what: &str, error: &nimbus_state::StateError) {
        if error.is_damage() {
            self.out.error(&self.damage_message(error));
        } else {
            self.out.error(&format!("{what}: {error}"));
        }
    }

    /// What to say about a damaged state database.
    pub fn damage_message(&self, error: &nimbus_state::StateError) -> String {
        let dir = self.state_dir();
        let detail = match error {
            nimbus_state::StateError::Damaged { detail, .. } => detail.clone(),
            other => other.to_string(),
        };
        let remedy = match Store::latest_backup(&dir) {
            Ok(Some(backup)) => format!(
                "restore the latest backup with `nimbus state restore --latest` ({})",
                self.shown_path(&backup)
            ),
            _ => format!(
                "there is no sound backup in {} to restore it from",
                self.shown_path(&dir.join("backups"))
            ),
        };
        format!(
            "the state database {} is damaged ({detail}); {remedy}",
            self.shown_path(&dir.join(nimbus_state::STATE_DB_FILE))
        )
    }

    /// A path as the user would type it here: relative to the working
    /// directory when it is inside it.
    pub fn shown_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    pub fn workspace(&self, store: Option<&Store>) -> CmdResult<String> {
        if let Ok(ws) = std::env::var("NIMBUS_WORKSPACE")
            && !ws.is_empty()
        {
            return Ok(ws);
        }
        match store {
            None => Ok("default".to_string()),
            Some(store) => store.current_workspace().map_err(|e| {
                self.state_error("reading the current workspace", &e);
                Reported
            }),
        }
    }

    /// Handles the interrupting signals ([`INTERRUPTS`]) for the rest of
    /// the command; every command that takes the state lock calls this
    /// before taking it (from then on none of these signals ends the
    /// process by default, so none leaves the lock behind). Calling it
    /// again changes nothing. Returns the interrupt flag.
    ///
    /// First interrupt (Ctrl-C, SIGTERM or SIGHUP): the flag is set; runs
    /// start nothing new and let running operations finish and be
    /// recorded, a plan stops and shows nothing; the command then exits 1
    /// ([`Session::interrupted_exit`]). Second (any of them): stop at
    /// once, exit 128 + its number.
    pub fn watch_interrupts(&self) -> Arc<AtomicBool> {
        use tokio::signal::unix::{SignalKind, signal};
        if self.watching.swap(true, Ordering::SeqCst) {
            return self.interrupt.clone();
        }
        let flag = self.interrupt.clone();
        let out = self.out.clone();
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        for (name, number) in INTERRUPTS {
            let Ok(mut stream) = signal(SignalKind::from_raw(number)) else {
                continue;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if sender.send((name, number)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        tokio::spawn(async move {
            if let Some((name, _)) = received.recv().await {
                flag.store(true, Ordering::SeqCst);
                out.warning(&format!("interrupted ({name}): finishing operations in progress and recording them; interrupt again (Ctrl-C) to stop at once"));
                if let Some((name, number)) = received.recv().await {
                    eprintln!(
                        "error: stopped at once ({name}); run `nimbus plan` to see where things stand"
                    );
                    std::process::exit(128 + number);
                }
            }
        });
        self.interrupt.clone()
    }

    /// Whether an interrupt arrived during the command.
    pub fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }

    /// The exit code of a command that `code` would otherwise end with:
    /// an interrupted command exits non-zero even when everything it
    /// started finished well.
    pub fn interrupted_exit(&self, code: u8) -> u8 {
        if code == 0 && self.interrupted() {
            self.out
                .warning("the command was interrupted; what it finished is recorded");
            1
        } else {
            code
        }
    }

    /// Takes the workspace's write lock for `operation`.
    pub fn lock(
        &self,
        store: &Store,
        workspace: &str,
        run_id: &str,
        operation: &str,
    ) -> CmdResult<LockGuard> {
        let interrupt = self.watch_interrupts();
        let request = LockRequest {
            run_id: run_id.to_string(),
            operation: operation.to_string(),
            timeout: Duration::from_secs(self.global.lock_timeout),
            steal_stale: self.global.steal_stale_lock,
            stop_waiting: Some(nimbus_state::StopWaiting(interrupt)),
        };
        store.lock(workspace, request).map_err(|e| {
            if e.is_damage() {
                self.state_error("", &e);
                return Reported;
            }
            let hint = match &e {
                nimbus_state::StateError::StaleLock { .. } => {
                    "\nhelp: the holder is gone; rerun with --steal-stale-lock or run `nimbus force-unlock ID`"
                }
                _ => "",
            };
            self.out.error(&format!("cannot lock workspace `{workspace}`: {e}{hint}"));
            Reported
        })
    }
}

pub(crate) fn relativize(sources: &SourceMap, dir: &Path) -> SourceMap {
    let mut out = SourceMap::new();
    for (_, file) in sources.files() {
        let shown = file
            .path
            .strip_prefix(dir)
            .unwrap_or(&file.path)
            .to_path_buf();
        out.add(shown, file.text.clone());
    }
    // The same files in the same order: the macros' spans stay valid.
    for uses in sources.macro_uses() {
        out.record_macro_uses(uses.clone());
    }
    out
}
