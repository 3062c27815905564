//! `state ...`, `workspace ...`, `force-unlock`.

use crate::context::{CmdResult, Reported, Session};
use crate::{StateCommand, WorkspaceCommand, render};
use nimbus_state::{Retention, RunInfo, StateError, Store};
use serde_json::json;
use std::path::PathBuf;

/// The event kind of a policy override (`--override RULE --reason TEXT`).
const POLICY_OVERRIDE: &str = "policy.override";

fn fail<'s>(session: &'s Session, what: &str) -> impl Fn(StateError) -> Reported + 's {
    let what = what.to_string();
    move |e| {
        session.state_error(&what, &e);
        Reported
    }
}

fn store_or_empty(session: &Session) -> CmdResult<Option<Store>> {
    session.store(false)
}

fn require_store(session: &Session) -> CmdResult<Store> {
    session.store(true)?.ok_or(Reported)
}

/// Rows of cells as lines whose columns line up: each column as wide as
/// its widest cell (counted in characters), two spaces between columns,
/// the last column unpadded.
fn aligned(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<width$}  ", width = widths[c]));
                }
            }
            line
        })
        .collect()
}

/// Masks sensitive top-level attributes of a stored object.
fn masked(record: &nimbus_state::ResourceRecord, show_sensitive: bool) -> serde_json::Value {
    let mut attributes = record.attributes.clone();
    if !show_sensitive && let Some(map) = attributes.as_object_mut() {
        for path in &record.sensitive_attributes {
            // Shown whole, so masked whole when any part is secret.
            let name = nimbus_value::path::attribute_of(path);
            if let Some(v) = map.get_mut(name)
                && !v.is_null()
            {
                *v = json!("(sensitive)");
            }
        }
    }
    attributes
}

