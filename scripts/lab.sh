#!/usr/bin/env bash
# The hermetic lab (NSD, unbound, nginx, postfix and hostile SMTP peers on
# 127.10.0.0/16), as a thin wrapper
# over tests/lab/lab.py:
#   scripts/lab.sh start    (re)generate certificates, zone and configs in the
#                           run dir and start the servers (idempotent, as root)
#   scripts/lab.sh stop     stop every server the lab started
#   scripts/lab.sh status   which servers run (exit 1 unless all do)
#   scripts/lab.sh env      shell variables: run dir, resolver, CA file, args
# The run dir is <checkout>/lab-run unless MS_LAB_DIR says otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  start|stop|status|env) exec python3 "$top/tests/lab/lab.py" "$1" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
