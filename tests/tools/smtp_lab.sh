#!/bin/sh
# Hand-run lab for net/smtp.c: makes a throwaway CA and leaf certificates
# with the openssl CLI, starts a private postfix (when installed) and small
# python3-stdlib peers on 127.10.7.0/24 port 25, runs ms_smtpq against each
# case and checks the fields that matter (outcome, codes, certificate bits,
# that no probe outlives its deadline), the sharing counters and RSS, then
# stops everything it started. Needs root (port 25).
#   tests/tools/smtp_lab.sh BUILD_DIR [LAB_DIR]   (default /tmp/smtplab)
# Exit status: number of failed checks (0 = all passed).
set -u
BUILD=${1:?usage: smtp_lab.sh BUILD_DIR [LAB_DIR]}
LAB=${2:-/tmp/smtplab}
Q=$BUILD/ms_smtpq
[ -x "$Q" ] || Q=$BUILD/tests/tools/ms_smtpq
[ -x "$Q" ] || { echo "no ms_smtpq in $BUILD"; exit 100; }
NET=127.10.7
TMO=2000          # per-stage timeout given to ms_smtpq (ms)
DEADLINE=6000     # whole-probe deadline (ms)
FAILS=0
PIDS=""

rm -rf "$LAB" && mkdir -p "$LAB/ca" "$LAB/out" || exit 100
cd "$LAB" || exit 100

# ---- certificates -------------------------------------------------------
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
mkca() { # name subject
  key ca/$1.key
  openssl req -x509 -new -key ca/$1.key -subj "$2" -days 3650 \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out ca/$1.pem 2>/dev/null
}
mkca root "/CN=SMTP Lab Root"
mkca other "/CN=Nobody Trusts This Root"
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
S=20200101000000Z; E=20351231000000Z
leaf valid mx.valid.test "DNS:mx.valid.test,DNS:*.wild.test" root $S $E
leaf expired mx.expired.test DNS:mx.expired.test root 20200101000000Z 20210101000000Z
leaf wrong www.elsewhere.test "DNS:www.elsewhere.test,DNS:*.elsewhere.test" root $S $E
leaf unknown mx.unknown.test DNS:mx.unknown.test other $S $E
MANY=$(i=1; while [ $i -lt 100 ]; do printf 'DNS:n%d.other.test,' $i; i=$((i + 1)); done)
leaf many mx.many.test "${MANY}DNS:mx.many.test" root $S $E
leaf pfvalid mx.postfix.test DNS:mx.postfix.test root $S $E
leaf pfexpired mx.pfexpired.test DNS:mx.pfexpired.test root 20200101000000Z 20210101000000Z
key self.key
openssl req -x509 -new -key self.key -subj "/CN=mx.self.test" -days 365 \
  -addext subjectAltName=DNS:mx.self.test -out self.crt 2>/dev/null
# TLS 1.0 wants an RSA or ECDSA-with-SHA1-capable key: RSA is simplest.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out tls10.key 2>/dev/null
openssl req -new -key tls10.key -subj "/CN=mx.tls10.test" \
  -addext subjectAltName=DNS:mx.tls10.test -out tls10.csr 2>/dev/null
openssl ca -batch -config ca/ca.cnf -cert ca/root.pem -keyfile ca/root.key \
  -startdate $S -enddate $E -in tls10.csr -out tls10.crt >/dev/null 2>&1
for n in valid expired wrong self tls10 many pfvalid pfexpired; do cp $n.crt $n.chain; done
cat unknown.crt ca/other.pem > unknown.chain
CA=$LAB/ca/root.pem

