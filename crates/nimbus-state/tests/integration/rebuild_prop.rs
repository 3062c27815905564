//! Property: the projection always equals a replay of the event log, and
//! `restore_to_event` reproduces the state as it was at that event.

use std::collections::BTreeMap;

use nimbus_state::{
    IntentAction, NewIntent, Outcome, OutputRecord, ResourceRecord, ResourceStatus, RunStatus,
    Store,
};
use proptest::prelude::*;
use serde_json::json;

use crate::{Project, run};

#[derive(Debug, Clone)]
enum Op {
    Upsert {
        slot: u8,
        n: i64,
        tainted: bool,
        private: Vec<u8>,
    },
    IntentComplete {
        slot: u8,
        n: i64,
    },
    IntentDelete {
        slot: u8,
    },
    IntentFail {
        slot: u8,
    },
    Remove {
        slot: u8,
    },
    StateRm {
        slot: u8,
    },
    Move {
        from: u8,
        to: u8,
    },
    Outputs(Vec<(u8, i64, bool)>),
}

fn addr(slot: u8) -> String {
    format!("t.r{slot}")
}

fn make_record(slot: u8, n: i64, tainted: bool, private: Vec<u8>) -> ResourceRecord {
    let mut r = ResourceRecord::new(
        addr(slot),
        "t",
        "p",
        json!({ "n": n, "nested": { "list": [n, "x"], "f": 0.5 }, "z": null }),
    );
    r.private = private;
    r.status = if tainted {
        ResourceStatus::Tainted
    } else {
        ResourceStatus::Ready
    };
    r.sensitive_attributes = if n % 2 == 0 { vec!["n".into()] } else { vec![] };
    r
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0u8..6;
    prop_oneof![
        4 => (slot.clone(), -3i64..3, any::<bool>(), prop::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(slot, n, tainted, private)| Op::Upsert { slot, n, tainted, private }),
        2 => (slot.clone(), -3i64..3).prop_map(|(slot, n)| Op::IntentComplete { slot, n }),
        1 => slot.clone().prop_map(|slot| Op::IntentDelete { slot }),
        1 => slot.clone().prop_map(|slot| Op::IntentFail { slot }),
        1 => slot.clone().prop_map(|slot| Op::Remove { slot }),
        1 => slot.clone().prop_map(|slot| Op::StateRm { slot }),
        2 => (slot.clone(), slot.clone()).prop_map(|(from, to)| Op::Move { from, to }),
        1 => prop::collection::vec((0u8..4, -2i64..2, any::<bool>()), 0..4).prop_map(Op::Outputs),
    ]
}

type Model = (BTreeMap<String, ResourceRecord>, Vec<OutputRecord>);

fn snapshot(store: &Store) -> (Vec<ResourceRecord>, Vec<OutputRecord>) {
    (
        store.resources("default").expect("resources"),
        store.outputs("default").expect("outputs"),
    )
}

/// Applies `op` to the store and to a model; errors must match the model.
fn apply(store: &Store, rec: &nimbus_state::Recorder, op: &Op, model: &mut Model) {
    let (res, outs) = model;
    let intent = |slot: u8, action| {
        rec.record_intent_blocking(NewIntent {
            address: addr(slot),
            action,
            resource_type: "t".into(),
            provider: "p".into(),
            detail: json!(null),
        })
        .expect("intent")
    };
    match op {
        Op::Upsert {
            slot,
            n,
            tainted,
            private,
        } => {
            let r = make_record(*slot, *n, *tainted, private.clone());
            rec.upsert_blocking(r.clone()).expect("upsert");
            res.insert(r.address.clone(), r);
        }
        Op::IntentComplete { slot, n } => {
            let id = intent(*slot, IntentAction::Update);
            let r = make_record(*slot, *n, false, vec![]);
            rec.complete_blocking(id, Outcome::Upsert(r.clone()))
                .expect("complete");
            res.insert(r.address.clone(), r);
        }
        Op::IntentDelete { slot } => {
            let id = intent(*slot, IntentAction::Delete);
            let r = rec.complete_blocking(
                id,
                Outcome::Remove {
                    address: addr(*slot),
                },
            );
            assert_eq!(r.is_ok(), res.remove(&addr(*slot)).is_some());
            if r.is_err() {
                rec.complete_blocking(
                    id,
                    Outcome::Failed {
                        message: "gone".into(),
                    },
                )
                .expect("close");
            }
        }
        Op::IntentFail { slot } => {
            let id = intent(*slot, IntentAction::Create);
            rec.complete_blocking(
                id,
                Outcome::Failed {
                    message: "boom".into(),
                },
            )
            .expect("fail");
        }
        Op::Remove { slot } => {
            let r = rec.remove_blocking(addr(*slot));
            assert_eq!(r.is_ok(), res.remove(&addr(*slot)).is_some());
        }
        Op::StateRm { slot } => {
            let r = store.remove_resource("default", &addr(*slot));
            assert_eq!(r.is_ok(), res.remove(&addr(*slot)).is_some());
        }
        Op::Move { from, to } => {
            let r = rec.move_resource_blocking(addr(*from), addr(*to));
            let ok = from != to && res.contains_key(&addr(*from)) && !res.contains_key(&addr(*to));
            assert_eq!(r.is_ok(), ok, "{r:?}");
            if ok {
                let mut moved = res.remove(&addr(*from)).expect("model");
                moved.address = addr(*to);
                res.insert(moved.address.clone(), moved);
            }
        }
        Op::Outputs(list) => {
            let mut by_name = BTreeMap::new();
            for (k, v, s) in list {
                by_name.insert(
                    format!("o{k}"),
                    OutputRecord {
                        name: format!("o{k}"),
                        value: json!(v),
                        sensitive: *s,
                        terraform_type: None,
                    },
                );
            }
            let list: Vec<OutputRecord> = by_name.into_values().collect();
            rec.set_outputs_blocking(list.clone()).expect("outputs");
            *outs = list;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn rebuild_equals_projection_and_restore_reproduces_history(
        ops in prop::collection::vec(op(), 1..40),
        pick in any::<prop::sample::Index>(),
    ) {
        let p = Project::new();
        let store = p.open();
        let rec = store.begin_run("default", run("apply")).expect("run");
        let mut model: Model = Default::default();
        // (head seq, state) after each op, for restore_to_event.
        let mut checkpoints = vec![(0u64, snapshot(&store))];
        for op in &ops {
            apply(&store, &rec, op, &mut model);
            let snap = snapshot(&store);
            prop_assert_eq!(&snap.0, &model.0.values().cloned().collect::<Vec<_>>());
            prop_assert_eq!(&snap.1, &model.1);
            checkpoints.push((store.head_sequence("default").expect("head"), snap));
        }
        rec.finish_blocking(RunStatus::Succeeded).expect("finish");

        let before = snapshot(&store);
        let checked = nimbus_state::check(&p.dir()).expect("check");
        prop_assert!(checked.is_consistent(), "{:?}", checked);
        store.rebuild("default").expect("rebuild");
        prop_assert_eq!(&snapshot(&store), &before);

        let (seq, expected) = pick.get(&checkpoints).clone();
        store.restore_to_event("default", seq).expect("restore");
        prop_assert_eq!(&snapshot(&store), &expected);
        store.rebuild("default").expect("rebuild after restore");
        prop_assert_eq!(&snapshot(&store), &expected);
    }
}
