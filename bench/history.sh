#!/usr/bin/env bash
# Bounded history: how much `.nimbus/` takes after applies that replace
# every resource, and after `nimbus state compact` folds the history.
#
#   bench/history.sh [NIMBUS] [RESOURCES] [APPLIES] [KEEP_RUNS] [RETENTION]
#
# Defaults: target/release/nimbus, 5000 resources, 6 applies, keeping 1 run.
# Each apply replaces every `terraform-data` object (its `triggers-replace`
# changes), so each one records a delete and a create per resource.
# With RETENTION=auto, `nimbus state retention --keep-runs KEEP_RUNS` is set
# before the first apply, so every apply compacts as it finishes (no
# `state compact` at the end); the size is printed after every apply, and
# at the end the runs `state history` shows and `state check`.
set -euo pipefail
nimbus=$(realpath "${1:-target/release/nimbus}")
resources=${2:-5000}
applies=${3:-6}
keep_runs=${4:-1}
retention=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/main.nim" <<NIM
(define-variables (generation (type string)))
(resource terraform-data "r"
  (count $resources)
  (input (string-append "payload-" (var generation) "-" (to-string count-index)))
  (triggers-replace (var generation)))
NIM
cd "$dir"
size() { du -sb .nimbus | cut -f1; }
db() { stat -c %s .nimbus/state.db; }
"$nimbus" init >/dev/null
if [[ "$retention" == "auto" ]]; then
  "$nimbus" state retention --keep-runs "$keep_runs"
fi
start=$(date +%s.%N)
for generation in $(seq 1 "$applies"); do
  "$nimbus" apply --auto-approve --var "generation=$generation" >/dev/null
  echo "after apply $generation: .nimbus/ $(size) bytes (state.db $(db))"
done
end=$(date +%s.%N)
if [[ "$retention" == "auto" ]]; then
  echo "$applies applies in $(echo "$end - $start" | bc) s"
  runs=$("$nimbus" state history --json --limit 100000000 | python3 -c '
import json, sys
print(len({e["run_id"] for e in map(json.loads, sys.stdin) if e.get("type") == "history" and e.get("run_id")}))')
  echo "runs in state history: $runs"
  "$nimbus" state check | tail -1
  "$nimbus" plan --var "generation=$applies" --detailed-exitcode | tail -1
  exit 0
fi
start=$(date +%s.%N)
"$nimbus" state compact --keep-runs "$keep_runs"
end=$(date +%s.%N)
echo "after compact --keep-runs $keep_runs: .nimbus/ $(size) bytes (state.db $(db)), $(echo "$end - $start" | bc) s"
"$nimbus" state check | tail -1
"$nimbus" plan --var "generation=$applies" --detailed-exitcode | tail -1
