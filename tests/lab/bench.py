#!/usr/bin/env python3
"""Throughput benchmark of the scanner, the reference handshake cost and
the peer (postfix-mta-sts-resolver), on a generated lab of N domains.

    bench.py SCANNER N [N ...]        (scripts/bench.sh wraps it)

For each N it generates the zone bench.test with N domains dNNNNNN.bench.test
in a realistic mix (see kind()): 80 % without MTA-STS on five provider MX
pairs, 15 % with a valid enforce policy whose MX hosts are the two shared
"provider" MX names on the bench postfix, 5 % broken (a 404 policy, an
uncovered MX, a malformed TXT record, a refused policy host, no policy host
at all) and a few slow ones (headers and policy trickled at 100 bytes/s,
about 2.5 s). It starts,
from <rundir>/bench and on the lab's own addresses (so it takes the lab's
lock: a ctest lab run waits for it, and it waits for one):

  127.10.0.2:53       NSD, authoritative for bench.test, no rate limiting
  127.10.1.1:443      nginx, ECDSA P-256 leaves (PER_CERT names each),
                      keepalive off, no session cache or tickets
  127.10.6.11/12:25   postfix, the two shared provider MX hosts
  127.10.5.1:8461     the peer's mta-sts-daemon (own mount namespace whose
                      /etc/resolv.conf names NSD; SSL_CERT_FILE = bench CA)

and scans, with --resolver 127.10.0.2 (the authoritative server itself, no
recursor: that measures the scanner, not unbound), five lists: the whole mix
(SMTP probes on), the no-MTA-STS domains, the policy domains (without and
with SMTP), and the peer's sample (--no-smtp, TXT + policy like the peer).
Wall time, CPU (user+sys) and peak RSS come from the OS (/usr/bin/time, i.e.
the scanner's own rusage). The reference: `openssl s_time -new` full handshakes against the
same nginx for TIME seconds, CPU per handshake from its rusage. Every record's
status is checked against its kind; every peer answer against the expected
policy presence. Environment: MS_BENCH_J (scanner -j; default: its own),
MS_BENCH_PEER_MAX (peer sample size, default 20000), MS_BENCH_PEER_J (the
peer's client loads, connections, default "64,1000"), MS_BENCH_STIME
(seconds, default 10), MS_BENCH_NO_PEER=1 (skip the peer), MS_BENCH_PERF=1
(profile the policy domains with perf and print where the CPU goes). Stops everything it started at the end.
"""

import asyncio
import datetime
import fcntl
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402  (run dir, lock, pid helpers, DNS probe)

NSD = "127.10.0.2"
WEB = "127.10.1.1"
DEAD = "127.10.1.3"          # nothing listens: a refused policy host
MX_ADDRS = ("127.10.6.11", "127.10.6.12")
PEER = "127.10.5.1"
PEER_PORT = 8461
ZONE = "bench.test"
PER_CERT = 20                # names per nginx leaf
MAIL = "mail.%s" % ZONE       # the shared provider of the policy domains
PROVIDERS = 5                # MX providers of the domains without MTA-STS
SLOW_RATE = 100              # bytes/s of a slow policy body
TIMEOUT = 5                  # scanner --timeout and the peer's timeout
POLICY = ("version: STSv1\nmode: enforce\nmx: mx1.%s\nmx: mx2.%s\n"
          "max_age: 604800\n" % (MAIL, MAIL))

# Scanner status expected for each kind, and whether the peer must answer
# with a policy (OK) or not (NOTFOUND); None: not compared (the two tools
# legitimately differ, e.g. the peer does not check MX coverage).
EXPECT = {
    "none": ("none", False), "nomx": ("none", False),
    "nxdomain": ("error", False),
    "valid": ("valid", True), "slow": ("valid", None),
    "http404": ("invalid", False), "uncovered": ("invalid", None),
    "badtxt": ("invalid", None), "refused": ("invalid", False),
    "nohost": ("invalid", False),
}
POLICY_KINDS = ("valid", "slow", "http404", "uncovered", "badtxt", "refused",
                "nohost")


