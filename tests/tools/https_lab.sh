#!/bin/sh
# Hand-run lab for net/https.c + net/tls.c: makes a throwaway CA and leaf
# certificates with the openssl CLI, starts nginx on 127.10.8.0/24 port 443,
# runs ms_fetch against each case and checks the fields that matter, then
# stops nginx. Needs root (port 443) and nginx.
#   tests/tools/https_lab.sh BUILD_DIR [LAB_DIR]   (default /tmp/httpslab)
# Exit status: number of failed cases (0 = all passed).
set -u
BUILD=${1:?usage: https_lab.sh BUILD_DIR [LAB_DIR]}
LAB=${2:-/tmp/httpslab}
FETCH=$BUILD/ms_fetch
[ -x "$FETCH" ] || FETCH=$BUILD/tests/tools/ms_fetch
[ -x "$FETCH" ] || { echo "no ms_fetch in $BUILD"; exit 100; }
NET=127.10.8

rm -rf "$LAB" && mkdir -p "$LAB/www" "$LAB/ca" "$LAB/logs" || exit 100
cd "$LAB" || exit 100

# ---- certificates -------------------------------------------------------
# ECDSA P-256 everywhere (cheap handshakes, pitfalls.md). "ca" is the lab
# root given to ms_fetch with --ca-file; "other" is a root nobody trusts.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
mkca() { # name subject [signer]
  key ca/$1.key
  if [ $# -eq 2 ]; then
    openssl req -x509 -new -key ca/$1.key -subj "$2" -days 3650 \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign -out ca/$1.pem 2>/dev/null
  else
    openssl req -new -key ca/$1.key -subj "$2" -out ca/$1.csr 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca/$1.ext
    openssl x509 -req -in ca/$1.csr -CA ca/$3.pem -CAkey ca/$3.key \
      -CAcreateserial -days 3650 -extfile ca/$1.ext -out ca/$1.pem 2>/dev/null
  fi
}
mkca root "/CN=HTTPS Lab Root"
mkca inter "/CN=HTTPS Lab Intermediate" root
mkca other "/CN=Other Root"
mkca otherinter "/CN=Other Intermediate" other

# openssl ca gives -startdate/-enddate (past and future validity windows).
mkdir -p ca/db && : > ca/db/index.txt && echo 1000 > ca/db/serial
cat > ca/ca.cnf <<EOF
[ca]
default_ca = lab
[lab]
dir = $LAB/ca
database = \$dir/db/index.txt
serial = \$dir/db/serial
new_certs_dir = \$dir/db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
EOF
leaf() { # name cn san signer start end
  key $1.key
  openssl req -new -key $1.key -subj "/CN=$2" -addext "subjectAltName=$3" \
    -out $1.csr 2>/dev/null
  openssl ca -batch -config ca/ca.cnf -cert ca/$4.pem -keyfile ca/$4.key \
    -startdate $5 -enddate $6 -in $1.csr -out $1.crt >/dev/null 2>&1 ||
    echo "leaf $1: openssl ca failed"
}
NOW_S=20200101000000Z; NOW_E=20351231000000Z
leaf valid mta-sts.valid.test \
  "DNS:mta-sts.valid.test,DNS:mta-sts.status.test,DNS:mta-sts.redirect.test,DNS:mta-sts.html.test,DNS:mta-sts.big.test,DNS:mta-sts.slow.test" \
  inter $NOW_S $NOW_E
leaf expired mta-sts.expired.test DNS:mta-sts.expired.test inter 20200101000000Z 20210101000000Z
leaf notyet mta-sts.notyet.test DNS:mta-sts.notyet.test inter 20400101000000Z 20410101000000Z
leaf wrong www.elsewhere.test DNS:www.elsewhere.test,DNS:*.elsewhere.test inter $NOW_S $NOW_E
leaf unknown mta-sts.unknown.test DNS:mta-sts.unknown.test otherinter $NOW_S $NOW_E
leaf nointer mta-sts.nointer.test DNS:mta-sts.nointer.test inter $NOW_S $NOW_E
key self.key
openssl req -x509 -new -key self.key -subj "/CN=mta-sts.self.test" -days 365 \
  -addext subjectAltName=DNS:mta-sts.self.test -out self.crt 2>/dev/null
for n in valid expired notyet wrong nointer; do cat $n.crt ca/inter.pem > $n.chain; done
cat unknown.crt ca/otherinter.pem > unknown.chain
cp self.crt self.chain
cp nointer.crt nointer.chain   # the leaf alone: intermediate missing
cp ca/root.pem cafile.pem

# ---- content ------------------------------------------------------------
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.valid.test\r\nmax_age: 604800\r\n' > www/policy.txt
head -c 102400 /dev/zero | tr '\0' 'a' > www/big.txt
head -c 4000 /dev/zero | tr '\0' 'b' > www/slow.txt
printf '<html>policy</html>\n' > www/page.html

srv() { # addr cert extra-location-config
  cat <<EOF
  server {
    listen $NET.$1:443 ssl;
    ssl_certificate $LAB/$2.chain;
    ssl_certificate_key $LAB/$2.key;
    location = /.well-known/mta-sts.txt { $3 }
  }
EOF
}
POLICY="default_type text/plain; alias $LAB/www/policy.txt;"
{
  cat <<EOF
worker_processes 1;
pid $LAB/nginx.pid;
error_log $LAB/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $LAB/tmp; proxy_temp_path $LAB/tmp;
  fastcgi_temp_path $LAB/tmp; uwsgi_temp_path $LAB/tmp; scgi_temp_path $LAB/tmp;
  types { }
  ssl_protocols TLSv1.2 TLSv1.3;
EOF
  srv 1 valid "$POLICY"
  srv 2 expired "$POLICY"
  srv 3 notyet "$POLICY"
  srv 4 wrong "$POLICY"
  srv 5 self "$POLICY"
  srv 6 unknown "$POLICY"
  srv 7 nointer "$POLICY"
  srv 8 valid "return 404;"
  srv 9 valid "return 301 https://www.redirect.test/.well-known/mta-sts.txt;"
  srv 10 valid "default_type text/html; alias $LAB/www/page.html;"
  srv 11 valid "default_type text/plain; alias $LAB/www/big.txt;"
  srv 12 valid "default_type text/plain; limit_rate 500; alias $LAB/www/slow.txt;"
  srv 15 expired "$POLICY"
  cat <<EOF
  server { listen $NET.13:443; location / { return 200 "plain\n"; } }
}
EOF
} > nginx.conf
mkdir -p tmp
nginx -p "$LAB" -c "$LAB/nginx.conf" || { cat logs/error.log; exit 100; }
# A TLS server that completes the handshake and never answers the GET.
sleep 20 | openssl s_server -quiet -accept $NET.16:443 -cert valid.crt \
  -key valid.key -cert_chain ca/inter.pem -naccept 1 > /dev/null 2>&1 &
