//! Reading and evaluating a large configuration (target: 10,000 resources
//! read and evaluated in under 100 ms).
//!
//! The configuration is generated in memory: 10,000 resource blocks
//! (`null-resource` and `terraform-data`, one in 100 with `(count 3)`),
//! whose attributes refer to variables, to a chain of locals and to other
//! resources, so the graph has long dependency chains and many edges.
//!
//! * `load_10k`: read, parse and build the configuration model
//!   (`nimbus_config::load` over `MemoryFiles`).
//! * `validate_10k`: `Engine::new` (graph, providers) and
//!   `Engine::validate` (every expression, every block against its schema,
//!   every instance), the built-in provider only.
//! * `load_and_validate_10k`: both, what `nimbus validate` costs.
//! * `load_10k_hcl`, `load_and_validate_10k_hcl`: the same configuration in
//!   Terraform's language (`main.tf`), through the HCL front end.
//! * `load_and_validate_10k_macro`: 10,000 resources written by 5,000 uses
//!   of a macro (`define-syntax`, each use two resources), their attributes
//!   built by `for` and `for-map` comprehensions (target: under 200 ms);
//!   `load_and_validate_10k_written_out`: the same resources written out
//!   by hand, with the values the comprehensions make (target: the macro
//!   within 2x of it).
//!
//! Run: `cargo bench -p nimbus-engine --bench evaluate`. On a busy machine
//! wall-clock times mostly measure the other processes; then
//! `NIMBUS_BENCH_CPU=20 cargo bench -p nimbus-engine --bench evaluate`
//! prints the CPU time per run of each phase instead (the whole process's,
//! every thread's).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on the terminal

mod support;

use criterion::{Criterion, criterion_group};
use nimbus_config::{Config, MemoryFiles};
use nimbus_engine::Engine;
use nimbus_eval::Inputs;
use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use support::BuiltinOnly;

/// The allocator of the `nimbus` binary, so that the figures are the
/// command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESOURCES: usize = 10_000;
const LOCALS: usize = 100;

/// A configuration of `RESOURCES` resource blocks.
fn generate() -> String {
    let mut text = String::with_capacity(RESOURCES * 200);
    text.push_str(
        "(define-variables\n  (environment (type string) (default \"bench\"))\n  (region (type string) (default \"eu-west-1\"))\n  (replicas (type number) (default 3)\n    (validation (> replicas 0) \"must be positive\"))\n  (tags (type (map string)) (default (map (team \"core\") (cost \"42\")))))\n\n(locals\n  (prefix (format \"~a-~a\" (var environment) (var region)))\n",
    );
    for i in 0..LOCALS {
        if i == 0 {
            let _ = writeln!(text, "  (l0 (string-append (local prefix) \"-0\"))");
        } else {
            let _ = writeln!(text, "  (l{i} (format \"~a-~a\" (local l{}) {i}))", i - 1);
        }
    }
    text.push_str(")\n\n(define-infrastructure bench\n");
    for i in 0..RESOURCES {
        let local = i % LOCALS;
        let counted = i % 100 == 99;
        if i % 2 == 0 {
            let _ = writeln!(text, "  (resource null-resource \"r{i}\"");
            if counted {
                text.push_str("    (count (var replicas))\n");
            }
            let _ = write!(
                text,
                "    (triggers (env (var environment)) (name (format \"~a-{i}\" (local l{local})))"
            );
            if i >= 2 {
                if (i - 2) % 100 == 99 {
                    let _ = write!(
                        text,
                        " (previous (ref null-resource \"r{}\" 0 \"id\"))",
                        i - 2
                    );
                } else {
                    let _ = write!(
                        text,
                        " (previous (ref null-resource \"r{}\" \"id\"))",
                        i - 2
                    );
                }
            }
            if counted {
                text.push_str(" (index (to-string count-index))");
            }
            text.push_str("))\n");
        } else {
            let _ = writeln!(text, "  (resource terraform-data \"d{i}\"");
            if counted {
                text.push_str("    (count (var replicas))\n");
            }
            let _ = write!(
                text,
                "    (input (map (index {i}) (region (var region)) (tag (lookup (var tags) \"team\")) (label (local l{local}))))"
            );
            if i >= 2 {
                if (i - 2) % 100 == 99 {
                    let _ = write!(
                        text,
                        "\n    (triggers-replace (ref terraform-data \"d{}\" * \"id\"))",
                        i - 2
                    );
                } else {
                    let _ = write!(
                        text,
                        "\n    (triggers-replace (ref terraform-data \"d{}\" \"id\"))",
                        i - 2
                    );
                }
            }
            text.push_str(")\n");
        }
    }
    text.push_str(
        "  (output \"last\" (value (ref null-resource \"r9998\" \"id\")))\n  (output \"chain\" (value (local l99))))\n",
    );
    text
}

