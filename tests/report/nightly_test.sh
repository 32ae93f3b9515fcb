#!/usr/bin/env bash
# scripts/nightly.sh with a stand-in scanner (prints the fixtures' records):
# dated files, the previous night used, old nights deleted, exit status on
# scanner failure. usage: nightly_test.sh MTASTS_REPORT_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
report=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if eval "$1"; then echo "ok   $2"; else echo "FAIL $2"; fails=$((fails + 1)); fi; }

# The stand-in: copies $FAKE_IN to the -o file, writes --summary, exits $FAKE_RC.
cat >"$tmp/fake-scan" <<'EOT'
#!/usr/bin/env bash
out= sum=
while [ $# -gt 0 ]; do
  case $1 in -o) out=$2; shift ;; --summary) sum=$2; shift ;; esac; shift
done
cat "$FAKE_IN" >"$out"
echo '{"duration_ms": 1234}' >"$sum"
exit "${FAKE_RC:-0}"
EOT
chmod +x "$tmp/fake-scan"
export MTASTS_SCAN=$tmp/fake-scan MTASTS_REPORT=$report
d=$tmp/nights
night() { # DATE INPUT RC -> stdout in $tmp/out-DATE, returns nightly's status
  FAKE_IN=$2 FAKE_RC=$3 MS_NIGHTLY_DATE=$1 bash "$top/scripts/nightly.sh" \
    -d "$d" -k 2 -- -f domains.txt >"$tmp/out-$1" 2>"$tmp/err-$1"
}
night 2026-12-01 "$here/fixtures/prev.jsonl" 0; rc=$?
check '[ $rc = 0 ]' "first night exits 0 ($rc)"
check '[ -s $d/results-2026-12-01.jsonl ] && [ -s $d/summary-2026-12-01.json ]' "dated results and summary"
check '[ -s $d/report-2026-12-01.html ] && [ -s $d/mtasts.prom ] && [ -L $d/report.html ]' "html, prom, report.html link"
check 'grep -q "no previous run" $tmp/out-2026-12-01' "first night: no previous run"
check 'grep -q "mtasts_scan_duration_seconds 1.234" $d/mtasts.prom' "scan duration from --summary"
cat "$here/fixtures/cur-a.jsonl" "$here/fixtures/cur-b.jsonl" >"$tmp/tonight.jsonl"
night 2026-12-02 "$tmp/tonight.jsonl" 0; rc=$?
check '[ $rc = 0 ]' "second night exits 0 ($rc)"
check 'grep -q "New problems since the previous run: 6" $tmp/out-2026-12-02' "second night diffs against the first"
night 2026-12-04 "$tmp/tonight.jsonl" 1; rc=$?
check '[ $rc = 1 ]' "--fail-on met: report made, exit 1 ($rc)"
check '[ ! -e $d/results-2026-12-01.jsonl ] && [ ! -e $d/report-2026-12-01.html ]' "-k 2 deleted the oldest night"
check '[ -e $d/results-2026-12-04.jsonl ]' "today's results kept"
check 'grep -q "New problems since the previous run: 0" $tmp/out-2026-12-04' "previous = newest older night (12-02)"
night 2026-12-05 "$tmp/tonight.jsonl" 3; rc=$?
check '[ $rc = 3 ]' "scanner failure: exit 3 ($rc)"
check '[ ! -e $d/results-2026-12-05.jsonl ] && [ ! -e $d/results-2026-12-05.jsonl.part ]' "no results left from a failed night"
echo "$fails failure(s)"
[ $fails = 0 ]
