#!/usr/bin/env bash
# Compile time of 200 annotated functions: `cargo check` of the same crate with no
# attribute, with #[tracing::instrument], and with #[trace_genai] (dependencies built
# first; each figure is the best of 3 checks after touching the source).
#
#   bash benches/compile_time.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/target/compile-time"
mkdir -p "$work"

make_crate() { # name attribute dependencies
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "ct-$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$3
TOML
  {
    echo "#![allow(dead_code)]"
    for i in $(seq 1 200); do
      echo "$2"
      echo "fn call_$i(model: &str, tokens: u32) -> Result<String, std::fmt::Error> { Ok(format!(\"{model}:{tokens}:$i\")) }"
    done
    echo "fn main() {}"
  } > "$dir/src/main.rs"
}

make_crate none "" ""
make_crate tracing "#[tracing::instrument(skip_all, fields(gen_ai.operation.name = \"chat\", gen_ai.request.model = model))]" \
  'tracing = { version = "0.1", features = ["attributes"] }'
make_crate trace_genai "#[trace_genai::trace_genai(chat, provider = \"openai\", model = model)]" \
  "trace-genai = { path = \"$root/runtime\" }"

echo "| crate (200 functions) | cargo check, seconds (best of 3) |"
echo "|---|---:|"
for name in none tracing trace_genai; do
  dir="$work/$name"
  CARGO_TARGET_DIR="$work/target" cargo check -q --manifest-path "$dir/Cargo.toml" 2>/dev/null
  best=""
  for _ in 1 2 3; do
    touch "$dir/src/main.rs"
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$work/target" cargo check -q --manifest-path "$dir/Cargo.toml" 2>/dev/null
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '| %s | %.2f |\n' "$name" "$best"
done