pub async fn state(session: &Session, command: StateCommand) -> CmdResult<u8> {
    match command {
        // They read the configuration and lock the workspace as a run does.
        StateCommand::ImportTerraform { file } => {
            super::apply::import_terraform(session, &file).await
        }
        StateCommand::ExportTerraform { file } => {
            super::apply::export_terraform(session, file.as_deref())
        }
        StateCommand::List { filter } => {
            let Some(store) = store_or_empty(session)? else {
                return Ok(0);
            };
            let ws = session.workspace(Some(&store))?;
            let records = match &filter {
                Some(pattern) => store.resources_matching(&ws, pattern),
                None => store.resources(&ws),
            }
            .map_err(fail(session, "reading state"))?;
            for r in records {
                session.line_or_json(&r.address, json!({ "address": r.address, "resource_type": r.resource_type, "provider": r.provider }));
            }
            Ok(0)
        }
        StateCommand::Show {
            address,
            show_sensitive,
        } => {
            let store = store_or_empty(session)?;
            let ws = session.workspace(store.as_ref())?;
            let record = match &store {
                Some(s) => s
                    .resource(&ws, &address)
                    .map_err(fail(session, "reading state"))?,
                None => None,
            };
            let Some(record) = record else {
                // A counted or keyed block: name its instances.
                let instances: Vec<String> = match &store {
                    Some(s) => s
                        .resources(&ws)
                        .map_err(fail(session, "reading state"))?
                        .into_iter()
                        .map(|r| r.address)
                        .filter(|a| nimbus_engine::block_of(a) == address && a != &address)
                        .collect(),
                    None => Vec::new(),
                };
                let mut message = format!("no resource `{address}` in state");
                if !instances.is_empty() {
                    let mut sorted = instances;
                    sorted.sort();
                    let shown: Vec<&str> = sorted.iter().take(5).map(String::as_str).collect();
                    message.push_str(&format!(
                        "; it has {} instances: show one of them, e.g. `nimbus state show '{}'` ({}{})",
                        sorted.len(),
                        sorted[0],
                        shown.join(", "),
                        if sorted.len() > shown.len() { ", ..." } else { "" }
                    ));
                }
                session.out.error(&message);
                return Err(Reported);
            };
            let attributes = masked(&record, show_sensitive);
            if session.out.json {
                session.out.event(
                    "resource",
                    json!({ "address": record.address, "resource_type": record.resource_type, "provider": record.provider,
                            "status": record.status.as_str(), "dependencies": record.dependencies, "attributes": attributes }),
                );
            } else {
                session.out.line(&format!("# {}", record.address));
                session.out.line(&format!(
                    "resource \"{}\" (provider {}, {})",
                    record.resource_type,
                    record.provider,
                    record.status.as_str()
                ));
                if let Some(map) = attributes.as_object() {
                    let width = map.keys().map(String::len).max().unwrap_or(0);
                    for (k, v) in map {
                        let value = nimbus_value::Value::from_json(v);
                        let shown = if v == &json!("(sensitive)") {
                            "(sensitive)".to_string()
                        } else {
                            value.to_string()
                        };
                        session.out.line(&format!("  {k:<width$} = {shown}"));
                    }
                }
                if !record.dependencies.is_empty() {
                    session
                        .out
                        .line(&format!("  depends on: {}", record.dependencies.join(", ")));
                }
            }
            Ok(0)
        }
        StateCommand::History { address, limit } => {
            let Some(store) = store_or_empty(session)? else {
                return Ok(0);
            };
            let ws = session.workspace(Some(&store))?;
            let events = store
                .history(&ws, address.as_deref(), limit)
                .map_err(fail(session, "reading history"))?;
            if session.out.json {
                for e in events {
                    // Before/after may hold secrets; history shows who and what, not values.
                    let mut event = json!({ "seq": e.seq, "time": e.time, "run_id": e.run_id, "cause": e.cause, "user": e.user,
                                "host": e.host, "operation": e.operation, "kind": e.kind, "address": e.address });
                    // A policy override's rule and reason (no values).
                    if e.kind == POLICY_OVERRIDE {
                        event["detail"] = e.after.clone().unwrap_or_default();
                    }
                    session.out.event("history", event);
                }
            } else {
                let rows: Vec<Vec<String>> = events
                    .into_iter()
                    .map(|e| {
                        let mut row = vec![
                            format!("#{}", e.seq),
                            e.time,
                            e.kind.clone(),
                            e.operation,
                            e.address.unwrap_or_else(|| "-".to_string()),
                            format!("by {}@{}", e.user, e.host),
                            format!("run {}", e.run_id),
                        ];
                        if e.kind == POLICY_OVERRIDE
                            && let Some(after) = &e.after
                        {
                            let field =
                                |name: &str| after[name].as_str().unwrap_or_default().to_string();
                            row.push(format!("{}: {}", field("rule"), field("reason")));
                        }
                        row
                    })
                    .collect();
                for line in aligned(&rows) {
                    session.out.line(&line);
                }
            }
            // Say where the history starts, when older events were folded.
            if let Some(c) = store
                .compaction(&ws)
                .map_err(fail(session, "reading history"))?
            {
                session.line_or_json(
                    &format!(
                        "History up to event #{} ({}) was compacted on {}: its `snapshot.*` events hold each object as it was then.",
                        c.boundary, c.boundary_time, c.compacted_at
                    ),
                    json!({ "compacted_through": c.boundary, "boundary_time": c.boundary_time,
                            "compacted_at": c.compacted_at }),
                );
            }
            Ok(0)
        }
        StateCommand::Rm { addresses } => {
            let store = require_store(session)?;
            let ws = session.workspace(Some(&store))?;
            let run = RunInfo::new("state rm");
            let _lock = session.lock(&store, &ws, &run.run_id, "state rm")?;
            for address in addresses {
                store
                    .remove_resource(&ws, &address)
                    .map_err(fail(session, &format!("removing {address}")))?;
                session.line_or_json(
                    &format!("Removed {address} from state."),
                    json!({ "removed": address }),
                );
            }
            Ok(0)
        }
        StateCommand::Mv { from, to } => {
            let store = require_store(session)?;
            let ws = session.workspace(Some(&store))?;
            let run = RunInfo::new("state mv");
            let _lock = session.lock(&store, &ws, &run.run_id, "state mv")?;
            let moves = store
                .move_resources(&ws, &from, &to)
                .map_err(fail(session, "moving"))?;
            if session.out.json {
                let moved: Vec<_> = moves
                    .iter()
                    .map(|(a, b)| json!({ "from": a, "to": b }))
                    .collect();
                session
                    .out
                    .event("result", json!({ "from": from, "to": to, "moved": moved }));
            } else if moves.len() == 1 {
                session
                    .out
                    .line(&format!("Moved {} to {}.", moves[0].0, moves[0].1));
            } else {
                for (a, b) in &moves {
                    session.out.line(&format!("Moved {a} to {b}."));
                }
                session.out.line(&format!(
                    "Moved {} from {from} to {to}.",
                    crate::render::resources(moves.len())
                ));
            }
            Ok(0)
        }
        StateCommand::Rebuild => {
            let store = require_store(session)?;
            let ws = session.workspace(Some(&store))?;
            let run = RunInfo::new("state rebuild");
            let _lock = session.lock(&store, &ws, &run.run_id, "state rebuild")?;
            let n = store.rebuild(&ws).map_err(fail(session, "rebuilding"))?;
            session.line_or_json(
                &format!("Rebuilt the state of `{ws}` from {n} events."),
                json!({ "events": n }),
            );
            Ok(0)
        }
        StateCommand::Backup { file } => {
            let store = require_store(session)?;
            let path = if file.is_absolute() {
                file.clone()
            } else {
                session.dir.join(&file)
            };
            store
                .backup_to(&path)
                .map_err(fail(session, "backing up"))?;
            session.line_or_json(
                &format!("Backed up the state to {}.", file.display()),
                json!({ "backup": path.display().to_string() }),
            );
            Ok(0)
        }
        StateCommand::Restore {
            file,
            latest,
            to_event,
        } => restore(session, file, latest, to_event),
        StateCommand::Check => check(session),
        StateCommand::Compact {
            keep_runs,
            keep_days,
            dry_run,
        } => compact(session, keep_runs, keep_days, dry_run),
        StateCommand::Retention {
            keep_runs,
            keep_days,
            off,
        } => retention(session, keep_runs, keep_days, off),
        StateCommand::Migrate { to, auto_approve } => migrate(session, to.as_deref(), auto_approve),
        StateCommand::Rekey => rekey(session),
        StateCommand::Intents => {
            let Some(store) = store_or_empty(session)? else {
                return Ok(0);
            };
            let ws = session.workspace(Some(&store))?;
            for i in store
                .open_intents(&ws)
                .map_err(fail(session, "reading intents"))?
            {
                session.line_or_json(
                    &format!("#{} {} {} (run {}, {})", i.id.0, i.action.as_str(), i.address, i.run_id, i.created_at),
                    json!({ "id": i.id.0, "action": i.action.as_str(), "address": i.address, "run_id": i.run_id }),
                );
            }
            Ok(0)
        }
    }
}

