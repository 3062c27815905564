//! Human rendering of plans and values.

use crate::output::Output;
use nimbus_engine::{Action, Finding, Plan, PolicyReport, ResourceChange, Verdict};
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
        Action::Forget => "33",
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
        Action::Forget => "will no longer be managed by Nimbus".to_string(),
        Action::NoOp => "is unchanged".to_string(),
    };
    match (&change.replace_triggered_by, &change.reason) {
        // Terraform's wording, naming what changed.
        (Some(trigger), _) if change.action == Action::Replace => format!(
            "# {} will be replaced due to changes in replace_triggered_by ({trigger})",
            change.address
        ),
        (_, Some(reason)) => format!("# {} {what} ({reason})", change.address),
        (_, None) => format!("# {} {what}", change.address),
    }
}

/// The block's keyword and name, as in the configuration: `resource` and
/// `a` for `module.x.null-resource.a[2]` (the headline gives the instance),
/// `data` for a data source.
fn block_heading(change: &ResourceChange) -> (&'static str, String) {
    match nimbus_config::InstanceAddr::parse(&change.address) {
        Ok(address) => (
            match address.block.mode {
                nimbus_config::Mode::Data => "data",
                nimbus_config::Mode::Managed => "resource",
            },
            address.block.name,
        ),
        Err(_) => ("resource", change.address.clone()),
    }
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
    let mut line = "Plan: ".to_string();
    if s.import > 0 {
        let _ = write!(line, "{} to import, ", s.import);
    }
    let _ = write!(
        line,
        "{} to create, {} to update, {} to replace, {} to destroy",
        s.create, s.update, s.replace, s.delete
    );
    for (n, what) in [(s.read, "read"), (s.forget, "forget"), (s.moved, "move")] {
        if n > 0 {
            let _ = write!(line, ", {n} to {what}");
        }
    }
    line.push('.');
    line
}

/// `# FROM has moved to TO` for each moved object, and `# ADDRESS will be
/// imported` for each import, before the changes (Terraform's lines).
fn render_moves_and_imports(out: &Output, plan: &Plan) -> String {
    let mut text = String::new();
    for moved in plan.moved_objects() {
        let _ = writeln!(
            text,
            "  {}",
            out.paint(&format!("# {} has moved to {}", moved.from, moved.to), "1")
        );
    }
    for import in &plan.imports {
        let id = if import.sensitive {
            "(sensitive)".to_string()
        } else {
            format!("{:?}", import.id)
        };
        let _ = writeln!(
            text,
            "  {}",
            out.paint(&format!("# {} will be imported", import.address), "1")
        );
        let _ = writeln!(text, "      id = {id}");
    }
    text
}

pub fn render_plan(out: &Output, plan: &Plan) -> String {
    let mut text = String::new();
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action.is_change())
        .collect();
    if !changes.is_empty() || !plan.moves.is_empty() || !plan.imports.is_empty() {
        let _ = writeln!(text, "Nimbus will perform the following actions:\n");
        let refactoring = render_moves_and_imports(out, plan);
        if !refactoring.is_empty() {
            let _ = writeln!(text, "{refactoring}");
        }
        for change in changes {
            let _ = writeln!(text, "{}", render_change(out, change));
        }
    }
    let output_changes: Vec<_> = plan
        .outputs
        .iter()
        .filter(|o| {
            o.removed
                || o.before.as_ref().map(|b| b.clone().unmark().0)
                    != Some(o.after.clone().unmark().0)
        })
        .collect();
    if !output_changes.is_empty() {
        let _ = writeln!(text, "Changes to outputs:");
        for o in output_changes {
            let after = show(&o.after, o.sensitive);
            if o.removed {
                let before = o.before.as_ref().map(|b| show(b, o.sensitive));
                let _ = writeln!(
                    text,
                    "  {} {} = {} -> null",
                    out.paint("-", "31"),
                    o.name,
                    before.unwrap_or_default()
                );
                continue;
            }
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
    count(n, "resource", "resources")
}

/// "1 event", "2 events": `n` and the word that goes with it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Blocks named one by one in a summary line; the rest are counted.
const SUMMARY_BLOCKS: usize = 10;
/// Instance addresses named one by one per block in a summary line.
const SUMMARY_INSTANCES: usize = 3;

/// Addresses of one resource block, in a run's list of failed or skipped
/// addresses.
struct BlockGroup<'a> {
    block: &'a str,
    /// Entries for this block: the engine lists a block address once per
    /// instance, so this counts instances.
    count: usize,
    /// The distinct instance addresses among them, in order.
    instances: Vec<&'a str>,
}

