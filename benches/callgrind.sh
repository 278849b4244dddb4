#!/usr/bin/env bash
# Instructions per call on the calling thread, for every case of the overhead benchmark:
# (Ir(N calls) - Ir(0 calls)) / N under callgrind, which counts instructions rather than
# time, so the figures repeat on a busy machine.
#
#   bash benches/callgrind.sh            # N = 20000
#   N=100000 bash benches/callgrind.sh
#   CHECK=1 bash benches/callgrind.sh    # the headline cases only, failing on a regression
#   CASES="bare trace_genai-sampled" bash benches/callgrind.sh   # only these cases
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Three builds: without trace-genai's `tracing` feature (as applications build by default)
# for every case but those named `*bridge*` (the `tracing` bridge) or `<case>-tracing-feature`
# (the case, built with the feature), which need it, and `*upload*` (the upload hook).
bin=${CARGO_TARGET_DIR:-target}/release/calls
build_upload() {
  cargo build -q --release -p trace-genai-benches --bin calls --no-default-features --features upload
  cp "$bin" "$dir/calls-upload"
}
cargo build -q --release -p trace-genai-benches --bin calls --no-default-features
cp "$bin" "$dir/calls"
cargo build -q --release -p trace-genai-benches --bin calls
cp "$bin" "$dir/calls-tracing"
binary() {
  case $1 in
    *-tracing-feature | *bridge*) echo "$dir/calls-tracing" ;;
    *upload*) echo "$dir/calls-upload" ;;
    *) echo "$dir/calls" ;;
  esac
}

cases=(bare
  trace_genai-not-installed trace_genai-disabled otel-no-provider tracing-no-subscriber fastrace-no-reporter
  trace_genai-unsampled otel-unsampled
  trace_genai-sampled otel-sampled tracing-otel-layer fastrace-reporter
  trace_genai-sdk-path trace_genai-sampled-4000-pending-elsewhere trace_genai-sampled-in-agent
  trace_genai-content-1k trace_genai-content-64k trace_genai-upload-1k trace_genai-upload-64k
  async-bare async-tracing-no-subscriber async-trace_genai-not-installed async-trace_genai-disabled async-otel-no-provider
  async-trace_genai-unsampled async-otel-unsampled
  async-trace_genai-sampled async-otel-sampled async-tracing-otel-layer async-fastrace-reporter
  trace_genai-not-installed-tracing-feature trace_genai-sampled-tracing-feature trace_genai-sampled-bridge
  async-trace_genai-not-installed-tracing-feature async-trace_genai-sampled-tracing-feature
  async-trace_genai-sampled-bridge trace_genai-sampled-bridge-global tracing-otel-layer-global
  bridge-agent bridge-agent-framework-chat tracing-otel-agent tracing-otel-agent-framework-chat
  trace_genai-sampled-metrics bridge-agent-metrics bridge-agent-framework-chat-metrics)
if [ -n "${CASES:-}" ]; then
  read -r -a cases <<<"$CASES"
fi
if [[ " ${cases[*]} " == *upload* && -z "${CHECK:-}" ]]; then
  build_upload
fi
if [ -n "${CHECK:-}" ]; then
  cases=(bare trace_genai-not-installed trace_genai-unsampled otel-unsampled
    trace_genai-sampled otel-sampled trace_genai-sampled-4000-pending-elsewhere
    async-trace_genai-sampled async-otel-sampled
    async-bare async-trace_genai-not-installed async-tracing-no-subscriber)
fi

# The calling thread's instructions inside `run` (set-up, calls, shutdown; not the
# process start-up, whose cost varies from run to run): thread 1 of a --separate-threads
# run, collected only within `calls::run`.
instructions() {
  valgrind --tool=callgrind --separate-threads=yes --toggle-collect='calls::run' \
    --callgrind-out-file="$dir/out" "$(binary "$1")" "$1" "$2" >/dev/null 2>&1
  local total
  total=$(grep -h '^totals:' "$dir/out-01" | awk '{print $2}')
  rm -f "$dir"/out*
  echo "$total"
}

declare -A per_call
echo "| case | instructions per call, calling thread (N = $N) |"
echo "|---|---:|"
for case in "${cases[@]}"; do
  empty=$(instructions "$case" 0)
  full=$(instructions "$case" "$N")
  per_call[$case]=$(( (full - empty) / N ))
  echo "| $case | ${per_call[$case]} |"
done

if [ -n "${CHECK:-}" ]; then
  # Regression guards, looser than the targets in BENCHMARKS.md so that a different
  # toolchain or libc does not fail them: a real regression does.
  fail=0
  check() { # description, condition
    if (( $2 )); then echo "ok: $1"; else echo "REGRESSION: $1"; fail=1; fi
  }
  check "not installed costs at most 150 instructions over the bare call" \
    "${per_call[trace_genai-not-installed]} - ${per_call[bare]} <= 150"
  check "a dropped span costs at most 0.5x hand-written AlwaysOff" \
    "${per_call[trace_genai-unsampled]} * 2 <= ${per_call[otel-unsampled]}"
  # Targets (BENCHMARKS.md): 0.80x sync and 0.85x async of hand-written OpenTelemetry. The
  # hand-written cases move by up to 2% from run to run (their hand-off to the SDK batch
  # processor's thread), so the guards sit two points above the targets. Weighing each
  # span for the queue's byte budget costs about 100 instructions (BENCHMARKS.md, "Byte
  # budgets"): the async guard sits two points above what that leaves, 0.87x, until it is
  # won back.
  check "a sampled span costs at most 0.82x hand-written OpenTelemetry" \
    "${per_call[trace_genai-sampled]} * 100 <= ${per_call[otel-sampled]} * 82"
  check "a sampled async span costs at most 0.89x hand-written OpenTelemetry" \
    "${per_call[async-trace_genai-sampled]} * 100 <= ${per_call[async-otel-sampled]} * 89"
  check "4,000 additions pending on another thread's span do not change a call's cost (within 2%)" \
    "${per_call[trace_genai-sampled-4000-pending-elsewhere]} * 100 <= ${per_call[trace_genai-sampled]} * 102"
  check "an async call with telemetry off costs no more than tracing's #[instrument] with no subscriber" \
    "${per_call[async-trace_genai-not-installed]} <= ${per_call[async-tracing-no-subscriber]}"
  exit $fail
fi
