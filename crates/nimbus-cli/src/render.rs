//! Human rendering of plans and values.

use crate::output::Output;
use nimbus_engine::{Action, Plan, ResourceChange};
use nimbus_value::Value;
use std::fmt::Write;

/// A value as shown to people: sensitive values are never printed.
pub fn show(value: &Value, sensitive: bool) -> String {
    if sensitive || value.is_sensitive() {
        "(sensitive)".to_string()
    } else {
        value.to_string()
    }
}

fn color_of(action: Action) -> &'static str {
    match action {
        Action::Create => "32",
        Action::Update => "33",
        Action::Replace => "35",
        Action::Delete => "31",
        Action::Read => "36",
        Action::NoOp => "0",
    }
}

fn headline(change: &ResourceChange) -> String {
    let what = match change.action {
        Action::Create => "will be created".to_string(),
        Action::Update => "will be updated in place".to_string(),
        Action::Replace if change.create_before_destroy => {
            "must be replaced (new one created before the old one is destroyed)".to_string()
        }
        Action::Replace => "must be replaced".to_string(),
        Action::Delete => "will be destroyed".to_string(),
        Action::Read => "will be read during apply".to_string(),
        Action::NoOp => "is unchanged".to_string(),
    };
    match &change.reason {
        Some(reason) => format!("# {} {what} ({reason})", change.address),
        None => format!("# {} {what}", change.address),
    }
}

/// The block's keyword and name, as in the configuration: `resource` and
/// `a` for `module.x.null-resource.a[2]` (the headline gives the instance),
/// `data` for a data source.
fn block_heading(change: &ResourceChange) -> (&'static str, &str) {
    let marker = format!("{}.", change.resource_type);
    let Some((before, name)) = change.address.rsplit_once(marker.as_str()) else {
        return ("resource", change.address.as_str());
    };
    // What precedes the type is `module.NAME.` pairs, then `data.` for a
    // data source: an odd number of segments (a module may be named data).
    let segments = before.split_terminator('.').count();
    let keyword = if segments % 2 == 1 {
        "data"
    } else {
        "resource"
    };
    (keyword, nimbus_engine::block_of(name))
}

pub fn render_change(out: &Output, change: &ResourceChange) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "  {}", out.paint(&headline(change), "1"));
    let symbol = change.action.symbol();
    let (keyword, name) = block_heading(change);
    let _ = writeln!(
        text,
        "{:>3} {keyword} \"{}\" \"{}\" {{",
        out.paint(symbol, color_of(change.action)),
        change.resource_type,
        name
    );
    let diffs = change.diffs();
    let width = diffs.iter().map(|d| d.name.len()).max().unwrap_or(0);
    for diff in diffs {
        let (mark, body) = match (&diff.before, &diff.after) {
            (None, Some(after)) => ("+", show(after, diff.sensitive)),
            (Some(before), None) => ("-", show(before, diff.sensitive)),
            (Some(before), Some(after)) => (
                "~",
                format!(
                    "{} -> {}",
                    show(before, diff.sensitive),
                    show(after, diff.sensitive)
                ),
            ),
            (None, None) => continue,
        };
        let forces = if diff.forces_replacement {
            out.paint(" # forces replacement", "35")
        } else {
            String::new()
        };
        let mark = match mark {
            "+" => out.paint(mark, "32"),
            "-" => out.paint(mark, "31"),
            _ => out.paint(mark, "33"),
        };
        let _ = writeln!(text, "      {mark} {:<width$} = {body}{forces}", diff.name);
    }
    let _ = writeln!(text, "    }}");
    text
}

pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    if s.total() == 0 {
        return "No changes. The infrastructure matches the configuration.".to_string();
    }
    let mut line = format!(
        "Plan: {} to create, {} to update, {} to replace, {} to destroy",
        s.create, s.update, s.replace, s.delete
    );
    if s.read > 0 {
        let _ = write!(line, ", {} to read", s.read);
    }
    line.push('.');
    line
}

pub fn render_plan(out: &Output, plan: &Plan) -> String {
    let mut text = String::new();
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .collect();
    if !changes.is_empty() {
        let _ = writeln!(text, "Nimbus will perform the following actions:\n");
        for change in changes {
            let _ = writeln!(text, "{}", render_change(out, change));
        }
    }
    let output_changes: Vec<_> = plan
        .outputs
        .iter()
        .filter(|o| {
            o.before.as_ref().map(|b| b.clone().unmark().0) != Some(o.after.clone().unmark().0)
        })
        .collect();
    if !output_changes.is_empty() {
        let _ = writeln!(text, "Changes to outputs:");
        for o in output_changes {
            let after = show(&o.after, o.sensitive);
            match &o.before {
                None => {
                    let _ = writeln!(text, "  {} {} = {after}", out.paint("+", "32"), o.name);
                }
                Some(before) => {
                    let _ = writeln!(
                        text,
                        "  {} {} = {} -> {after}",
                        out.paint("~", "33"),
                        o.name,
                        show(before, o.sensitive)
                    );
                }
            }
        }
        text.push('\n');
    }
    let _ = writeln!(text, "{}", summary_line(plan));
    text
}

/// "1 resource", "2 resources".
pub fn resources(n: usize) -> String {
    if n == 1 {
        "1 resource".to_string()
    } else {
        format!("{n} resources")
    }
}
