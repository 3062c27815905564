//! Bounded history: compaction of a workspace's event log into a snapshot.
//!
//! The log is the source of truth and grows with every run; compaction
//! keeps the runs a [`Retention`] names with their events and folds
//! everything recorded before the oldest of them into *snapshot events*:
//! one `snapshot.resource` per resource and one `snapshot.output` per
//! output, each holding the object as it was right after the boundary
//! event, stored under the seq of the last event that changed it (so it
//! keeps that event's time, run and author, and the seqs stay unique and
//! below the boundary). Replaying the snapshot events and then the kept
//! ones gives exactly the projection, which is what `rebuild`, `state
//! check` and copies already do: they need not know about compaction.
//!
//! Everything happens in one transaction (the fold is read in pages, the
//! old events deleted, the snapshot written, the boundary recorded), so a
//! crash leaves the log either as it was or compacted, never half of it.
//! The fold is one pass over the folded events with a hash map per kind of
//! object: linear in events, its memory the size of the state at the
//! boundary.

use std::collections::HashMap;

use crate::backend::{EventRecord, Tx};
use crate::error::StateError;
use crate::projection::{
    self, Change, EncodedResource, EventColumns, SNAPSHOT_BOUNDARY, SNAPSHOT_OUTPUT,
    SNAPSHOT_RESOURCE,
};
use crate::types::{Compaction, CompactionReport, ResourceRecord, Retention};
use crate::write::now_rfc3339;

type Result<T> = std::result::Result<T, StateError>;

/// Store-wide setting holding the configured [`Retention`] (JSON): when it
/// is set, every apply and destroy compacts by it.
pub(crate) const RETENTION_SETTING: &str = "history_retention";

/// Parses the stored retention setting.
pub(crate) fn parse_retention(text: &str) -> Result<Retention> {
    serde_json::from_str(text)
        .map_err(|e| StateError::corrupt(format!("setting {RETENTION_SETTING}: {e}")))
}

/// The stored retention setting's text.
pub(crate) fn retention_text(retention: &Retention) -> Result<String> {
    serde_json::to_string(retention).map_err(|e| StateError::InvalidInput(e.to_string()))
}

/// The last event of the workspace that a compaction by `retention` at
/// `now` may fold: the event before the oldest run it keeps, and before
/// the oldest open intent (an interrupted run's intent is resolved at the
/// next run, against its own event). Returns it with the number of runs
/// kept.
fn boundary_for(
    tx: &mut dyn Tx,
    ws: &str,
    retention: &Retention,
    now: time::OffsetDateTime,
) -> Result<(u64, u64)> {
    let mut runs = tx.runs_of(ws)?;
    // Newest first, by the head they started at (their start times may
    // come from different clocks).
    runs.sort_by(|a, b| {
        (b.start_seq, &b.started_at, &b.run_id).cmp(&(a.start_seq, &a.started_at, &a.run_id))
    });
    // `Some(None)`: so many days that every run is recent.
    let cutoff = retention.keep_days.map(|days| {
        i64::try_from(days)
            .ok()
            .and_then(|days| days.checked_mul(86_400))
            .and_then(|seconds| now.checked_sub(time::Duration::seconds(seconds)))
    });
    let started = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    };
    let mut boundary = tx.head_seq(ws)?;
    let mut kept = 0;
    for (i, run) in runs.iter().enumerate() {
        let by_count = retention
            .keep_runs
            .is_some_and(|n| u64::try_from(i).unwrap_or(u64::MAX) < n);
        // A start time that does not parse is treated as recent: nothing
        // is dropped on a guess.
        let by_age = match cutoff {
            None => false,
            Some(None) => true,
            Some(Some(cutoff)) => started(&run.started_at).is_none_or(|t| t >= cutoff),
        };
        let running = run.status == "running";
        if by_count || by_age || running {
            kept += 1;
            boundary = boundary.min(run.start_seq);
        }
    }
    if let Some(open) = tx.oldest_open_intent_seq(ws)? {
        boundary = boundary.min(open.saturating_sub(1));
    }
    Ok((boundary, kept))
}

/// A snapshot entry: the event that last changed the object, with what
/// the object was right after the boundary.
struct Entry {
    event: EventRecord,
    /// `event.after` is the object as it is now (a move rewrote it).
    current: bool,
}

/// The state at the boundary, folded from the events up to it.
#[derive(Default)]
struct Fold {
    resources: HashMap<String, Entry>,
    outputs: HashMap<String, Entry>,
    /// Events read.
    events: u64,
    /// The last event read (the boundary event).
    last: Option<EventRecord>,
}

