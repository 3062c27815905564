#!/usr/bin/env bash
# Bounded history: how much `.nimbus/` takes after applies that replace
# every resource, and after `nimbus state compact` folds the history.
#
#   bench/history.sh [NIMBUS] [RESOURCES] [APPLIES] [KEEP_RUNS]
#
# Defaults: target/release/nimbus, 5000 resources, 6 applies, keeping 1 run.
# Each apply replaces every `terraform-data` object (its `triggers-replace`
# changes), so each one records a delete and a create per resource.
set -euo pipefail
nimbus=$(realpath "${1:-target/release/nimbus}")
resources=${2:-5000}
applies=${3:-6}
keep_runs=${4:-1}
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
for generation in $(seq 1 "$applies"); do
  "$nimbus" apply --auto-approve --var "generation=$generation" >/dev/null
  echo "after apply $generation: .nimbus/ $(size) bytes (state.db $(db))"
done
start=$(date +%s.%N)
"$nimbus" state compact --keep-runs "$keep_runs"
end=$(date +%s.%N)
echo "after compact --keep-runs $keep_runs: .nimbus/ $(size) bytes (state.db $(db)), $(echo "$end - $start" | bc) s"
"$nimbus" state check | tail -1
"$nimbus" plan --var "generation=$applies" --detailed-exitcode | tail -1
