//! Deleting objects in reverse dependency order, from state alone: the
//! dependencies recorded with each object say what must go first. Works at
//! block granularity (a block's instances are deleted together once every
//! block depending on it is gone), which keeps the order graph linear in
//! the number of blocks and recorded dependencies.

use crate::events::Event;
use crate::job::{JobContext, close_failed_intent, with_note};
use crate::plan::Action;
use crate::providers::ProviderSet;
use crate::walk::block_of;
use futures_util::stream::{FuturesUnordered, StreamExt};
use nimbus_provider::DeleteRequest;
use nimbus_state::{IntentAction, NewIntent, Outcome, ResourceRecord};
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Debug, Default)]
pub struct DeleteReport {
    pub deleted: Vec<String>,
    pub failed: Vec<String>,
    pub skipped: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// `Err(None)`: not started because the run was interrupted (skipped, as
/// the walk reports an interrupted step); `Err(Some(d))`: failed.
type DeleteFuture =
    Pin<Box<dyn Future<Output = (usize, String, Result<(), Option<Diagnostic>>)> + Send>>;

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
    // `must_wait[b]`: blocks depending on b still to be deleted.
    let mut must_wait = vec![0usize; blocks.len()];
    let mut depends_on: Vec<Vec<usize>> = vec![Vec::new(); blocks.len()];
    for (i, instances) in blocks.iter().enumerate() {
        let mut deps: HashSet<usize> = HashSet::new();
        for record in instances {
            for dep in &record.dependencies {
                if let Some(&j) = block_index.get(dep)
                    && j != i
                {
                    deps.insert(j);
                }
            }
        }
        for j in deps {
            must_wait[j] += 1;
            depends_on[i].push(j);
        }
    }
    let mut ready: VecDeque<usize> = (0..blocks.len()).filter(|b| must_wait[*b] == 0).collect();
    let mut remaining: Vec<usize> = blocks.iter().map(Vec::len).collect();
    let mut failed_block = vec![false; blocks.len()];
    let mut queued: VecDeque<DeleteFuture> = VecDeque::new();
    let mut in_flight: FuturesUnordered<DeleteFuture> = FuturesUnordered::new();
    ctx.events.emit(Event::ApplyPlanned {
        total: blocks.iter().map(Vec::len).sum(),
    });
    loop {
        while let Some(b) = ready.pop_front() {
            for record in std::mem::take(&mut blocks[b]) {
                queued.push_back(delete_one(b, record, providers, ctx, recorder.clone()));
            }
        }
        while in_flight.len() < parallelism.max(1)
            && let Some(job) = queued.pop_front()
        {
            in_flight.push(job);
        }
        let Some((b, address, result)) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(()) => report.deleted.push(address),
            Err(Some(d)) => {
                failed_block[b] = true;
                report.failed.push(address);
                report.diagnostics.push(d);
            }
            Err(None) => {
                // Still there: what it depends on must stay too.
                failed_block[b] = true;
                report.skipped.push(address);
            }
        }
        remaining[b] -= 1;
        if remaining[b] == 0 {
            if failed_block[b] {
                // What it depends on cannot go while it is still there.
                let mut stack = depends_on[b].clone();
                let mut seen = HashSet::new();
                while let Some(d) = stack.pop() {
                    if seen.insert(d) {
                        for record in std::mem::take(&mut blocks[d]) {
                            ctx.events.emit(Event::Skipped {
                                address: record.address.clone(),
                                reason: "an object depending on it could not be deleted"
                                    .to_string(),
                            });
                            report.skipped.push(record.address);
                        }
                        stack.extend(depends_on[d].iter().copied());
                    }
                }
                continue;
            }
            for &d in &depends_on[b] {
                must_wait[d] -= 1;
                if must_wait[d] == 0 && !blocks[d].is_empty() {
                    ready.push_back(d);
                }
            }
        }
    }
    report
}

fn delete_one(
    block: usize,
    record: ResourceRecord,
    providers: &ProviderSet,
    ctx: &JobContext,
    recorder: nimbus_state::Recorder,
) -> DeleteFuture {
    let handle = providers.get(&record.provider).cloned();
    let ctx = ctx.clone();
    Box::pin(async move {
        let address = record.address.clone();
        let Some(handle) = handle else {
            let d = Diagnostic::error(format!(
                "{address}: its provider `{}` is not configured; add its `(provider ...)` block",
                record.provider
            ));
            return (block, address, Err(Some(d)));
        };
        if ctx.cancel.load(Ordering::SeqCst) {
            ctx.events.emit(Event::Skipped {
                address: address.clone(),
                reason: "interrupted".to_string(),
            });
            return (block, address, Err(None));
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
                    block,
                    address.clone(),
                    Err(Some(Diagnostic::error(format!(
                        "{address}: recording intent: {e}"
                    )))),
                );
            }
        };
        let state = Value::from_json(&record.attributes);
        let provider = handle.provider.clone();
        let result = handle
            .call(&address, (&ctx).into(), || {
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
                    (block, address, Ok(()))
                }
                Err(e) => (
                    block,
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
                    block,
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
