#!/usr/bin/env python3
"""Throughput benchmark of the scanner against a generated lab of N domains.

    bench.py SCANNER N [N ...]

For each N: generates the zone bench.test with N domains dNNNNN.bench.test
(75 % without MTA-STS, 20 % with a valid enforce policy on shared MX hosts,
5 % broken: a 404 policy, an uncovered MX or a malformed TXT record), starts
a separate NSD (127.10.4.2) and nginx (127.10.4.1:443, ECDSA P-256 leaves,
100 names per certificate) from <rundir>/bench, and runs the scanner under
/usr/bin/time -v with --resolver 127.10.4.2, i.e. straight at the
authoritative server (a recursor in between caps the rate, see
../shared/notes/pitfalls.md), --no-smtp and --allow-private. Prints
domains/s, CPU seconds per domain (user+sys) and peak RSS. Stops its servers
at the end.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402

NSD = "127.10.4.2"
WEB = "127.10.4.1"
MX = "127.10.4.10"
ZONE = "bench.test"
PER_CERT = 100
POLICY = "version: STSv1\nmode: enforce\nmx: *.shared.%s\nmax_age: 604800\n" % ZONE


def kind(i):
    """75 % none, 20 % valid, 5 % broken (three kinds)."""
    r = i % 20
    if r < 15:
        return "none"
    if r < 19:
        return "valid"
    return ("http404", "uncovered", "badtxt")[(i // 20) % 3]


def generate(bd, n):
    os.makedirs(os.path.join(bd, "certs"), exist_ok=True)
    os.makedirs(os.path.join(bd, "tmp"), exist_ok=True)
    zone = ["$ORIGIN %s." % ZONE, "$TTL 300",
            "@ IN SOA ns hostmaster %d 3600 600 86400 300" % int(time.time()),
            "@ IN NS ns", "ns IN A " + NSD]
    for k in range(4):
        zone.append("mx%d.shared IN A %s" % (k, MX))
    zone.append("other-mx IN A " + MX)
    web = {}
    names = []
    for i in range(n):
        d = "d%06d" % i
        names.append("%s.%s" % (d, ZONE))
        k = kind(i)
        zone.append("%s IN MX 10 mx%d.shared.%s." % (d, i % 4, ZONE))
        zone.append("_smtp._tls.%s IN TXT \"v=TLSRPTv1; rua=mailto:r@%s.%s\"" %
                    (d, d, ZONE))
        if k == "none":
            continue
        if k == "uncovered":
            zone.append("%s IN MX 20 other-mx.%s." % (d, ZONE))
        txt = "v=STSv1 id=1" if k == "badtxt" else "v=STSv1; id=20240101"
        zone.append("_mta-sts.%s IN TXT \"%s\"" % (d, txt))
        zone.append("mta-sts.%s IN A %s" % (d, WEB))
        web["mta-sts.%s.%s" % (d, ZONE)] = k
    with open(os.path.join(bd, "bench.zone"), "w") as f:
        f.write("\n".join(zone) + "\n")
    with open(os.path.join(bd, "policy.txt"), "w") as f:
        f.write(POLICY)
    with open(os.path.join(bd, "domains.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
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
remote-control:
  control-enable: no
zone:
  name: "%(zone)s"
  zonefile: "%(bd)s/bench.zone"
""" % {"nsd": NSD, "bd": bd, "zone": ZONE})
    certs(bd, sorted(web))
    conf = ["user root;", "worker_processes 2;", "daemon on;",
            "pid %s/nginx.pid;" % bd, "error_log %s/nginx-error.log warn;" % bd,
            "worker_rlimit_nofile 65536;",
            "events { worker_connections 8192; }", "http {",
            "  access_log off;", "  server_tokens off;",
            "  client_body_temp_path %s/tmp/body;" % bd,
            "  proxy_temp_path %s/tmp/proxy;" % bd,
            "  fastcgi_temp_path %s/tmp/fastcgi;" % bd,
            "  uwsgi_temp_path %s/tmp/uwsgi;" % bd,
            "  scgi_temp_path %s/tmp/scgi;" % bd,
            "  server_names_hash_bucket_size 128;",
            "  server_names_hash_max_size 65536;",
            "  ssl_protocols TLSv1.2 TLSv1.3;"]
    hosts = sorted(web)
    for c in range(0, len(hosts), PER_CERT):
        chunk = hosts[c:c + PER_CERT]
        ok = [h for h in chunk if web[h] != "http404"]
        bad = [h for h in chunk if web[h] == "http404"]
        pem = "%s/certs/c%d.pem" % (bd, c // PER_CERT)
        for names_, body in ((ok, "alias %s/policy.txt;" % bd),
                             (bad, "return 404;")):
            if names_:
                conf.append("  server { listen %s:443 ssl; server_name %s;"
                            " ssl_certificate %s; ssl_certificate_key"
                            " %s/certs/leaf.key; location = "
                            "/.well-known/mta-sts.txt { types { } default_type"
                            " text/plain; %s } }" %
                            (WEB, " ".join(names_), pem, bd, body))
    if not hosts:
        conf.append("  server { listen %s:443; return 404; }" % WEB)
    conf.append("}")
    with open(os.path.join(bd, "nginx.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    return names


def certs(bd, hosts):
    """One root, one leaf key, a leaf per PER_CERT hosts."""
    c = os.path.join(bd, "certs")
    sh = lab.sh
    for k in ("root.key", "leaf.key"):
        sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", os.path.join(c, k)])
    sh(["openssl", "req", "-x509", "-new", "-key", os.path.join(c, "root.key"),
        "-subj", "/CN=mtasts-scan bench root", "-days", "30", "-addext",
        "basicConstraints=critical,CA:true", "-out", os.path.join(c, "ca.pem")])
    for i in range(0, len(hosts), PER_CERT):
        chunk = hosts[i:i + PER_CERT]
        n = i // PER_CERT
        ext = os.path.join(c, "c%d.ext" % n)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:false\nextendedKeyUsage=serverAuth\n"
                    "subjectAltName=%s\n" % ",".join("DNS:" + h for h in chunk))
        csr = os.path.join(c, "c%d.csr" % n)
        sh(["openssl", "req", "-new", "-key", os.path.join(c, "leaf.key"),
            "-subj", "/CN=" + chunk[0], "-out", csr])
        sh(["openssl", "x509", "-req", "-in", csr, "-CA",
            os.path.join(c, "ca.pem"), "-CAkey", os.path.join(c, "root.key"),
            "-CAcreateserial", "-days", "30", "-extfile", ext,
            "-out", os.path.join(c, "c%d.pem" % n)])


def stop(bd):
    pids = {n: lab.read_pid(os.path.join(bd, n + ".pid"))
            for n in ("nsd", "nginx")}
    lab.kill_wait(pids, True)
    for n in ("nsd", "nginx"):
        try:
            os.unlink(os.path.join(bd, n + ".pid"))
        except OSError:
            pass


def run(scanner, bd, n):
    stop(bd)
    t0 = time.time()
    names = generate(bd, n)
    lab.sh(["nsd", "-c", os.path.join(bd, "nsd.conf")])
    lab.sh(["nginx", "-p", bd, "-e", os.path.join(bd, "nginx-error.log"),
            "-c", os.path.join(bd, "nginx.conf")])
    for _ in range(100):
        if lab.dns_query(NSD, names[0], 15) == 0 and lab.tcp_ok(WEB, 443):
            break
        time.sleep(0.1)
    setup = time.time() - t0
    out = os.path.join(bd, "out-%d.jsonl" % n)
    args = ["/usr/bin/time", "-v", scanner, "-f",
            os.path.join(bd, "domains.txt"), "-o", out, "--resolver", NSD,
            "--ca-file", os.path.join(bd, "certs", "ca.pem"),
            "--allow-private", "--no-smtp", "--timeout", "5", "--no-progress"]
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    stop(bd)

    def field(name):
        m = re.search(r"^\s*%s: (.+)$" % re.escape(name), err, re.M)
        return m.group(1).strip() if m else "?"
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")] if wall != "?" else [0]
    secs = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)"))
    with open(out) as f:
        nrec = sum(1 for _ in f)
    statuses = {}
    with open(out) as f:
        for line in f:
            m = re.search(r'"status":"(\w+)"', line)
            if m:
                statuses[m.group(1)] = statuses.get(m.group(1), 0) + 1
    print("N=%d: %d records (%s), exit %d, lab setup %.1f s" %
          (n, nrec, " ".join("%s %d" % kv for kv in sorted(statuses.items())),
           p.returncode, setup))
    print("  wall %.2f s  %.0f domains/s  CPU %.3f ms/domain (user+sys)  "
          "peak RSS %.1f MiB" % (secs, n / secs if secs else 0,
                                 1000 * cpu / n, rss / 1024))
    if p.returncode != 0:
        print("  scanner stderr:\n" + err[-2000:])
    return p.returncode == 0 and nrec == n


def main(argv):
    if len(argv) < 3:
        print("usage: bench.py SCANNER N [N ...]", file=sys.stderr)
        return 2
    bd = os.path.join(lab.run_dir(), "bench")
    os.makedirs(bd, exist_ok=True)
    print("bench: resolver %s is NSD itself (no recursor), --no-smtp; "
          "run dir %s" % (NSD, bd))
    ok = True
    for n in argv[2:]:
        ok &= run(os.path.abspath(argv[1]), bd, int(n))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
