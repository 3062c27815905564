//! What the engine reports while it works. The CLI turns these into
//! progress bars, plain lines or JSON; the engine itself never prints.

use crate::plan::Action;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    RefreshStarted {
        address: String,
    },
    RefreshFinished {
        address: String,
        changed: bool,
        gone: bool,
    },
    /// Work on the whole apply is known: `total` operations will run.
    ApplyPlanned {
        total: usize,
    },
    OperationStarted {
        address: String,
        action: Action,
    },
    OperationFinished {
        address: String,
        action: Action,
        elapsed_ms: u64,
    },
    OperationFailed {
        address: String,
        action: Action,
        message: String,
    },
    Retrying {
        address: String,
        attempt: u32,
        delay_ms: u64,
        message: String,
    },
    /// Not attempted because something it depends on failed, or because of
    /// an interrupt.
    Skipped {
        address: String,
        reason: String,
    },
    /// An intent left open by an earlier, interrupted run.
    OpenIntent {
        /// The intent's id in the state store.
        id: u64,
        address: String,
        action: String,
        run_id: String,
        resolution: String,
    },
}

/// Receives engine events. Must be cheap: it is called on the hot path.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

/// Drops every event.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _: Event) {}
}

pub type Events = Arc<dyn EventSink>;