/// The same configuration as [`generate`], block for block and reference
/// for reference, in Terraform's language (`main.tf`), for the HCL front
/// end's cases.
fn generate_hcl() -> String {
    let mut text = String::with_capacity(RESOURCES * 220);
    text.push_str(
        "variable \"environment\" {\n  type    = string\n  default = \"bench\"\n}\n\nvariable \"region\" {\n  type    = string\n  default = \"eu-west-1\"\n}\n\nvariable \"replicas\" {\n  type    = number\n  default = 3\n  validation {\n    condition     = var.replicas > 0\n    error_message = \"must be positive\"\n  }\n}\n\nvariable \"tags\" {\n  type    = map(string)\n  default = { team = \"core\", cost = \"42\" }\n}\n\nlocals {\n  prefix = \"${var.environment}-${var.region}\"\n",
    );
    for i in 0..LOCALS {
        if i == 0 {
            let _ = writeln!(text, "  l0 = \"${{local.prefix}}-0\"");
        } else {
            let _ = writeln!(text, "  l{i} = \"${{local.l{}}}-{i}\"", i - 1);
        }
    }
    text.push_str("}\n\n");
    for i in 0..RESOURCES {
        let local = i % LOCALS;
        let counted = i % 100 == 99;
        let previous_counted = i >= 2 && (i - 2) % 100 == 99;
        if i % 2 == 0 {
            let _ = writeln!(text, "resource \"null-resource\" \"r{i}\" {{");
            if counted {
                text.push_str("  count = var.replicas\n");
            }
            let _ = write!(
                text,
                "  triggers = {{\n    env  = var.environment\n    name = \"${{local.l{local}}}-{i}\"\n"
            );
            if i >= 2 {
                let index = if previous_counted { "[0]" } else { "" };
                let _ = writeln!(text, "    previous = null-resource.r{}{index}.id", i - 2);
            }
            if counted {
                text.push_str("    index = tostring(count.index)\n");
            }
            text.push_str("  }\n}\n\n");
        } else {
            let _ = writeln!(text, "resource \"terraform-data\" \"d{i}\" {{");
            if counted {
                text.push_str("  count = var.replicas\n");
            }
            let _ = writeln!(
                text,
                "  input = {{ index = {i}, region = var.region, tag = lookup(var.tags, \"team\"), label = local.l{local} }}"
            );
            if i >= 2 {
                let splat = if previous_counted { "[*]" } else { "" };
                let _ = writeln!(
                    text,
                    "  triggers-replace = terraform-data.d{}{splat}.id",
                    i - 2
                );
            }
            text.push_str("}\n\n");
        }
    }
    text.push_str(
        "output \"last\" {\n  value = null-resource.r9998.id\n}\n\noutput \"chain\" {\n  value = local.l99\n}\n",
    );
    text
}

/// Services: each a stored object and a trigger, made by a macro.
const SERVICES: usize = RESOURCES / 2;

/// `SERVICES` uses of a macro that writes two resources each, their
/// attributes computed by comprehensions over the ports the use gives.
fn generate_macro() -> String {
    let mut text = String::with_capacity(SERVICES * 60);
    text.push_str(
        r#"(define-syntax service
  (syntax-rules ()
    ((_ name size port ...)
     (begin
       (resource terraform-data name
         (input (map ("size" size)
                     ("ports" (for ((p (list port ...))) (+ p 1000))))))
       (resource null-resource name
         (triggers (for-map ((p (list port ...))) (format "port-~a" p) (format "~a:~a" name p))))))))
"#,
    );
    for i in 0..SERVICES {
        let _ = writeln!(text, r#"(service "s{i}" "small" 80 {})"#, 8000 + i % 100);
    }
    text
}

/// What [`generate_macro`] expands to, written out by hand.
fn generate_written_out() -> String {
    let mut text = String::with_capacity(SERVICES * 200);
    for i in 0..SERVICES {
        let port = 8000 + i % 100;
        let _ = writeln!(
            text,
            "(resource terraform-data \"s{i}\" (input (map (\"size\" \"small\") (\"ports\" (list 1080 {})))))",
            port + 1000
        );
        let _ = writeln!(
            text,
            "(resource null-resource \"s{i}\" (triggers (map (\"port-80\" \"s{i}:80\") (\"port-{port}\" \"s{i}:{port}\"))))"
        );
    }
    text
}

fn files(text: &str) -> MemoryFiles {
    MemoryFiles::default().with("/bench/main.nim", text)
}

fn hcl_files(text: &str) -> MemoryFiles {
    MemoryFiles::default().with("/bench/main.tf", text)
}

fn load(files: &MemoryFiles) -> Config {
    let (config, diagnostics) = nimbus_config::load(Path::new("/bench"), files);
    assert!(
        diagnostics.is_empty(),
        "{:?}",
        &diagnostics[..diagnostics.len().min(3)]
    );
    config
}

