#!/usr/bin/env bash
# Throughput benchmark: scripts/bench.sh [N ...] (default: 1000 10000 100000).
# For each N: generates N lab domains (80 % without MTA-STS, 15 % valid
# policies on two shared provider MX hosts, 5 % broken or slow), starts NSD
# (127.10.0.2, no rate limiting), nginx (127.10.1.1:443, ECDSA leaves) and
# postfix (127.10.6.11/12) from <rundir>/bench, scans with the release
# build pointing --resolver straight at NSD (no recursor), and prints
# domains/s, CPU per domain (user+sys, rusage), peak RSS for the mix, the
# no-MTA-STS and the policy domains, an `openssl s_time -new` reference and
# the peer (postfix-mta-sts-resolver's daemon) on the same domains, each
# with its target (README, "Performance"). Exits 1 only when a record is
# wrong or missing; a target missed is printed, not an error. Run as root;
# takes the lab's lock. Environment:
# see tests/lab/bench.py (MS_BENCH_J, MS_BENCH_PEER_MAX, ...).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
scanner=${MS_SCANNER:-$top/build/scanner/mtasts-scan}
if [ ! -x "$scanner" ]; then
  echo "bench: $scanner not built (cmake --build build, or set MS_SCANNER)" >&2
  exit 2
fi
if ! command -v mta-sts-daemon >/dev/null; then
  echo "bench: mta-sts-daemon missing (scripts/install-deps.sh); skipping the peer" >&2
  export MS_BENCH_NO_PEER=1
fi
# Debian's python3 (the peer's modules and python3-cryptography live there).
py=/usr/bin/python3
[ -x "$py" ] || py=python3
[ "$#" -gt 0 ] || set -- 1000 10000 100000
exec "$py" "$top/tests/lab/bench.py" "$scanner" "$@"