/// Groups addresses by their block, in order of first appearance.
fn by_block(addresses: &[String]) -> Vec<BlockGroup<'_>> {
    let mut groups: Vec<BlockGroup<'_>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for address in addresses {
        let block = nimbus_engine::block_of(address);
        let i = *index.entry(block).or_insert_with(|| {
            groups.push(BlockGroup {
                block,
                count: 0,
                instances: Vec::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[i];
        group.count += 1;
        if address != block && !group.instances.contains(&address.as_str()) {
            group.instances.push(address);
        }
    }
    groups
}

/// Each address once, in order.
pub fn distinct(addresses: &[String]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    addresses
        .iter()
        .map(String::as_str)
        .filter(|a| seen.insert(*a))
        .collect()
}

/// `[{ "block", "count" }]` for `--json` summaries.
pub fn block_counts_json(addresses: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        by_block(addresses)
            .into_iter()
            .map(|g| serde_json::json!({ "block": g.block, "count": g.count }))
            .collect(),
    )
}

/// A bounded list for a summary line, grouped by block:
/// `terraform-data.a, null-resource.n (300 instances), ...`. However many
/// addresses there are, at most [`SUMMARY_BLOCKS`] blocks and
/// [`SUMMARY_INSTANCES`] instance addresses of each are named.
pub fn addresses_by_block(addresses: &[String]) -> String {
    let groups = by_block(addresses);
    let mut parts: Vec<String> = groups
        .iter()
        .take(SUMMARY_BLOCKS)
        .map(|g| match g.instances.as_slice() {
            [only] if g.count == 1 => only.to_string(),
            [] if g.count == 1 => g.block.to_string(),
            [] => format!("{} ({} instances)", g.block, g.count),
            instances => {
                let named: Vec<&str> = instances.iter().take(SUMMARY_INSTANCES).copied().collect();
                let more = g.count - named.len();
                if more == 0 {
                    format!("{} ({})", g.block, named.join(", "))
                } else {
                    format!(
                        "{} ({} instances: {} and {more} more)",
                        g.block,
                        g.count,
                        named.join(", ")
                    )
                }
            }
        })
        .collect();
    if groups.len() > SUMMARY_BLOCKS {
        let rest = &groups[SUMMARY_BLOCKS..];
        let instances: usize = rest.iter().map(|g| g.count).sum();
        parts.push(format!(
            "and {} more blocks ({} instances)",
            rest.len(),
            instances
        ));
    }
    parts.join(", ")
}

/// `policy check`'s report: one entry per rule that failed or could not
/// be decided, in the report's order (address, then rule), with the
/// resource's location and what the rule says; never a value. With
/// `--json`, one `policy_report` event.
/// A policy report as a SARIF 2.1.0 log (the format code-scanning tools
/// read): one rule per policy rule that has a finding, one result per
/// finding in the report's order. A blocking failure is an `error`, an
/// advisory one a `warning`, an undetermined rule a `note`; an override
/// (`--override RULE --reason TEXT`) is an external suppression with its
/// reason, a resource's `(policy-exception ...)` an in-source one (an
/// expired one is an error). Like the other reports it holds no values.
pub fn policy_sarif(config: &nimbus_config::Config, report: &PolicyReport) -> serde_json::Value {
    use serde_json::json;
    let mut rules: Vec<&Finding> = Vec::new();
    for f in &report.findings {
        if !rules.iter().any(|r| r.rule == f.rule) {
            rules.push(f);
        }
    }
    rules.sort_by(|a, b| a.rule.cmp(&b.rule));
    let rule_index = |id: &str| rules.iter().position(|r| r.rule == id).unwrap_or(0);
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = match f.verdict {
                Verdict::Undetermined => "note",
                Verdict::Fail if f.blocks() || f.overridden.is_some() => "error",
                Verdict::Fail => "warning",
            };
            let what = match f.verdict {
                Verdict::Undetermined => "cannot be decided until apply",
                Verdict::Fail => "fails",
            };
            let location = config.location(f.resource_span.unwrap_or(f.rule_span));
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index(&f.rule),
                "level": level,
                "message": {
                    "text": format!(
                        "{} {what} for {} ({}, {}): the rule {}",
                        f.rule,
                        f.address,
                        f.action.verb(),
                        f.provider_action,
                        f.why
                    )
                },
                "locations": [sarif_location(&location)],
                "properties": {
                    "address": f.address,
                    "resourceType": f.resource_type,
                    "action": f.action.verb(),
                    "providerAction": f.provider_action,
                    "enforcement": f.level.as_str(),
                    "blocks": f.blocks(),
                },
            });
            match (&f.exception, &f.overridden) {
                (Some(e), _) if !e.expired => {
                    result["suppressions"] =
                        json!([{ "kind": "inSource", "justification": e.reason }]);
                }
                (Some(e), _) => {
                    result["level"] = json!("error");
                    result["properties"]["exceptionExpired"] = json!(e.expires);
                }
                (None, Some(reason)) => {
                    result["suppressions"] =
                        json!([{ "kind": "external", "justification": reason }]);
                }
                (None, None) => {}
            }
            result
        })
        .collect();
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|f| {
            let mut rule = json!({
                "id": f.rule,
                "shortDescription": { "text": format!("the rule {}", f.why) },
                "defaultConfiguration": {
                    "level": match f.level {
                        nimbus_config::Enforcement::Advisory => "warning",
                        nimbus_config::Enforcement::Disabled => "none",
                        _ => "error",
                    }
                },
                "properties": { "enforcement": f.level.as_str() },
            });
            if let Some(message) = &f.message {
                rule["help"] = json!({ "text": message });
            }
            rule
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "nimbus",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "blocked": report.blocked(),
                "rulesChecked": report.rules,
            },
        }]
    })
}