# ---- python peers ---------------------------------------------------------
# One process, one listener per address, one behaviour per listener.
cat > peer.py <<'PYEOF'
import socket, ssl, sys, threading, time
LAB = sys.argv[1]
NET = sys.argv[2]
MODES = {  # last octet: (mode, cert)
    20: ("ok", "valid"), 21: ("ok", "expired"), 22: ("ok", "wrong"),
    23: ("ok", "self"), 24: ("nostarttls", None), 25: ("refuse454", None),
    26: ("silent", None), 27: ("drip", None), 28: ("endless", None),
    29: ("longline", None), 30: ("garbage", None), 31: ("tls10", "tls10"),
    33: ("ok", "unknown"), 34: ("banner554", None), 35: ("helo", None),
    36: ("stall", "valid"), 37: ("tlsdrip", "valid"), 38: ("closeearly", None),
    39: ("ok", "valid"), 50: ("ok", "many"),
}

def ctx_for(cert, tls10=False):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(f"{LAB}/{cert}.chain", f"{LAB}/{cert}.key")
    if tls10:
        c.set_ciphers("DEFAULT:@SECLEVEL=0")
        c.minimum_version = ssl.TLSVersion.TLSv1
        c.maximum_version = ssl.TLSVersion.TLSv1
    return c

class Conn:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise EOFError
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l.strip().upper()
    def send(self, b):
        self.s.sendall(b)

