#!/usr/bin/env python3
"""Engine overhead against the AWS emulator: apply and destroy N S3 buckets
and N SQS queues through a recording reverse proxy, and compare the
engine's wall time with what the emulator's calls alone would take at the
same parallelism.

    bench/aws.sh [--nimbus target/release/nimbus] [--buckets 200] [--queues 200]
                 [--parallelism 10] [--repeat 1] [--keep] [--out FILE]

For apply and for destroy it reports: wall time (spawn to exit), number of
calls, the sum of per-call latency (measured at the proxy, from forwarding
the request to having read the whole answer), the ideal wall time (latency
sum / parallelism), the busy time (the union of the intervals with at least
one call in flight) and the engine overhead (wall / ideal - 1).

To show where the rest goes it also reports the calls per operation; per
resource, how its operation (operation_started to operation_finished in the
--json events, stamped on arrival) splits into calls, time before the first
call, between calls and after the last; the lane time outside operations;
and the CPU time of nimbus, the emulator and the proxy.

Standard library only. Starts a private emulator with scripts/moto (its own
NIMBUS_MOTO_DIR) and stops it at the end. Results go to
bench/work/aws-results.json.
"""

import argparse
import http.client
import http.server
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


# ------------------------------------------------------------------ proxy


class Recorder:
    """Every forwarded call: (start, end, operation, status, resource)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []

    def add(self, call):
        with self.lock:
            self.calls.append(call)

    def take(self):
        with self.lock:
            calls, self.calls = self.calls, []
        return calls


S3_SUBRESOURCES = {
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "encryption": "BucketEncryption",
    "policy": "BucketPolicy",
    "location": "BucketLocation",
    "versions": "ObjectVersions",
}


def operation(method, path, headers):
    """A readable name of the API operation, for the per-operation table."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    url = urllib.parse.urlsplit(path)
    parts = [p for p in url.path.split("/") if p]
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}
    if not parts:
        return "ListBuckets" if method == "GET" else f"{method} /"
    for key, name in S3_SUBRESOURCES.items():
        if key in query:
            return verb.get(method, method) + name
    if len(parts) == 1:
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket", "GET": "ListObjects"}.get(
            method, f"{method} bucket"
        )
    return verb.get(method, method) + "Object"


def resource_of(path, headers, body):
    """The bucket or queue a call is about, to group calls by resource."""
    if headers.get("X-Amz-Target"):
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return None
        name = request.get("QueueName") or request.get("QueueUrl", "").rsplit("/", 1)[-1]
        return f"queue:{name}" if name else None
    parts = [p for p in urllib.parse.urlsplit(path).path.split("/") if p]
    return f"bucket:{parts[0]}" if parts else None


def make_handler(upstream_host, upstream_port, recorder):
    local = threading.local()

    def connection(fresh=False):
        if fresh or getattr(local, "conn", None) is None:
            if getattr(local, "conn", None) is not None:
                local.conn.close()
            local.conn = http.client.HTTPConnection(upstream_host, upstream_port, timeout=120)
        return local.conn

    class Handler(http.server.BaseHTTPRequestHandler):
        # Keep-alive with the client (the SDK pools connections).
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def read_body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def forward(self):
            body = self.read_body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            op = operation(self.command, self.path, self.headers)
            for attempt in (1, 2):
                # A keep-alive connection the emulator closed meanwhile
                # fails before anything is sent: retry once on a fresh one,
                # timing only the attempt that answered.
                conn = connection(fresh=attempt == 2)
                start = time.perf_counter()
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (http.client.HTTPException, ConnectionError, OSError):
                    if attempt == 2:
                        raise
                    continue
                end = time.perf_counter()
                break
            recorder.add((start, end, op, response.status, resource_of(self.path, self.headers, body)))
            self.send_response_only(response.status, response.reason)
            for k, v in response.getheaders():
                if k.lower() in HOP_BY_HOP or (k.lower() == "content-length" and self.command != "HEAD"):
                    continue
                self.send_header(k, v)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD" and data:
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = forward

    return Handler


class Proxy:
    def __init__(self, upstream):
        url = urllib.parse.urlsplit(upstream)
        self.recorder = Recorder()
        handler = make_handler(url.hostname, url.port or 80, self.recorder)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- analysis


