#!/usr/bin/env bash
# Fuzzes the registration and packet decoders for a bounded time with xinfang's seeded mutation
# fuzzer (a crash or a 5xx-class error is a finding; exit non-zero, a crash with its backtrace).
# Usage: deploy/fuzz.sh [SECONDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
seed=${2:-$(date +%s)}
swift build -c release --product xinfang
bin=$(swift build -c release --show-bin-path)/xinfang
echo "fuzzing each target for $seconds s with seed $seed (repeat a run with: deploy/fuzz.sh $seconds $seed)"
"$bin" fuzz --target all --seconds "$seconds" --seed "$seed"
