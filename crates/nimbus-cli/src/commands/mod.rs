//! One module per group of commands; `run` dispatches.

mod apply;
mod inspect;
mod setup;
mod state;

use crate::context::{CmdResult, Session};
use crate::{Cli, Command, CostCommand, PolicyCommand, ProvidersCommand};
use clap::CommandFactory;

/// Runs a command and returns the process exit code.
pub async fn run(mut cli: Cli) -> u8 {
    // `show --json` prints Terraform's plan document, for tools: stdout
    // holds that document alone, and warnings and errors go to stderr as
    // text, as Terraform's `show -json` does.
    let plan_document = matches!(cli.command, Command::Show { .. }) && cli.global.json;
    if plan_document {
        cli.global.json = false;
    }
    let session = match Session::new(cli.global) {
        Ok(s) => s,
        Err(e) => {
            crate::output::write_stderr(&format!(
                "error: cannot determine the working directory: {e}\n"
            ));
            return 1;
        }
    };
    // `output --json` prints Terraform's `output -json` document, for
    // scripts: no event stream around it.
    if !matches!(cli.command, Command::Output { .. }) {
        session.out.begin();
    }
    // `-C DIR` must name an existing directory (only `init` may create it):
    // otherwise state commands would quietly report an empty state, or
    // create `DIR/.nimbus` somewhere unintended.
    if let Some(dir) = &session.global.dir
        && !dir.is_dir()
        && !matches!(cli.command, Command::Init { .. } | Command::Version)
    {
        session
            .out
            .error(&format!("-C {}: no such directory", dir.display()));
        return 1;
    }
    let result: CmdResult<u8> = match cli.command {
        Command::Init { upgrade, plugins } => {
            setup::init(&session, upgrade, &plugins).await.map(|_| 0)
        }
        Command::Validate => setup::validate(&session).await.map(|_| 0),
        Command::Fmt {
            check,
            recursive,
            paths,
        } => setup::fmt(&session, check, recursive, &paths),
        Command::Convert {
            source,
            out,
            in_place,
        } => setup::convert(&session, source.as_deref(), out.as_deref(), in_place),
        Command::Version => {
            session.line_or_json(
                &format!("nimbus {}", env!("CARGO_PKG_VERSION")),
                serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }),
            );
            Ok(0)
        }
        Command::Plan {
            out,
            detailed_exitcode,
            destroy,
        } => apply::plan(&session, out.as_deref(), detailed_exitcode, destroy).await,
        Command::Apply {
            plan_file,
            auto_approve,
        } => apply::apply(&session, plan_file.as_deref(), auto_approve).await,
        Command::Destroy { auto_approve } => apply::destroy(&session, auto_approve).await,
        Command::Refresh => apply::refresh(&session).await,
        Command::Show { plan_file } => apply::show(&session, &plan_file, plan_document),
        Command::Cost { args, command } => match command {
            None => apply::cost(&session, &args, false).await,
            Some(CostCommand::Diff { args }) => apply::cost(&session, &args, true).await,
        },
        Command::Policy(PolicyCommand::Check {
            plan_file,
            terraform_plan,
            sarif,
        }) => match terraform_plan {
            Some(document) => apply::policy_check_terraform(&session, &document, sarif),
            None => apply::policy_check(&session, plan_file.as_deref(), sarif).await,
        },
        Command::Drift {
            remediate,
            auto_approve,
        } => apply::drift(&session, remediate, auto_approve).await,
        Command::Import { address, id } => apply::import(&session, &address, &id).await,
        Command::Output {
            name,
            show_sensitive,
        } => inspect::output(&session, name.as_deref(), show_sensitive),
        Command::Graph { format } => inspect::graph(&session, &format).await,
        Command::Providers { command: None } => inspect::providers(&session),
        Command::Providers {
            command: Some(ProvidersCommand::Install { upgrade, plugins }),
        } => setup::install_plugins(&session, upgrade, &plugins)
            .await
            .map(|_| 0),
        Command::State(cmd) => state::state(&session, cmd).await,
        Command::Workspace(cmd) => state::workspace(&session, cmd),
        Command::Taint { address } => state::taint(&session, &address, true),
        Command::Untaint { address } => state::taint(&session, &address, false),
        Command::ForceUnlock { lock_id } => state::force_unlock(&session, &lock_id),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut crate::Cli::command(), "nimbus", &mut script);
            crate::output::write_stdout(&String::from_utf8_lossy(&script));
            Ok(0)
        }
        Command::ManPages { directory } => setup::man_pages(&session, &directory),
    };
    // A command that failed has already said why (`Reported`): it exits 1.
    // One that was interrupted (Ctrl-C, SIGTERM, SIGHUP) exits non-zero.
    result
        .map(|code| session.interrupted_exit(code))
        .unwrap_or(1)
}

impl Session {
    /// Text for people, or the JSON object with `--json`.
    pub fn line_or_json(&self, text: &str, json: serde_json::Value) {
        if self.out.json {
            self.out.event_with_message("result", text.trim(), json);
        } else {
            self.out.line(text);
        }
    }
}