def union_length(intervals):
    """Total length covered by at least one interval."""
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def analyse(calls, started, ended, parallelism, resources, events, prefix):
    wall = ended - started
    intervals = [(c[0], c[1]) for c in calls]
    latency = sum(end - start for start, end in intervals)
    busy = union_length(intervals)
    ideal = latency / parallelism
    first = min((s for s, _ in intervals), default=ended)
    last = max((e for _, e in intervals), default=ended)
    ops = {}
    by_resource = {}
    for start, end, op, status, resource in calls:
        if resource:
            by_resource.setdefault(resource, []).append((start, end))
        entry = ops.setdefault(op, {"calls": 0, "latency_s": 0.0, "errors": 0})
        entry["calls"] += 1
        entry["latency_s"] += end - start
        entry["errors"] += status >= 400
    # A resource's calls run one after another inside its operation
    # (operation_started .. operation_finished, stamped as the events
    # arrive). Inside the operation but outside the calls: the intent
    # commit before the first call, the gaps between calls (SDK, provider,
    # proxy), the result commit after the last. What the P lanes spend
    # outside every operation is the walker's own time.
    spans = [max(e for _, e in v) - min(s for s, _ in v) for v in by_resource.values()]
    in_spans = sum(sum(e - s for s, e in v) for v in by_resource.values())
    span_sum = sum(spans)
    starts = {}
    before_first, after_last, op_total, matched = 0.0, 0.0, 0.0, 0
    planned_at = None
    for t, e in events:
        kind = e.get("type")
        if kind == "apply_planned" and planned_at is None:
            planned_at = t
        elif kind == "operation_started":
            starts[e["address"]] = t
        elif kind == "operation_finished" and e["address"] in starts:
            t0 = starts.pop(e["address"])
            op_total += t - t0
            key = resource_key(e["address"], prefix)
            own = by_resource.get(key)
            if own:
                matched += 1
                before_first += min(s for s, _ in own) - t0
                after_last += t - max(e for _, e in own)
    per = 1000 / matched if matched else 0
    breakdown = {
        "planning_s": (planned_at - started) if planned_at else None,
        "operations_timed": matched,
        "op_mean_ms": 1000 * op_total / matched if matched else None,
        "op_before_first_call_ms": before_first * per,
        "op_between_calls_ms": (span_sum - in_spans) * per,
        "op_after_last_call_ms": after_last * per,
        # Lane time (wall x P) outside every operation, per resource.
        "lane_outside_ops_ms": 1000 * (parallelism * wall - op_total) / matched if matched else None,
    }
    return {
        "wall_s": wall,
        "calls": len(calls),
        "calls_per_resource": len(calls) / resources if resources else 0,
        "latency_sum_s": latency,
        "mean_latency_ms": 1000 * latency / len(calls) if calls else 0,
        "ideal_s": ideal,
        "busy_s": busy,
        "overhead": wall / ideal - 1 if ideal else None,
        "overhead_vs_busy": wall / busy - 1 if busy else None,
        # Average number of calls in flight while at least one was.
        "concurrency_when_busy": latency / busy if busy else 0,
        "before_first_call_s": first - started,
        "idle_between_calls_s": (last - first) - busy if calls else 0,
        "after_last_call_s": ended - last,
        "operations": dict(sorted(ops.items())),
        "resources_seen": len(by_resource),
        "mean_span_ms": 1000 * span_sum / len(spans) if spans else 0,
        "mean_calls_latency_per_resource_ms": 1000 * in_spans / len(spans) if spans else 0,
        "breakdown": breakdown,
    }


# --------------------------------------------------------------- the runs


def config_text(buckets, queues):
    return f"""(define-variables
  (prefix (type string)))

(define-infrastructure bench-aws
  (provider localstack (region "us-east-1"))

  (resource s3-bucket "b"
    (count {buckets})
    (bucket-name (format "~a-b~a" (var prefix) count-index))
    (tags (bench "aws") (index (to-string count-index))))

  (resource sqs-queue "q"
    (count {queues})
    (name (format "~a-q~a" (var prefix) count-index))
    (tags (bench "aws") (index (to-string count-index)))))
"""


def resource_key(address, prefix):
    """`s3-bucket.b[3]` -> `bucket:PREFIX-b3`, as the proxy names calls."""
    kind, _, rest = address.partition(".")
    index = rest[rest.find("[") + 1 : rest.find("]")]
    if kind == "s3-bucket":
        return f"bucket:{prefix}-b{index}"
    if kind == "sqs-queue":
        return f"queue:{prefix}-q{index}"
    return None


