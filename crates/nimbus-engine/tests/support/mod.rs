//! An in-process project for engine tests: a configuration directory on
//! disk (local files are real files relative to it), its state store, and
//! the runs a user starts, each following the sequence the command line
//! follows (lock, prior state, plan, begin the run, apply, finish).

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod labeled;

use nimbus_builtin::{Builtin, BuiltinOptions};
use nimbus_config::{Config, Files};
use nimbus_engine::{
    ApplyReport, Catalog, Engine, Plan, PriorState, Requirement, RunOptions, SavedPlan,
};
use nimbus_eval::Inputs;
use nimbus_provider::Provider;
use nimbus_state::{
    LockRequest, OutputRecord, ResourceRecord, ResourceStatus, RunInfo, RunStatus, Store,
    StoreOptions,
};
use nimbus_syntax::Diagnostic;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A `terraform-data` whose `input` is this string fails to create or
/// update: the way tests make one resource fail.
pub const FAULT_INPUT: &str = "explode";
/// A `terraform-data` whose `input` is this is warned about by the provider.
pub const WARN_INPUT: &str = "warn-me";

/// The configuration file every step writes.
pub const MAIN_FILE: &str = "main.nim";

/// The real file system, as the command line reads configurations.
pub struct DiskFiles;

impl Files for DiskFiles {
    fn nim_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "nim") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    fn configuration_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if nimbus_config::is_configuration_file(&path) && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
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
}

/// The built-in provider, with its failure hook set to [`FAULT_INPUT`]
/// and its warning hook to [`WARN_INPUT`], and [`labeled`] (for tests of
/// provider configurations; not among the names suggested).
pub struct TestCatalog {
    base_dir: PathBuf,
}

impl Catalog for TestCatalog {
    fn instantiate(
        &self,
        name: &str,
        _requirement: Requirement<'_>,
    ) -> Result<Arc<dyn Provider>, String> {
        match name {
            nimbus_builtin::NAME => Ok(Arc::new(Builtin::new(BuiltinOptions {
                fault_input: Some(FAULT_INPUT.to_string()),
                warn_input: Some(WARN_INPUT.to_string()),
                ..BuiltinOptions::new(self.base_dir.clone())
            }))),
            labeled::NAME => Ok(Arc::new(labeled::Labeled::new())),
            other => Err(format!("no provider named `{other}` in the test catalog")),
        }
    }

    fn names(&self) -> Vec<String> {
        vec![nimbus_builtin::NAME.to_string()]
    }

    fn implicit(&self) -> Vec<String> {
        vec![nimbus_builtin::NAME.to_string()]
    }
}

/// What state held at one moment.
pub struct Prior {
    pub records: PriorState,
    pub outputs: Vec<OutputRecord>,
    pub head: u64,
}

/// Everything a run can change, to compare before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub head: u64,
    pub resources: Vec<ResourceRecord>,
    pub outputs: Vec<OutputRecord>,
    /// Files of the project directory (state directory excluded).
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A plan and, when it had anything to do, what applying it did.
pub struct Applied {
    pub plan: Plan,
    pub report: Option<ApplyReport>,
}

pub struct Project {
    dir: tempfile::TempDir,
    /// The directory with links resolved, as saved plans record it.
    canonical: PathBuf,
    pub store: Store,
    pub workspace: String,
}

