//! Write operations: each appends its event(s) and updates the projection.
//!
//! Every function runs inside a transaction (or savepoint) owned by the
//! caller — the recorder's group commit or a one-off store transaction — so a
//! change, its event and the intent it closes become durable together or not
//! at all.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::{Value, json};

use crate::backend::{EventRow, IntentRow, RunRow, Tx};
use crate::error::StateError;
use crate::projection::EncodedResource;
use crate::types::{
    IntentAction, IntentId, NewIntent, Outcome, OutputRecord, ResourceRecord, RunStatus,
};

type Result<T> = std::result::Result<T, StateError>;

/// Current UTC time as RFC 3339 (nanosecond precision, `Z` suffix).
pub(crate) fn now_rfc3339() -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Who records: stamped on every event.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub workspace: String,
    pub run_id: String,
    pub operation: String,
    pub cause: Option<String>,
    pub user: String,
    pub host: String,
    pub pid: u32,
}

/// An event about to be appended.
struct NewEvent<'a> {
    kind: &'a str,
    address: Option<&'a str>,
    prev_address: Option<&'a str>,
    before: Option<Cow<'a, str>>,
    after: Option<Cow<'a, str>>,
    /// Overrides the actor's cause.
    cause: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    fn new(kind: &'a str, address: Option<&'a str>) -> Self {
        NewEvent {
            kind,
            address,
            prev_address: None,
            before: None,
            after: None,
            cause: None,
        }
    }
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StateError::InvalidInput(e.to_string()))
}

fn invalid(e: impl std::fmt::Display) -> StateError {
    StateError::InvalidInput(e.to_string())
}

fn owned<'a>(s: String) -> Option<Cow<'a, str>> {
    Some(Cow::Owned(s))
}

/// A [`NewIntent`] with its JSON serialised, built on the caller's thread
/// like [`EncodedResource`].
#[derive(Debug)]
pub(crate) struct EncodedIntent {
    address: String,
    action: IntentAction,
    resource_type: String,
    provider: String,
    detail: String,
    /// The `intent.record` event's `after`.
    event: String,
}