def run_nimbus(binary, directory, args, env, log, moto_pid):
    """Runs one command with --json, stamping each event as it arrives (on
    the proxy's clock) for the breakdown; the JSON lines are a few hundred
    short writes to a pipe, nothing against the run."""
    started = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    moto_before = process_cpu(moto_pid)
    own_before = time.process_time()
    with open(log, "ab") as err:
        process = subprocess.Popen(
            [binary, "-C", directory, "--no-color", "--json", *args], env=env, stdout=subprocess.PIPE, stderr=err
        )
        events = []
        for line in process.stdout:
            now = time.perf_counter()
            try:
                events.append((now, json.loads(line)))
            except ValueError:
                pass
        code = process.wait()
    ended = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {
        "nimbus_cpu_s": (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime),
        "emulator_cpu_s": process_cpu(moto_pid) - moto_before,
        # The proxy's threads and this script's event reading.
        "proxy_cpu_s": time.process_time() - own_before,
        "load_average_1m": os.getloadavg()[0],
    }
    with open(log, "a") as out:
        for _, event in events:
            out.write(json.dumps(event) + "\n")
    if code != 0:
        sys.exit(f"nimbus {' '.join(args)} failed with exit code {code}; see {log}")
    return started, ended, events, cpu


def process_cpu(pid):
    """User + system CPU seconds of a process (Linux /proc), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def calibrate(proxy, upstream, samples=300):
    """What the proxy adds to one call: the same cheap SQS call, one at a
    time, alternately straight to the emulator and through the proxy (so
    both see the same machine load), timed at the client; plus the proxy's
    own forward-to-answer time for the proxied ones."""
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.ListQueues",
        # Routes the call to SQS in moto (which does not check signatures).
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    body = b'{"QueueNamePrefix": "nimbus-calibration-none"}'

    def connect(endpoint):
        url = urllib.parse.urlsplit(endpoint)
        return http.client.HTTPConnection(url.hostname, url.port)

    def timed(conn):
        start = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"calibration call answered {response.status}")
        return time.perf_counter() - start

    direct_conn, proxy_conn = connect(upstream), connect(proxy.endpoint)
    for _ in range(20):  # warm-up
        timed(direct_conn), timed(proxy_conn)
    proxy.recorder.take()
    pairs = [(timed(direct_conn), timed(proxy_conn)) for _ in range(samples)]
    direct_conn.close()
    proxy_conn.close()
    recorded = statistics.median(c[1] - c[0] for c in proxy.recorder.take())
    return {
        "direct_ms": 1000 * statistics.median(d for d, _ in pairs),
        "through_proxy_ms": 1000 * statistics.median(p for _, p in pairs),
        "recorded_by_proxy_ms": 1000 * recorded,
        "added_per_call_ms": 1000 * statistics.median(p - d for d, p in pairs),
    }


def moto(command, env):
    return subprocess.run(
        [os.path.join(ROOT, "scripts", "moto"), command], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def fmt_s(x):
    return f"{x:.2f} s"


def report(results, args):
    lines = []
    lines.append(
        f"{args.buckets} s3-bucket + {args.queues} sqs-queue, --parallelism {args.parallelism}, "
        f"binary {args.nimbus}, median of {args.repeat}"
    )
    lines.append("")
    lines.append("| | wall | calls | latency sum | ideal (sum / P) | busy time | overhead (wall / ideal - 1) |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for phase in ("apply", "destroy"):
        r = results[phase]
        lines.append(
            f"| {phase} | {fmt_s(r['wall_s'])} | {r['calls']} ({r['calls_per_resource']:.1f}/resource) | "
            f"{fmt_s(r['latency_sum_s'])} | {fmt_s(r['ideal_s'])} | {fmt_s(r['busy_s'])} | "
            f"{100 * r['overhead']:.0f}% |"
        )
    lines.append("")
    for phase in ("apply", "destroy"):
        r = results[phase]
        lines.append(
            f"{phase}: mean latency {r['mean_latency_ms']:.1f} ms; {r['concurrency_when_busy']:.1f} calls in "
            f"flight on average while busy; no call in flight for {fmt_s(r['before_first_call_s'])} before the "
            f"first call, {fmt_s(r['idle_between_calls_s'])} between calls, {fmt_s(r['after_last_call_s'])} "
            f"after the last; wall / busy - 1 = {100 * r['overhead_vs_busy']:.0f}%"
        )
        b = r["breakdown"]
        if b["operations_timed"]:
            lines.append(
                f"  per resource: operation {b['op_mean_ms']:.1f} ms = calls {r['mean_calls_latency_per_resource_ms']:.1f} ms"
                f" + before the first call {b['op_before_first_call_ms']:.1f} ms"
                f" + between calls {b['op_between_calls_ms']:.1f} ms"
                f" + after the last call {b['op_after_last_call_ms']:.1f} ms;"
                f" lane time outside operations {b['lane_outside_ops_ms']:.1f} ms;"
                f" planning before the first operation {fmt_s(b['planning_s'])}"
            )
        cpu = r["cpu"]
        lines.append(
            f"  CPU: nimbus {fmt_s(cpu['nimbus_cpu_s'])}, emulator {fmt_s(cpu['emulator_cpu_s'])}, "
            f"proxy {fmt_s(cpu['proxy_cpu_s'])} (machine: {os.cpu_count()} CPUs, load average "
            f"{cpu['load_average_1m']:.1f} at the end)"
        )
        lines.append(
            "  calls: "
            + ", ".join(
                f"{op} {o['calls']} ({1000 * o['latency_s'] / o['calls']:.1f} ms)"
                for op, o in r["operations"].items()
            )
        )
    c = results["calibration"]
    lines.append("")
    lines.append(
        f"proxy: a call takes {c['direct_ms']:.2f} ms directly, {c['through_proxy_ms']:.2f} ms through the proxy "
        f"(median difference {c['added_per_call_ms']:+.2f} ms), of which the proxy records "
        f"{c['recorded_by_proxy_ms']:.2f} ms (ListQueues, one call at a time, alternately direct and proxied)"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nimbus", default=os.path.join(ROOT, "target", "release", "nimbus"))
    parser.add_argument("--buckets", type=int, default=200)
    parser.add_argument("--queues", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="runs; each phase reports its median run (by wall time)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, state)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "work", "aws-results.json"))
    args = parser.parse_args()
    args.nimbus = os.path.abspath(args.nimbus)
    if not os.access(args.nimbus, os.X_OK):
        sys.exit(f"no nimbus binary at {args.nimbus} (cargo build --release -p nimbus-cli, or --nimbus PATH)")

    work = tempfile.mkdtemp(prefix="nimbus-bench-aws-")
    env = dict(os.environ)
    env["NIMBUS_MOTO_DIR"] = os.path.join(work, "moto")
    env.pop("NIMBUS_MOTO_PORT", None)
    upstream = moto("start", env)
    print(f"emulator at {upstream} (private, {env['NIMBUS_MOTO_DIR']})", file=sys.stderr)
    with open(os.path.join(env["NIMBUS_MOTO_DIR"], "pid")) as f:
        moto_pid = int(f.read().strip())
    proxy = Proxy(upstream)
    try:
        calibration = calibrate(proxy, upstream)
        resources = args.buckets + args.queues
        runs = []
        for i in range(args.repeat):
            directory = os.path.join(work, f"run{i}")
            os.makedirs(directory)
            with open(os.path.join(directory, "main.nim"), "w") as f:
                f.write(config_text(args.buckets, args.queues))
            run_env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
            run_env["NIMBUS_AWS_ENDPOINT"] = proxy.endpoint
            # Unique per run: SQS may refuse a recently deleted queue's name.
            run_env["NIMBUS_VAR_prefix"] = f"bench-{os.getpid()}-{i}-{int(time.time()) % 100000}"
            log = os.path.join(directory, "nimbus.log")
            check = subprocess.run(
                [args.nimbus, "-C", directory, "--no-color", "validate"], env=run_env, capture_output=True, text=True
            )
            if "no provider named `localstack`" in check.stdout + check.stderr:
                sys.exit(
                    f"{args.nimbus} was built without the AWS provider: rebuild it "
                    "(cargo build --release -p nimbus-cli) or pass --nimbus PATH"
                )
            subprocess.run(
                [args.nimbus, "-C", directory, "init"], env=run_env, check=True, stdout=subprocess.DEVNULL
            )
            run = {}
            for phase in ("apply", "destroy"):
                proxy.recorder.take()
                started, ended, events, cpu = run_nimbus(
                    args.nimbus,
                    directory,
                    [phase, "--auto-approve", "--parallelism", str(args.parallelism)],
                    run_env,
                    log,
                    moto_pid,
                )
                # Every call is recorded before its answer leaves the proxy,
                # so all of them are in by the time the process exits.
                run[phase] = analyse(
                    proxy.recorder.take(),
                    started,
                    ended,
                    args.parallelism,
                    resources,
                    events,
                    run_env["NIMBUS_VAR_prefix"],
                )
                run[phase]["cpu"] = cpu
                print(
                    f"run {i + 1}/{args.repeat} {phase}: {fmt_s(run[phase]['wall_s'])}, "
                    f"{run[phase]['calls']} calls, overhead {100 * run[phase]['overhead']:.0f}%",
                    file=sys.stderr,
                )
            runs.append(run)
            moto("reset", env)
        results = {}
        for phase in ("apply", "destroy"):
            by_wall = sorted((r[phase] for r in runs), key=lambda x: x["wall_s"])
            results[phase] = by_wall[len(by_wall) // 2]
        results["calibration"] = calibration
        results["all_runs"] = runs
        results["settings"] = vars(args)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
        print(report(results, args))
    finally:
        proxy.stop()
        moto("stop", env)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