SSERVER=$!
trap 'kill "$(cat "$LAB/nginx.pid")" $SSERVER 2>/dev/null' EXIT INT TERM
sleep 0.3

# ---- cases --------------------------------------------------------------
# name host addr timeout expected-lines (each "key value", grep -F'd)
FAILS=0
EXTRA=
case_() {
  name=$1 host=$2 addr=$3 tmo=$4; shift 4
  case $addr in  # "1" -> 127.10.8.1, "14,1" -> two addresses, ":..." as is
    :*) ;;
    *) addr=$(echo "$addr" | sed "s/\([0-9]*\)/$NET.\1/g") ;;
  esac
  "$FETCH" --ca-file cafile.pem --timeout "$tmo" $EXTRA "$host" "$addr" > out.$name 2>&1
  bad=""
  for want in "$@"; do
    grep -qE "^$want" out.$name || bad="$bad [$want]"
  done
  if [ -n "$bad" ]; then
    echo "FAIL $name:$bad"; FAILS=$((FAILS + 1)); sed 's/^/    /' out.$name
  else
    echo "ok   $name"
  fi
}
V='cert.verified +yes'
case_ valid     mta-sts.valid.test 1 5 'outcome +ok' 'http_status +200' "$V" \
  'content_type +text/plain' "body_len +$(wc -c < www/policy.txt)" 'tls_protocol +TLSv1.3' \
  'cert.errors +0x00' 'cert.san +mta-sts.valid.test' 'connected_to +127.10.8.1'
