#!/usr/bin/env bash
# The README's first command: install the dependencies, build the scanner
# (release, into <checkout>/build, or $MS_BUILD_DIR), start the hermetic lab
# (DNS, HTTPS, postfix and hostile SMTP peers on 127.10.0.0/16, as root),
# scan data/examples/lab-sample.txt against it (with STARTTLS probes) into
# out/lab-sample.jsonl, print a short summary and check every record against
# its scenario's expectation (exit 1 on a mismatch). The lab keeps running
# so you can scan more of it; stop it with: scripts/lab.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
build=${MS_BUILD_DIR:-$top/build}

bash scripts/install-deps.sh
echo "== build (release) into $build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" >/dev/null
echo "== start the lab"
bash scripts/lab.sh start
rundir=${MS_LAB_DIR:-$top/lab-run}

mkdir -p "$top/out"
out="$top/out/lab-sample.jsonl"
echo "== scan data/examples/lab-sample.txt"
"$build/scanner/mtasts-scan" -f "$top/data/examples/lab-sample.txt" \
  -o "$out" --resolver 127.10.0.1 --ca-file "$rundir/ca.pem" \
  --allow-private --timeout 3 -j 16 --ehlo-name probe.mtasts-scan.lab.test

python3 - "$out" "$rundir" "$top" <<'PY'
import collections, json, os, sys
sys.path.insert(0, os.path.join(sys.argv[3], "tests", "lab"))
import run_lab_tests as rt
recs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
status = collections.Counter(r["status"] for r in recs)
codes = collections.Counter(f["code"] for r in recs for f in r["findings"])
print("\n%d domains scanned" % len(recs))
print("by status: " + ", ".join("%s %d" % (s, status[s]) for s in
      ("valid", "warning", "invalid", "none", "error") if status[s]))
print("top finding codes:")
for code, n in codes.most_common(8):
    print("  %-28s %d" % (code, n))
print("examples:")
order = {"valid-basic.lab.test": 0, "sts-prefix-space.lab.test": 1,
         "cert-missing-intermediate.lab.test": 2,
         "mx-not-covered-enforce.lab.test": 3, "policy-without-record.lab.test": 4,
         "mx-refused.lab.test": 5, "smtp-expired-enforce.lab.test": 6,
         "smtp-expired-testing.lab.test": 7, "smtp-notls-enforce.lab.test": 8,
         "smtp-tls10-enforce.lab.test": 9}
for r in sorted((r for r in recs if r["domain"] in order),
                key=lambda r: order[r["domain"]]):
    print("  %-36s %-8s %s" % (r["domain"], r["status"],
          " ".join(f["code"] for f in r["findings"]) or "-"))

# Every sample domain against its scenario's expectation (lab-run/expect.json).
with open(os.path.join(sys.argv[2], "expect.json"), encoding="utf-8") as f:
    expect = json.load(f)
cat = rt.catalogue()
bad = []
for r in recs:
    key = r.get("domain") if r.get("domain") in expect else (
        r.get("input") or "").strip()
    exp = expect.get(key)
    if exp is None:
        bad.append("%s: not a lab scenario" % key)
        continue
    probs = rt.check_record(r, exp, cat, None)
    if probs:
        bad.append("%s [%s]: %s" % (key, exp["id"], "; ".join(probs)))
print()
if bad:
    for line in bad:
        print("MISMATCH " + line)
    print("%d of %d sample domains not as expected" % (len(bad), len(recs)))
    sys.exit(1)
print("all %d sample domains as expected" % len(recs))
PY
echo
echo "JSON Lines: $out"
echo "The lab is still running (resolver 127.10.0.1, CA $rundir/ca.pem)."
echo "Stop it with: scripts/lab.sh stop"
