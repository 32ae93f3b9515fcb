#!/usr/bin/env bash
# Usage: scripts/valgrind-lab.sh [BUILD_DIR] [GROUP]
# Runs the release scanner (BUILD_DIR/scanner/mtasts-scan, default build/)
# under valgrind memcheck over one lab group's list (default: main, the
# ~270 scenario domains plus the shared corpus) with that group's
# arguments from tests/lab/scenarios.json, and fails on any memory error
# or definite/indirect leak (--error-exitcode=1). Uses the running lab, or
# takes the lab's lock, starts it and stops it afterwards (as root).
# Prints valgrind's ERROR SUMMARY and LEAK SUMMARY; the full log is in
# <lab run dir>/out/valgrind-<group>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
build=${1:-build}
group=${2:-main}
scanner="$top/$build/scanner/mtasts-scan"
[ -x "$scanner" ] || { echo "valgrind-lab: no scanner at $scanner (build first)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind-lab: valgrind not installed" >&2; exit 2; }
if grep -q __asan_init "$scanner"; then
  echo "valgrind-lab: $scanner is a sanitizer build; give a release build" >&2
  exit 2
fi
exec python3 - "$top" "$scanner" "$group" <<'PY'
import json, os, subprocess, sys
top, scanner, group = sys.argv[1:4]
sys.path.insert(0, os.path.join(top, "tests", "lab"))
import lab
rd = lab.run_dir()
fd = None
started = False
if not lab.status_quiet(rd):
    os.makedirs(rd, exist_ok=True)
    fd = lab.lock(rd, 900)
    lab.start(rd)
    started = True
try:
    data = lab.load_scenarios()
    args = [a.replace("{rundir}", rd) for a in data["common_args"]]
    args += [a.replace("{rundir}", rd) for a in data["groups"][group]]
    # Slower under valgrind: a generous timeout, fewer in flight.
    args += ["--timeout", "10", "-j", "8", "--no-progress"]
    os.makedirs(os.path.join(rd, "out"), exist_ok=True)
    log = os.path.join(rd, "out", "valgrind-%s.log" % group)
    out = os.path.join(rd, "out", "valgrind-%s.jsonl" % group)
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full",
           "--show-leak-kinds=definite,indirect",
           "--errors-for-leak-kinds=definite,indirect",
           "--error-exitcode=1", "--track-fds=no", "--log-file=" + log,
           scanner, "-f", os.path.join(rd, "lists", group + ".txt"),
           "-o", out] + args
    print("valgrind-lab: " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, stdout=subprocess.DEVNULL)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    keep = [ln for ln in text.splitlines()
            if "ERROR SUMMARY" in ln or "definitely lost" in ln or
            "indirectly lost" in ln or "possibly lost" in ln or
            "still reachable" in ln or "All heap blocks were freed" in ln]
    print("\n".join(keep))
    with open(out) as f:
        n = sum(1 for _ in f)
    print("valgrind-lab: %d records, exit %d (log %s)" % (n, rc, log))
    print("%d passed, %d failed" % ((1, 0) if rc == 0 else (0, 1)))
finally:
    if started:
        lab.stop(rd, quiet=True)
    if fd is not None:
        os.close(fd)
sys.exit(rc)
PY