impl Default for Project {
    fn default() -> Project {
        Project::new()
    }
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let canonical = std::fs::canonicalize(dir.path()).expect("a canonical path");
        // Backups cost a copy of the database per run and prove nothing here.
        let options = StoreOptions {
            backup_every: 0,
            ..StoreOptions::default()
        };
        let store = Store::open_with(&dir.path().join(".nimbus"), options).expect("a state store");
        let workspace = store.current_workspace().expect("the current workspace");
        Project {
            dir,
            canonical,
            store,
            workspace,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn canonical_path(&self) -> &Path {
        &self.canonical
    }

    /// Writes a file of the project, creating its parent directories.
    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent directories");
        }
        std::fs::write(&path, contents).expect("a project file");
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.path().join(relative)).expect("a file to remove");
    }

    /// Replaces the root configuration.
    pub fn configure(&self, text: &str) {
        self.write(MAIN_FILE, text);
    }

    /// Loads the configuration; the diagnostics may hold errors.
    pub fn load(&self) -> (Config, Vec<Diagnostic>) {
        nimbus_config::load(self.path(), &DiskFiles)
    }

    pub fn catalog(&self) -> TestCatalog {
        TestCatalog {
            base_dir: self.path().to_path_buf(),
        }
    }

    pub fn prior(&self) -> Prior {
        let records = self
            .store
            .resources(&self.workspace)
            .expect("state records")
            .into_iter()
            .map(|r| (r.address.clone(), r))
            .collect();
        Prior {
            records,
            outputs: self.store.outputs(&self.workspace).expect("state outputs"),
            head: self
                .store
                .head_sequence(&self.workspace)
                .expect("the head event"),
        }
    }

    /// State records sorted by address.
    pub fn resources(&self) -> Vec<ResourceRecord> {
        let mut records = self
            .store
            .resources(&self.workspace)
            .expect("state records");
        records.sort_by(|a, b| a.address.cmp(&b.address));
        records
    }

    pub fn outputs(&self) -> Vec<OutputRecord> {
        let mut outputs = self.store.outputs(&self.workspace).expect("state outputs");
        outputs.sort_by(|a, b| a.name.cmp(&b.name));
        outputs
    }

    /// The project's files by relative path, the state directory left out.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.file_name().is_some_and(|n| n == ".nimbus") {
                    continue;
                }
                if path.is_dir() {
                    walk(root, &path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let relative = path.strip_prefix(root).unwrap_or(&path);
                    out.insert(relative.display().to_string(), bytes);
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(self.path(), self.path(), &mut files);
        files
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            head: self.prior().head,
            resources: self.resources(),
            outputs: self.outputs(),
            files: self.files(),
        }
    }

    /// `taint`: the next plan replaces the object.
    pub fn taint(&self, address: &str) -> Result<(), Vec<Diagnostic>> {
        self.store
            .set_status(&self.workspace, address, ResourceStatus::Tainted)
            .map(|_| ())
            .map_err(|e| vec![Diagnostic::error(format!("taint {address}: {e}"))])
    }

    fn engine<'c>(&self, config: &'c Config) -> Result<Engine<'c>, Vec<Diagnostic>> {
        Engine::new(config, &self.catalog())
    }

    fn lock(&self, run: &RunInfo) -> Result<nimbus_state::LockGuard, Vec<Diagnostic>> {
        self.store
            .lock(
                &self.workspace,
                LockRequest::new(run.run_id.clone(), run.operation.clone()),
            )
            .map_err(|e| vec![Diagnostic::error(format!("locking the workspace: {e}"))])
    }

    /// `validate`: every problem found, warnings included; no state read.
    pub async fn validate(&self, config: &Config) -> Vec<Diagnostic> {
        let engine = match self.engine(config) {
            Ok(engine) => engine,
            Err(errors) => return errors,
        };
        let found = engine.validate(&Inputs::new()).await;
        engine.shutdown().await;
        found
    }

    /// `plan` (or `plan -destroy`): reads state, never writes it.
    pub async fn plan(
        &self,
        config: &Config,
        options: &RunOptions,
        destroy: bool,
    ) -> Result<Plan, Vec<Diagnostic>> {
        let engine = self.engine(config)?;
        let prior = self.prior();
        let planned = if destroy {
            engine.plan_destroy(&self.workspace, prior.head, &prior.records, options)
        } else {
            engine
                .plan(
                    &self.workspace,
                    prior.head,
                    &Inputs::new(),
                    &prior.records,
                    &prior.outputs,
                    options,
                )
                .await
        };
        engine.shutdown().await;
        planned
    }

    /// `plan -out FILE`: the plan as shown, and as the saved plan file holds
    /// it (written and read back, so only what the file keeps survives).
    pub async fn save_plan(
        &self,
        config: &Config,
        options: &RunOptions,
        destroy: bool,
    ) -> Result<(Plan, SavedPlan), Vec<Diagnostic>> {
        let plan = self.plan(config, options, destroy).await?;
        let key = nimbus_engine::ops::plan_key(&self.store).expect("the plan key");
        let configuration = nimbus_engine::saved::configuration_hash(&config.sources);
        let saved =
            SavedPlan::new(&self.canonical, configuration, plan.clone(), Vec::new()).sealed(&key);
        let saved = SavedPlan::from_bytes(&saved.to_bytes()).expect("a saved plan reads back");
        Ok((plan, saved))
    }

    /// `apply -auto-approve` (or `destroy -auto-approve`): plans and applies
    /// in one run, under the workspace lock.
    pub async fn apply(
        &self,
        config: &Config,
        options: &RunOptions,
        destroy: bool,
    ) -> Result<Applied, Vec<Diagnostic>> {
        self.apply_with(config, options, destroy, false).await
    }

    /// [`Project::apply`] interrupted (Ctrl-C) between approval and the
    /// first provider call.
    pub async fn apply_interrupted(
        &self,
        config: &Config,
        options: &RunOptions,
        destroy: bool,
    ) -> Result<Applied, Vec<Diagnostic>> {
        self.apply_with(config, options, destroy, true).await
    }

    async fn apply_with(
        &self,
        config: &Config,
        options: &RunOptions,
        destroy: bool,
        interrupt: bool,
    ) -> Result<Applied, Vec<Diagnostic>> {
        let engine = self.engine(config)?;
        let run = RunInfo::new(if destroy { "destroy" } else { "apply" });
        let _lock = self.lock(&run)?;
        let prior = self.prior();
        let planned = if destroy {
            engine.plan_destroy(&self.workspace, prior.head, &prior.records, options)
        } else {
            engine
                .plan(
                    &self.workspace,
                    prior.head,
                    &Inputs::new(),
                    &prior.records,
                    &prior.outputs,
                    options,
                )
                .await
        };
        let plan = match planned {
            Ok(plan) => plan,
            Err(diagnostics) => {
                engine.shutdown().await;
                return Err(diagnostics);
            }
        };
        // As the command line: nothing to do is no run at all, except that
        // new dependencies are recorded.
        let nothing_to_do = if destroy {
            plan.changes.is_empty()
        } else {
            !plan.has_changes() && !plan.stale_dependencies
        };
        if nothing_to_do {
            engine.shutdown().await;
            return Ok(Applied { plan, report: None });
        }
        if interrupt {
            options
                .cancel
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let report = self
            .run_apply(&engine, &plan, &Inputs::new(), &prior, run, options)
            .await;
        Ok(Applied {
            plan,
            report: Some(report),
        })
    }

    /// `apply PLANFILE`: refused unless the plan belongs here, the state
    /// has not moved on and the configuration still produces the plan.
    pub async fn apply_saved(
        &self,
        config: &Config,
        saved: &SavedPlan,
    ) -> Result<ApplyReport, Vec<Diagnostic>> {
        let refused = |e: nimbus_engine::SavedPlanError| vec![Diagnostic::error(e.to_string())];
        saved.check_directory(&self.canonical).map_err(refused)?;
        let engine = self.engine(config)?;
        let run = RunInfo::new(if saved.plan.destroy {
            "destroy"
        } else {
            "apply"
        });
        let _lock = self.lock(&run)?;
        let prior = self.prior();
        saved
            .check_applicable(&self.workspace, prior.head)
            .map_err(refused)?;
        let inputs: Inputs = saved
            .inputs
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    nimbus_eval::InputValue {
                        value: value.clone(),
                        origin: nimbus_eval::InputOrigin::CommandLine,
                    },
                )
            })
            .collect();
        // The plan's whole selection, as made. (`--replace` too: the apply
        // reads it from the options, not from the plan it applies.)
        let options = RunOptions {
            targets: saved.plan.targets.clone(),
            excludes: saved.plan.excludes.clone(),
            replace: saved.plan.replace.clone(),
            ..RunOptions::default()
        };
        if let Err(diagnostics) = engine
            .verify_saved_plan(
                &saved.plan,
                &inputs,
                &prior.records,
                &prior.outputs,
                &options,
            )
            .await
        {
            engine.shutdown().await;
            return Err(diagnostics);
        }
        Ok(self
            .run_apply(&engine, &saved.plan, &inputs, &prior, run, &options)
            .await)
    }

    /// Applies `plan` as given, with `options`, without planning again or
    /// checking it against the configuration.
    pub async fn apply_plan(
        &self,
        config: &Config,
        plan: &Plan,
        options: &RunOptions,
    ) -> Result<ApplyReport, Vec<Diagnostic>> {
        let engine = self.engine(config)?;
        let run = RunInfo::new("apply");
        let _lock = self.lock(&run)?;
        let prior = self.prior();
        Ok(self
            .run_apply(&engine, plan, &Inputs::new(), &prior, run, options)
            .await)
    }

    async fn run_apply(
        &self,
        engine: &Engine<'_>,
        plan: &Plan,
        inputs: &Inputs,
        prior: &Prior,
        run: RunInfo,
        options: &RunOptions,
    ) -> ApplyReport {
        let recorder = self
            .store
            .begin_run(
                &self.workspace,
                RunInfo {
                    cause: Some(format!("plan@{}", plan.state_sequence)),
                    ..run
                },
            )
            .expect("a run begins");
        let report = engine
            .apply(plan, inputs, &prior.records, &recorder, options)
            .await;
        engine.shutdown().await;
        let status = if report.succeeded() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        recorder.finish(status).await.expect("the run is recorded");
        report
    }

    /// The provider calls announced since event `since`, in order, as
    /// (action, address) of each write-ahead intent.
    /// The state's events of `kind`, in order: their address, and for a
    /// move the address it came from (`FROM -> TO`).
    pub fn events_of(&self, kind: &str) -> Vec<String> {
        let mut events = self
            .store
            .history(&self.workspace, None, usize::MAX)
            .expect("the event log");
        events.retain(|e| e.kind == kind);
        events.sort_by_key(|e| e.seq);
        events
            .into_iter()
            .map(|e| {
                let address = e.address.unwrap_or_default();
                let from = e
                    .before
                    .as_ref()
                    .filter(|_| kind == "resource.move")
                    .and_then(|b| b.get("address"))
                    .and_then(|a| a.as_str());
                match from {
                    Some(from) => format!("{from} -> {address}"),
                    None => address,
                }
            })
            .collect()
    }

    pub fn calls_since(&self, since: u64) -> Vec<(String, String)> {
        let mut events = self
            .store
            .history(&self.workspace, None, usize::MAX)
            .expect("the event log");
        events.retain(|e| e.seq > since && e.kind == "intent.record");
        events.sort_by_key(|e| e.seq);
        events
            .into_iter()
            .map(|e| {
                let action = e
                    .after
                    .as_ref()
                    .and_then(|a| a.get("action"))
                    .and_then(|a| a.as_str())
                    .unwrap_or("?")
                    .to_string();
                (action, e.address.unwrap_or_default())
            })
            .collect()
    }
}

/// A runtime like the command line's: provider futures and blocking file
/// operations need one with timers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
