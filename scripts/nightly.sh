#!/usr/bin/env bash
# Nightly wrapper: one dated scan, a report against the previous night, and
# clean-up of old nights. Meant for cron or a systemd timer (see
# scripts/examples/); the text summary goes to stdout (the cron mail).
#
#   nightly.sh [-d DIR] [-k NIGHTS] [-p PROMFILE] [-- SCANNER OPTIONS...]
#
#   -d DIR       where the nights are kept (default /var/lib/mtasts-scan)
#   -k NIGHTS    keep this many nights of files (default 14)
#   -p PROMFILE  Prometheus textfile to (re)write (default DIR/mtasts.prom;
#                point it into node_exporter's textfile directory)
#   after --     options for mtasts-scan, e.g. -f /etc/mtasts/domains.txt
#
# Writes DIR/results-YYYY-MM-DD.jsonl (scanner --output), DIR/summary-
# YYYY-MM-DD.json (scanner --summary), DIR/report-YYYY-MM-DD.html and .json,
# and links DIR/report.html to the newest page. The previous night is the
# newest results file older than today. Exit status: the scanner's when it
# failed (2, 3: no report is made) or met --fail-on (1, after the report);
# mtasts-report's when it fails; else 0.
# Environment: MTASTS_SCAN, MTASTS_REPORT (the binaries; default from PATH),
# MS_NIGHTLY_DATE (YYYY-MM-DD instead of today, UTC; for tests and re-runs).
set -euo pipefail

dir=/var/lib/mtasts-scan
keep=14
prom=
usage() { sed -n '5,12p' "$0" >&2; exit 2; }
while getopts "d:k:p:h" opt; do
  case $opt in
    d) dir=$OPTARG ;;
    k) keep=$OPTARG ;;
    p) prom=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
case $keep in ''|*[!0-9]*) echo "nightly: -k wants a number of nights" >&2; exit 2 ;; esac
[ "$keep" -ge 1 ] || { echo "nightly: -k must be at least 1" >&2; exit 2; }

scan=${MTASTS_SCAN:-mtasts-scan}
report=${MTASTS_REPORT:-mtasts-report}
today=${MS_NIGHTLY_DATE:-$(date -u +%F)}
case $today in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
  *) echo "nightly: bad date '$today' (want YYYY-MM-DD)" >&2; exit 2 ;;
esac
mkdir -p "$dir"
prom=${prom:-$dir/mtasts.prom}
results=$dir/results-$today.jsonl
summary=$dir/summary-$today.json

# The previous night: the newest dated results file before today.
previous=
for f in "$dir"/results-????-??-??.jsonl; do
  [ -e "$f" ] || continue
  d=${f##*/results-}; d=${d%.jsonl}
  if [[ "$d" < "$today" ]]; then previous=$f; fi
done

# Scan into a .part file so a crashed night never looks like a result.
scan_rc=0
"$scan" "$@" -o "$results.part" --summary "$summary" || scan_rc=$?
if [ "$scan_rc" -ne 0 ] && [ "$scan_rc" -ne 1 ]; then
  echo "nightly: mtasts-scan failed (exit $scan_rc); no report for $today" >&2
  rm -f "$results.part"
  exit "$scan_rc"
fi
mv -f "$results.part" "$results"

args=(--scan-summary "$summary" --html "$dir/report-$today.html"
      --summary-json "$dir/report-$today.json" --prom "$prom" --text -)
if [ -n "$previous" ]; then args+=(--previous "$previous"); fi
report_rc=0
"$report" "${args[@]}" "$results" || report_rc=$?
ln -sfn "report-$today.html" "$dir/report.html"

# Keep $keep nights: delete dated files older than today - (keep - 1) days.
cutoff=$(date -u -d "$today -$((keep - 1)) days" +%F)
for f in "$dir"/results-????-??-??.jsonl "$dir"/summary-????-??-??.json \
         "$dir"/report-????-??-??.html "$dir"/report-????-??-??.json; do
  [ -e "$f" ] || continue
  base=${f##*/}; d=${base#*-}; d=${d%%.*}
  if [[ "$d" < "$cutoff" ]]; then rm -f "$f"; fi
done

if [ "$report_rc" -ne 0 ]; then exit "$report_rc"; fi
exit "$scan_rc"