def kind(i):
    """The mix, by i (spread with a multiplier so the lists interleave)."""
    r = (i * 37) % 100
    if r < 80:
        return "nomx" if r < 3 else "nxdomain" if r < 4 else "none"
    if r < 95:
        return "valid"
    broken = ("http404", "uncovered", "badtxt", "refused", "nohost")
    k = broken[r - 95]
    if k == "nohost" and (i // 100) % 2 == 0:
        return "slow"
    return k


# ------------------------------------------------------------- generation

def certs(bd, web, tls_host_chunks):
    """Root + one leaf key; a leaf per PER_CERT policy hosts and one for
    the postfix MX pair (python cryptography: hundreds of leaves in a
    second, where the openssl CLI would take minutes)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    c = os.path.join(bd, "certs")
    os.makedirs(c, exist_ok=True)
    now = datetime.datetime.utcnow() - datetime.timedelta(hours=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    rname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                          "mtasts-scan bench root")])
    root = (x509.CertificateBuilder().subject_name(rname).issuer_name(rname)
            .public_key(root_key.public_key()).serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(c, "ca.pem"), "wb") as f:
        f.write(root.public_bytes(pem))
    with open(os.path.join(c, "leaf.key"), "wb") as f:
        f.write(leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))

    def leaf(path, names, serial):
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(
                    NameOID.COMMON_NAME, names[0])]))
                .issuer_name(rname).public_key(leaf_key.public_key())
                .serial_number(serial).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=False,
                                                     path_length=None),
                               critical=True)
                .add_extension(x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName(n) for n in names]), critical=False)
                .sign(root_key, hashes.SHA256()))
        with open(path, "wb") as f:
            f.write(cert.public_bytes(pem))

    for n, chunk in enumerate(tls_host_chunks):
        leaf(os.path.join(c, "c%d.pem" % n), chunk, 100 + n)
    leaf(os.path.join(c, "mx.pem"), ["mx1." + MAIL, "mx2." + MAIL], 2)


def generate(bd, n):
    """Writes the zone, NSD, nginx and postfix configs and the lists;
    returns {domain: kind} in list order."""
    os.makedirs(os.path.join(bd, "tmp"), exist_ok=True)
    zone = ["$ORIGIN %s." % ZONE, "$TTL 3600",
            "@ IN SOA ns hostmaster %d 3600 600 86400 300" % int(time.time()),
            "@ IN NS ns", "ns IN A " + NSD,
            "mx1.mail IN A " + MX_ADDRS[0], "mx2.mail IN A " + MX_ADDRS[1],
            "other-mx IN A " + MX_ADDRS[0]]
    for p in range(PROVIDERS):
        zone.append("mx1.prov%d IN A %s" % (p, MX_ADDRS[0]))
        zone.append("mx2.prov%d IN A %s" % (p, MX_ADDRS[1]))
    kinds = {}
    web = {}  # policy host -> kind served
    for i in range(n):
        d = "d%06d" % i
        fq = "%s.%s" % (d, ZONE)
        k = kind(i)
        kinds[fq] = k
        if k == "nxdomain":
            continue
        if k in ("none", "nomx"):
            if k == "none":
                p = i % PROVIDERS
                zone.append("%s IN MX 10 mx1.prov%d" % (d, p))
                zone.append("%s IN MX 20 mx2.prov%d" % (d, p))
            else:
                zone.append("%s IN A %s" % (d, MX_ADDRS[0]))
            if i % 4 == 0:
                zone.append('_smtp._tls.%s IN TXT "v=TLSRPTv1; '
                            'rua=mailto:tlsrpt@%s"' % (d, fq))
            continue
        zone.append("%s IN MX 10 mx1.mail" % d)
        zone.append("%s IN MX 20 mx2.mail" % d)
        if k == "uncovered":
            zone.append("%s IN MX 30 other-mx" % d)
        zone.append('_smtp._tls.%s IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"'
                    % (d, fq))
        txt = "v=STSv1 id=1" if k == "badtxt" else "v=STSv1; id=20240101"
        zone.append('_mta-sts.%s IN TXT "%s"' % (d, txt))
        if k == "nohost":
            continue
        zone.append("mta-sts.%s IN A %s" % (d, DEAD if k == "refused" else WEB))
        if k != "refused":
            web["mta-sts." + fq] = k
    with open(os.path.join(bd, "bench.zone"), "w") as f:
        f.write("\n".join(zone) + "\n")
    with open(os.path.join(bd, "policy.txt"), "w") as f:
        f.write(POLICY)
    with open(os.path.join(bd, "resolv.conf"), "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:2\n" % NSD)
    write_nsd(bd)
    hosts = sorted(web)
    chunks = [hosts[c:c + PER_CERT] for c in range(0, len(hosts), PER_CERT)]
    certs(bd, web, chunks)
    write_nginx(bd, web, chunks)
    write_postfix(bd)
    return kinds


def write_nsd(bd):
    with open(os.path.join(bd, "nsd.conf"), "w") as f:
        f.write("""server:
  ip-address: %(nsd)s
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "%(bd)s"
  database: ""
  zonelistfile: "%(bd)s/nsd-zone.list"
  xfrdfile: "%(bd)s/nsd-xfrd.state"
  xfrdir: "%(bd)s"
  pidfile: "%(bd)s/nsd.pid"
  logfile: "%(bd)s/nsd.log"
  server-count: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: "%(zone)s"
  zonefile: "%(bd)s/bench.zone"
""" % {"nsd": NSD, "bd": bd, "zone": ZONE})


def write_nginx(bd, web, chunks):
    conf = ["user root;", "worker_processes 2;", "daemon on;",
            "pid %s/nginx.pid;" % bd, "error_log %s/nginx-error.log crit;" % bd,
            "worker_rlimit_nofile 65536;",
            "events { worker_connections 8192; multi_accept on; }", "http {",
            "  access_log off;", "  server_tokens off;",
            "  keepalive_timeout 0;",
            "  ssl_session_cache off;", "  ssl_session_tickets off;",
            "  ssl_protocols TLSv1.2 TLSv1.3;",
            "  ssl_ecdh_curve X25519:prime256v1;",
            "  client_body_temp_path %s/tmp/body;" % bd,
            "  proxy_temp_path %s/tmp/proxy;" % bd,
            "  fastcgi_temp_path %s/tmp/fastcgi;" % bd,
            "  uwsgi_temp_path %s/tmp/uwsgi;" % bd,
            "  scgi_temp_path %s/tmp/scgi;" % bd,
            "  server_names_hash_bucket_size 128;",
            "  server_names_hash_max_size 262144;",
            "  types { } default_type text/plain;"]
    body = {"valid": "alias %s/policy.txt;" % bd,
            "uncovered": "alias %s/policy.txt;" % bd,
            "badtxt": "alias %s/policy.txt;" % bd,
            "slow": "limit_rate %d; alias %s/policy.txt;" % (SLOW_RATE, bd),
            "http404": "return 404;"}
    for n, chunk in enumerate(chunks):
        by = {}
        for h in chunk:
            by.setdefault(web[h], []).append(h)
        for k, names in sorted(by.items()):
            conf.append("  server { listen %s:443 ssl; server_name %s;%s"
                        " ssl_certificate %s/certs/c%d.pem;"
                        " ssl_certificate_key %s/certs/leaf.key;"
                        " location = /.well-known/mta-sts.txt { %s } }" %
                        (WEB, " ".join(names),
                         " ssl_buffer_size 16; sendfile off;"
                         if k == "slow" else "", bd, n, bd, body[k]))
    if not chunks:
        conf.append("  server { listen %s:443; return 404; }" % WEB)
    conf.append("}")
    with open(os.path.join(bd, "nginx.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")


def write_postfix(bd):
    """The two shared provider MX hosts: one smtpd service per address
    (the lab's shared-a/shared-b addresses), never relaying."""
    pd = os.path.join(bd, "postfix")
    c = os.path.join(bd, "certs")
    os.makedirs(os.path.join(pd, "queue"), exist_ok=True)
    with open(os.path.join(pd, "main.cf"), "w") as f:
        f.write("""# generated by tests/lab/bench.py
compatibility_level = 3.6
queue_directory = %(pd)s/queue
data_directory = %(pd)s/data
maillog_file = %(pd)s/maillog
maillog_file_prefixes = %(pd)s
myhostname = mx1.%(mail)s
mydestination =
relay_domains =
mynetworks = 127.10.255.255/32
local_recipient_maps =
local_transport = error:no local delivery
default_transport = error:no relaying
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_peername_lookup = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = %(c)s/mx.pem
smtpd_tls_key_file = %(c)s/leaf.key
smtpd_tls_session_cache_database =
alias_maps =
alias_database =
biff = no
""" % {"pd": pd, "mail": MAIL, "c": c})
    master = ["# generated by tests/lab/bench.py"]
    for k, a in enumerate(MX_ADDRS):
        master.append("%s:25 inet n - n - 20 smtpd\n  -o syslog_name="
                      "postfix/bench-mx%d" % (a, k + 1))
    master += ["cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
               "tlsmgr unix - - n 1000? 1 tlsmgr",
               "rewrite unix - - n - - trivial-rewrite",
               "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce",
               "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
               "proxymap unix - - n - - proxymap",
               "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache",
               "error unix - - n - - error", "retry unix - - n - - error",
               "discard unix - - n - - discard",
               "postlog unix-dgram n - n - 1 postlogd"]
    with open(os.path.join(pd, "master.cf"), "w") as f:
        f.write("\n".join(master) + "\n")


# ---------------------------------------------------------------- servers

def busy(addr, port, udp=False):
    """True when something answers on addr:port (another lab, a test)."""
    if udp:
        return lab.dns_query(addr, "bench-probe.invalid", 1, 0.3) is not None
    return lab.tcp_ok(addr, port)


def wait_free(wait):
    """Waits until no other lab holds the bench's addresses."""
    t0 = time.time()
    said = False
    while True:
        taken = [a for a, p, u in ((NSD, 53, True), (WEB, 443, False),
                                   (MX_ADDRS[0], 25, False),
                                   (PEER, PEER_PORT, False)) if busy(a, p, u)]
        if not taken:
            return
        if time.time() - t0 > wait:
            raise SystemExit("bench: addresses still in use after %d s: %s" %
                             (wait, ", ".join(taken)))
        if not said:
            print("bench: waiting for %s (another lab runs)" % ", ".join(taken),
                  flush=True)
            said = True
        time.sleep(1)


def postfix_env(bd):
    return dict(os.environ, MAIL_CONFIG=os.path.join(bd, "postfix"))


def stop(bd):
    pids = {n: lab.read_pid(os.path.join(bd, n + ".pid"))
            for n in ("nsd", "nginx")}
    pids["postfix"] = lab.read_pid(os.path.join(bd, "postfix", "queue", "pid",
                                                "master.pid"))
    lab.kill_wait(pids, True)
    for n in ("nsd.pid", "nginx.pid", "postfix/queue/pid/master.pid"):
        try:
            os.unlink(os.path.join(bd, n))
        except OSError:
            pass


def start(bd, kinds):
    lab.sh(["nsd-checkzone", ZONE, os.path.join(bd, "bench.zone")])
    lab.sh(["nsd", "-c", os.path.join(bd, "nsd.conf")])
    lab.sh(["nginx", "-p", bd, "-e", os.path.join(bd, "nginx-error.log"),
            "-c", os.path.join(bd, "nginx.conf")])
    pd = os.path.join(bd, "postfix")
    os.chmod(os.path.join(pd, "queue"), 0o755)
    os.makedirs(os.path.join(pd, "data"), exist_ok=True)
    shutil.chown(os.path.join(pd, "data"), "postfix", "postfix")
    lab.sh(["postfix", "-c", pd, "start"], env=postfix_env(bd))
    probe = next(iter(kinds))
    for _ in range(200):
        if (lab.dns_query(NSD, probe, 15) is not None and lab.tcp_ok(WEB, 443)
                and all(lab.smtp_greets(a) for a in MX_ADDRS)):
            return
        time.sleep(0.1)
    raise SystemExit("bench: servers not ready (logs in %s)" % bd)


# ------------------------------------------------------------------ runs

def run_child(args, env=None):
    """Runs args under /usr/bin/time; returns (exit status, wall s, cpu s,
    peak RSS KiB, stderr). Not wait4's rusage of our own child: a forked
    python counts its own pages into ru_maxrss before the exec."""
    tf = "/tmp/ms-bench-time.%d" % os.getpid()
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-o", tf, "-f", "%U %S %M"] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env)
    err = p.stderr.read()
    p.wait()
    wall = time.monotonic() - t0
    with open(tf) as f:
        last = f.read().strip().splitlines()[-1].split()
    os.unlink(tf)
    return (p.returncode, wall, float(last[0]) + float(last[1]),
            int(last[2]), err.decode(errors="replace"))


def scan(scanner, bd, name, domains, kinds, extra):
    lst = os.path.join(bd, "list-%s.txt" % name)
    with open(lst, "w") as f:
        f.write("\n".join(domains) + "\n")
    out = os.path.join(bd, "out-%s.jsonl" % name)
    args = [scanner, "-f", lst, "-o", out, "--resolver", NSD,
            "--ca-file", os.path.join(bd, "certs", "ca.pem"),
            "--allow-private", "--timeout", str(TIMEOUT), "--no-progress",
            "--ehlo-name", "probe.bench.test",
            "--summary", os.path.join(bd, "summary-%s.json" % name)] + extra
    if os.environ.get("MS_BENCH_J"):
        args += ["-j", os.environ["MS_BENCH_J"]]
    rc, wall, cpu, rss, err = run_child(args)
    statuses, wrong, nrec = {}, {}, 0
    with open(out) as f:
        for line in f:
            nrec += 1
            d = re.search(r'"domain":"([^"]+)"', line).group(1)
            st = re.search(r'"status":"(\w+)"', line).group(1)
            statuses[st] = statuses.get(st, 0) + 1
            want = EXPECT[kinds[d]][0]
            if st != want:
                key = "%s:%s" % (kinds[d], st)
                wrong[key] = wrong.get(key, 0) + 1
    n = len(domains)
    if nrec != n or rc not in (0, 1):
        wrong["missing-records"] = n - nrec
        print("  %s: exit %d, %d of %d records\n%s" % (name, rc, nrec, n,
                                                       err[-1500:]))
    return {"name": name, "n": n, "wall": wall, "cpu": cpu, "rss": rss,
            "rate": n / wall if wall else 0, "cpu_per": cpu / n if n else 0,
            "statuses": statuses, "wrong": wrong}


def s_time(bd, secs):
    """Full handshakes (-new) against the bench nginx: client CPU each.
    OpenSSL 3.0's s_time has no -servername: nginx answers with its default
    server block, whose leaf is like every other (ECDSA, PER_CERT names),
    and the client still verifies the chain against -CAfile."""
    args = ["openssl", "s_time", "-connect", "%s:443" % WEB, "-new",
            "-time", str(secs), "-CAfile", os.path.join(bd, "certs", "ca.pem")]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = p.stdout.read().decode(errors="replace")
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    m = re.search(r"(\d+) connections in ([\d.]+)s", out)
    conns = int(m.group(1)) if m else 0
    cpu = ru.ru_utime + ru.ru_stime
    return {"conns": conns, "wall": wall, "cpu": cpu,
            "cpu_per": cpu / conns if conns else float("nan"),
            "rate": conns / wall if wall else 0}


# ------------------------------------------------------------------ peer

def proc_cpu(pid):
    """utime + stime of a process (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def netstring(b):
    return b"%d:%s," % (len(b), b)


async def peer_query(domains, conc):
    """Socketmap queries over conc connections; {domain: answer}."""
    answers = {}
    it = iter(domains)

    async def worker():
        r, w = await asyncio.open_connection(PEER, PEER_PORT)
        buf = b""
        for d in it:
            w.write(netstring(b"postfix-mta-sts-resolver " + d.encode()))
            await w.drain()
            while True:
                m = re.match(rb"(\d+):", buf)
                if m and len(buf) >= m.end() + int(m.group(1)) + 1:
                    ln = int(m.group(1))
                    answers[d] = buf[m.end():m.end() + ln].decode()
                    buf = buf[m.end() + ln + 1:]
                    break
                chunk = await r.read(65536)
                if not chunk:
                    answers[d] = "(closed)"
                    return
                buf += chunk
        w.close()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return answers


def peer_run(bd, domains, kinds, conc):
    conf = os.path.join(bd, "peer.yml")
    with open(conf, "w") as f:
        f.write("host: %s\nport: %d\nreuse_port: true\nshutdown_timeout: 2\n"
                "cache:\n  type: internal\n  options:\n    cache_size: %d\n"
                "default_zone:\n  strict_testing: false\n  timeout: %d\n" %
                (PEER, PEER_PORT, len(domains) + 10, TIMEOUT))
    # A private mount namespace: /etc/resolv.conf names NSD for the daemon
    # only; unshare and sh exec, so the pid is the daemon's.
    env = dict(os.environ,
               SSL_CERT_FILE=os.path.join(bd, "certs", "ca.pem"))
    env.pop("SSL_CERT_DIR", None)
    log = open(os.path.join(bd, "peer.log"), "wb")
    p = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mount --bind \"$0\" /etc/resolv.conf && exec mta-sts-daemon "
         "-v error -c \"$1\"", os.path.join(bd, "resolv.conf"), conf],
        stdout=log, stderr=log, env=env, start_new_session=True)
    try:
        for _ in range(100):
            if lab.tcp_ok(PEER, PEER_PORT):
                break
            if p.poll() is not None:
                raise SystemExit("bench: the peer did not start (%s)" %
                                 os.path.join(bd, "peer.log"))
            time.sleep(0.1)
        c0 = proc_cpu(p.pid)
        t0 = time.monotonic()
        answers = asyncio.run(peer_query(domains, conc))
        wall = time.monotonic() - t0
        cpu = proc_cpu(p.pid) - c0
        rss = proc_rss(p.pid)
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.close()
    wrong = {}
    for d in domains:
        want = EXPECT[kinds[d]][1]
        got = answers.get(d, "(none)")
        if want is None:
            continue
        if got.startswith("OK") != want:
            key = "%s:%s" % (kinds[d], got.split(" ")[0])
            wrong[key] = wrong.get(key, 0) + 1
    n = len(domains)
    return {"n": n, "wall": wall, "cpu": cpu, "rate": n / wall,
            "cpu_per": cpu / n, "rss": rss, "conc": conc, "wrong": wrong}


def peer_compare(scanner, bd, names, kinds):
    """The scanner (--no-smtp) and the peer on the same domains: a sample
    of the mix and the valid-policy domains in it, the peer at each client
    load of MS_BENCH_PEER_J (a fresh daemon each time: its cache empty).
    The ratio is taken against the peer's best load; wrong answers are
    counted at every load."""
    peer_max = int(os.environ.get("MS_BENCH_PEER_MAX", "20000"))
    loads = [int(x) for x in
             os.environ.get("MS_BENCH_PEER_J", "64,1000").split(",") if x]
    sample = names[:peer_max]
    valid = [d for d in sample if kinds[d] == "valid"][:3000]
    out = {}
    for label, doms in (("mix", sample), ("policy", valid)):
        sr = scan(scanner, bd, "scanner-%s-sample" % label, doms, kinds,
                  ["--no-smtp"])
        out["sample-" + label] = sr
        print(row(sr), flush=True)
        peers = []
        for conc in loads:
            pr = peer_run(bd, doms, kinds, conc)
            peers.append(pr)
            pw = sum(pr["wrong"].values())
            print("  %-18s %7d %8.2f %9.0f %10.3f %8.1f   wrong %d%s  "
                  "(%d client connections)" %
                  ("peer (%s)" % label, pr["n"], pr["wall"], pr["rate"],
                   1000 * pr["cpu_per"], pr["rss"] / 1024, pw,
                   "  (" + wrong_text(pr["wrong"]) + ")" if pw else "", conc),
                  flush=True)
        best = max(peers, key=lambda r: r["rate"])
        out["peer-" + label] = best
        r = sr["rate"] / best["rate"]
        print("  scanner/peer (%s): %.1fx domains/s against the peer's best "
              "load (%d connections) (target >= 4: %s); CPU per domain: "
              "peer %.1fx the scanner's; answers wrong: peer %s, scanner %d"
              % (label, r, best["conc"], verdict(r >= 4),
                 best["cpu_per"] / sr["cpu_per"] if sr["cpu_per"] else 0,
                 "/".join("%d at %d" % (sum(p["wrong"].values()), p["conc"])
                          for p in peers), sum(sr["wrong"].values())),
              flush=True)
    return out


PERF_FUNCS = (
    ("SSL_CTX_new_ex", "SSL_CTX_new (libcurl 7.88: one per connection)"),
    ("X509_verify_cert", "chain verification"),
    ("OSSL_DECODER_CTX_new_for_pkey", "public key decoding (OpenSSL 3.0 decoders)"),
    ("EVP_PKEY_generate", "key share generation"),
    ("EVP_DigestVerifyFinal", "ECDSA verifications"),
    ("ms_tls_cert_info_export", "certificate details for the record"),
    ("on_report", "verdict + JSON record + write"),
    ("json_dump_callback", "  of which JSON serialisation"),
    ("ares_send", "c-ares queries"),
    ("entry_SYSCALL_64_after_hwframe", "kernel (syscalls, loopback TCP/UDP)"),
)


def profile(scanner, bd, pol, kinds):
    """perf (DWARF call graphs) over the policy domains, --no-smtp, -j 50:
    CPU by library and the inclusive share of the main costs."""
    if not shutil.which("perf"):
        print("  profile: perf missing (linux-perf)")
        return
    lst = os.path.join(bd, "list-profile.txt")
    doms = pol[:2000]
    with open(lst, "w") as f:
        f.write("\n".join(doms) + "\n")
    data = os.path.join(bd, "perf.data")
    args = ["perf", "record", "-q", "--call-graph", "dwarf,16384", "-F",
            "2000", "-o", data, scanner, "-f", lst, "-o", os.devnull,
            "--resolver", NSD, "--ca-file",
            os.path.join(bd, "certs", "ca.pem"), "--allow-private",
            "--timeout", str(TIMEOUT), "--no-progress", "--no-smtp",
            "-j", "50"]
    if subprocess.run(args, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        print("  profile: perf record failed")
        return
    p = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stacks, cur = [], []
    for line in p.stdout.decode(errors="replace").splitlines():
        line = line.strip()
        if not line:
            if cur:
                stacks.append(cur)
            cur = []
            continue
        rest = line.split(None, 1)[1] if " " in line else ""
        m = re.match(r"(.*) \((.*)\)$", rest)
        sym, dso = (m.group(1), os.path.basename(m.group(2))) if m else \
            (rest, "")
        cur.append((sym, dso))
    if cur:
        stacks.append(cur)
    n = len(stacks)
    if not n:
        print("  profile: no samples")
        return
    by_dso = {}
    for st in stacks:
        d = next((dso for _, dso in st if dso and dso != "inlined"), "?")
        by_dso[d] = by_dso.get(d, 0) + 1
    print("  profile (perf, %d samples, %d policy domains, --no-smtp): "
          "self time by library: %s" %
          (n, len(doms), ", ".join(
              "%s %.0f %%" % ("kernel" if d.startswith("[kernel") else
                              d.replace(".so", "").split(".")[0],
                              100.0 * c / n)
              for d, c in sorted(by_dso.items(), key=lambda kv: -kv[1])[:8])))
    for fn, what in PERF_FUNCS:
        c = sum(1 for st in stacks if any(f == fn for f, _ in st))
        print("    %5.1f %%  %s (%s)" % (100.0 * c / n, what, fn))
    os.unlink(data)


# ---------------------------------------------------------------- report

def wrong_text(wrong):
    """{"valid:NOTFOUND": 16} -> "16 valid answered NOTFOUND"."""
    return ", ".join("%d %s answered %s" % (v, k.split(":", 1)[0],
                                             k.split(":", 1)[1])
                     if ":" in k else "%d %s" % (v, k)
                     for k, v in sorted(wrong.items()))


def row(r):
    st = " ".join("%s %d" % kv for kv in sorted(r["statuses"].items()))
    wrong = sum(r["wrong"].values())
    return ("  %-18s %7d %8.2f %9.0f %10.3f %8.1f   wrong %d  (%s)%s" %
            (r["name"], r["n"], r["wall"], r["rate"], 1000 * r["cpu_per"],
             r["rss"] / 1024, wrong, st,
             "  " + wrong_text(r["wrong"]) if wrong else ""))


def verdict(ok):
    return "met" if ok else "NOT MET"


def bench(scanner, bd, n, stime_secs):
    stop(bd)
    t0 = time.time()
    kinds = generate(bd, n)
    try:
        start(bd, kinds)
    except BaseException:
        stop(bd)
        raise
    setup = time.time() - t0
    names = list(kinds)
    none = [d for d in names if kinds[d] in ("none", "nomx", "nxdomain")]
    pol = [d for d in names if kinds[d] in POLICY_KINDS]
    valid = [d for d in names if kinds[d] == "valid"]
    counts = {}
    for k in kinds.values():
        counts[k] = counts.get(k, 0) + 1
    print("\n== N=%d  (%s; lab setup %.1f s)" %
          (n, " ".join("%s %d" % kv for kv in sorted(counts.items())), setup))
    print("  %-18s %7s %8s %9s %10s %8s" %
          ("run", "domains", "wall s", "domains/s", "CPU ms/dom",
           "RSS MiB"))
    res = {}
    try:
        res["mix"] = scan(scanner, bd, "mix", names, kinds, [])
        print(row(res["mix"]), flush=True)
        res["none"] = scan(scanner, bd, "no-mta-sts", none, kinds, [])
        print(row(res["none"]), flush=True)
        res["pol"] = scan(scanner, bd, "policy-nosmtp", pol, kinds,
                          ["--no-smtp"])
        print(row(res["pol"]), flush=True)
        res["pols"] = scan(scanner, bd, "policy-smtp", pol, kinds, [])
        print(row(res["pols"]), flush=True)
        st = s_time(bd, stime_secs)
        print("  openssl s_time -new: %d full handshakes in %.1f s (%.0f/s), "
              "client CPU %.3f ms/handshake (user+sys)" %
              (st["conns"], st["wall"], st["rate"], 1000 * st["cpu_per"]))
        ratio = res["pol"]["cpu_per"] / st["cpu_per"]
        print("  ratio scanner CPU per policy domain (--no-smtp) / s_time CPU "
              "per handshake: %.2f (target <= 1.5: %s); with SMTP: %.2f" %
              (ratio, verdict(ratio <= 1.5),
               res["pols"]["cpu_per"] / st["cpu_per"]))
        print("  no-MTA-STS domains: %.0f/s (target >= 5000: %s)" %
              (res["none"]["rate"], verdict(res["none"]["rate"] >= 5000)))
        if os.environ.get("MS_BENCH_PERF") == "1":
            profile(scanner, bd, pol, kinds)
        if os.environ.get("MS_BENCH_NO_PEER") != "1":
            res.update(peer_compare(scanner, bd, names, kinds))
    finally:
        stop(bd)
    return res


def main(argv):
    if len(argv) < 3:
        print("usage: bench.py SCANNER N [N ...]", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench: run as root (servers on ports 53, 443, 25)",
              file=sys.stderr)
        return 2
    scanner = os.path.abspath(argv[1])
    rd = lab.run_dir()
    bd = os.path.join(rd, "bench")
    os.makedirs(bd, exist_ok=True)
    # The lab's addresses: wait for (and then hold) the lab's lock, stop a
    # lab someone started by hand from this run dir, wait for other labs.
    lockfd = lab.lock(rd, float(os.environ.get("MS_LAB_WAIT", "900")))
    if any(lab.alive(lab.read_pid(lab.pid_file(rd, s))) for s in lab.SERVERS):
        print("bench: stopping the lab of %s (same addresses)" % rd)
        lab.stop(rd, quiet=True)
    stop(bd)  # a bench lab left running (e.g. by a killed run) first
    wait_free(float(os.environ.get("MS_BENCH_WAIT", "600")))
    fuzz = subprocess.run(["pgrep", "-f", "fuzz_"], stdout=subprocess.PIPE)
    nfuzz = len(fuzz.stdout.split())
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1:] * 2)
    print("bench: scanner %s; --resolver %s is NSD itself (authoritative, no "
          "recursor); nginx %s:443; postfix %s; peer %s:%d; %d CPUs; "
          "fuzzers running: %d; run dir %s" %
          (scanner, NSD, WEB, "+".join(MX_ADDRS), PEER, PEER_PORT,
           os.cpu_count(), nfuzz, bd))
    stime_secs = int(os.environ.get("MS_BENCH_STIME", "10"))
    results = {}
    try:
        for n in argv[2:]:
            results[int(n)] = bench(scanner, bd, int(n), stime_secs)
    finally:
        os.close(lockfd)
    if 10000 in results and 100000 in results:
        a = results[10000]["mix"]["rss"]
        b = results[100000]["mix"]["rss"]
        print("\npeak RSS (mix): %.1f MiB at 10,000, %.1f MiB at 100,000: "
              "%+.1f %% (targets < 64 MiB: %s, within 10 %%: %s)" %
              (a / 1024, b / 1024, 100.0 * (b - a) / a, verdict(b < 65536),
               verdict(abs(b - a) <= 0.1 * a)))
    bad = any(sum(r["wrong"].values()) for res in results.values()
              for k, r in res.items() if k != "peer")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
