#!/usr/bin/env bash
# Throughput benchmark: scripts/bench.sh [N ...] (default: 1000 10000).
# Generates N lab domains (75% without MTA-STS, 20% valid policy on shared
# MX hosts, 5% broken) in a separate zone and nginx config (NSD 127.10.4.2,
# nginx 127.10.4.1:443), scans them with the release build under
# /usr/bin/time -v, pointing --resolver straight at NSD (the authoritative
# server, no recursor: that measures the scanner, not unbound), --no-smtp,
# and prints domains/s, CPU seconds per domain and peak RSS. Run as root.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
scanner=${MS_SCANNER:-$top/build/scanner/mtasts-scan}
if [ ! -x "$scanner" ]; then
  echo "bench: $scanner not built (cmake --build build, or set MS_SCANNER)" >&2
  exit 2
fi
[ "$#" -gt 0 ] || set -- 1000 10000
exec python3 "$top/tests/lab/bench.py" "$scanner" "$@"
