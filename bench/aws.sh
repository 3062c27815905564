#!/usr/bin/env bash
# Engine overhead against the AWS emulator: apply and destroy 200 S3 buckets
# and 200 SQS queues through a recording proxy in front of a private moto,
# and compare the wall time with the emulator's own call latency.
#
#   bench/aws.sh                               # target/release/nimbus, 200 + 200, --parallelism 10
#   bench/aws.sh --nimbus target/debug/nimbus --buckets 20 --queues 20
#   bench/aws.sh --help                        # every option
#
# Needs Python 3 (standard library only) and scripts/moto (which installs
# moto into .venv/ on first use). See BENCHMARKS.md, "AWS provider overhead".
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" bench/aws.py "$@"
