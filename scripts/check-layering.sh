#!/usr/bin/env bash
# Fails when scanner/core or scanner/util include I/O headers (the pure core
# links only libc), or when banned functions appear in scanner/ or report/.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if grep -nE '#include *<(uv|ares|curl/|openssl/|jansson|idn2|sys/socket|netdb|ctype)' \
     scanner/core/*.[ch] scanner/util/*.[ch]; then
  echo "check-layering: scanner/core and scanner/util must stay pure (see style.md 3.2)"
  status=1
fi
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets)\s*\(' \
     scanner/*.c scanner/*/*.c report/*.c | grep -vE '(snprintf|vsnprintf)\s*\('; then
  echo "check-layering: banned function (style.md 3.4)"
  status=1
fi
for f in scanner/net/*.c; do
  case "$f" in
    scanner/net/https.c|scanner/net/tls.c) ;;
    *) if grep -n '#include *<curl/' "$f"; then echo "check-layering: only https.c includes curl"; status=1; fi ;;
  esac
  case "$f" in
    scanner/net/dns.c) ;;
    *) if grep -n '#include *<ares' "$f"; then echo "check-layering: only dns.c includes c-ares"; status=1; fi ;;
  esac
done
[ $status = 0 ] && echo "check-layering: ok"
exit $status
