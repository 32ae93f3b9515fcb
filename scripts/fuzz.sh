#!/usr/bin/env bash
# Usage: scripts/fuzz.sh TARGET [SECONDS]
# Builds the libFuzzer target fuzz_TARGET with clang in build-fuzz/
# (-DMS_FUZZ=ON) and runs it for SECONDS (default 60) from the seed corpus
# tests/fuzz/corpus/TARGET/. New inputs go to build-fuzz/corpus/TARGET/
# (never into the repository); crashes to build-fuzz/artifacts/. A crash
# should become a seed file and a unit-test row. TARGET is one of:
# sts_txt tlsrpt policy mx_match domain dnsmsg smtp_reply certname.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
secs=${2:-60}
seeds="$top/tests/fuzz/corpus/$target"
[ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }
command -v clang >/dev/null || {
  echo "fuzz.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
}
clang --version | head -n 1

cmake -S "$top" -B "$top/build-fuzz" -DMS_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build-fuzz" -j "$(nproc 2>/dev/null || echo 2)" \
  --target "fuzz_$target"

work="$top/build-fuzz/corpus/$target"
mkdir -p "$work" "$top/build-fuzz/artifacts"
# Detect leaks too, and stop at the first failing property (abort).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$top/build-fuzz/tests/fuzz/fuzz_$target" \
  -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$top/build-fuzz/artifacts/$target-" \
  "$work" "$seeds"