/// `FILE:LINE:COL` as a SARIF physical location (the file alone when the
/// text has no line).
fn sarif_location(location: &str) -> serde_json::Value {
    let mut parts = location.rsplitn(3, ':');
    let (col, line, file) = (parts.next(), parts.next(), parts.next());
    match (
        file,
        line.and_then(|l| l.parse::<u64>().ok()),
        col.and_then(|c| c.parse::<u64>().ok()),
    ) {
        (Some(file), Some(line), Some(column)) => serde_json::json!({
            "physicalLocation": {
                "artifactLocation": { "uri": file },
                "region": { "startLine": line, "startColumn": column },
            }
        }),
        _ => serde_json::json!({
            "physicalLocation": { "artifactLocation": { "uri": location } }
        }),
    }
}

pub fn policy_report(out: &Output, config: &nimbus_config::Config, report: &PolicyReport) {
    let location = |f: &Finding| {
        f.resource_span
            .or(Some(f.rule_span))
            .map(|span| config.location(span))
            .unwrap_or_default()
    };
    let result = |f: &Finding| match (f.verdict, &f.overridden, &f.exception) {
        (_, _, Some(e)) if !e.expired => "excepted",
        (Verdict::Fail, _, Some(_)) => "fail",
        (Verdict::Fail, Some(_), _) => "overridden",
        (verdict, _, _) => verdict.as_str(),
    };
    let count = |wanted: &str| {
        report
            .findings
            .iter()
            .filter(|f| result(f) == wanted)
            .count()
    };
    let (failed, undetermined, overridden) =
        (count("fail"), count("undetermined"), count("overridden"));
    let verdict = if report.blocked() {
        "blocked"
    } else {
        "passed"
    };
    let excepted = match count("excepted") {
        0 => String::new(),
        n => format!(", {n} excepted"),
    };
    let headline = format!(
        "Policies {verdict}: {} checked, {failed} failed, {undetermined} undetermined, {overridden} overridden{excepted}.",
        match report.rules {
            1 => "1 rule".to_string(),
            n => format!("{n} rules"),
        }
    );
    if out.json {
        let findings: Vec<serde_json::Value> = report
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "rule": f.rule,
                    "level": f.level.as_str(),
                    "result": result(f),
                    "blocks": f.blocks(),
                    "address": f.address,
                    "resource_type": f.resource_type,
                    "action": f.action.verb(),
                    "provider_action": f.provider_action,
                    "location": location(f),
                    "why": f.why,
                    "message": f.message,
                    "override_reason": f.overridden,
                    "exception": f.exception.as_ref().map(|e| serde_json::json!({
                        "reason": e.reason,
                        "expires": e.expires,
                        "expired": e.expired,
                    })),
                })
            })
            .collect();
        out.event_with_message(
            "policy_report",
            &headline,
            serde_json::json!({
                "blocked": report.blocked(),
                "rules": report.rules,
                "findings": findings,
            }),
        );
        return;
    }
    let mut text = String::new();
    for f in &report.findings {
        let tag = match result(f) {
            "fail" if f.blocks() => out.paint("FAIL", "31"),
            "fail" => out.paint("WARN", "33"),
            "undetermined" => out.paint("UNDETERMINED", "36"),
            "excepted" => out.paint("EXCEPTED", "36"),
            _ => out.paint("OVERRIDDEN", "33"),
        };
        let _ = writeln!(
            text,
            "{tag} {} ({}) {} [{}]",
            f.rule,
            f.level.as_str(),
            f.address,
            location(f)
        );
        let _ = writeln!(
            text,
            "  {} ({}): the rule {}",
            f.action.verb(),
            f.provider_action,
            f.why
        );
        if let Some(message) = &f.message {
            let _ = writeln!(text, "  fix: {message}");
        }
        if let Some(e) = &f.exception {
            let until = match (&e.expires, e.expired) {
                (Some(date), true) => format!(" (expired on {date}: renew or remove it)"),
                (Some(date), false) => format!(" (until {date})"),
                (None, _) => String::new(),
            };
            let _ = writeln!(text, "  excepted: {}{until}", e.reason);
        } else if let Some(reason) = &f.overridden {
            let _ = writeln!(text, "  overridden: {reason}");
        }
        if f.verdict == Verdict::Undetermined && f.exception.is_none() {
            let _ = writeln!(
                text,
                "  checked again at apply, when the values it reads are known"
            );
        }
    }
    let _ = writeln!(text, "{headline}");
    out.text(&text);
}

