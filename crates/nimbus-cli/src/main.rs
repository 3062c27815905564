//! The `nimbus` command line.
// The command line is the one place that talks to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod commands;
mod context;
mod output;
mod plugins;
#[cfg(test)]
mod reference;
mod render;

use clap::{Args, CommandFactory, Parser, Subcommand};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
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
    /// Plan to replace this instance although nothing forces it (plan,
    /// apply). Repeatable.
    #[arg(long = "replace", global = true, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Let a failed soft-mandatory policy rule through (plan, apply,
    /// destroy, policy check): its id as reports show it
    /// (`POLICY.KIND`). Repeatable; needs `--reason`.
    #[arg(long = "override", global = true, value_name = "RULE")]
    pub overrides: Vec<String>,
    /// Why the `--override` rules are let through: recorded with each
    /// override in the state's history.
    #[arg(long = "reason", global = true, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Operations to run at once.
    #[arg(long, global = true, default_value_t = 10, value_name = "N")]
    pub parallelism: usize,
    /// Read real objects before planning.
    #[arg(long, global = true, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub refresh: bool,
    /// One JSON event per line on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No colors.
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Seconds to wait for the state lock (0: fail at once).
    #[arg(
        long = "lock-timeout",
        global = true,
        default_value_t = 0,
        value_name = "SECS"
    )]
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
        /// Serve this provider (`hashicorp/null`) by its plugin from the
        /// mirror even where the built-in implements it: the lock then pins
        /// the plugin. Repeatable.
        #[arg(long = "plugin", value_name = "SOURCE")]
        plugins: Vec<String>,
    },
    /// Check the configuration.
    Validate,
    /// Rewrite `.nim` files in the canonical layout.
    Fmt {
        /// Only check; exit 1 and list files that would change.
        #[arg(long)]
        check: bool,
        /// Also format the `.nim` files of subdirectories (hidden ones,
        /// such as `.nimbus/`, are left out).
        #[arg(long)]
        recursive: bool,
        /// Files and directories to format (default: the working directory).
        paths: Vec<PathBuf>,
    },
    /// Convert the Terraform files (`*.tf`) of a directory to `.nim`, one
    /// `.nim` file per `.tf` file, comments kept. Without `--out` or
    /// `--in-place` the result is printed and nothing is written.
    Convert {
        /// The directory of `.tf` files (default: the working directory).
        #[arg(value_name = "DIR")]
        source: Option<PathBuf>,
        /// Write the `.nim` files into this directory (created if needed).
        #[arg(long, value_name = "DIR", conflicts_with = "in_place")]
        out: Option<PathBuf>,
        /// Write each `NAME.nim` beside its `NAME.tf` and delete the `.tf`
        /// files once every `.nim` file is written.
        #[arg(long = "in-place")]
        in_place: bool,
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
        /// Apply without asking for approval.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Delete everything in state.
    Destroy {
        /// Destroy without asking for approval.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Update state from reality.
    Refresh,
    /// Show a plan saved with `plan -out FILE`, as `plan` showed it; with
    /// `--json`, in Terraform's JSON plan representation (what `terraform
    /// show -json` prints) for tools that read Terraform's plans. Secrets
    /// are null there, marked sensitive.
    Show {
        /// The plan saved with `plan -out FILE`.
        #[arg(value_name = "PLANFILE")]
        plan_file: PathBuf,
    },
    /// Estimate the monthly cost of a plan, made now or saved with
    /// `plan -out FILE`, from a dated price table (AWS us-east-1 list
    /// prices shipped with Nimbus) and usage assumptions. A figure that
    /// depends on usage the usage file does not give is listed as such.
    #[command(args_conflicts_with_subcommands = true)]
    Cost {
        #[command(flatten)]
        args: CostArgs,
        #[command(subcommand)]
        command: Option<CostCommand>,
    },
    /// Check the configuration's policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// List what changed outside Nimbus; exit 2 when something did.
    Drift {
        /// Plan (and apply, with approval) the way back.
        #[arg(long)]
        remediate: bool,
        /// With `--remediate`: apply without asking for approval.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Adopt an existing object into state.
    Import {
        /// Where to record it: an instance of a resource block the
        /// configuration declares (`local-file.notes`, `t.n[0]`).
        address: String,
        /// The object's id, as its provider knows it (for `local-file`,
        /// the file's path).
        id: String,
    },
    /// Show outputs.
    Output {
        /// Only this output, its value alone.
        name: Option<String>,
        /// Print sensitive values too.
        #[arg(long = "show-sensitive")]
        show_sensitive: bool,
    },
    /// Print the resource dependency graph.
    Graph {
        /// The notation to print the graph in.
        #[arg(long, default_value = "dot", value_parser = ["dot", "mermaid", "json"])]
        format: String,
    },
    /// Inspect and edit state.
    #[command(subcommand)]
    State(StateCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Mark an instance in state to be replaced by the next apply.
    Taint {
        /// The instance to replace.
        address: String,
    },
    /// Clear the mark `taint` set.
    Untaint {
        /// The instance to keep.
        address: String,
    },
    /// Release a lock left by a crashed run.
    #[command(name = "force-unlock")]
    ForceUnlock {
        /// The lock's id, as the error about the held lock shows it.
        lock_id: String,
    },
    /// List the providers the configuration uses: built-in ones with their
    /// types; plugins with their constraint, locked and installed versions.
    Providers {
        #[command(subcommand)]
        command: Option<ProvidersCommand>,
    },
    /// Print the version.
    Version,
    /// Print a completion script for SHELL (bash, zsh, fish, elvish,
    /// powershell): e.g. `nimbus completions bash > /etc/bash_completion.d/nimbus`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (`nimbus.1` and one per command) into DIR.
    #[command(name = "man-pages", hide = true)]
    ManPages {
        /// Where to write them.
        directory: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check the policies against a plan, made now or saved with
    /// `plan -out FILE`, and report every rule that fails or cannot be
    /// decided until apply. Exits 3 when a rule blocks the plan.
    Check {
        /// A plan saved with `plan -out FILE` (default: plan now).
        #[arg(conflicts_with = "terraform_plan")]
        plan_file: Option<PathBuf>,
        /// Check a plan Terraform made instead: the JSON document of
        /// `terraform show -json PLANFILE` (`-` reads standard input).
        /// The policies are this configuration's.
        #[arg(long, value_name = "FILE")]
        terraform_plan: Option<PathBuf>,
        /// Write the report as SARIF 2.1.0 (for code scanning) instead of
        /// text: every failed, undetermined or overridden rule, with the
        /// resource's file, line and column.
        #[arg(long)]
        sarif: bool,
    },
}

#[derive(Subcommand)]
pub enum ProvidersCommand {
    /// Choose plugin versions from the mirror and record them, with their
    /// SHA-256, in `.nimbus.lock` (what `init` does for plugins).
    Install {
        /// Choose the newest allowed versions again, ignoring the lock.
        #[arg(long)]
        upgrade: bool,
        /// Serve this provider by its plugin even where the built-in
        /// implements it (see `init --plugin`). Repeatable.
        #[arg(long = "plugin", value_name = "SOURCE")]
        plugins: Vec<String>,
    },
}

/// What a cost estimate is made of.
#[derive(Args)]
pub struct CostArgs {
    /// A plan saved with `plan -out FILE` (default: plan now).
    pub plan_file: Option<PathBuf>,
    /// A price table to use instead of the shipped one (JSON, the
    /// shipped table's shape).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Usage assumptions per type or address (default:
    /// `nimbus-usage.json` in the configuration's directory, when
    /// present).
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum CostCommand {
    /// How the plan moves the monthly cost: each changed resource's cost
    /// in state and as planned, and the totals before and after.
    Diff {
        #[command(flatten)]
        args: CostArgs,
    },
}

#[derive(Subcommand)]
pub enum StateCommand {
    /// List resources in state.
    List {
        /// Only addresses matching this pattern (`*` any text, `?` one
        /// character): `'module.web*'`.
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Show one resource.
    Show {
        /// The instance to show.
        address: String,
        /// Print sensitive values too.
        #[arg(long = "show-sensitive")]
        show_sensitive: bool,
    },
    /// Who changed what, when.
    History {
        /// Only the events of this instance.
        address: Option<String>,
        /// Show at most this many events, the newest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Forget a resource (the object itself is left alone).
    Rm {
        /// The instances to forget.
        addresses: Vec<String>,
    },
    /// Rename a resource in state: one instance, every instance of a
    /// block (`t.a` to `t.b`), or everything in a module.
    Mv {
        /// The address recorded now.
        from: String,
        /// The address to record it under.
        to: String,
    },
    /// Rebuild the current state by replaying the event log.
    Rebuild,
    /// Copy the state database to FILE.
    Backup {
        /// Where to write the copy.
        file: PathBuf,
    },
    /// Restore from a backup file, or to an earlier event. Also restores a
    /// damaged state database (moved aside to `.nimbus/backups/damaged-*.db`).
    Restore {
        /// A backup: written by `state backup`, or an automatic one in
        /// `.nimbus/backups/`.
        file: Option<PathBuf>,
        /// Restore the newest sound automatic backup in `.nimbus/backups/`
        /// (taken as an apply or destroy began).
        #[arg(long, conflicts_with_all = ["file", "to_event"])]
        latest: bool,
        /// Instead, bring the current workspace back to how it was after
        /// this event of `state history`.
        #[arg(long = "to-event", value_name = "EVENT")]
        to_event: Option<u64>,
    },
    /// Fold old history into a snapshot: the runs the retention keeps
    /// stay with their events; everything recorded before the oldest of
    /// them is replaced by the state as it was then (replay, `state check`
    /// and `state history` start from it). Without --keep-runs or
    /// --keep-days, the retention `state retention` set, else every run of
    /// the last 90 days. A run is kept when any rule keeps it. Then the
    /// database file is rewritten to give the space back.
    Compact {
        /// Keep the newest N runs.
        #[arg(long = "keep-runs", value_name = "N")]
        keep_runs: Option<u64>,
        /// Keep every run started in the last DAYS days.
        #[arg(long = "keep-days", value_name = "DAYS")]
        keep_days: Option<u64>,
        /// Only report what would be removed.
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
    /// Show or set how much history the state keeps. Once set, every apply
    /// and destroy compacts the history by it (see `state compact`).
    Retention {
        /// Keep the newest N runs.
        #[arg(long = "keep-runs", value_name = "N")]
        keep_runs: Option<u64>,
        /// Keep every run started in the last DAYS days.
        #[arg(long = "keep-days", value_name = "DAYS")]
        keep_days: Option<u64>,
        /// Remove the setting: runs no longer compact the history.
        #[arg(long, conflicts_with_all = ["keep_runs", "keep_days"])]
        off: bool,
    },
    /// Check the state database: SQLite's integrity check, then each
    /// workspace's current state compared with a replay of its event log.
    /// Exits 0 when both agree, 1 otherwise; writes nothing.
    Check,
    /// Encrypt every stored value with the passphrase in
    /// NIMBUS_STATE_PASSPHRASE: an unencrypted state, or one still under
    /// the previous passphrase (NIMBUS_STATE_PASSPHRASE_FALLBACK). One
    /// transaction; afterwards only the new passphrase opens the state.
    Rekey,
    /// Open write-ahead intents left by interrupted runs.
    Intents,
    /// Copy the state, with every workspace and its whole history, from
    /// the backend in use (the one `nimbus init` recorded) to the
    /// configuration's backend, which then becomes the one in use. The
    /// source is left as it was.
    Migrate {
        /// The kind of the destination (`local`, `postgres`): must be the
        /// configuration's backend's.
        #[arg(long, value_name = "KIND")]
        to: Option<String>,
        /// Overwrite a destination that holds a state already without asking.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
    },
    /// Adopt the objects of a Terraform state file (format 4) into the
    /// current workspace, in one transaction: the next plan of the same
    /// configuration changes nothing.
    #[command(name = "import-terraform")]
    ImportTerraform {
        /// The Terraform state file (`terraform.tfstate`).
        file: PathBuf,
    },
    /// Write the current workspace as a Terraform state (format 4) that
    /// Terraform 1.x reads: to FILE, or to standard output.
    #[command(name = "export-terraform")]
    ExportTerraform {
        /// Where to write it (default: standard output).
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace and switch to it.
    New {
        /// The new workspace's name.
        name: String,
    },
    /// Switch to a workspace.
    Select {
        /// The workspace to switch to.
        name: String,
    },
    /// List workspaces with how many resources each holds; `*` marks the
    /// current one.
    List,
    /// Print the current workspace's name.
    Show,
    /// Delete a workspace with its state and history.
    Delete {
        /// The workspace to delete (not `default`, not the current one).
        name: String,
        /// Delete it although it still holds resources or open intents.
        #[arg(long)]
        force: bool,
    },
}

/// The long flags of the command tree: each name, and whether it must be
/// followed by a value (`--var NAME=VALUE`) rather than taking none or an
/// optional one (`--refresh[=BOOL]`).
fn long_flags(command: &clap::Command, flags: &mut HashMap<String, bool>) {
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        let needs_value = arg.get_action().takes_values()
            && arg.get_num_args().is_none_or(|n| n.min_values() > 0);
        flags.insert(long.to_string(), needs_value);
    }
    for sub in command.get_subcommands() {
        long_flags(sub, flags);
    }
}

/// Short flags that take a value (`-C DIR`, `-o FILE`).
fn short_flags_with_values(command: &clap::Command, shorts: &mut HashSet<char>) {
    for arg in command.get_arguments() {
        if let Some(short) = arg.get_short()
            && arg.get_action().takes_values()
        {
            shorts.insert(short);
        }
    }
    for sub in command.get_subcommands() {
        short_flags_with_values(sub, shorts);
    }
}

/// Terraform spells long flags with one dash: `-auto-approve`, `-var x=1`,
/// `-chdir=DIR`, `plan -out FILE`, `fmt -recursive`, `output -json`. clap
/// reads `-out` as `-o ut` and rejects the rest, so before parsing every
/// `-NAME` and `-NAME=VALUE` whose NAME is one of our long flags becomes
/// `--NAME`. The table is the command definition itself: a flag added
/// later gets its Terraform spelling too. Values are passed untouched (a
/// `--var` value may well start with a dash), and so is everything after
/// `--`.
fn normalize_args(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut command = Cli::command();
    command.build();
    let mut flags = HashMap::new();
    long_flags(&command, &mut flags);
    let mut shorts = HashSet::new();
    short_flags_with_values(&command, &mut shorts);

    let mut rest_literal = false;
    let mut next_is_value = false;
    args.map(|arg| {
        if rest_literal || std::mem::take(&mut next_is_value) {
            return arg;
        }
        let Some(text) = arg.to_str() else {
            return arg;
        };
        if text == "--" {
            rest_literal = true;
            return arg;
        }
        let long = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-').filter(|t| !t.starts_with('-')));
        let Some(long) = long else {
            return arg;
        };
        let (name, inline_value) = match long.split_once('=') {
            Some((name, _)) => (name, true),
            None => (long, false),
        };
        let mut chars = name.chars();
        if let (Some(short), None) = (chars.next(), chars.next()) {
            // `-C DIR`: the next argument is the directory.
            next_is_value = !text.starts_with("--") && !inline_value && shorts.contains(&short);
            return arg;
        }
        match flags.get(name) {
            Some(&needs_value) => {
                next_is_value = needs_value && !inline_value;
                if text.starts_with("--") {
                    arg
                } else {
                    format!("-{text}").into()
                }
            }
            None => arg,
        }
    })
    .collect()
}

/// Parses the command line. Usage errors exit 1: 2 means "changes
/// present" (`plan --detailed-exitcode`, `drift`), 3 "a policy blocks
/// the plan" (`POLICY_BLOCKED`). With `--json` they are
/// a `diagnostic` event, like every other error.
fn parse_cli() -> Result<Cli, ExitCode> {
    let args = normalize_args(std::env::args_os());
    let json = args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    let error = match Cli::try_parse_from(&args) {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    // `--help` and `--version` are answers, not errors.
    if !error.use_stderr() {
        let text = if std::io::stdout().is_terminal() {
            error.render().ansi().to_string()
        } else {
            error.render().to_string()
        };
        output::write_stdout(&text);
        return Err(ExitCode::SUCCESS);
    }
    if json {
        let out = output::Output::new(true, true);
        let rendered = error.render().to_string();
        let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
        let message = match error.kind() {
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                "a command is required: see `nimbus --help`".to_string()
            }
            _ => {
                let first = lines.next().unwrap_or("invalid arguments");
                first.strip_prefix("error: ").unwrap_or(first).to_string()
            }
        };
        let notes: Vec<&str> = lines.collect();
        out.event(
            "diagnostic",
            serde_json::json!({ "severity": "error", "message": message, "notes": notes }),
        );
    } else {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let text = if color {
            error.render().ansi().to_string()
        } else {
            error.render().to_string()
        };
        output::write_stderr(&text);
    }
    Err(ExitCode::from(1))
}

/// The shipped binary aborts on a panic (`panic = "abort"` in the release
/// profile: 3 MB smaller; BENCHMARKS.md), as a kill would end it: after
/// the panic's own message, say what the user needs to know then. Builds
/// that unwind (tests) keep the default, since there a panicked task is
/// only that task's failure.
fn install_crash_note() {
    if !cfg!(panic = "abort") {
        return;
    }
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        output::write_stderr(
            "\nerror: nimbus stopped on an internal error (a bug in nimbus; please report it with the \
             message above).\n\
             Nothing recorded is lost: operations that were in flight were written ahead, and the next \
             `nimbus plan` or `nimbus apply` reports them and finds out what they did. The workspace \
             lock this run held is left behind: the next run says its holder is gone, and \
             `--steal-stale-lock` takes it over.\n",
        );
    }));
}

/// What providers and plugins report through `tracing` (their warnings,
/// their error output) reaches the user on stderr; `NIMBUS_LOG` (e.g.
/// `debug`, or `nimbus_plugin=trace`) shows more.
fn install_log() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NIMBUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // A second subscriber cannot exist in one process; nothing to do then.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

/// The exit code of a plan, apply, destroy or `policy check` that a
/// policy rule blocks (mandatory, or soft-mandatory not overridden).
pub const POLICY_BLOCKED: u8 = 3;

fn main() -> ExitCode {
    install_log();
    install_crash_note();
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::write_stderr(&format!("error: cannot start the runtime: {e}\n"));
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(commands::run(cli));
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::normalize_args;

    fn normalized(args: &[&str]) -> Vec<String> {
        normalize_args(args.iter().map(|a| a.into()))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn terraform_single_dash_flags_become_long_flags() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["nimbus", "plan", "-out", "p"],
                &["nimbus", "plan", "--out", "p"],
            ),
            (
                &["nimbus", "plan", "-out=p"],
                &["nimbus", "plan", "--out=p"],
            ),
            (
                &["nimbus", "apply", "-auto-approve"],
                &["nimbus", "apply", "--auto-approve"],
            ),
            (
                &["nimbus", "plan", "-var", "x=1"],
                &["nimbus", "plan", "--var", "x=1"],
            ),
            (
                &["nimbus", "plan", "-var=x=1"],
                &["nimbus", "plan", "--var=x=1"],
            ),
            (
                &["nimbus", "-chdir=d", "plan"],
                &["nimbus", "--chdir=d", "plan"],
            ),
            (
                &["nimbus", "plan", "-refresh=false"],
                &["nimbus", "plan", "--refresh=false"],
            ),
            (
                &["nimbus", "fmt", "-recursive", "-check"],
                &["nimbus", "fmt", "--recursive", "--check"],
            ),
            (
                &["nimbus", "output", "-json"],
                &["nimbus", "output", "--json"],
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(normalized(args), *expected, "{args:?}");
        }
    }

    #[test]
    fn values_shorts_and_unknown_flags_are_left_alone() {
        let cases: &[&[&str]] = &[
            // A value that looks like a flag is still a value.
            &["nimbus", "plan", "--var", "-json"],
            &["nimbus", "plan", "-var-file", "-json"],
            &["nimbus", "-C", "-json", "plan"],
            // Everything after `--` is literal.
            &["nimbus", "state", "rm", "--", "-json"],
            // Not a flag of ours: clap reports it.
            &["nimbus", "plan", "-frobnicate"],
            // Short flags keep their meaning.
            &["nimbus", "plan", "-o", "p"],
        ];
        for args in cases {
            let mut expected: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            if args[2] == "-var-file" {
                expected[2] = "--var-file".into();
            }
            assert_eq!(normalized(args), expected, "{args:?}");
        }
    }
}