pub fn workspace(session: &Session, command: WorkspaceCommand) -> CmdResult<u8> {
    let store = require_store(session)?;
    match command {
        WorkspaceCommand::New { name } => {
            store
                .create_workspace(&name)
                .map_err(fail(session, "creating the workspace"))?;
            store
                .select_workspace(&name)
                .map_err(fail(session, "selecting the workspace"))?;
            session.line_or_json(
                &format!("Created and switched to workspace `{name}`."),
                json!({ "workspace": name }),
            );
        }
        WorkspaceCommand::Select { name } => {
            store
                .select_workspace(&name)
                .map_err(fail(session, "selecting the workspace"))?;
            session.line_or_json(
                &format!("Switched to workspace `{name}`."),
                json!({ "workspace": name }),
            );
        }
        WorkspaceCommand::List => {
            let current = session.workspace(Some(&store))?;
            for w in store
                .list_workspaces()
                .map_err(fail(session, "listing workspaces"))?
            {
                let mark = if w.name == current { "*" } else { " " };
                session.line_or_json(
                    &format!("{mark} {} ({})", w.name, render::resources(w.resource_count as usize)),
                    json!({ "workspace": w.name, "resources": w.resource_count, "current": w.name == current }),
                );
            }
        }
        WorkspaceCommand::Show => {
            let current = session.workspace(Some(&store))?;
            session.line_or_json(&current, json!({ "workspace": current }));
        }
        WorkspaceCommand::Delete { name, force } => {
            store
                .delete_workspace(&name, force)
                .map_err(fail(session, "deleting the workspace"))?;
            session.line_or_json(
                &format!("Deleted workspace `{name}`."),
                json!({ "deleted": name }),
            );
        }
    }
    Ok(0)
}

