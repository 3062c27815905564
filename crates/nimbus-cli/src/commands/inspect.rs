//! `output`, `graph`, `providers`.

use crate::context::{CmdResult, Reported, Session};
use crate::{plugins, render};
use nimbus_engine::{Catalog, Requirement};
use serde_json::json;
use std::fmt::Write;

pub fn output(session: &Session, name: Option<&str>, show_sensitive: bool) -> CmdResult<u8> {
    let store = session.store(false)?;
    let workspace = session.workspace(store.as_ref())?;
    let outputs = match &store {
        Some(store) => store.outputs(&workspace).map_err(|e| {
            session.state_error("reading outputs", &e);
            Reported
        })?,
        None => Vec::new(),
    };
    let shown = |o: &nimbus_state::OutputRecord| -> serde_json::Value {
        if o.sensitive && !show_sensitive {
            json!("(sensitive)")
        } else {
            o.value.clone()
        }
    };
    if session.out.json {
        return terraform_output_json(&outputs, name, show_sensitive);
    }
    match name {
        Some(name) => {
            let Some(o) = outputs.iter().find(|o| o.name == name) else {
                session.out.error(&format!("no output named `{name}`"));
                return Err(Reported);
            };
            {
                // A single string prints raw, so scripts can use it directly.
                match shown(o) {
                    serde_json::Value::String(s) => session.out.line(&s),
                    other => session
                        .out
                        .line(&nimbus_value::Value::from_json(&other).to_string()),
                }
            }
        }
        None => {
            for o in &outputs {
                {
                    let value = nimbus_value::Value::from_json(&o.value);
                    let text = if show_sensitive {
                        value.to_string()
                    } else {
                        render::show(&value, o.sensitive)
                    };
                    session.out.line(&format!("{} = {text}", o.name));
                }
            }
        }
    }
    Ok(0)
}

/// `output --json` as Terraform's `output -json`: all outputs as one
/// document `{"NAME": {"sensitive": .., "type": .., "value": ..}}`, or one
/// output's bare value. Unlike Terraform, a sensitive value is printed only
/// with `--show-sensitive` (without it, the document leaves out its
/// `value`, and asking for it by name is an error).
fn terraform_output_json(
    outputs: &[nimbus_state::OutputRecord],
    name: Option<&str>,
    show_sensitive: bool,
) -> CmdResult<u8> {
    use nimbus_engine::terraform_state::output_type;
    // Not an event stream: errors are plain text on stderr, as Terraform's.
    let refuse = |message: String| {
        crate::output::write_stderr(&format!("error: {message}\n"));
        Err(Reported)
    };
    let text = match name {
        Some(name) => {
            let Some(o) = outputs.iter().find(|o| o.name == name) else {
                return refuse(format!("no output named `{name}`"));
            };
            if o.sensitive && !show_sensitive {
                return refuse(format!(
                    "output `{name}` is sensitive: add --show-sensitive to print its value"
                ));
            }
            o.value.to_string()
        }
        None => {
            let document: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|o| {
                    let mut entry = json!({ "sensitive": o.sensitive, "type": output_type(o) });
                    if !o.sensitive || show_sensitive {
                        entry["value"] = o.value.clone();
                    }
                    (o.name.clone(), entry)
                })
                .collect();
            serde_json::to_string_pretty(&document).unwrap_or_default()
        }
    };
    crate::output::write_stdout(&format!("{text}\n"));
    Ok(0)
}

