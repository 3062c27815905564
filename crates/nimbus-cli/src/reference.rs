//! The guide's command reference (`docs/guide/src/commands.md`), generated
//! from the command-line definition itself, so it says what `--help`
//! says. The test below fails when the committed chapter differs from
//! what the definition gives; after changing a command or an option run
//! `NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-cli --bin nimbus reference`.

use clap::{Arg, ArgAction, Command};
use std::fmt::Write;

const START: &str = "<!-- commands:start -->";
const END: &str = "<!-- commands:end -->";

/// Arguments every command has, which the reference mentions once.
fn is_builtin(arg: &Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// The commands a user sees: neither hidden ones nor clap's `help`.
fn visible(command: &Command) -> impl Iterator<Item = &Command> {
    command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
}

/// The help of a command: its whole text, else its summary.
fn about(command: &Command) -> Option<String> {
    command
        .get_long_about()
        .or(command.get_about())
        .map(|text| sentence(text.to_string().trim()))
        .filter(|text| !text.is_empty())
}

/// The help of an argument, as a sentence (clap drops the final period
/// of a one-sentence help).
fn help(arg: &Arg) -> Option<String> {
    arg.get_long_help()
        .or(arg.get_help())
        .map(|text| sentence(text.to_string().trim()))
        .filter(|text| !text.is_empty())
}

fn sentence(text: &str) -> String {
    let mut text = text.to_string();
    if !text.is_empty() && !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// How an argument is written: `-C, --chdir <DIR>`, `<ADDRESS>`,
/// `[FILE]`, `<ADDRESSES>...`, `--refresh[=<REFRESH>]`.
fn spelling(arg: &Arg) -> String {
    let names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(ToString::to_string).collect(),
        None => vec![arg.get_id().as_str().to_uppercase()],
    };
    let value = names
        .iter()
        .map(|name| format!("<{name}>"))
        .collect::<Vec<_>>()
        .join(" ");
    let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1)
        || matches!(arg.get_action(), ArgAction::Append);
    if arg.is_positional() {
        let value = if arg.is_required_set() {
            value
        } else {
            format!("[{}]", value.trim_start_matches('<').trim_end_matches('>'))
        };
        return if many { format!("{value}...") } else { value };
    }
    let mut flags = Vec::new();
    if let Some(short) = arg.get_short() {
        flags.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        flags.push(format!("--{long}"));
    }
    let mut text = flags.join(", ");
    if arg.get_action().takes_values() {
        if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
            write!(text, "[={value}]").expect("writing to a string");
        } else {
            write!(text, " {value}").expect("writing to a string");
        }
    }
    text
}

/// One line of the list of a command's arguments.
fn argument(arg: &Arg) -> String {
    let mut line = format!("- `{}`", spelling(arg));
    if let Some(help) = help(arg) {
        write!(line, ": {help}").expect("writing to a string");
    }
    let mut notes = Vec::new();
    let flag = matches!(
        arg.get_action(),
        ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count
    );
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !flag && !defaults.is_empty() {
        notes.push(format!("Default: `{}`", defaults.join(", ")));
    }
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !flag && !possible.is_empty() {
        notes.push(format!("One of {}", possible.join(", ")));
    }
    let says_so = help(arg).is_some_and(|h| h.to_lowercase().contains("repeatable"));
    if !arg.is_positional() && matches!(arg.get_action(), ArgAction::Append) && !says_so {
        notes.push("Repeatable".to_string());
    }
    if !notes.is_empty() {
        write!(line, " {}.", notes.join(". ")).expect("writing to a string");
    }
    line.push('\n');
    line
}

/// The section of one command, then those of its subcommands, a heading
/// level deeper.
fn section(command: &mut Command, path: &str, level: usize, out: &mut String) {
    let usage = command.render_usage().to_string();
    let hashes = "#".repeat(level);
    write!(out, "\n{hashes} `{path}`\n\n").expect("writing to a string");
    if let Some(about) = about(command) {
        write!(out, "{about}\n\n").expect("writing to a string");
    }
    write!(out, "```text\n{}\n```\n", usage.trim()).expect("writing to a string");
    let (positionals, options): (Vec<&Arg>, Vec<&Arg>) = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set() && !is_builtin(a))
        .partition(|a| a.is_positional());
    if !positionals.is_empty() {
        out.push_str("\nArguments:\n\n");
        positionals.iter().for_each(|a| out.push_str(&argument(a)));
    }
    if !options.is_empty() {
        out.push_str("\nOptions:\n\n");
        options.iter().for_each(|a| out.push_str(&argument(a)));
    }
    let names: Vec<String> = visible(command)
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        let sub = command
            .find_subcommand_mut(&name)
            .expect("a subcommand just listed");
        section(sub, &format!("{path} {name}"), level + 1, out);
    }
}