/// `state restore`: from a backup file (`FILE`, or the latest automatic
/// one), or to an earlier event. A damaged database, which cannot be
/// opened, is restored from a file without the lock (it lives in the
/// database) and kept aside.
fn restore(
    session: &Session,
    file: Option<PathBuf>,
    latest: bool,
    to_event: Option<u64>,
) -> CmdResult<u8> {
    let dir = session.state_dir();
    let source = match (file, latest) {
        (Some(file), _) => Some(session.resolve(&file)),
        (None, true) => match Store::latest_backup(&dir) {
            Ok(Some(path)) => Some(path),
            Ok(None) => {
                session.out.error(&format!(
                    "there is no sound backup in {} to restore from",
                    session.shown_path(&dir.join("backups"))
                ));
                return Err(Reported);
            }
            Err(e) => {
                session.state_error("listing backups", &e);
                return Err(Reported);
            }
        },
        (None, false) => None,
    };
    let options = nimbus_state::StoreOptions {
        encryption: session.encryption()?,
        ..nimbus_state::StoreOptions::default()
    };
    let store = match Store::open_with(&dir, options) {
        Ok(store) => store,
        Err(e) if e.is_damage() => {
            let Some(path) = source.filter(|_| to_event.is_none()) else {
                session.state_error("", &e);
                return Err(Reported);
            };
            let aside = Store::restore_damaged(&dir, &path).map_err(fail(session, "restoring"))?;
            session.line_or_json(
                &format!(
                    "Restored the state from {}; the damaged database was moved to {}.",
                    session.shown_path(&path),
                    session.shown_path(&aside)
                ),
                json!({ "restored_from": path.display().to_string(), "previous": aside.display().to_string() }),
            );
            return Ok(0);
        }
        Err(e) => {
            session.state_error(&format!("cannot open the state in {}", dir.display()), &e);
            return Err(Reported);
        }
    };
    let ws = session.workspace(Some(&store))?;
    let run = RunInfo::new("state restore");
    let _lock = session.lock(&store, &ws, &run.run_id, "state restore")?;
    match (source, to_event) {
        (Some(path), None) => {
            let safety = store
                .restore_from(&path)
                .map_err(fail(session, "restoring"))?;
            session.line_or_json(
                &format!(
                    "Restored the state from {}; the previous state was saved to {}.",
                    session.shown_path(&path),
                    session.shown_path(&safety)
                ),
                json!({ "restored_from": path.display().to_string(), "previous": safety.display().to_string() }),
            );
        }
        (None, Some(seq)) => {
            store
                .restore_to_event(&ws, seq)
                .map_err(fail(session, "restoring"))?;
            session.line_or_json(
                &format!("Restored `{ws}` to event {seq}."),
                json!({ "restored_to_event": seq }),
            );
        }
        _ => {
            session
                .out
                .error("give a backup FILE, --latest or --to-event SEQ");
            return Err(Reported);
        }
    }
    Ok(0)
}

/// A size in bytes, in the unit that suits it.
fn shown_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The retention the flags give, when any is given.
fn retention_of(keep_runs: Option<u64>, keep_days: Option<u64>) -> Option<Retention> {
    let retention = Retention {
        keep_runs,
        keep_days,
    };
    (!retention.is_empty()).then_some(retention)
}

/// `state compact`: folds the history the retention does not keep into a
/// snapshot, under the workspace's lock.
fn compact(
    session: &Session,
    keep_runs: Option<u64>,
    keep_days: Option<u64>,
    dry_run: bool,
) -> CmdResult<u8> {
    let store = require_store(session)?;
    let ws = session.workspace(Some(&store))?;
    let retention = match retention_of(keep_runs, keep_days) {
        Some(given) => given,
        None => store
            .retention()
            .map_err(fail(session, "reading the retention"))?
            .unwrap_or_default(),
    };
    let run = RunInfo::new("state compact");
    let _lock = session.lock(&store, &ws, &run.run_id, "state compact")?;
    let report = store
        .compact(&ws, &retention, dry_run)
        .map_err(fail(session, "compacting the history"))?;
    let json = json!({
        "workspace": ws,
        "dry_run": dry_run,
        "retention": { "keep_runs": retention.keep_runs, "keep_days": retention.keep_days },
        "previous_boundary": report.previous_boundary,
        "boundary": report.boundary,
        "boundary_time": report.boundary_time,
        "events_removed": report.events_removed,
        "snapshot_events": report.snapshot_events,
        "runs_removed": report.runs_removed,
        "runs_kept": report.runs_kept,
        "intents_removed": report.intents_removed,
        "restore_points_expired": report.restore_points_expired,
        "bytes_before": report.bytes.map(|b| b.0),
        "bytes_after": report.bytes.map(|b| b.1),
    });
    let text = if !report.removed_anything() {
        format!(
            "Nothing to compact in `{ws}`: keeping {retention} keeps all {} run(s) since {}.",
            report.runs_kept,
            match report.previous_boundary {
                0 => "the start".to_string(),
                b => format!("event #{b}"),
            }
        )
    } else {
        let verb = if dry_run { "Would remove" } else { "Removed" };
        let mut text = format!(
            "{verb} {} event(s), {} run(s), {} closed intent(s) and {} expired restore point(s) from `{ws}`, keeping {retention} ({} run(s)); history now starts with a snapshot of {} event(s) as of event #{} ({}).",
            report.events_removed,
            report.runs_removed,
            report.intents_removed,
            report.restore_points_expired,
            report.runs_kept,
            report.snapshot_events,
            report.boundary,
            report.boundary_time,
        );
        if let Some((before, after)) = report.bytes {
            text.push_str(&format!(
                "\nFreed {}: the state database is {} (was {}).",
                shown_bytes(before.saturating_sub(after)),
                shown_bytes(after),
                shown_bytes(before)
            ));
        }
        text
    };
    session.line_or_json(&text, json);
    Ok(0)
}