/// The graph of resource blocks: edges go from a block to what it depends
/// on, through locals, outputs and module inputs.
pub async fn graph(session: &Session, format: &str) -> CmdResult<u8> {
    let config = session.load_config()?;
    let sources = session.sources_for_display(&config);
    // The configuration is all a graph needs: no provider is started.
    let mut diagnostics = Vec::new();
    let Some(g) = nimbus_engine::Graph::build(&config, &mut diagnostics) else {
        session.out.diagnostics(&sources, &diagnostics);
        return Err(Reported);
    };
    session.out.diagnostics(&sources, &diagnostics);
    let (nodes, edges) = g.resource_edges();
    if session.out.json {
        // With --json every line is an event, whatever --format says.
        session.out.event(
            "graph",
            json!({ "nodes": nodes, "edges": edges.iter().map(|(a, b)| json!({ "from": a, "to": b })).collect::<Vec<_>>() }),
        );
        return Ok(0);
    }
    let mut text = String::new();
    match format {
        "json" => {
            let value = json!({
                "nodes": nodes,
                "edges": edges.iter().map(|(a, b)| json!({ "from": a, "to": b })).collect::<Vec<_>>(),
            });
            text = format!("{value}\n");
        }
        "mermaid" => {
            let id = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
            let _ = writeln!(text, "graph TD");
            for n in &nodes {
                let _ = writeln!(text, "  {}[\"{n}\"]", id(n));
            }
            for (a, b) in &edges {
                let _ = writeln!(text, "  {} --> {}", id(a), id(b));
            }
        }
        _ => {
            let _ = writeln!(text, "digraph nimbus {{\n  rankdir = \"RL\";");
            for n in &nodes {
                let _ = writeln!(text, "  \"{n}\";");
            }
            for (a, b) in &edges {
                let _ = writeln!(text, "  \"{a}\" -> \"{b}\";");
            }
            let _ = writeln!(text, "}}");
        }
    }
    session.out.text(&text);
    Ok(0)
}

/// What the configuration needs and what is there to serve it, without
/// starting any plugin: built-in providers with their types; plugins with
/// their constraint, the locked version and the versions in the mirror.
pub fn providers(session: &Session) -> CmdResult<u8> {
    let config = session.load_config()?;
    let sources = session.sources_for_display(&config);
    let all = plugins::needs(&config, &session.dir, &[]).map_err(|ds| {
        session.out.diagnostics(&sources, &ds);
        Reported
    })?;
    let needs = all.plugins;
    let catalog = session.catalog();
    let mut in_process: Vec<&str> = vec![nimbus_builtin::NAME];
    for block in &config.root().providers {
        if Requirement::of(block).source.is_none()
            && !in_process.contains(&block.name.text.as_str())
        {
            in_process.push(&block.name.text);
        }
    }
    for name in in_process {
        match catalog.instantiate(name, Requirement::default()) {
            Ok(provider) => {
                let schema = provider.schema();
                let types: Vec<&str> = schema.resources.keys().map(String::as_str).collect();
                session.line_or_json(
                    &format!("{name} (built in): {}", types.join(", ")),
                    json!({ "provider": name, "built_in": true, "resource_types": types,
                            "data_sources": schema.data_sources.keys().collect::<Vec<_>>() }),
                );
            }
            Err(e) => {
                session.out.error(&format!("provider `{name}`: {e}"));
                return Err(Reported);
            }
        }
    }
    for (need, provider) in &all.builtin {
        let constraint = need.constraint.to_string();
        session.line_or_json(
            &format!(
                "{} ({}, {constraint}): built in (implements {})",
                need.blocks.join(", "),
                need.source,
                provider.version
            ),
            json!({ "provider": need.blocks, "source": need.source.to_string(),
                    "constraint": constraint, "built_in": true,
                    "implements": provider.version, "ready": true }),
        );
    }
    let places = plugins::Places {
        mirror: catalog.plugin_mirror.clone().ok().flatten(),
        cache: catalog.plugin_cache.clone(),
    };
    for need in &needs {
        let status = plugins::status(&places, &session.dir, need);
        let installed: Vec<String> = status.installed.iter().map(|v| v.to_string()).collect();
        let usable = status
            .locked
            .as_ref()
            .is_some_and(|l| installed.iter().any(|i| i == l));
        let constraint = need.constraint.to_string();
        let text = format!(
            "{} ({}, {constraint}): locked: {}; installed: {}{}",
            need.blocks.join(", "),
            need.source,
            status.locked.as_deref().unwrap_or("no"),
            if installed.is_empty() {
                "none".to_string()
            } else {
                installed.join(", ")
            },
            if usable { "" } else { "  (run `nimbus init`)" },
        );
        session.line_or_json(
            &text,
            json!({ "provider": need.blocks, "source": need.source.to_string(),
                    "constraint": constraint, "locked": status.locked,
                    "installed": installed, "ready": usable }),
        );
    }
    if places.mirror.is_none() && places.cache.is_none() && !needs.is_empty() {
        session.out.warning(
            "no plugin mirror (--plugin-mirror DIR or NIMBUS_PLUGIN_MIRROR) nor provider cache \
             (NIMBUS_PLUGIN_CACHE_DIR, XDG_CACHE_HOME or HOME) is configured",
        );
    }
    Ok(0)
}
