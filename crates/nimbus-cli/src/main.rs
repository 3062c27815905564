//! The `nimbus` command line.

mod commands;
mod context;
mod output;
mod plugins;
mod render;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// A configuration and its values are many small nodes; glibc's allocator
/// spent about a third of `validate` on them (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "nimbus",
    version,
    about = "Infrastructure as code: plan, apply, remember, destroy"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone, Debug)]
pub struct Global {
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "chdir", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Set a variable: NAME=VALUE (repeatable).
    #[arg(long = "var", global = true, value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a file: `.nim` (NAME VALUE) entries, or JSON.
    #[arg(long = "var-file", global = true, value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Only this resource (and what it depends on). Repeatable.
    #[arg(long = "target", global = true, value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave out this resource (and what depends on it). Repeatable.
    #[arg(long = "exclude", global = true, value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Operations to run at once.
    #[arg(long, global = true, default_value_t = 10)]
    pub parallelism: usize,
    /// Read real objects before planning (default true).
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub refresh: bool,
    /// One JSON event per line on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No colors.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Seconds to wait for the state lock (default 0: fail at once).
    #[arg(long = "lock-timeout", global = true, default_value_t = 0)]
    pub lock_timeout: u64,
    /// Directory of installed provider plugins (Terraform's filesystem-mirror layout).
    #[arg(long = "plugin-mirror", global = true, value_name = "DIR")]
    pub plugin_mirror: Option<PathBuf>,
    /// Take over a lock whose holder process is gone.
    #[arg(long = "steal-stale-lock", global = true)]
    pub steal_stale_lock: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create `.nimbus/` (and a starter `main.nim` in an empty directory);
    /// choose plugin provider versions and record them in `.nimbus.lock`.
    Init {
        /// Choose the newest allowed plugin versions again, ignoring the lock.
        #[arg(long)]
        upgrade: bool,
    },
    /// Check the configuration.
    Validate,
    /// Rewrite `.nim` files in the canonical layout.
    Fmt {
        /// Only check; exit 1 and list files that would change.
        #[arg(long)]
        check: bool,
    },
    /// Show what apply would do.
    Plan {
        /// Save the plan to FILE for `apply FILE`.
        #[arg(long = "out", short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 0 with no changes, 2 with changes, 1 on error.
        #[arg(long = "detailed-exitcode")]
        detailed_exitcode: bool,
        /// Plan to destroy everything.
        #[arg(long)]
        destroy: bool,
    },
    /// Make it so.
    Apply {
        /// A plan saved with `plan -out FILE`.
        plan_file: Option<PathBuf>,
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Delete everything in state.
    Destroy {
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Update state from reality.
    Refresh,
    /// List what changed outside Nimbus; exit 2 when something did.
    Drift {
        /// Plan (and apply, with approval) the way back.
        #[arg(long)]
        remediate: bool,
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Adopt an existing object into state.
    Import { address: String, id: String },
    /// Show outputs.
    Output {
        name: Option<String>,
        /// Print sensitive values too.
        #[arg(long = "show-sensitive")]
        show_sensitive: bool,
    },
    /// Print the resource dependency graph.
    Graph {
        #[arg(long, default_value = "dot", value_parser = ["dot", "mermaid", "json"])]
        format: String,
    },
    /// Inspect and edit state.
    #[command(subcommand)]
    State(StateCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Release a lock left by a crashed run.
    #[command(name = "force-unlock")]
    ForceUnlock { lock_id: String },
    /// List the providers the configuration uses: built-in ones with their
    /// types; plugins with their constraint, locked and installed versions.
    Providers {
        #[command(subcommand)]
        command: Option<ProvidersCommand>,
    },
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
pub enum ProvidersCommand {
    /// Choose plugin versions from the mirror and record them, with their
    /// SHA-256, in `.nimbus.lock` (what `init` does for plugins).
    Install {
        /// Choose the newest allowed versions again, ignoring the lock.
        #[arg(long)]
        upgrade: bool,
    },
}

#[derive(Subcommand)]
pub enum StateCommand {
    /// List resources in state.
    List {
        #[arg(long)]
        filter: Option<String>,
    },
    /// Show one resource.
    Show {
        address: String,
        #[arg(long = "show-sensitive")]
        show_sensitive: bool,
    },
    /// Who changed what, when.
    History {
        address: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Forget a resource (the object itself is left alone).
    Rm { addresses: Vec<String> },
    /// Rename a resource in state.
    Mv { from: String, to: String },
    /// Rebuild the current state by replaying the event log.
    Rebuild,
    /// Copy the state database to FILE.
    Backup { file: PathBuf },
    /// Restore from a backup file, or to an earlier event.
    Restore {
        file: Option<PathBuf>,
        #[arg(long = "to-event")]
        to_event: Option<u64>,
    },
    /// Open write-ahead intents left by interrupted runs.
    Intents,
}

#[derive(Subcommand)]
pub enum WorkspaceCommand {
    New {
        name: String,
    },
    Select {
        name: String,
    },
    List,
    Show,
    Delete {
        name: String,
        #[arg(long)]
        force: bool,
    },
}

/// `plan -out FILE` (and `-out=FILE`) is the documented, Terraform-style
/// spelling; clap would read it as `-o ut`. Rewrite it to `--out`.
fn normalize_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut rest_literal = false;
    args.map(|arg| {
        if rest_literal {
            return arg;
        }
        match arg.to_str() {
            Some("--") => {
                rest_literal = true;
                arg
            }
            Some("-out") => "--out".into(),
            Some(s) if s.starts_with("-out=") => format!("-{s}").into(),
            _ => arg,
        }
    })
    .collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(normalize_args(std::env::args_os()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(commands::run(cli));
    ExitCode::from(code)
}