def session(conn, mode, cert):
    c = Conn(conn)
    delay = 1.8 if mode == "stall" else 0
    if mode == "silent":
        time.sleep(60); return
    if mode == "closeearly":
        return
    if mode == "drip":
        for ch in b"220 very slow greeting from a drip feed\r\n":
            c.send(bytes([ch])); time.sleep(1)
        return
    if mode == "longline":
        c.send(b"220 " + b"x" * (1 << 20) + b"\r\n"); time.sleep(5); return
    if mode == "banner554":
        c.send(b"554 no service for you\r\n")
        while c.line() != b"QUIT": pass
        c.send(b"221 bye\r\n"); return
    time.sleep(delay)
    c.send(b"220 peer.lab ESMTP " + mode.encode() + b"\r\n")
    while True:
        l = c.line()
        if l.startswith(b"EHLO"):
            time.sleep(delay)
            if mode == "helo":
                c.send(b"502 EHLO not implemented\r\n"); continue
            if mode == "endless":
                try:
                    while True:
                        c.send(b"250-PIPELINING\r\n" * 64)
                except OSError:
                    return
            if mode == "nostarttls":
                c.send(b"250-peer.lab\r\n250 8BITMIME\r\n"); continue
            c.send(b"250-peer.lab\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif l.startswith(b"HELO"):
            c.send(b"250 peer.lab\r\n")
        elif l == b"STARTTLS":
            time.sleep(delay)
            if mode == "refuse454":
                c.send(b"454 TLS not available due to temporary reason\r\n"); continue
            if mode == "garbage":
                c.send(b"220 ready\r\nthis is not TLS at all, sorry\r\n"); time.sleep(3); return
            c.send(b"220 2.0.0 ready\r\n")
            if mode == "tlsdrip":
                # A TLS handshake that never finishes: the ServerHello
                # comes one byte per second.
                time.sleep(0.2); conn.recv(65536)
                for i in range(60):
                    conn.sendall(b"\x16"); time.sleep(1)
                return
            t = conn if True else None
            s = ctx_for(cert, mode == "tls10").wrap_socket(conn, server_side=True)
            c = Conn(s)
            l2 = c.line()
            time.sleep(delay)
            c.send(b"250-peer.lab\r\n250 PIPELINING\r\n")
            if c.line() == b"QUIT":
                c.send(b"221 bye\r\n")
            return
        elif l == b"QUIT":
            c.send(b"221 bye\r\n"); return
        else:
            c.send(b"500 what\r\n")

def serve(octet, mode, cert):
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((f"{NET}.{octet}", 25)); ls.listen(256)
    while True:
        conn, _ = ls.accept()
        def run(conn=conn):
            try:
                session(conn, mode, cert)
            except Exception:
                pass
            finally:
                try: conn.close()
                except Exception: pass
        threading.Thread(target=run, daemon=True).start()

for octet, (mode, cert) in MODES.items():
    threading.Thread(target=serve, args=(octet, mode, cert), daemon=True).start()
print("peers ready", flush=True)
while True:
    time.sleep(3600)
PYEOF
python3 peer.py "$LAB" "$NET" > peer.log 2>&1 &
PEER_PID=$!
PIDS="$PEER_PID"

# ---- postfix (a real MTA), private config, only when installed ---------
PF=no
if command -v postfix >/dev/null 2>&1 && id postfix >/dev/null 2>&1; then
  mkdir -p pf/etc pf/queue pf/data
  cp /etc/postfix/master.cf pf/etc/master.cf 2>/dev/null ||
    cp /usr/share/postfix/master.cf.dist pf/etc/master.cf
  # Drop the stock smtp listener; add one per address, each with its cert.
  sed -i '/^smtp[[:space:]]\+inet/d' pf/etc/master.cf
  cat >> pf/etc/master.cf <<EOF
$NET.10:25 inet n - n - - smtpd -o smtpd_tls_chain_files=$LAB/pfvalid.key,$LAB/pfvalid.chain
$NET.11:25 inet n - n - - smtpd -o smtpd_tls_chain_files=$LAB/pfexpired.key,$LAB/pfexpired.chain
$NET.12:25 inet n - n - - smtpd -o smtpd_tls_security_level=none
EOF
  cat > pf/etc/main.cf <<EOF
compatibility_level = 3.6
queue_directory = $LAB/pf/queue
data_directory = $LAB/pf/data
mail_owner = postfix
myhostname = mx.postfix.test
# postfix wants inet_interfaces on a configured interface; the
# listeners above bind their own addresses, so "all" binds nothing else.
inet_interfaces = all
inet_protocols = ipv4
mydestination =
relayhost =
smtpd_tls_security_level = may
smtpd_banner = \$myhostname ESMTP lab
maillog_file = $LAB/pf/maillog
smtpd_relay_restrictions = reject
maillog_file_prefixes = $LAB
alias_maps =
alias_database =
EOF
  chmod 644 pf/etc/*.cf
  chown -R postfix pf/data
  chmod 600 pfvalid.key pfexpired.key
  # postfix reports its fatal errors on stderr only when that is a tty
  # (else to syslog, absent here): see pf/maillog when it will not start.
  postfix -c "$LAB/pf/etc" check >pf/check.log 2>&1
  if postfix -c "$LAB/pf/etc" start >pf/start.log 2>&1; then PF=yes; fi
fi

stop_all() {
  [ "$PF" = yes ] && postfix -c "$LAB/pf/etc" stop >/dev/null 2>&1
  for p in $PIDS; do kill "$p" 2>/dev/null; done
}
trap stop_all EXIT INT TERM
for i in 1 2 3 4 5 6 7 8 9 10; do
  grep -q "peers ready" peer.log 2>/dev/null && break; sleep 0.3
done
sleep 1

# ---- checks -----------------------------------------------------------
# run NAME HOST ADDR [extra args]: output in out/NAME
run() {
  n=$1; h=$2; a=$3; shift 3
  "$Q" --ca-file "$CA" --timeout $TMO --deadline $DEADLINE --interval 0 "$@" "$h" "$a" \
    > out/$n 2> out/$n.err
}
# want NAME KEY VALUE: the first "KEY VALUE" line of out/NAME matches
want() {
  got=$(awk -v k="$2" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }' out/$1)
  case "$got" in
    $3) echo "ok   $1: $2 = $got" ;;
    *) echo "FAIL $1: $2 = '$got', want '$3'"; FAILS=$((FAILS + 1)) ;;
  esac
}
# in_deadline NAME: no probe took longer than the deadline (+ 500 ms slack)
in_deadline() {
  d=$(awk '$1 == "max_duration_ms" { print $2 }' out/$1)
  if [ -n "$d" ] && [ "$d" -le $((DEADLINE + 500)) ]; then
    echo "ok   $1: max duration ${d} ms <= deadline"
  else
    echo "FAIL $1: duration '$d' over the ${DEADLINE} ms deadline"; FAILS=$((FAILS + 1))
  fi
}

run valid mx.valid.test $NET.20
want valid outcome ok; want valid banner_code 220; want valid ehlo_code 250
want valid starttls_offered yes; want valid starttls_code 220; want valid ehlo_tls_code 250
want valid cert.verified yes; want valid cert.errors 0x00; want valid tls_protocol 'TLSv1.[23]'
run wildcard a.wild.test $NET.39
want wildcard outcome ok; want wildcard cert.verified yes
run wildcard2 a.b.wild.test $NET.39
want wildcard2 cert.errors '0x04 name_mismatch'; want wildcard2 cert.verified no
run many mx.many.test $NET.50
want many cert.verified yes; want many cert.errors 0x00
run upper MX.VALID.TEST. $NET.20
want upper cert.verified yes
run expired mx.expired.test $NET.21
want expired outcome ok; want expired cert.errors '0x01 expired'; want expired cert.verified no
run wrong mx.wrong.test $NET.22
want wrong outcome ok; want wrong cert.errors '0x04 name_mismatch'; want wrong cert.verify_code 62
run self mx.self.test $NET.23
want self cert.errors '0x08 untrusted'; want self cert.untrusted self-signed
run unknown mx.unknown.test $NET.33
want unknown cert.errors '0x08 untrusted'; want unknown cert.verified no
run nostarttls mx.no.test $NET.24
want nostarttls outcome no_starttls; want nostarttls starttls_offered no; want nostarttls starttls_code 0
run refuse454 mx.refuse.test $NET.25
want refuse454 outcome starttls_refused; want refuse454 starttls_code 454
run banner554 mx.554.test $NET.34
want banner554 outcome banner_rejected; want banner554 banner_code 554
run helo mx.helo.test $NET.35
want helo outcome no_starttls; want helo ehlo_code 502
run silent mx.silent.test $NET.26
want silent outcome timeout; want silent error 'no greeting within 2 s'; in_deadline silent
run drip mx.drip.test $NET.27
want drip outcome timeout; want drip error 'no greeting within 2 s'; in_deadline drip
run stall mx.stall.test $NET.36
want stall outcome timeout; want stall error 'probe deadline of 6 s exceeded*'; in_deadline stall
run tlsdrip mx.tlsdrip.test $NET.37
want tlsdrip outcome timeout; want tlsdrip error 'TLS handshake not done within 2 s'; in_deadline tlsdrip
run endless mx.endless.test $NET.28
want endless outcome protocol_error; in_deadline endless
run longline mx.long.test $NET.29
want longline outcome protocol_error; want longline error '*2048*'; in_deadline longline
run garbage mx.garbage.test $NET.30
want garbage outcome tls_failed; want garbage error 'TLS: *'; in_deadline garbage
run tls10 mx.tls10.test $NET.31
want tls10 outcome ok; want tls10 tls_protocol TLSv1; want tls10 tls_version 0x0301
run closeearly mx.close.test $NET.38
want closeearly outcome no_banner
run refused mx.refused.test $NET.32
want refused outcome connect_failed; want refused error 'connection refused'
run badehlo mx.valid.test $NET.20 --ehlo 'a b'
grep -q "cannot create the engine" out/badehlo.err && echo "ok   badehlo: EHLO name with a space refused" ||
  { echo "FAIL badehlo: EHLO name with a space accepted"; FAILS=$((FAILS + 1)); }

# Sharing: 100 requests for one (host, address) = exactly one connection.
run share mx.valid.test $NET.20 --repeat 100
want share stats 'requests=100 probes=1 shared=99 ok=1 *'
want share requests_done '100/100 shared=99 mismatched=0 canceled=0'
# Pacing/per-address limit: 20 distinct names on one IP, 2 at a time.
run pace mx.valid.test $NET.20 --repeat 20 --distinct --concurrency 2 --interval 50
want pace stats 'requests=20 probes=20 shared=0 ok=20 *'
w=$(awk '$1 == "wall_ms" { print $2 }' out/pace)
[ -n "$w" ] && [ "$w" -ge 950 ] && echo "ok   pace: 20 connects 50 ms apart took $w ms" ||
  { echo "FAIL pace: 20 connects took '$w' ms (< 19 x 50)"; FAILS=$((FAILS + 1)); }
# Blocked detection: 10 dead addresses x 3 names, one connect at a time.
DEAD=$(for i in 40 41 42 43 44 45 46 47 48 49; do printf '%s.%s,' $NET $i; done)
run blocked mx.dead.test "${DEAD%,}" --repeat 3 --distinct --concurrency 1 --interval 200
want blocked blocked yes
c=$(grep -c "appears to be blocked" out/blocked.err)
[ "$c" = 1 ] && echo "ok   blocked: one stderr line" || { echo "FAIL blocked: $c lines"; FAILS=$((FAILS + 1)); }
grep -q "outcome  *skipped" out/blocked || grep -q "probes=1[0-9] " out/blocked &&
  echo "ok   blocked: later probes skipped ($(awk '$1=="stats"' out/blocked))" ||
  { echo "FAIL blocked: nothing skipped"; FAILS=$((FAILS + 1)); }
# Freeing inside a callback and with probes running.
run freecb mx.valid.test $NET.20 --repeat 10 --distinct --free-in-cb
want freecb requests_done '5/5 *'
run cancel mx.silent.test $NET.26 --repeat 5 --distinct --cancel-after 300
want cancel requests_done '3/3 * canceled=3'

# RSS stays flat: hostile peers, 40 vs 400 probes (distinct names). The
# cache is capped at 20 results here, so what is measured is the probes'
# own memory; each kept result costs 1-10 kB (certificate strings).
for k in 40 400; do
  run rss$k mx.endless.test $NET.28 --repeat $k --distinct --concurrency 40 --interval 0 --cache-max 20
  echo "info rss$k: $(awk '$1=="maxrss_kb"||$1=="stats"||$1=="wall_ms"' out/rss$k | tr '\n' ' ')"
done
r1=$(awk '$1=="maxrss_kb" {print $2}' out/rss40); r2=$(awk '$1=="maxrss_kb" {print $2}' out/rss400)
if grep -q __asan_init "$Q"; then
  echo "info rss: $r1 kB -> $r2 kB (ASan build: quarantine grows, not checked)"
elif [ -n "$r1" ] && [ -n "$r2" ] && [ "$r2" -le $((r1 + 4096)) ]; then
  echo "ok   rss: $r1 kB -> $r2 kB"
else
  echo "FAIL rss: $r1 kB -> $r2 kB"; FAILS=$((FAILS + 1))
fi

if [ "$PF" = yes ]; then
  run pfvalid mx.postfix.test $NET.10
  want pfvalid outcome ok; want pfvalid cert.verified yes; want pfvalid banner 'mx.postfix.test ESMTP lab'
  run pfexpired mx.pfexpired.test $NET.11
  want pfexpired cert.errors '0x01 expired'
  run pfnotls mx.postfix.test $NET.12
  want pfnotls outcome no_starttls
  run pfshare mx.postfix.test $NET.10 --repeat 100
  want pfshare stats 'requests=100 probes=1 shared=99 *'
  sleep 1
  c=$(grep -c ' connect from' pf/maillog 2>/dev/null)
  [ "$c" = 4 ] && echo "ok   postfix log: $c connections for 4 runs (103 requests)" ||
    { echo "FAIL postfix log: $c connections for 4 runs"; FAILS=$((FAILS + 1)); }
else
  echo "info postfix not started (see $LAB/pf/*.log)"
fi
echo "$FAILS failed"
exit $FAILS
