//! Reading every object in state to find what changed outside Nimbus
//! (`refresh`, `drift`): one scheduler node per object, no order between
//! them.

use crate::events::Event;
use crate::providers::{CallContext, ProviderSet, Withheld};
use crate::schedule::{self, Edges, Skip};
use crate::{Drift, PriorState, RunOptions};
use nimbus_provider::ReadRequest;
use nimbus_state::ResourceRecord;
use nimbus_syntax::Diagnostic;
use nimbus_value::Value;
use std::collections::BTreeMap;

type Read = Result<Option<Drift>, Diagnostic>;

pub(crate) async fn detect(
    providers: &ProviderSet,
    prior: &PriorState,
    options: &RunOptions,
) -> (Vec<Drift>, Vec<Diagnostic>) {
    let mut records: Vec<&ResourceRecord> = prior.values().collect();
    records.sort_by(|a, b| a.address.cmp(&b.address));
    let unordered = Edges::new(records.len(), []);
    let mut work = Reading {
        records,
        providers,
        options,
        drifts: Vec::new(),
        errors: Vec::new(),
        unread: 0,
    };
    schedule::run(&unordered, &mut work, options.parallelism, &options.cancel).await;
    let Reading {
        mut drifts,
        mut errors,
        unread,
        ..
    } = work;
    if unread > 0 {
        errors.push(Diagnostic::error(format!(
            "interrupted: {unread} object(s) not read; nothing was recorded"
        )));
    }
    drifts.sort_by(|a, b| a.address.cmp(&b.address));
    (drifts, errors)
}

struct Reading<'f> {
    records: Vec<&'f ResourceRecord>,
    providers: &'f ProviderSet,
    options: &'f RunOptions,
    drifts: Vec<Drift>,
    errors: Vec<Diagnostic>,
    unread: usize,
}

impl<'f> schedule::Work<'f> for Reading<'f> {
    type Output = Option<Read>;

    fn start(&mut self, node: usize) -> schedule::Start<'f, Option<Read>> {
        let (record, providers, options) = (self.records[node], self.providers, self.options);
        schedule::Start::Jobs(vec![Box::pin(async move {
            if !schedule::may_start(&options.cancel, options.events.as_ref(), &record.address) {
                return None;
            }
            Some(read_one(record, providers, options).await)
        })])
    }

    fn finish(&mut self, _: usize, outputs: Vec<Option<Read>>) -> bool {
        for output in outputs {
            match output {
                None => self.unread += 1,
                Some(Ok(drift)) => self.drifts.extend(drift),
                Some(Err(d)) => self.errors.push(d),
            }
        }
        true
    }

    fn skip(&mut self, node: usize, reason: Skip) {
        debug_assert_eq!(reason, Skip::Interrupted, "reads depend on nothing");
        self.options.events.emit(Event::Skipped {
            address: self.records[node].address.clone(),
            reason: "interrupted".to_string(),
        });
        self.unread += 1;
    }

    fn interruptible(&self, _: usize) -> bool {
        true
    }
}

/// Reads one object through the provider gate and compares it with its
/// record.
async fn read_one(record: &ResourceRecord, providers: &ProviderSet, options: &RunOptions) -> Read {
    let Some(handle) = providers.get(&record.provider) else {
        return Err(Diagnostic::error(format!(
            "{}: its provider `{}` is not configured",
            record.address, record.provider
        )));
    };
    let recorded = Value::from_json(&record.attributes);
    options.events.emit(Event::RefreshStarted {
        address: record.address.clone(),
    });
    // What the provider says about the object may quote its secrets.
    let read = handle
        .call(
            &record.address,
            CallContext::from(options).withholding(Withheld::Record(record)),
            || {
                handle.provider.read(ReadRequest {
                    type_name: &record.resource_type,
                    current_state: &recorded,
                    private: &record.private,
                })
            },
        )
        .await
        .map_err(|e| {
            Diagnostic::error(format!("{}: refresh failed: {}", record.address, e.message))
        })?;
    let drift = match read {
        None => Some(Drift {
            address: record.address.clone(),
            current: None,
            changed_attributes: Vec::new(),
            recorded,
            sensitive_attributes: record.sensitive_attributes.clone(),
        }),
        Some(r) if r.new_state != recorded => {
            let empty = BTreeMap::new();
            let before = recorded.as_map().unwrap_or(&empty);
            let after = r.new_state.as_map().unwrap_or(&empty);
            let mut changed: Vec<String> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .cloned()
                .collect();
            changed.sort();
            changed.dedup();
            Some(Drift {
                address: record.address.clone(),
                current: Some(r.new_state),
                changed_attributes: changed,
                recorded: recorded.clone(),
                sensitive_attributes: record.sensitive_attributes.clone(),
            })
        }
        Some(_) => None,
    };
    options.events.emit(Event::RefreshFinished {
        address: record.address.clone(),
        changed: drift.is_some(),
        gone: drift.as_ref().is_some_and(|d| d.current.is_none()),
    });
    Ok(drift)
}