/// A cost estimate: its lines and total as text, each priced line with
/// the table row it came from. With `--json`, one `cost_estimate` event
/// (amounts also as cents, exact).
pub fn cost_estimate(out: &Output, estimate: &nimbus_engine::cost::Estimate) {
    if out.json {
        let mut fields = serde_json::to_value(estimate).unwrap_or_default();
        if let Some(map) = fields.as_object_mut() {
            map.insert(
                "total".to_string(),
                serde_json::Value::String(nimbus_engine::cost::dollars(estimate.total_cents)),
            );
        }
        out.event("cost_estimate", fields);
    } else {
        out.text(&estimate.render());
    }
}

/// `cost diff`: per changed resource, its monthly cost before and after,
/// and the totals. With `--json`, one `cost_diff` event (amounts also as
/// cents, exact).
pub fn cost_diff(out: &Output, diff: &nimbus_engine::cost::CostDiff) {
    use nimbus_engine::cost::{dollars, signed_dollars};
    if out.json {
        let mut fields = serde_json::to_value(diff).unwrap_or_default();
        if let Some(map) = fields.as_object_mut() {
            map.insert("before".into(), dollars(diff.before_cents).into());
            map.insert("after".into(), dollars(diff.after_cents).into());
            map.insert("delta".into(), signed_dollars(diff.delta_cents).into());
        }
        out.event("cost_diff", fields);
    } else {
        out.text(&diff.render());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_block_listed_per_instance_is_named_once_with_its_count() {
        let mut failed = vec!["terraform-data.bad".to_string(); 20_000];
        failed.push("null-resource.other".to_string());
        assert_eq!(
            addresses_by_block(&failed),
            "terraform-data.bad (20000 instances), null-resource.other"
        );
        assert_eq!(
            distinct(&failed),
            ["terraform-data.bad", "null-resource.other"]
        );
    }

    #[test]
    fn instance_addresses_are_grouped_and_bounded() {
        let keys: Vec<String> = (0..500)
            .map(|i| format!("null-resource.n[\"k[{i}].x\"]"))
            .collect();
        let line = addresses_by_block(&keys);
        assert_eq!(
            line,
            "null-resource.n (500 instances: null-resource.n[\"k[0].x\"], null-resource.n[\"k[1].x\"], null-resource.n[\"k[2].x\"] and 497 more)"
        );
        assert_eq!(
            addresses_by_block(&strings(&["a.b[0]", "a.b[1]"])),
            "a.b (a.b[0], a.b[1])"
        );
        assert_eq!(addresses_by_block(&strings(&["a.b[7]"])), "a.b[7]");
    }

    #[test]
    fn many_blocks_are_counted_beyond_the_first_ones() {
        let blocks: Vec<String> = (0..25).map(|i| format!("terraform-data.b{i}")).collect();
        let line = addresses_by_block(&blocks);
        assert!(line.starts_with("terraform-data.b0, terraform-data.b1,"));
        assert!(line.ends_with("terraform-data.b9, and 15 more blocks (15 instances)"));
        assert_eq!(
            block_counts_json(&strings(&["a.b", "a.b", "c.d[1]"])),
            serde_json::json!([{ "block": "a.b", "count": 2 }, { "block": "c.d", "count": 1 }])
        );
    }
}