/// `state retention`: shows the configured retention, sets it or removes it.
fn retention(
    session: &Session,
    keep_runs: Option<u64>,
    keep_days: Option<u64>,
    off: bool,
) -> CmdResult<u8> {
    let store = require_store(session)?;
    let given = retention_of(keep_runs, keep_days);
    if off || given.is_some() {
        store
            .set_retention(given.as_ref())
            .map_err(fail(session, "setting the retention"))?;
    }
    let current = store
        .retention()
        .map_err(fail(session, "reading the retention"))?;
    let json = json!({
        "keep_runs": current.and_then(|r| r.keep_runs),
        "keep_days": current.and_then(|r| r.keep_days),
        "automatic": current.is_some(),
    });
    let text = match current {
        Some(r) => {
            format!("History retention: keep {r}; every apply and destroy compacts the rest.")
        }
        None => format!(
            "No history retention is set: runs keep every event; `state compact` keeps {} by default.",
            Retention::default()
        ),
    };
    session.line_or_json(&text, json);
    Ok(0)
}

/// Integrity problems listed one by one; SQLite is asked for 100 at most.
const SHOWN_PROBLEMS: usize = 20;

/// `state check`: SQLite's integrity check, then every workspace's
/// projection compared with a replay of its event log. Exit 0 when sound
/// and consistent.
/// `state rekey`: every stored value re-encrypted with the passphrase in
/// `NIMBUS_STATE_PASSPHRASE` (from plaintext, or from the fallback key),
/// in one transaction, under every workspace's lock.
fn rekey(session: &Session) -> CmdResult<u8> {
    let mut encryption = session.encryption()?;
    if encryption.key.is_none() {
        session.out.error(&format!(
            "state rekey encrypts the state with the passphrase in {}: set it (and the current one in {} when rotating)",
            nimbus_state::PASSPHRASE_VAR,
            nimbus_state::FALLBACK_VAR
        ));
        return Err(Reported);
    }
    encryption.migrating = true;
    let store = session.store_with(true, &encryption)?.ok_or(Reported)?;
    let was_encrypted = store.is_encrypted();
    let workspaces = store
        .list_workspaces()
        .map_err(fail(session, "listing workspaces"))?;
    let run = RunInfo::new("state rekey");
    let mut locks = Vec::with_capacity(workspaces.len());
    for ws in &workspaces {
        locks.push(session.lock(&store, &ws.name, &run.run_id, "state rekey")?);
    }
    let report = store
        .rekey()
        .map_err(fail(session, "re-encrypting the state"))?;
    drop(locks);
    let old_backups = store.backups().map_err(fail(session, "listing backups"))?;
    let verb = if was_encrypted {
        "Re-encrypted"
    } else {
        "Encrypted"
    };
    session.line_or_json(
        &format!(
            "{verb} the state with the passphrase in {}: {} resources, {} outputs, {} events, {} intents.",
            nimbus_state::PASSPHRASE_VAR,
            report.resources,
            report.outputs,
            report.events,
            report.intents
        ),
        json!({
            "resources": report.resources,
            "outputs": report.outputs,
            "events": report.events,
            "intents": report.intents,
            "old_backups": old_backups.len(),
        }),
    );
    if !old_backups.is_empty() && !session.out.json {
        session.out.line(&format!(
            "The {} backups taken before in {} keep the state as it was encrypted then (or unencrypted): delete them once they are no longer needed.",
            old_backups.len(),
            session.shown_path(&session.state_dir().join("backups"))
        ));
    }
    Ok(0)
}