fn validate(runtime: &tokio::runtime::Runtime, config: &Config) {
    let engine =
        Engine::new(config, &BuiltinOnly).unwrap_or_else(|d| panic!("{:?}", &d[..d.len().min(3)]));
    let diagnostics = runtime.block_on(engine.validate(&Inputs::new()));
    assert!(
        diagnostics.is_empty(),
        "{:?}",
        &diagnostics[..diagnostics.len().min(3)]
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn bench(c: &mut Criterion) {
    let text = generate();
    let files = files(&text);
    let runtime = runtime();
    // Check once, outside the measurements, that the configuration is valid.
    let config = load(&files);
    let blocks: usize = config.modules.iter().map(|m| m.resources.len()).sum();
    assert_eq!(blocks, RESOURCES);
    validate(&runtime, &config);
    let hcl_text = generate_hcl();
    let hcl = hcl_files(&hcl_text);
    let hcl_config = load(&hcl);
    let blocks: usize = hcl_config.modules.iter().map(|m| m.resources.len()).sum();
    assert_eq!(blocks, RESOURCES);
    validate(&runtime, &hcl_config);

    let macro_files = crate::files(&generate_macro());
    let written_files = crate::files(&generate_written_out());
    for generated in [&macro_files, &written_files] {
        let config = load(generated);
        let blocks: usize = config.modules.iter().map(|m| m.resources.len()).sum();
        assert_eq!(blocks, RESOURCES);
        validate(&runtime, &config);
    }

    let mut group = c.benchmark_group("evaluate");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("load_10k", |b| b.iter(|| black_box(load(&files))));
    group.bench_function("validate_10k", |b| {
        b.iter(|| validate(&runtime, black_box(&config)))
    });
    group.bench_function("load_and_validate_10k", |b| {
        b.iter(|| {
            let config = load(&files);
            validate(&runtime, &config);
        })
    });
    group.bench_function("load_and_validate_10k_macro", |b| {
        b.iter(|| {
            let config = load(&macro_files);
            validate(&runtime, &config);
        })
    });
    group.bench_function("load_and_validate_10k_written_out", |b| {
        b.iter(|| {
            let config = load(&written_files);
            validate(&runtime, &config);
        })
    });
    group.bench_function("load_10k_hcl", |b| b.iter(|| black_box(load(&hcl))));
    group.bench_function("load_and_validate_10k_hcl", |b| {
        b.iter(|| {
            let config = load(&hcl);
            validate(&runtime, &config);
        })
    });
    group.finish();
}

/// CPU time of the whole process so far, every thread's (the HCL front
/// end reads a large file in parts, one thread each), to measure on a busy
/// machine where wall time mostly measures the other processes.
fn cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    (status == 0).then(|| {
        Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    })
}

/// `NIMBUS_BENCH_CPU=N`: run each phase N times and print the mean CPU
/// time per run instead of criterion's wall-clock statistics.
fn cpu_report(iterations: u32) {
    let text = generate();
    let files = files(&text);
    let runtime = runtime();
    let config = load(&files);
    validate(&runtime, &config);
    let measure = |name: &str, f: &mut dyn FnMut()| {
        let before = cpu_time().expect("clock_gettime");
        for _ in 0..iterations {
            f();
        }
        let spent = cpu_time().expect("clock_gettime") - before;
        println!(
            "{name:<24} {:>8.1} ms CPU per run ({iterations} runs)",
            spent.as_secs_f64() * 1000.0 / iterations as f64
        );
    };
    measure("load_10k", &mut || drop(black_box(load(&files))));
    measure("validate_10k", &mut || {
        validate(&runtime, black_box(&config))
    });
    measure("load_and_validate_10k", &mut || {
        validate(&runtime, &load(&files))
    });
    let hcl_text = generate_hcl();
    let hcl = hcl_files(&hcl_text);
    validate(&runtime, &load(&hcl));
    measure("load_10k_hcl", &mut || drop(black_box(load(&hcl))));
    measure("load_and_validate_10k_hcl", &mut || {
        validate(&runtime, &load(&hcl))
    });
    let macro_files = crate::files(&generate_macro());
    let written_files = crate::files(&generate_written_out());
    measure("load_10k_macro", &mut || {
        drop(black_box(load(&macro_files)))
    });
    measure("load_and_validate_10k_macro", &mut || {
        validate(&runtime, &load(&macro_files))
    });
    measure("load_10k_written_out", &mut || {
        drop(black_box(load(&written_files)))
    });
    measure("load_and_validate_10k_written_out", &mut || {
        validate(&runtime, &load(&written_files))
    });
}

criterion_group!(benches, bench);

fn main() {
    if let Some(n) = std::env::var("NIMBUS_BENCH_CPU")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        cpu_report(n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
