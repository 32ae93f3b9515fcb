#!/usr/bin/env bash
# The README's second command: install what is needed, build (release with
# -Werror, then ASan+UBSan), and run every test: CUnit suites, the lab
# integration tests (real DNS, HTTPS servers on loopback) and the fuzz-corpus
# replay. Exits non-zero when anything fails. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh

build_and_test() {
  local dir=$1; shift
  echo "== build $dir ($*)"
  cmake -S "$top" -B "$top/$dir" -DMS_WERROR=ON "$@" >/dev/null
  cmake --build "$top/$dir" -j "$jobs"
  echo "== test $dir"
  (cd "$top/$dir" && ctest --output-on-failure -j "$jobs")
}

build_and_test build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "${MS_SKIP_SANITIZE:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DMS_SANITIZE=ON
fi
echo "== all tests passed"