fn check(session: &Session) -> CmdResult<u8> {
    let dir = session.state_dir();
    if !dir.join(nimbus_state::STATE_DB_FILE).exists() {
        session.line_or_json(
            "There is no state yet: nothing to check.",
            json!({ "consistent": true, "integrity": [], "workspaces": [] }),
        );
        return Ok(0);
    }
    let report = nimbus_state::check_with(&dir, &session.encryption()?)
        .map_err(fail(session, "checking the state"))?;
    let consistent = report.is_consistent();
    if session.out.json {
        let workspaces: Vec<serde_json::Value> = report
            .workspaces
            .iter()
            .map(|w| {
                json!({
                    "workspace": w.workspace, "events": w.events, "resources": w.resources,
                    "findings": w.findings.iter().map(ToString::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        if !report.integrity.is_empty() {
            session.out.error(&damage(session, &report.integrity));
        }
        session.out.event_with_message(
            "result",
            if consistent {
                "the state is consistent"
            } else {
                "the state is not consistent"
            },
            json!({ "consistent": consistent, "integrity": report.integrity, "workspaces": workspaces }),
        );
        return Ok(if consistent { 0 } else { 1 });
    }
    if !report.integrity.is_empty() {
        session.out.error(&damage(session, &report.integrity));
        for problem in report.integrity.iter().take(SHOWN_PROBLEMS) {
            session.out.line(&format!("  {problem}"));
        }
        if report.integrity.len() > SHOWN_PROBLEMS {
            session.out.line(&format!(
                "  ... and {} more",
                report.integrity.len() - SHOWN_PROBLEMS
            ));
        }
        return Ok(1);
    }
    session
        .out
        .line("Integrity: ok (SQLite's integrity check).");
    for w in &report.workspaces {
        let what = format!(
            "{} replayed, {}",
            render::count(w.events as usize, "event", "events"),
            render::resources(w.resources)
        );
        if w.findings.is_empty() {
            session.out.line(&format!(
                "Workspace `{}`: {what}: the state matches its event log.",
                w.workspace
            ));
        } else {
            session.out.line(&format!(
                "Workspace `{}`: {what}: {} from its event log:",
                w.workspace,
                render::count(w.findings.len(), "difference", "differences")
            ));
            for finding in &w.findings {
                session.out.line(&format!("  {finding}"));
            }
        }
    }
    if consistent {
        session.out.line("The state is consistent.");
        Ok(0)
    } else {
        session.out.error("the state differs from its event log, which is the record of truth: `nimbus state rebuild` in each workspace named above replaces its state with the replay of its log");
        Ok(1)
    }
}

/// The damage message for integrity problems `state check` found.
fn damage(session: &Session, problems: &[String]) -> String {
    let path = session.state_dir().join(nimbus_state::STATE_DB_FILE);
    let detail = format!(
        "SQLite's integrity check finds {}",
        render::count(problems.len(), "problem", "problems")
    );
    session.damage_message(&StateError::Damaged { path, detail })
}

pub fn force_unlock(session: &Session, lock_id: &str) -> CmdResult<u8> {
    let store = require_store(session)?;
    let ws = session.workspace(Some(&store))?;
    store
        .force_unlock(&ws, lock_id)
        .map_err(fail(session, "unlocking"))?;
    session.line_or_json(
        &format!("Released lock {lock_id} on workspace `{ws}`."),
        json!({ "unlocked": lock_id }),
    );
    Ok(0)
}

/// `taint ADDR` (`tainted: true`) and `untaint ADDR`: the mark makes the
/// next plan replace the object; it is an event in the history like any
/// other change.
pub fn taint(session: &Session, address: &str, tainted: bool) -> CmdResult<u8> {
    let store = require_store(session)?;
    let ws = session.workspace(Some(&store))?;
    let operation = if tainted { "taint" } else { "untaint" };
    let run = RunInfo::new(operation);
    let _lock = session.lock(&store, &ws, &run.run_id, operation)?;
    let status = if tainted {
        nimbus_state::ResourceStatus::Tainted
    } else {
        nimbus_state::ResourceStatus::Ready
    };
    let changed = store
        .set_status(&ws, address, status)
        .map_err(fail(session, operation))?;
    let text = match (changed.is_some(), tainted) {
        (true, true) => format!("{address} is tainted: the next apply replaces it."),
        (true, false) => format!("{address} is no longer tainted."),
        (false, true) => format!("{address} was already tainted."),
        (false, false) => format!("{address} was not tainted."),
    };
    session.line_or_json(
        &text,
        json!({ "address": address, "tainted": tainted, "changed": changed.is_some() }),
    );
    Ok(0)
}

/// `state migrate`: the state copied from the backend in use to the
/// configuration's (see `nimbus_engine::backend::Migration`).
fn migrate(session: &Session, kind: Option<&str>, auto_approve: bool) -> CmdResult<u8> {
    use nimbus_engine::backend::{BackendSettings, Migration};
    use nimbus_state::OnNonEmpty;
    use std::io::IsTerminal;

    let config = session.load_config()?;
    let to = BackendSettings::from_config(config.root().backend.as_ref().map(|b| &b.kind));
    let from = session.backend()?;
    let encryption = session.encryption()?;
    let migration = Migration::open(&session.dir, from, to, kind, &encryption).map_err(|e| {
        session.out.error(&format!("cannot migrate the state: {e}"));
        Reported
    })?;
    let (from, to) = (migration.from.describe(), migration.to.describe());
    // Every workspace of both sides locked: no run writes to either meanwhile.
    let run = RunInfo::new("state migrate");
    let mut locks = Vec::new();
    for store in [&migration.source, &migration.dest] {
        let workspaces = store
            .list_workspaces()
            .map_err(fail(session, "listing the workspaces"))?;
        for ws in workspaces {
            locks.push(session.lock(store, &ws.name, &run.run_id, "state migrate")?);
        }
    }
    let contents = migration
        .dest
        .contents()
        .map_err(fail(session, &format!("reading the state on {to}")))?;
    let on_non_empty = if contents.is_empty() {
        OnNonEmpty::Refuse
    } else {
        let held = format!(
            "{to} holds a state already: {} ({}), history up to event {}",
            contents.workspaces.join(", "),
            render::resources(contents.resources as usize),
            contents.head
        );
        if auto_approve {
            session
                .out
                .line(&format!("{held}; it is overwritten (--auto-approve)."));
        } else if !std::io::stdin().is_terminal() {
            session.out.error(&format!(
                "{held}: rerun with --auto-approve to overwrite it; nothing was copied"
            ));
            return Ok(1);
        } else {
            session.out.line(&format!("{held}."));
            if !super::apply::approve(
                session,
                &format!("Overwrite it with a copy of the state on {from}?"),
            )? {
                session.out.line("Migration cancelled; nothing was copied.");
                return Ok(1);
            }
        }
        OnNonEmpty::Overwrite
    };
    let report = migration.copy(on_non_empty).map_err(|e| {
        match e {
            nimbus_engine::backend::BackendError::State(e) => {
                session.state_error("cannot migrate the state", &e)
            }
            e => session.out.error(&format!("cannot migrate the state: {e}")),
        }
        Reported
    })?;
    for lock in locks {
        lock.release()
            .map_err(fail(session, "releasing the state locks"))?;
    }
    if session.out.json {
        let workspaces: Vec<_> = report
            .workspaces
            .iter()
            .map(|w| {
                json!({
                    "name": w.name,
                    "events": w.events,
                    "resources": w.resources,
                    "outputs": w.outputs,
                    "open_intents": w.open_intents,
                })
            })
            .collect();
        session.out.event(
            "result",
            json!({
                "from": from,
                "to": to,
                "workspaces": workspaces,
                "events": report.events(),
                "resources": report.resources(),
                "overwritten": report.overwritten,
            }),
        );
        return Ok(0);
    }
    for w in &report.workspaces {
        let mut line = format!(
            "  {}: {} event(s), {}, {} output(s)",
            w.name,
            w.events,
            render::resources(w.resources as usize),
            w.outputs
        );
        if w.open_intents > 0 {
            line.push_str(&format!(", {} open intent(s)", w.open_intents));
        }
        session.out.line(&line);
    }
    session.out.line(&format!(
        "Copied the state from {from} to {to}: {} workspace(s), {} event(s), {}.",
        report.workspaces.len(),
        report.events(),
        render::resources(report.resources() as usize)
    ));
    session.out.line(&format!(
        "The state on {from} was left as it was. The project now uses {to}."
    ));
    Ok(0)
}
