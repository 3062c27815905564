//! Deleting objects in reverse dependency order, from state alone: the
//! dependencies recorded with each object say what must go first. Works at
//! block granularity (a block's instances are deleted together once every
//! block depending on it is gone), which keeps the order graph linear in
//! the number of blocks and recorded dependencies.

use crate::events::Event;
use crate::job::{JobContext, close_failed_intent, with_note};
use crate::plan::Action;
use crate::providers::{CallContext, ProviderSet, Withheld};
use crate::schedule::{self, Edges, Skip};
use crate::walk::block_of;
use nimbus_provider::DeleteRequest;
use nimbus_state::{IntentAction, NewIntent, Outcome, ResourceRecord};
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct DeleteReport {
    pub deleted: Vec<String>,
    pub failed: Vec<String>,
    pub skipped: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// `Err(None)`: not started because the run was interrupted (skipped);
/// `Err(Some(d))`: failed.
type Deleted = (String, Result<(), Option<Diagnostic>>);

/// Deletes `records` (all of one workspace, or a subset) with `parallelism`
/// operations at once.
pub async fn delete_records(
    records: Vec<ResourceRecord>,
    providers: &ProviderSet,
    parallelism: usize,
    ctx: &JobContext,
) -> DeleteReport {
    let mut report = DeleteReport::default();
    let Some(recorder) = ctx.recorder.clone() else {
        report.diagnostics.push(Diagnostic::error(
            "internal: delete without a state recorder",
        ));
        return report;
    };
    // Blocks and their instances.
    let mut block_index: HashMap<String, usize> = HashMap::new();
    let mut blocks: Vec<Vec<ResourceRecord>> = Vec::new();
    for record in records {
        let block = block_of(&record.address).to_string();
        let i = *block_index.entry(block).or_insert_with(|| {
            blocks.push(Vec::new());
            blocks.len() - 1
        });
        blocks[i].push(record);
    }
    // A block is deleted once every block depending on it is gone.
    let mut order = Vec::new();
    for (i, instances) in blocks.iter().enumerate() {
        for record in instances {
            for dep in &record.dependencies {
                if let Some(&j) = block_index.get(dep)
                    && j != i
                {
                    order.push((i, j));
                }
            }
        }
    }
    let order = Edges::new(blocks.len(), order);
    ctx.events.emit(Event::ApplyPlanned {
        total: blocks.iter().map(Vec::len).sum(),
    });
    let mut work = Deletion {
        blocks,
        report,
        providers,
        ctx,
        recorder,
    };
    schedule::run(&order, &mut work, parallelism, &ctx.cancel).await;
    work.report
}

/// Destroy's part of the scheduler's work: a node is a block, its jobs
/// the deletions of its instances.
struct Deletion<'r> {
    /// Instances of each block not started yet.
    blocks: Vec<Vec<ResourceRecord>>,
    report: DeleteReport,
    providers: &'r ProviderSet,
    ctx: &'r JobContext,
    recorder: nimbus_state::Recorder,
}

impl schedule::Work<'static> for Deletion<'_> {
    type Output = Deleted;

    fn start(&mut self, block: usize) -> schedule::Start<'static, Deleted> {
        schedule::Start::Jobs(
            std::mem::take(&mut self.blocks[block])
                .into_iter()
                .map(|record| delete_one(record, self.providers, self.ctx, self.recorder.clone()))
                .collect(),
        )
    }

    fn finish(&mut self, _: usize, outputs: Vec<Deleted>) -> bool {
        let mut ok = true;
        for (address, result) in outputs {
            match result {
                Ok(()) => self.report.deleted.push(address),
                Err(Some(d)) => {
                    ok = false;
                    self.report.failed.push(address);
                    self.report.diagnostics.push(d);
                }
                Err(None) => {
                    // Still there: what it depends on must stay too.
                    ok = false;
                    self.report.skipped.push(address);
                }
            }
        }
        ok
    }

    fn skip(&mut self, block: usize, reason: Skip) {
        let reason = match reason {
            Skip::Interrupted => "interrupted",
            Skip::DependencyFailed { .. } => "an object depending on it could not be deleted",
        };
        for record in std::mem::take(&mut self.blocks[block]) {
            self.ctx.events.emit(Event::Skipped {
                address: record.address.clone(),
                reason: reason.to_string(),
            });
            self.report.skipped.push(record.address);
        }
    }

    fn interruptible(&self, _: usize) -> bool {
        true
    }
}

fn delete_one(
    record: ResourceRecord,
    providers: &ProviderSet,
    ctx: &JobContext,
    recorder: nimbus_state::Recorder,
) -> schedule::Job<'static, Deleted> {
    let handle = providers.get(&record.provider).cloned();
    let ctx = ctx.clone();
    Box::pin(async move {
        let address = record.address.clone();
        let Some(handle) = handle else {
            let d = Diagnostic::error(format!(
                "{address}: its provider `{}` is not configured; add its `(provider ...)` block",
                record.provider
            ));
            return (address, Err(Some(d)));
        };
        if !schedule::may_start(&ctx.cancel, ctx.events.as_ref(), &address) {
            return (address, Err(None));
        }
        ctx.events.emit(Event::OperationStarted {
            address: address.clone(),
            action: Action::Delete,
        });
        let started = Instant::now();
        let intent = NewIntent {
            address: address.clone(),
            action: IntentAction::Delete,
            resource_type: record.resource_type.clone(),
            provider: record.provider.clone(),
            detail: serde_json::json!({ "before": record.attributes }),
        };
        let id = match recorder.record_intent(intent).await {
            Ok(id) => id,
            Err(e) => {
                return (
                    address.clone(),
                    Err(Some(Diagnostic::error(format!(
                        "{address}: recording intent: {e}"
                    )))),
                );
            }
        };
        let state = Value::from_json(&record.attributes);
        // What the provider says about the object may quote its secrets.
        let call_context = CallContext::from(&ctx).withholding(Withheld::Record(&record));
        let provider = handle.provider.clone();
        let result = handle
            .call(&address, call_context, || {
                provider.delete(DeleteRequest {
                    type_name: &record.resource_type,
                    prior_state: &state,
                    private: &record.private,
                })
            })
            .await;
        match result {
            Ok(()) => match recorder
                .complete(
                    id,
                    Outcome::Remove {
                        address: address.clone(),
                    },
                )
                .await
            {
                Ok(_) => {
                    ctx.events.emit(Event::OperationFinished {
                        address: address.clone(),
                        action: Action::Delete,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                    });
                    (address, Ok(()))
                }
                Err(e) => (
                    address.clone(),
                    Err(Some(Diagnostic::error(format!(
                        "{address}: recording deletion: {e}"
                    )))),
                ),
            },
            Err(e) => {
                let store_note = close_failed_intent(&recorder, id, &e.message).await;
                ctx.events.emit(Event::OperationFailed {
                    address: address.clone(),
                    action: Action::Delete,
                    message: e.message.clone(),
                });
                (
                    address.clone(),
                    Err(Some(with_note(
                        Diagnostic::error(format!("{address}: delete failed: {}", e.message)),
                        store_note,
                    ))),
                )
            }
        }
    })
}
