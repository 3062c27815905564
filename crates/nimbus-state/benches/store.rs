//! Benchmarks for the two scale targets of the state store:
//!
//! * Recording 10,000 resource changes, each acknowledged only once it is
//!   durable (target: under 1 s), driven the ways the engine drives it:
//!   - `record_10k_intent_complete_10_tasks`: apply at its default
//!     parallelism of 10. Each task waits for its intent to be durable
//!     before it "calls the provider" and for the result to be durable
//!     before it takes the next resource, so at most 10 requests are ever
//!     queued and at least 2 × 10,000 / 10 = 2,000 commits, each an fsync,
//!     are unavoidable: this case measures the disk's fsync latency.
//!   - `record_10k_intent_complete_100_tasks`: the same with 100 changes in
//!     flight (a wider apply, or many resources completing together), about
//!     200 commits.
//!   - `record_10k_results_at_once`: 10,000 results submitted together, as
//!     refresh and import record what they read; a handful of commits.
//! * `list_100k_resources`: `Store::resources` on a workspace of 100,000
//!   resources (target: under 0.5 s). Freeing the returned records is the
//!   caller's cost and is excluded (`iter_with_large_drop`).
//!
//! Databases live in a temporary directory under `$NIMBUS_STATE_BENCH_DIR`
//! (default: the system temp dir, a real disk here), so the fsyncs of
//! `synchronous=FULL` are real. Pointing it at a tmpfs such as `/dev/shm`
//! separates CPU cost from disk latency.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use nimbus_state::{
    IntentAction, NewIntent, Outcome, Recorder, ResourceRecord, RunInfo, RunStatus, Store,
};
use serde_json::json;

/// The allocator of the `nimbus` binary, so that the figures are the
/// command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHANGES: usize = 10_000;
const LISTED: usize = 100_000;

/// A record shaped like a typical cloud instance (~0.5 KiB of attributes).
fn record(n: usize) -> ResourceRecord {
    let mut r = ResourceRecord::new(
        format!("aws_instance.web[{n}]"),
        "aws_instance",
        "registry.nimbus.dev/aws",
        json!({
            "id": format!("i-0123456789{n:07}"),
            "arn": format!("arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789{n:07}"),
            "ami": "ami-0abcdef1234567890",
            "instance_type": "t3.micro",
            "subnet_id": "subnet-0123456789abcdef0",
            "private_ip": format!("10.0.{}.{}", n / 256 % 256, n % 256),
            "monitoring": false,
            "security_groups": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
            "cpu_options": { "core_count": 1, "threads_per_core": 2 },
            "tags": { "Name": format!("web-{n}"), "env": "prod", "team": "platform" },
            "user_data": "IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=",
        }),
    );
    r.sensitive_attributes = vec!["user_data".into()];
    r.dependencies = vec!["aws_subnet.main".into(), "aws_security_group.web".into()];
    r.private = vec![0x5a; 16];
    r.schema_version = 1;
    r
}

fn temp_project() -> tempfile::TempDir {
    match std::env::var_os("NIMBUS_STATE_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("tempdir")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `tasks` concurrent tasks share the changes; each records an intent, then
/// the result, like an apply job around its provider call.
async fn intent_then_complete(rec: &Recorder, tasks: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let rec = rec.clone();
            tokio::spawn(async move {
                for i in (t..CHANGES).step_by(tasks) {
                    let r = record(i);
                    let id = rec
                        .record_intent(NewIntent {
                            address: r.address.clone(),
                            action: IntentAction::Create,
                            resource_type: r.resource_type.clone(),
                            provider: r.provider.clone(),
                            detail: serde_json::Value::Null,
                        })
                        .await
                        .expect("intent");
                    rec.complete(id, Outcome::Upsert(r))
                        .await
                        .expect("complete");
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
}

/// Every result submitted at once, one task each, as refresh and import do.
async fn results_at_once(rec: &Recorder) {
    let handles: Vec<_> = (0..CHANGES)
        .map(|i| {
            let rec = rec.clone();
            tokio::spawn(async move { rec.upsert(record(i)).await.expect("upsert") })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
}

#[derive(Clone, Copy)]
enum Workload {
    IntentComplete { tasks: usize },
    ResultsAtOnce,
}

fn bench_record(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("recorder");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    for (name, workload) in [
        (
            "record_10k_intent_complete_10_tasks",
            Workload::IntentComplete { tasks: 10 },
        ),
        (
            "record_10k_intent_complete_100_tasks",
            Workload::IntentComplete { tasks: 100 },
        ),
        ("record_10k_results_at_once", Workload::ResultsAtOnce),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let tmp = temp_project();
                    let store = Store::open(&tmp.path().join(".nimbus")).expect("open");
                    let rec = store
                        .begin_run("default", RunInfo::new("apply"))
                        .expect("run");
                    let start = Instant::now();
                    rt.block_on(async {
                        match workload {
                            Workload::IntentComplete { tasks } => {
                                intent_then_complete(&rec, tasks).await
                            }
                            Workload::ResultsAtOnce => results_at_once(&rec).await,
                        }
                        rec.finish(RunStatus::Succeeded).await.expect("finish");
                    });
                    total += start.elapsed();
                }
                total
            });
        });
    }
    g.finish();
}

fn bench_list(c: &mut Criterion) {
    let rt = runtime();
    let tmp = temp_project();
    let store = Store::open(&tmp.path().join(".nimbus")).expect("open");
    let rec = store
        .begin_run("default", RunInfo::new("import"))
        .expect("run");
    // Populate with many requests in flight so the writer commits large batches.
    rt.block_on(async {
        for chunk in (0..LISTED).collect::<Vec<_>>().chunks(2_000) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let rec = rec.clone();
                    tokio::spawn(async move { rec.upsert(record(i)).await.expect("upsert") })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        }
    });
    rec.finish_blocking(RunStatus::Succeeded).expect("finish");
    assert_eq!(store.resources("default").expect("list").len(), LISTED);

    let mut g = c.benchmark_group("read");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("list_100k_resources", |b| {
        b.iter_with_large_drop(|| store.resources("default").expect("list"))
    });
    g.finish();
}

criterion_group!(benches, bench_record, bench_list);
criterion_main!(benches);