fn output_name(json: &str) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    serde_json::from_str::<Named>(json)
        .map(|n| n.name)
        .map_err(|e| StateError::corrupt(format!("output event: {e}")))
}

impl Fold {
    /// Folds one event in, as [`projection::apply_event`] would apply it.
    fn add(&mut self, event: EventRecord) -> Result<()> {
        self.events += 1;
        let columns = EventColumns {
            seq: event.seq,
            kind: &event.kind,
            address: event.address.as_deref(),
            prev_address: event.prev_address.as_deref(),
            before: event.before.as_deref(),
            after: event.after.as_deref(),
        };
        let change = change_of_owned(&columns)?;
        self.last = Some(without_payload(&event));
        match change {
            Owned::PutResource(address) => {
                self.resources.insert(
                    address,
                    Entry {
                        event,
                        current: true,
                    },
                );
            }
            Owned::DeleteResource(address) => {
                self.resources.remove(&address);
            }
            Owned::MoveResource(from, to) => {
                if let Some(entry) = self.resources.remove(&from) {
                    // The record keeps its old address inside until the
                    // snapshot is written; `current` says it must be renamed.
                    let moved = EventRecord {
                        after: entry.event.after,
                        ..event
                    };
                    self.resources.insert(
                        to,
                        Entry {
                            event: moved,
                            current: false,
                        },
                    );
                }
            }
            Owned::PutOutput(name) => {
                self.outputs.insert(
                    name,
                    Entry {
                        event,
                        current: true,
                    },
                );
            }
            Owned::DeleteOutput(name) => {
                self.outputs.remove(&name);
            }
            Owned::Nothing => {}
        }
        Ok(())
    }

    /// The snapshot events, in seq order.
    fn snapshot(self) -> Result<Vec<EventRecord>> {
        let mut out = Vec::with_capacity(self.resources.len() + self.outputs.len());
        for (address, entry) in self.resources {
            let mut event = entry.event;
            let record = event
                .after
                .take()
                .ok_or_else(|| StateError::corrupt(format!("{address}: no record to keep")))?;
            let record = if entry.current {
                record
            } else {
                let mut moved: ResourceRecord = serde_json::from_str(&record)
                    .map_err(|e| StateError::corrupt(format!("{address}: {e}")))?;
                moved.address = address.clone();
                EncodedResource::new(moved)?.json
            };
            out.push(snapshot_event(
                event,
                SNAPSHOT_RESOURCE,
                Some(address),
                record,
            ));
        }
        for (_, entry) in self.outputs {
            let mut event = entry.event;
            let output = event
                .after
                .take()
                .ok_or_else(|| StateError::corrupt("output event without a value"))?;
            out.push(snapshot_event(event, SNAPSHOT_OUTPUT, None, output));
        }
        out.sort_unstable_by_key(|e| e.seq);
        Ok(out)
    }
}

/// The event's columns without its before and after (cheap to keep).
fn without_payload(event: &EventRecord) -> EventRecord {
    EventRecord {
        seq: event.seq,
        workspace: event.workspace.clone(),
        time: event.time.clone(),
        run_id: event.run_id.clone(),
        cause: event.cause.clone(),
        user: event.user.clone(),
        host: event.host.clone(),
        operation: event.operation.clone(),
        kind: event.kind.clone(),
        address: None,
        prev_address: None,
        before: None,
        after: None,
    }
}

/// The snapshot event made of the event that last changed an object.
fn snapshot_event(
    event: EventRecord,
    kind: &str,
    address: Option<String>,
    after: String,
) -> EventRecord {
    EventRecord {
        kind: kind.to_owned(),
        address,
        prev_address: None,
        before: None,
        after: Some(after),
        ..event
    }
}

/// [`Change`] with owned names, so the event can be kept after reading it.
enum Owned {
    PutResource(String),
    DeleteResource(String),
    MoveResource(String, String),
    PutOutput(String),
    DeleteOutput(String),
    Nothing,
}

fn change_of_owned(columns: &EventColumns<'_>) -> Result<Owned> {
    Ok(match projection::change_of(columns)? {
        Change::PutResource { address, record } => Owned::PutResource(match address {
            Some(address) => address.to_owned(),
            // Events always carry the address; the record has it too.
            None => {
                serde_json::from_str::<ResourceRecord>(record)
                    .map_err(|e| StateError::corrupt(format!("event {}: {e}", columns.seq)))?
                    .address
            }
        }),
        Change::DeleteResource { address } => Owned::DeleteResource(address.to_owned()),
        Change::MoveResource { from, to } => Owned::MoveResource(from.to_owned(), to.to_owned()),
        Change::PutOutput { output } => Owned::PutOutput(output_name(output)?),
        Change::DeleteOutput { output } => Owned::DeleteOutput(output_name(output)?),
        Change::Nothing => Owned::Nothing,
    })
}