case_ expired   mta-sts.expired.test 2 5 'outcome +ok' 'cert.verified +no' \
  'cert.errors +0x01 expired$' 'cert.verify_code +10'
case_ notyet    mta-sts.notyet.test 3 5 'outcome +ok' 'cert.errors +0x02 not_yet_valid$' \
  'cert.verify_code +9'
case_ wrongname mta-sts.wrong.test 4 5 'outcome +ok' 'cert.errors +0x04 name_mismatch$' \
  'cert.verify_code +62' 'cert.san +www.elsewhere.test \*.elsewhere.test'
case_ selfsigned mta-sts.self.test 5 5 'outcome +ok' 'cert.errors +0x08 untrusted$' \
  'cert.untrusted +self-signed' 'cert.verify_code +18'
case_ unknownca mta-sts.unknown.test 6 5 'outcome +ok' 'cert.errors +0x08 untrusted$' \
  'cert.untrusted +unknown issuer' 'cert.verify_code +20'
case_ nointer   mta-sts.nointer.test 7 5 'outcome +ok' 'cert.errors +0x08 untrusted$' \
  'cert.untrusted +missing intermediate' 'cert.verify_code +20'
case_ status404 mta-sts.status.test 8 5 'outcome +ok' 'http_status +404' "$V"
case_ redirect  mta-sts.redirect.test 9 5 'outcome +ok' 'http_status +301' \
  'location +https://www.redirect.test/.well-known/mta-sts.txt'
case_ html      mta-sts.html.test 10 5 'outcome +ok' 'content_type +text/html'
case_ big       mta-sts.big.test 11 5 'outcome +too_large' 'lib_code +23' \
  'body_len +65536' 'body_truncated +yes' "$V" \
  "body_sha256 +$(head -c 65536 www/big.txt | sha256sum | cut -d' ' -f1)"
case_ slow      mta-sts.slow.test 12 2 'outcome +timeout' 'lib_code +28' \
  'http_status +200' "$V" 'content_type +text/plain'
case_ plainhttp mta-sts.plain.test 13 5 'outcome +tls_failed' 'lib_code +35' \
  'cert.present +no'
case_ nolisten  mta-sts.none.test 14 5 'outcome +connect_failed' 'lib_code +7' \
  'tls_protocol +\(null\)'
# Every problem is recorded, the first one kept as verify_code.
case_ expired_wrong mta-sts.other.test 15 5 'outcome +ok' \
  'cert.errors +0x05 expired name_mismatch$' 'cert.verify_code +62'
# No response after the handshake: details come from the info callback.
case_ silent    mta-sts.valid.test 16 2 'outcome +timeout' 'http_status +0' \
  'tls_protocol +TLSv1.3' "$V" 'cert.subject +CN=mta-sts.valid.test'
# The first address refuses, curl moves on to the second.
case_ fallback  mta-sts.valid.test 14,1 5 'outcome +ok' 'connected_to +127.10.8.1'
# IPv6 in the RESOLVE entry (brackets), v4-mapped so it stays on loopback.
case_ ipv6      mta-sts.valid.test ::ffff:127.10.8.1 5 'outcome +ok' "$V" \
  'connected_to +::ffff:127.10.8.1'
# Canceled mid-body: no callback, outcome canceled, TLS details kept.
EXTRA="--cancel-after 800"
case_ cancel    mta-sts.slow.test 12 5 'outcome +canceled' 'tls_protocol +TLSv1.3'
# Many transfers at once on one fetcher, each restarted from its callback.
EXTRA="--repeat 400 --parallel 40"
case_ parallel  mta-sts.valid.test 1 5 'repeat +400 fetches, 400 ok'
# ms_https_free from inside a completion callback, 19 others in flight.
EXTRA="--repeat 40 --parallel 20 --free-in-cb"
case_ freeincb  mta-sts.valid.test 1 5 'repeat +1 fetches, 1 ok, 19 canceled'
EXTRA=
# Sanitizer builds: any report in any output is a failure.
if grep -l -E 'ERROR: |runtime error:' out.* 2>/dev/null; then
  echo "FAIL sanitizer report in the files above"; FAILS=$((FAILS + 1))
fi
echo "$FAILS failed"
exit $FAILS