/// The generated part of the chapter: the global options, then every
/// visible command in the definition's order.
pub fn reference(mut root: Command) -> String {
    root.build();
    let mut out = String::from("## Global options\n\n");
    out.push_str(
        "These go before or after the command's name, and every command \
         takes them (each takes `-h`/`--help` too).\n\n",
    );
    root.get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
        .for_each(|a| out.push_str(&argument(a)));
    let names: Vec<String> = visible(&root)
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        let path = format!("{} {name}", root.get_name());
        let sub = root
            .find_subcommand_mut(&name)
            .expect("a subcommand just listed");
        section(sub, &path, 2, &mut out);
    }
    out
}

/// Every visible command and argument that has no help text, by path.
pub fn undocumented(mut root: Command) -> Vec<String> {
    fn walk(command: &Command, path: &str, missing: &mut Vec<String>) {
        if about(command).is_none() {
            missing.push(path.to_string());
        }
        for arg in command
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !is_builtin(a))
        {
            if help(arg).is_none() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in visible(command) {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    root.build();
    let mut missing = Vec::new();
    let name = root.get_name().to_string();
    walk(&root, &name, &mut missing);
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cli;
    use clap::CommandFactory;
    use std::path::PathBuf;

    fn chapter() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide/src/commands.md")
    }

    #[test]
    fn the_command_reference_is_generated_from_the_command_line_definition() {
        let path = chapter();
        let text = std::fs::read_to_string(&path).expect("docs/guide/src/commands.md");
        let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
            panic!("commands.md lacks the {START} and {END} markers");
        };
        let expected = format!("{START}\n{}{END}", reference(Cli::command()));
        if text[start..end + END.len()] != expected {
            if std::env::var_os("NIMBUS_UPDATE_DOCS").is_some() {
                let updated = format!("{}{expected}{}", &text[..start], &text[end + END.len()..]);
                std::fs::write(&path, updated).expect("write commands.md");
                return;
            }
            panic!(
                "docs/guide/src/commands.md is out of date; run \
                 NIMBUS_UPDATE_DOCS=1 cargo test -p nimbus-cli --bin nimbus reference"
            );
        }
    }

    #[test]
    fn every_command_and_argument_has_help_text() {
        assert_eq!(undocumented(Cli::command()), Vec::<String>::new());
    }

    #[test]
    fn the_reference_has_every_command_and_option_and_no_hidden_one() {
        let text = reference(Cli::command());
        for heading in [
            "## `nimbus plan`",
            "### `nimbus state list`",
            "### `nimbus workspace delete`",
            "### `nimbus providers install`",
        ] {
            assert!(text.contains(&format!("\n{heading}\n")), "{heading}");
        }
        assert!(text.contains("- `-C, --chdir <DIR>`: Run as if started in DIR.\n"));
        assert!(text.contains("- `--var <NAME=VALUE>`: "));
        assert!(
            text.contains("- `--parallelism <N>`: Operations to run at once. Default: `10`.\n")
        );
        assert!(text.contains("One of `dot`, `mermaid`, `json`."));
        assert!(text.contains("- `<ADDRESS>`: "));
        assert!(text.contains("- `[PLAN_FILE]`: "));
        assert!(text.contains("- `[ADDRESSES]...`: "));
        assert!(text.contains("Usage: nimbus state mv [OPTIONS] <FROM> <TO>"));
        assert!(!text.contains("man-pages"));
        assert!(!text.contains("`nimbus help`"));
        // Global options are listed once, not under every command.
        assert_eq!(text.matches("--chdir").count(), 1);

        let mut undocumented_command = Command::new("t")
            .subcommand(Command::new("quiet").arg(Arg::new("x").long("x")))
            .subcommand(Command::new("secret").hide(true));
        assert_eq!(
            undocumented(undocumented_command.clone()),
            ["t", "t quiet", "t quiet x"]
        );
        undocumented_command = undocumented_command.about("A test.");
        assert!(reference(undocumented_command).contains("## `t quiet`"));
    }
}