/// Reads the events up to `upto` into a [`Fold`], a page at a time.
fn fold(tx: &mut dyn Tx, ws: &str, upto: u64) -> Result<Fold> {
    let mut fold = Fold::default();
    let mut after = 0;
    loop {
        let page = tx.events_after(ws, after, projection::REPLAY_PAGE)?;
        let full = page.len() == projection::REPLAY_PAGE;
        for event in page {
            if event.seq > upto {
                return Ok(fold);
            }
            after = event.seq;
            fold.add(event)?;
        }
        if !full {
            return Ok(fold);
        }
    }
}

/// Compacts the workspace's history by `retention` inside `tx` (the
/// caller's one transaction, which it commits, or rolls back for a dry
/// run). Returns the report, without sizes.
pub(crate) fn compact(
    tx: &mut dyn Tx,
    ws: &str,
    retention: &Retention,
    now: time::OffsetDateTime,
) -> Result<CompactionReport> {
    if retention.is_empty() {
        return Err(StateError::InvalidInput(
            "a retention keeps runs by count (--keep-runs), by age (--keep-days) or both".into(),
        ));
    }
    let previous = tx.compaction(ws)?;
    let previous_boundary = previous.as_ref().map_or(0, |c| c.boundary);
    let (limit, runs_kept) = boundary_for(tx, ws, retention, now)?;
    let mut report = CompactionReport {
        workspace: ws.to_owned(),
        previous_boundary,
        boundary: previous_boundary,
        boundary_time: previous
            .as_ref()
            .map(|c| c.boundary_time.clone())
            .unwrap_or_default(),
        runs_kept,
        ..CompactionReport::default()
    };
    if limit <= previous_boundary {
        return Ok(report);
    }
    let fold = fold(tx, ws, limit)?;
    let Some(last) = fold.last.clone() else {
        return Ok(report);
    };
    // The boundary is an event that exists: the last one folded.
    let boundary = last.seq;
    if boundary <= previous_boundary {
        return Ok(report);
    }
    let read = fold.events;
    let mut snapshot = fold.snapshot()?;
    if snapshot.last().is_none_or(|e| e.seq != boundary) {
        // The boundary event stays, as a marker: the head never moves back.
        snapshot.push(EventRecord {
            kind: SNAPSHOT_BOUNDARY.to_owned(),
            ..last.clone()
        });
    }
    let deleted = tx.delete_events_upto(ws, boundary)?;
    if deleted != read {
        return Err(StateError::corrupt(format!(
            "compaction read {read} events of {ws} up to event {boundary} but found {deleted} to delete"
        )));
    }
    for event in &snapshot {
        tx.insert_event(event)?;
    }
    let written = snapshot.len() as u64;
    let runs_removed = tx.delete_runs_upto(ws, boundary)?;
    let intents_removed = tx.delete_closed_intents_upto(ws, boundary)?;
    let mut expired = 0;
    for point in tx.restore_points(ws)? {
        if point.seq < boundary && point.backup.is_none() {
            tx.delete_restore_point(point.id)?;
            expired += 1;
        }
    }
    let events_removed = deleted.saturating_sub(written);
    tx.set_compaction(
        ws,
        &Compaction {
            boundary,
            boundary_time: last.time.clone(),
            compacted_at: now_rfc3339(),
            events_removed: previous.as_ref().map_or(0, |c| c.events_removed) + events_removed,
            runs_removed: previous.as_ref().map_or(0, |c| c.runs_removed) + runs_removed,
        },
    )?;
    report.boundary = boundary;
    report.boundary_time = last.time;
    report.events_removed = events_removed;
    report.snapshot_events = written;
    report.runs_removed = runs_removed;
    report.intents_removed = intents_removed;
    report.restore_points_expired = expired;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_round_trips_through_its_setting() {
        for retention in [
            Retention::default(),
            Retention {
                keep_runs: Some(3),
                keep_days: None,
            },
        ] {
            let text = retention_text(&retention).expect("text");
            assert_eq!(parse_retention(&text).expect("parse"), retention);
        }
        assert!(parse_retention("{").is_err());
    }
}