impl EncodedIntent {
    pub(crate) fn new(intent: NewIntent) -> Result<Self> {
        let detail = to_json(&intent.detail)?;
        // Keys in the sorted order a `serde_json::Map` would give them, with
        // the detail spliced in rather than serialised a second time.
        let mut event = Vec::with_capacity(96 + detail.len());
        event.extend_from_slice(br#"{"action":""#);
        event.extend_from_slice(intent.action.as_str().as_bytes());
        event.extend_from_slice(br#"","detail":"#);
        event.extend_from_slice(detail.as_bytes());
        event.extend_from_slice(br#","provider":"#);
        serde_json::to_writer(&mut event, &intent.provider).map_err(invalid)?;
        event.extend_from_slice(br#","resource_type":"#);
        serde_json::to_writer(&mut event, &intent.resource_type).map_err(invalid)?;
        event.push(b'}');
        Ok(EncodedIntent {
            event: String::from_utf8(event).map_err(invalid)?,
            address: intent.address,
            action: intent.action,
            resource_type: intent.resource_type,
            provider: intent.provider,
            detail,
        })
    }
}

/// An [`Outcome`] with its record serialised (see [`EncodedResource`]).
// Upsert is by far the common case; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum EncodedOutcome {
    Upsert(EncodedResource),
    Remove { address: String },
    Failed { message: String },
}

impl EncodedOutcome {
    pub(crate) fn new(outcome: Outcome) -> Result<Self> {
        Ok(match outcome {
            Outcome::Upsert(record) => EncodedOutcome::Upsert(EncodedResource::new(record)?),
            Outcome::Remove { address } => EncodedOutcome::Remove { address },
            Outcome::Failed { message } => EncodedOutcome::Failed { message },
        })
    }
}

fn append(tx: &mut dyn Tx, actor: &Actor, ev: NewEvent<'_>) -> Result<u64> {
    let time = now_rfc3339();
    tx.append_event(&EventRow {
        workspace: &actor.workspace,
        time: &time,
        run_id: &actor.run_id,
        cause: ev.cause.or(actor.cause.as_deref()),
        user: &actor.user,
        host: &actor.host,
        operation: &actor.operation,
        kind: ev.kind,
        address: ev.address,
        prev_address: ev.prev_address,
        before: ev.before.as_deref(),
        after: ev.after.as_deref(),
    })
}

/// An informational event (replay ignores its kind).
pub(crate) fn note(
    tx: &mut dyn Tx,
    actor: &Actor,
    kind: &str,
    address: Option<&str>,
    detail: &str,
) -> Result<u64> {
    let mut ev = NewEvent::new(kind, address);
    ev.after = Some(Cow::Borrowed(detail));
    append(tx, actor, ev)
}

/// Sequence number of the workspace's last event (0 if none).
pub(crate) fn head_seq(tx: &mut dyn Tx, ws: &str) -> Result<u64> {
    tx.head_seq(ws)
}

fn check_address(address: &str) -> Result<()> {
    if address.trim().is_empty() {
        return Err(StateError::InvalidInput(
            "resource address must not be empty".into(),
        ));
    }
    Ok(())
}

/// Stores `record`. Returns the event's seq, or `None` when `only_if_changed`
/// is set and the stored row is already identical (no event is recorded).
pub(crate) fn upsert(
    tx: &mut dyn Tx,
    actor: &Actor,
    record: &EncodedResource,
    kind: Option<&str>,
    cause: Option<&str>,
    only_if_changed: bool,
) -> Result<Option<u64>> {
    check_address(record.address())?;
    let old = tx.fetch_resource(&actor.workspace, record.address())?;
    if only_if_changed && old.as_ref().is_some_and(|o| record.same_as(o)) {
        return Ok(None);
    }
    let kind = kind.unwrap_or(if old.is_some() {
        "resource.update"
    } else {
        "resource.create"
    });
    let mut ev = NewEvent::new(kind, Some(record.address()));
    ev.before = old.map(|raw| raw.to_json()).transpose()?.map(Cow::Owned);
    ev.after = Some(Cow::Borrowed(&record.json));
    ev.cause = cause;
    let seq = append(tx, actor, ev)?;
    tx.put_resource(&actor.workspace, record)?;
    Ok(Some(seq))
}

/// Removes a resource (delete, `state rm`).
pub(crate) fn remove(
    tx: &mut dyn Tx,
    actor: &Actor,
    address: &str,
    cause: Option<&str>,
) -> Result<u64> {
    check_address(address)?;
    let ws = &actor.workspace;
    let Some(old) = tx.fetch_resource(ws, address)? else {
        return Err(StateError::ResourceNotFound {
            workspace: ws.clone(),
            address: address.to_owned(),
        });
    };
    let mut ev = NewEvent::new("resource.delete", Some(address));
    ev.before = owned(old.to_json()?);
    ev.cause = cause;
    let seq = append(tx, actor, ev)?;
    tx.delete_resource(ws, address)?;
    Ok(seq)
}

/// Renames a resource (`state mv`, refactoring moves).
pub(crate) fn move_resource(tx: &mut dyn Tx, actor: &Actor, from: &str, to: &str) -> Result<u64> {
    check_address(from)?;
    check_address(to)?;
    let ws = &actor.workspace;
    if from == to {
        return Err(StateError::InvalidInput(format!(
            "cannot move {from:?} onto itself"
        )));
    }
    if !tx.resource_exists(ws, from)? {
        return Err(StateError::ResourceNotFound {
            workspace: ws.clone(),
            address: from.to_owned(),
        });
    }
    if tx.resource_exists(ws, to)? {
        return Err(StateError::ResourceExists {
            workspace: ws.clone(),
            address: to.to_owned(),
        });
    }
    let mut ev = NewEvent::new("resource.move", Some(to));
    ev.prev_address = Some(from);
    ev.before = owned(to_json(&json!({ "address": from }))?);
    ev.after = owned(to_json(&json!({ "address": to }))?);
    let seq = append(tx, actor, ev)?;
    tx.rename_resource(ws, from, to)?;
    Ok(seq)
}

/// Replaces the workspace's outputs; one event per changed output. An
/// output given without a Terraform type keeps the one recorded while its
/// value is unchanged. Returns the workspace's head seq afterwards.
pub(crate) fn set_outputs(tx: &mut dyn Tx, actor: &Actor, outputs: &[OutputRecord]) -> Result<u64> {
    let ws = &actor.workspace;
    let mut seen = HashSet::new();
    for o in outputs {
        if o.name.is_empty() || !seen.insert(o.name.as_str()) {
            return Err(StateError::InvalidInput(format!(
                "output names must be unique and non-empty (got {:?} twice or empty)",
                o.name
            )));
        }
    }
    let mut existing: std::collections::BTreeMap<String, OutputRecord> = tx
        .load_outputs(ws)?
        .into_iter()
        .map(|o| (o.name.clone(), o))
        .collect();
    for o in outputs {
        let old = existing.remove(&o.name);
        // The type Terraform recorded stays with the value it typed.
        let kept;
        let o = match &old {
            Some(old) if o.terraform_type.is_none() && old.value == o.value => {
                kept = OutputRecord {
                    terraform_type: old.terraform_type.clone(),
                    ..o.clone()
                };
                &kept
            }
            _ => o,
        };
        if old.as_ref() == Some(o) {
            continue;
        }
        let mut ev = NewEvent::new("output.set", None);
        ev.before = old.as_ref().map(to_json).transpose()?.map(Cow::Owned);
        ev.after = owned(to_json(o)?);
        append(tx, actor, ev)?;
        tx.put_output(ws, o)?;
    }
    for (name, old) in existing {
        let mut ev = NewEvent::new("output.delete", None);
        ev.before = owned(to_json(&old)?);
        append(tx, actor, ev)?;
        tx.delete_output(ws, &name)?;
    }
    head_seq(tx, ws)
}

/// Records a write-ahead intent and its `intent.record` event.
pub(crate) fn record_intent(
    tx: &mut dyn Tx,
    actor: &Actor,
    intent: &EncodedIntent,
) -> Result<IntentId> {
    check_address(&intent.address)?;
    let mut ev = NewEvent::new("intent.record", Some(&intent.address));
    ev.after = Some(Cow::Borrowed(&intent.event));
    let seq = append(tx, actor, ev)?;
    let created_at = now_rfc3339();
    tx.insert_intent(&IntentRow {
        workspace: &actor.workspace,
        run_id: &actor.run_id,
        address: &intent.address,
        action: intent.action.as_str(),
        resource_type: &intent.resource_type,
        provider: &intent.provider,
        detail: &intent.detail,
        created_at: &created_at,
        event_seq: seq,
    })
}

/// An open intent's essentials.
pub(crate) struct OpenIntent {
    pub workspace: String,
    pub address: String,
    pub action: IntentAction,
    pub event_seq: u64,
}

/// Looks up an intent that must still be open.
pub(crate) fn open_intent(tx: &mut dyn Tx, id: IntentId) -> Result<OpenIntent> {
    let Some(state) = tx.intent_state(id)? else {
        return Err(StateError::IntentNotFound(id));
    };
    if state.closed {
        return Err(StateError::IntentClosed(id));
    }
    let (workspace, address, action, event_seq) = (
        state.workspace,
        state.address,
        state.action,
        state.event_seq,
    );
    let action = IntentAction::parse(&action)
        .ok_or_else(|| StateError::corrupt(format!("intent {id}: unknown action {action:?}")))?;
    Ok(OpenIntent {
        workspace,
        address,
        action,
        event_seq,
    })
}

/// Applies an intent's outcome and closes it with `resolution`.
/// Returns the seq of the outcome event.
fn close_intent(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: IntentId,
    outcome: &EncodedOutcome,
    resolution: &str,
) -> Result<u64> {
    let intent = open_intent(tx, id)?;
    if intent.workspace != actor.workspace {
        return Err(StateError::InvalidInput(format!(
            "intent {id} belongs to workspace {:?}, not {:?}",
            intent.workspace, actor.workspace
        )));
    }
    let cause = format!("event:{}", intent.event_seq);
    let check = |address: &str| {
        if address == intent.address {
            Ok(())
        } else {
            Err(StateError::InvalidInput(format!(
                "intent {id} is for {:?}, not {address:?}",
                intent.address
            )))
        }
    };
    let (seq, resolution) = match outcome {
        EncodedOutcome::Upsert(record) => {
            check(record.address())?;
            let kind = match intent.action {
                IntentAction::Replace => Some("resource.replace"),
                IntentAction::Import => Some("resource.import"),
                _ => None,
            };
            let seq = upsert(tx, actor, record, kind, Some(&cause), false)?
                .ok_or_else(|| StateError::corrupt("upsert recorded no event"))?;
            (seq, resolution)
        }
        EncodedOutcome::Remove { address } => {
            check(address)?;
            (remove(tx, actor, address, Some(&cause))?, resolution)
        }
        EncodedOutcome::Failed { message } => {
            let mut ev = NewEvent::new("resource.failed", Some(&intent.address));
            ev.after = owned(to_json(&json!({
                "intent": id.0,
                "action": intent.action.as_str(),
                "message": message,
            }))?);
            ev.cause = Some(&cause);
            (append(tx, actor, ev)?, "failed")
        }
    };
    tx.close_intent(id, &now_rfc3339(), resolution, seq)?;
    Ok(seq)
}

/// Completes an intent of the running apply.
pub(crate) fn complete(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: IntentId,
    outcome: &EncodedOutcome,
) -> Result<u64> {
    close_intent(tx, actor, id, outcome, "completed")
}

/// Resolves an intent left open by an interrupted run, applying `adopted`
/// or discarding it when `None`. Returns the seq of the `intent.resolve` event.
pub(crate) fn resolve(
    tx: &mut dyn Tx,
    actor: &Actor,
    id: IntentId,
    adopted: Option<&EncodedOutcome>,
) -> Result<u64> {
    let intent = open_intent(tx, id)?;
    let (label, outcome_seq) = match adopted {
        Some(outcome) => (
            "adopted",
            Some(close_intent(tx, actor, id, outcome, "adopted")?),
        ),
        None => ("discarded", None),
    };
    let mut ev = NewEvent::new("intent.resolve", Some(&intent.address));
    ev.after = owned(to_json(&json!({
        "intent": id.0,
        "action": intent.action.as_str(),
        "resolution": label,
    }))?);
    let cause = format!("event:{}", intent.event_seq);
    ev.cause = Some(&cause);
    let seq = append(tx, actor, ev)?;
    if outcome_seq.is_none() {
        tx.close_intent(id, &now_rfc3339(), label, seq)?;
    }
    Ok(seq)
}

/// Records the start of a run.
pub(crate) fn insert_run(tx: &mut dyn Tx, actor: &Actor, status: &str) -> Result<()> {
    let start_seq = head_seq(tx, &actor.workspace)?;
    let now = now_rfc3339();
    let finished = (status != "running").then_some(&now);
    let inserted = tx.insert_run(&RunRow {
        run_id: &actor.run_id,
        workspace: &actor.workspace,
        operation: &actor.operation,
        cause: actor.cause.as_deref(),
        user: &actor.user,
        host: &actor.host,
        pid: actor.pid,
        started_at: &now,
        finished_at: finished.map(String::as_str),
        status,
        start_seq,
    })?;
    if !inserted {
        return Err(StateError::RunExists(actor.run_id.clone()));
    }
    Ok(())
}

/// Marks a run finished. Returns the workspace's head seq.
pub(crate) fn finish_run(tx: &mut dyn Tx, actor: &Actor, status: RunStatus) -> Result<u64> {
    let head = head_seq(tx, &actor.workspace)?;
    tx.finish_run(&actor.run_id, &now_rfc3339(), status.as_str(), head)?;
    Ok(head)
}

/// Appends a `state.restore` marker after the differences have been recorded.
pub(crate) fn restore_marker(tx: &mut dyn Tx, actor: &Actor, to_seq: u64) -> Result<u64> {
    let mut ev = NewEvent::new("state.restore", None);
    ev.after = owned(to_json(&json!({ "to_seq": to_seq }))?);
    append(tx, actor, ev)
}

/// Records (without applying: the projection already holds `target`) the
/// events that turn `current` into `target`.
pub(crate) fn record_difference(
    tx: &mut dyn Tx,
    actor: &Actor,
    current: Vec<ResourceRecord>,
    target: &[ResourceRecord],
    current_outputs: Vec<OutputRecord>,
    target_outputs: &[OutputRecord],
) -> Result<()> {
    use std::collections::BTreeMap;
    let mut cur: BTreeMap<String, ResourceRecord> = current
        .into_iter()
        .map(|r| (r.address.clone(), r))
        .collect();
    for t in target {
        let old = cur.remove(&t.address);
        if old.as_ref() == Some(t) {
            continue;
        }
        let kind = if old.is_some() {
            "resource.update"
        } else {
            "resource.create"
        };
        let mut ev = NewEvent::new(kind, Some(&t.address));
        ev.before = old.as_ref().map(to_json).transpose()?.map(Cow::Owned);
        ev.after = owned(to_json(t)?);
        append(tx, actor, ev)?;
    }
    for (address, old) in &cur {
        let mut ev = NewEvent::new("resource.delete", Some(address));
        ev.before = owned(to_json(old)?);
        append(tx, actor, ev)?;
    }
    let mut cur_out: BTreeMap<String, OutputRecord> = current_outputs
        .into_iter()
        .map(|o| (o.name.clone(), o))
        .collect();
    for t in target_outputs {
        let old = cur_out.remove(&t.name);
        if old.as_ref() == Some(t) {
            continue;
        }
        let mut ev = NewEvent::new("output.set", None);
        ev.before = old.as_ref().map(to_json).transpose()?.map(Cow::Owned);
        ev.after = owned(to_json(t)?);
        append(tx, actor, ev)?;
    }
    for old in cur_out.values() {
        let mut ev = NewEvent::new("output.delete", None);
        ev.before = owned(to_json(old)?);
        append(tx, actor, ev)?;
    }
    Ok(())
}

/// Decodes an optional stored JSON column.
pub(crate) fn parse_json_opt(s: Option<String>) -> Result<Option<Value>> {
    s.map(|t| serde_json::from_str(&t).map_err(StateError::corrupt))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_intent_event_equals_the_serialised_map() {
        for detail in [
            Value::Null,
            json!({ "planned": { "b": [1, "x\"y"], "a": 0.25 } }),
        ] {
            let intent = NewIntent {
                address: "t.a[\"k\"]".into(),
                action: IntentAction::Replace,
                resource_type: "t\u{e9}".into(),
                provider: "p".into(),
                detail: detail.clone(),
            };
            let expected = serde_json::to_string(&json!({
                "action": intent.action.as_str(),
                "resource_type": intent.resource_type,
                "provider": intent.provider,
                "detail": detail,
            }))
            .expect("serialise");
            let enc = EncodedIntent::new(intent).expect("encode");
            assert_eq!(enc.event, expected);
            assert_eq!(enc.detail, serde_json::to_string(&detail).expect("detail"));
        }
    }
}
