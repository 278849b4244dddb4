#!/usr/bin/env bash
# Instructions per call on the calling thread, for every case of the overhead benchmark:
# (Ir(N calls) - Ir(0 calls)) / N under callgrind, which counts instructions rather than
# time, so the figures repeat on a busy machine.
#
#   bash benches/callgrind.sh            # N = 20000
#   N=100000 bash benches/callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
cargo build -q --release -p trace-genai-benches --bin calls
bin=target/release/calls
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cases=(bare
  trace_genai-not-installed trace_genai-disabled otel-no-provider tracing-no-subscriber fastrace-no-reporter
  trace_genai-unsampled otel-unsampled
  trace_genai-sampled otel-sampled tracing-otel-layer fastrace-reporter
  trace_genai-content-1k trace_genai-content-64k
  async-bare async-trace_genai-sampled async-otel-sampled async-tracing-otel-layer)

# The calling thread's instructions inside `run` (set-up, calls, shutdown; not the
# process start-up, whose cost varies from run to run): thread 1 of a --separate-threads
# run, collected only within `calls::run`.
instructions() {
  valgrind --tool=callgrind --separate-threads=yes --toggle-collect='calls::run' \
    --callgrind-out-file="$dir/out" "$bin" "$1" "$2" >/dev/null 2>&1
  local total
  total=$(grep -h '^totals:' "$dir/out-01" | awk '{print $2}')
  rm -f "$dir"/out*
  echo "$total"
}

echo "| case | instructions per call, calling thread (N = $N) |"
echo "|---|---:|"
for case in "${cases[@]}"; do
  empty=$(instructions "$case" 0)
  full=$(instructions "$case" "$N")
  echo "| $case | $(( (full - empty) / N )) |"
done
