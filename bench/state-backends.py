#!/usr/bin/env python3
"""Apply, plan and destroy of one workload with the state on each backend:
the embedded SQLite file and a PostgreSQL server (started for the run by
scripts/postgres on 127.0.0.1, stopped at the end).

    bench/state-backends.py [--size 2000] [--workload pairs] [--reps 3]
                            [--nimbus target/release/nimbus]

Every repetition starts from an empty state (a fresh directory; a fresh
schema on PostgreSQL). Prints the median wall time of each operation per
backend and PostgreSQL's ratio to local. Python 3 standard library only.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATIONS = (
    ("apply", ["apply", "--auto-approve", "--parallelism", "10", "--no-color"]),
    ("plan", ["plan", "--parallelism", "10", "--no-color"]),
    ("destroy", ["destroy", "--auto-approve", "--parallelism", "10", "--no-color"]),
)


def run(argv, cwd, env):
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed in {cwd}:\n{done.stderr}")
    return elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--workload", default="pairs")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--nimbus", default=os.path.join(ROOT, "target", "release", "nimbus"))
    args = p.parse_args()
    nimbus = os.path.abspath(args.nimbus)
    if not os.access(nimbus, os.X_OK):
        sys.exit(f"{nimbus} is missing: cargo build --release -p nimbus-cli")

    work = tempfile.mkdtemp(prefix="nimbus-state-bench-")
    # Its own directory: the server may run as another user (as root,
    # scripts/postgres runs it unprivileged), who cannot enter `work`.
    pg_dir = tempfile.mkdtemp(prefix="nimbus-state-bench-pg-")
    env = dict(os.environ, NIMBUS_PG_DIR=pg_dir)
    url = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start"], env=env,
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    env["NIMBUS_PG_URL"] = url
    times = {}
    try:
        for backend in ("local", "postgres"):
            for rep in range(args.reps):
                case = os.path.join(work, f"{backend}-{rep}")
                subprocess.run([sys.executable, os.path.join(ROOT, "bench", "generate.py"),
                                "--tool", "nimbus", "--workload", args.workload,
                                "--size", str(args.size), case], check=True)
                if backend == "postgres":
                    main_nim = os.path.join(case, "main.nim")
                    with open(main_nim) as f:
                        text = f.read()
                    with open(main_nim, "w") as f:
                        f.write(f'(backend postgres (schema "bench_{rep}"))\n{text}')
                run([nimbus, "init", "--no-color"], case, env)
                for name, argv in OPERATIONS:
                    times.setdefault((backend, name), []).append(run([nimbus] + argv, case, env))
                shutil.rmtree(case)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop"], env=env)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pg_dir, ignore_errors=True)

    print(f"{args.workload} N = {args.size}, median of {args.reps} (nimbus {nimbus})")
    print(f"{'operation':<10} {'local':>10} {'postgres':>10} {'ratio':>7}")
    for name, _ in OPERATIONS:
        local = statistics.median(times[("local", name)])
        pg = statistics.median(times[("postgres", name)])
        print(f"{name:<10} {local * 1000:>8.0f} ms {pg * 1000:>8.0f} ms {pg / local:>6.2f}x")


if __name__ == "__main__":
    main()
