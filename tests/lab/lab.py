#!/usr/bin/env python3
"""The hermetic MTA-STS lab: NSD, unbound, nginx, postfix and hostile SMTP
peers on 127.10.0.0/16.

    lab.py start   generate certificates, zone, configs and domain lists into
                   the run directory, (re)start the servers, wait until they
                   answer
    lab.py stop    stop every server this lab started (pid files in the run dir)
    lab.py status  show which servers run
    lab.py env     print shell variables (MS_LAB_DIR, resolver, CA file, ...)

Everything the lab serves is data: tests/lab/scenarios.json (one entry per
domain <id>.lab.test, with its DNS records, policy bytes, HTTP behaviour,
certificate kind, resolver faults, scan group and expectation) plus, when the
shared corpus exists, one domain per corpus policy and TXT row. The run
directory (default <checkout>/lab-run, env MS_LAB_DIR) receives every
generated file; nothing is written into the repository.

Addresses (all loopback):
  127.10.0.1:53   unbound, the resolver the scanner uses
  127.10.0.2:53   NSD, authoritative for lab.test
  127.10.1.1:443  nginx TLS, one server block per policy host (SNI)
  127.10.1.2:443  nginx plain HTTP on the HTTPS port (TLS handshake failure)
  127.10.1.3:443  nothing listens (connect failure)
  127.10.1.10-14  hostile HTTPS policy hosts (peers/peers.py, port 443)
  127.10.3.0/24   addresses of MX hosts outside lab.test (corpus policies)
  127.10.6.1-12   postfix, port 25, one certificate per address (MTA above)
  127.10.6.100+   hostile SMTP peers (peers/peers.py); .199 refuses
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ZONE = "lab.test"

UNBOUND_ADDR = "127.10.0.1"
NSD_ADDR = "127.10.0.2"
TLS_ADDR = "127.10.1.1"
PLAIN_ADDR = "127.10.1.2"
DEAD_ADDR = "127.10.1.3"
EXT_MX_ADDR = "127.10.3.1"
SMTP_PORT = 25
# The lab's postfix (one smtpd service per address, each with its own
# certificate): SMTP kind -> (address, certificate kind; None = no STARTTLS).
MTA = {
    "valid": ("127.10.6.1", "valid"),
    "expired": ("127.10.6.2", "expired"),
    "wrongname": ("127.10.6.3", "wrongname"),
    "selfsigned": ("127.10.6.4", "selfsigned"),
    "unknownca": ("127.10.6.5", "unknownca"),
    "nointermediate": ("127.10.6.6", "nointermediate"),
    "notls": ("127.10.6.7", None),
    "expiring": ("127.10.6.8", "expiring"),
    "notyet": ("127.10.6.9", "notyet"),
    "shared-a": ("127.10.6.11", "valid"),
    "shared-b": ("127.10.6.12", "valid"),
    "manysans": ("127.10.6.13", "manysans"),
}
# MTA kinds whose certificate postfix picks by SNI (tls_server_sni_maps):
# each MX host name gets a leaf of at most SNI_CHUNK names; a client that
# sends no SNI gets the wrong-name certificate (corpus bug 12).
SNI_KINDS = ("valid", "shared-a", "shared-b")
SNI_CHUNK = 48
MANY_SANS = 100        # names in the "manysans" leaf, the MX host last
# The hostile peers (tests/lab/peers/peers.py): SMTP kind -> address.
PEERS = {
    "silent": "127.10.6.100", "slow": "127.10.6.101",
    "endless": "127.10.6.102", "longline": "127.10.6.103",
    "greet554": "127.10.6.104", "close": "127.10.6.105",
    "ehlo502": "127.10.6.106", "starttls454": "127.10.6.107",
    "tlsgarbage": "127.10.6.108", "tls10": "127.10.6.109",
}
# Hostile HTTPS policy hosts (peers.py, port 443): what nginx cannot do.
HTTP_PEERS = {
    "headers": "127.10.1.10",    # TLS, then response headers forever
    "drip": "127.10.1.11",       # TLS, then the response one byte a second
    "garbage": "127.10.1.12",    # no TLS: garbage bytes instead of a hello
    "gigabyte": "127.10.1.13",   # TLS, a 1 GiB body from a generator, no
                                 # Content-Length (read until close)
    "headerflood": "127.10.1.14",  # TLS, headers forever, full speed
}
HTTPS_PORT = 443
SMTP_REFUSED = "127.10.6.199"         # nothing listens on port 25
SMTP_ADDRS = dict({k: v[0] for k, v in MTA.items()}, refused=SMTP_REFUSED,
                  **PEERS)
# Certificate each kind presents, for the SANs of the lab's leaves.
SMTP_CERT = dict({k: v[1] for k, v in MTA.items() if v[1]}, tls10="mxpeer")
MX_ADDR = MTA["valid"][0]              # default address of a lab MX host
# Addresses a policy host gets for each "addr" kind of a scenario.
HTTP_ADDRS = dict({"tls": TLS_ADDR, "plain": PLAIN_ADDR,
                   "refused": DEAD_ADDR}, **HTTP_PEERS)
CERT_KINDS = ("valid", "expired", "notyet", "wrongname", "selfsigned",
              "unknownca", "nointermediate", "expiring", "expired-wrongname")
DEFAULT_POLICY = ("version: STSv1\nmode: enforce\nmx: mx1.{d}\n"
                  "max_age: 604800\n")
SERVERS = ("nsd", "unbound", "nginx", "postfix", "peers")
# Pid file (relative to the run dir) and process name of each server.
PIDFILES = {"postfix": "postfix/queue/pid/master.pid"}
COMMS = {"postfix": "master", "peers": "lab-peers"}


def run_dir():
    return os.path.abspath(os.environ.get("MS_LAB_DIR",
                                          os.path.join(TOP, "lab-run")))


def corpus_dir():
    d = os.environ.get("MS_CORPUS_DIR",
                       os.path.join(os.path.dirname(TOP), "shared", "corpus"))
    return d if os.path.isdir(d) else None


def sh(args, **kw):
    """Runs a command; raises with its output when it fails."""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       **kw)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" %
                           (" ".join(args), p.returncode,
                            p.stdout.decode(errors="replace")))
    return p.stdout


# ---------------------------------------------------------------- scenarios

def load_scenarios():
    with open(os.path.join(HERE, "scenarios.json"), encoding="utf-8") as f:
        data = json.load(f)
    seen = set()
    for s in data["scenarios"]:
        sid = s["id"]
        if sid in seen:
            raise SystemExit("scenarios.json: duplicate id %s" % sid)
        seen.add(sid)
        if "input" not in s and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                                                 sid):
            raise SystemExit("scenarios.json: id %r is not lowercase LDH" % sid)
        g = s.get("group", "main")
        if g not in data["groups"]:
            raise SystemExit("scenarios.json: %s: unknown group %s" % (sid, g))
    return data


def fqdn(name, d):
    """Relative names are under the scenario domain; '@' is the domain;
    names ending in '.' are absolute."""
    if name == "@":
        return d
    if name.endswith("."):
        return name[:-1]
    return name + "." + d


def policy_bytes(s, d):
    if "policy_hex" in s:
        return bytes.fromhex(s["policy_hex"].replace(" ", ""))
    text = s.get("policy", DEFAULT_POLICY)
    if text is None:
        return None
    text = text.replace("{d}", d)
    if s.get("policy_pad_to"):
        return pad_policy(text, s["policy_pad_to"], d)
    return text.encode("latin-1" if s.get("policy_latin1") else "utf-8")


def pad_policy(head, total, d):
    """A policy longer than 64 KiB whose first 65536 bytes end exactly on a
    line boundary: one unknown field repeated (mixing LF and CRLF to hit the
    boundary), then more of it past the cap. (Repeated mx lines would hit the
    parser's MS_POLICY_MX_MAX cap.)"""
    cap = 65536
    line = "x-padding: " + "p" * 52
    body = head.encode()
    rest = cap - len(body)
    n, k = divmod(rest, len(line) + 1)
    if k > n:
        raise SystemExit("pad_policy: cannot align")
    out = [body]
    for i in range(n):
        out.append((line + ("\r\n" if i < k else "\n")).encode())
    body = b"".join(out)
    assert len(body) == cap
    while len(body) < total:
        body += (line + "\n").encode()
    return body


def sts_generated(s):
    """Extra _mta-sts TXT records a scenario asks for by size instead of
    spelling them out: "sts_filler" {count, size} adds unrelated records
    (an RRset too large for a 1232-byte UDP answer); "sts_long" {strings,
    size} adds one valid record whose extension field fills that many
    character-strings of that size (an oversized record)."""
    out = []
    fill = s.get("sts_filler")
    if fill:
        for i in range(fill["count"]):
            head = "filler-%02d=" % i
            out.append([head + "f" * (fill["size"] - len(head))])
    long_ = s.get("sts_long")
    if long_:
        text = "v=STSv1; id=20240101; x-pad="
        text += "p" * (long_["strings"] * long_["size"] - len(text))
        out.append([text[i:i + long_["size"]]
                    for i in range(0, len(text), long_["size"])])
    return out


def txt_rdata(strings):
    """One TXT RR's RDATA in zone-file syntax: each character-string quoted,
    with '"', '\\' and non-printable bytes escaped."""
    parts = []
    for s in strings:
        b = s.encode("utf-8") if isinstance(s, str) else s
        esc = []
        for c in b:
            if c in (0x22, 0x5C):
                esc.append("\\" + chr(c))
            elif 0x20 <= c < 0x7F:
                esc.append(chr(c))
            else:
                esc.append("\\%03d" % c)
        parts.append('"' + "".join(esc) + '"')
    return " ".join(parts)


class Lab:
    """Everything generated for one lab start."""

    def __init__(self, rd):
        self.rd = rd
        self.zone = []            # zone-file lines (relative to nothing)
        self.local = []           # unbound local-zone/local-data lines
        self.hosts = []           # policy host blocks for nginx
        self.valid_sans = set()
        self.expect = {}          # domain or input line -> expectation
        self.lists = {}           # group -> list of input lines
        self.ext_hosts = {}       # absolute host outside the lab -> addr
        self.smtp_hosts = {}      # lab MX host -> SMTP kind (MTA, PEERS)
        self.bulk = {}            # generated set -> {body, hosts}

    def smtp_kind(self, sid, host, kind):
        """Records which SMTP server a lab MX host is on (one per host)."""
        if kind not in SMTP_ADDRS:
            raise SystemExit("%s: unknown smtp kind %s" % (sid, kind))
        old = self.smtp_hosts.setdefault(host, kind)
        if old != kind:
            raise SystemExit("%s: MX host %s is smtp kind %s elsewhere" %
                             (sid, host, old))

    def rr(self, name, rtype, rdata):
        self.zone.append("%s. 300 IN %s %s" % (name, rtype, rdata))

    def add_domain(self, s, d, group):
        """Records, policy host and faults of one scenario domain."""
        names = set()
        sts = s.get("sts", [["v=STSv1; id=20240101"]])
        sts_name = "_mta-sts." + d
        if s.get("sts_cname"):
            target = fqdn(s["sts_cname"], d)
            self.rr(sts_name, "CNAME", target + ".")
            names.add(sts_name)
            sts_name = target
        for rec in (sts or []) + sts_generated(s):
            self.rr(sts_name, "TXT", rec if isinstance(rec, str)
                    else txt_rdata(rec))
        names.add(sts_name)
        tlsrpt = s.get("tlsrpt",
                       [["v=TLSRPTv1; rua=mailto:tlsrpt@%s" % d]])
        for rec in tlsrpt or []:
            self.rr("_smtp._tls." + d, "TXT", rec if isinstance(rec, str)
                    else txt_rdata([x.replace("{d}", d) for x in rec]))
        names.add("_smtp._tls." + d)

        mx_hosts = []
        for mx in s.get("mx", ["10 mx1"]):
            pref, host = mx.split()
            if host == ".":
                self.rr(d, "MX", "0 .")
                continue
            h = fqdn(host, d)
            mx_hosts.append(h)
            if s.get("mx_local_data"):
                continue
            self.rr(d, "MX", "%s %s." % (pref, h))
        if s.get("mx_local_data"):
            # Upper-case targets survive only in resolver-level data.
            for mx in s["mx"]:
                pref, host = mx.split()
                self.local.append('local-data: "%s. 60 IN MX %s %s."' %
                                  (d, pref, fqdn(host, d)))
        no_addr = {fqdn(h, d).lower() for h in s.get("mx_no_address", [])}
        smtp = s.get("smtp", "valid")
        if isinstance(smtp, str):
            smtp = {h: smtp for h in mx_hosts}
        else:
            smtp = {fqdn(h, d): k for h, k in smtp.items()}
        for h in mx_hosts:
            hl = h.lower()
            if hl in no_addr:
                continue
            if hl.endswith("." + ZONE):
                kind = smtp.get(h, "valid")
                self.smtp_kind(s["id"], hl, kind)
                self.rr(hl, "A", SMTP_ADDRS[kind])
                names.add(hl)
            else:
                self.ext_hosts[hl] = EXT_MX_ADDR
        for h in s.get("tlsa", []):
            # DANE-EE SPKI SHA-256: the data is not checked by the scanner
            # (it only reports that TLSA records exist).
            name = "_25._tcp." + fqdn(h, d)
            digest = hashlib.sha256(name.encode()).hexdigest()
            self.rr(name, "TLSA", "3 1 1 " + digest)
            names.add(name)
        for a in s.get("apex_a", []):
            self.rr(d, "A", a)
            kinds = [k for k, v in SMTP_ADDRS.items() if v == a]
            if not mx_hosts and kinds:
                # The implicit MX (no MX records): the domain is the host.
                self.smtp_kind(s["id"], d, kinds[0])
        for name, target in s.get("cnames", {}).items():
            self.rr(fqdn(name, d), "CNAME", fqdn(target, d) + ".")
            names.add(fqdn(name, d))
        for name, addrs in s.get("aaaa", {}).items():
            for a6 in addrs:
                self.rr(fqdn(name, d), "AAAA", a6)
            names.add(fqdn(name, d))
        for name, recs in s.get("txt", {}).items():
            for rec in recs:
                self.rr(fqdn(name, d), "TXT", txt_rdata(rec))
            names.add(fqdn(name, d))

        body = policy_bytes(s, d)
        http = dict(s.get("http", {}))
        addr = http.get("addr", "tls" if body is not None else "none")
        host = "mta-sts." + d
        if addr != "none":
            self.rr(host, "A", HTTP_ADDRS[addr])
            names.add(host)
        if addr in HTTP_PEERS:
            # A hostile peer serves it with the valid lab leaf (its name
            # goes into the SANs), so only the peer's behaviour is wrong.
            self.valid_sans.add(host)
        if addr == "tls" and s.get("_bulk"):
            # Generated domains: one nginx block and certificate for all.
            self.bulk.setdefault(s["_bulk"], {"body": body, "hosts": []})[
                "hosts"].append(host)
        elif addr == "tls":
            cert = http.get("cert", "valid")
            if cert not in CERT_KINDS:
                raise SystemExit("%s: unknown cert kind %s" % (s["id"], cert))
            if cert in ("valid", "nointermediate"):
                self.valid_sans.add(host)
            self.hosts.append({"host": host, "d": d, "body": body,
                               "file": s.get("_file"), "http": http,
                               "cert": cert, "id": s["id"]})

        for name, kind in s.get("faults", {}).items():
            fname = fqdn(name, d)
            self.local.append('local-zone: "%s." %s' % (fname, kind))
            if name == "@":
                # Only the apex is broken: every other name of the domain
                # resolves normally through more specific zones.
                for other in sorted(names):
                    if other != fname and other.endswith("." + fname):
                        self.local.append('local-zone: "%s." transparent' %
                                          other)

    def build(self, data):
        corpus = corpus_dir()
        for s in data["scenarios"]:
            group = s.get("group", "main")
            lst = self.lists.setdefault(group, [])
            if "input" in s:
                lst.append(s["input"])
                self.expect[s["input"].strip()] = dict(s["expect"], id=s["id"],
                                                       group=group, key="input")
                continue
            d = "%s.%s" % (s["id"], ZONE)
            if not s.get("absent"):
                self.add_domain(s, d, group)
            lst.append(s.get("list_as", d))
            self.expect[d] = dict(s["expect"], id=s["id"], group=group,
                                  key="domain")
            for extra in s.get("extra_lines", []):
                lst.append(extra)
        for gen in data.get("generated", []):
            self.add_generated(gen)
        if corpus:
            self.add_corpus(corpus, data)
        else:
            print("lab: no shared corpus (MS_CORPUS_DIR or ../shared/corpus):"
                  " corpus domains are not served")

    def add_generated(self, gen):
        """count domains from one template (id with {n}), e.g. 1,000
        domains on two shared MX hosts. Their policy hosts share one nginx
        server block and one certificate (bulk-<n>.pem)."""
        group = gen["group"]
        lst = self.lists.setdefault(group, [])
        bulk = "bulk%d" % len(self.bulk)
        for n in range(1, gen["count"] + 1):
            num = "%04d" % n
            s = dict(gen, id=gen["id"].replace("{n}", num), _bulk=bulk)
            if "mx" in gen:
                s["mx"] = [m.replace("{n}", num) for m in gen["mx"]]
            d = "%s.%s" % (s["id"], ZONE)
            self.add_domain(s, d, group)
            lst.append(d)
            self.expect[d] = dict(s["expect"], id=s["id"], group=group,
                                  key="domain")

    def add_corpus(self, corpus, data):
        """Every corpus policy and TXT row as a domain of its own."""
        group = data.get("corpus_group", "main")
        lst = self.lists.setdefault(group, [])
        exp = {"status_not": "error", "corpus": True, "group": group,
               "key": "domain"}
        for sub, prefix in (("policies", "p"), ("policies-reconstructed", "")):
            pdir = os.path.join(corpus, sub)
            if not os.path.isdir(pdir):
                continue
            for fn in sorted(os.listdir(pdir)):
                if not fn.endswith(".txt"):
                    continue
                path = os.path.join(pdir, fn)
                with open(path, "rb") as f:
                    body = f.read()
                label = (prefix + fn[:-4]).lower()
                d = "%s.corpus.%s" % (label, ZONE)
                mx = first_mx(body)
                s = {"id": "corpus-" + label, "_file": path,
                     "mx": ["10 %s." % (mx or "mx1." + d)],
                     "policy": body.decode("latin-1"), "policy_latin1": True}
                self.add_domain(s, d, group)
                lst.append(d)
                self.expect[d] = dict(exp, id=s["id"], source=path)
        tsv = os.path.join(corpus, "txt.tsv")
        if os.path.isfile(tsv):
            with open(tsv, encoding="utf-8") as f:
                rows = [ln.rstrip("\n").split("\t") for ln in f][1:]
            for i, row in enumerate(rows, 1):
                if len(row) < 4 or row[0] not in ("sts", "tlsrpt"):
                    continue
                d = "%s-%02d.corpus.%s" % (row[0], i, ZONE)
                recs = row[3].split("\\n")
                s = {"id": "corpus-%s-%02d" % (row[0], i)}
                s["sts" if row[0] == "sts" else "tlsrpt"] = recs
                self.add_domain(s, d, group)
                lst.append(d)
                self.expect[d] = dict(exp, id=s["id"],
                                      source="txt.tsv row %d" % i)

    # ---------------------------------------------------------- generation

    def write(self):
        rd = self.rd
        for sub in ("www", "lists", "tmp", "certs"):
            os.makedirs(os.path.join(rd, sub), exist_ok=True)
        serial = int(time.time())
        head = ["$ORIGIN %s." % ZONE, "$TTL 300",
                "@ IN SOA ns.%s. hostmaster.%s. %d 3600 600 86400 5" %
                (ZONE, ZONE, serial),
                "@ IN NS ns.%s." % ZONE, "ns IN A %s" % NSD_ADDR]
        zone = list(dict.fromkeys(self.zone))   # drop repeated RRs
        with open(os.path.join(rd, "lab.test.zone"), "w") as f:
            f.write("\n".join(head + zone) + "\n")
        for h in self.hosts:
            if h["file"] is None and h["body"] is not None:
                p = os.path.join(rd, "www", h["host"] + ".txt")
                with open(p, "wb") as f:
                    f.write(h["body"])
                    if h["http"].get("sparse_to"):
                        # A huge file without the disk space or memory:
                        # the rest is a hole (reads as NUL bytes).
                        f.truncate(h["http"]["sparse_to"])
                h["file"] = p
        for g, lines in self.lists.items():
            with open(os.path.join(rd, "lists", g + ".txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
        with open(os.path.join(rd, "expect.json"), "w") as f:
            json.dump(self.expect, f, indent=1, sort_keys=True)
        self.write_nsd()
        self.write_unbound()
        self.write_nginx()
        self.write_postfix()
        self.write_peers()

    def write_nsd(self):
        rd = self.rd
        conf = """server:
  ip-address: %(addr)s
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "%(rd)s"
  database: ""
  zonelistfile: "%(rd)s/nsd-zone.list"
  xfrdfile: "%(rd)s/nsd-xfrd.state"
  xfrdir: "%(rd)s"
  pidfile: "%(rd)s/nsd.pid"
  logfile: "%(rd)s/nsd.log"
  server-count: 1
  verbosity: 1
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "%(zone)s"
  zonefile: "%(rd)s/lab.test.zone"
""" % {"addr": NSD_ADDR, "rd": rd, "zone": ZONE}
        with open(os.path.join(rd, "nsd.conf"), "w") as f:
            f.write(conf)

    def write_unbound(self):
        rd = self.rd
        # Root hints name only the lab's NSD, and "." is a static local zone:
        # nothing is ever sent beyond loopback.
        with open(os.path.join(rd, "root.hints"), "w") as f:
            f.write(".  3600 IN NS ns.root.lab.\nns.root.lab. 3600 IN A %s\n"
                    % NSD_ADDR)
        local = ['local-zone: "." static',
                 'local-zone: "%s." transparent' % ZONE]
        for h, a in sorted(self.ext_hosts.items()):
            local.append('local-data: "%s. 60 IN A %s"' % (h, a))
        local += self.local
        conf = """server:
  interface: %(addr)s
  port: 53
  do-ip6: no
  do-ip4: yes
  do-udp: yes
  do-tcp: yes
  num-threads: 1
  username: ""
  chroot: ""
  directory: "%(rd)s"
  pidfile: "%(rd)s/unbound.pid"
  logfile: "%(rd)s/unbound.log"
  use-syslog: no
  verbosity: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  root-hints: "%(rd)s/root.hints"
  qname-minimisation: no
  discard-timeout: 0
  infra-cache-max-rtt: 1000
  infra-host-ttl: 5
  cache-max-ttl: 5
  cache-max-negative-ttl: 5
  serve-expired: no
  prefetch: no
  harden-referral-path: no
  outgoing-interface: 127.0.0.1
  %(local)s
stub-zone:
  name: "%(zone)s"
  stub-addr: %(nsd)s
remote-control:
  control-enable: no
""" % {"addr": UNBOUND_ADDR, "rd": rd, "zone": ZONE, "nsd": NSD_ADDR,
       "local": "\n  ".join(local)}
        with open(os.path.join(rd, "unbound.conf"), "w") as f:
            f.write(conf)

    def write_nginx(self):
        rd = self.rd
        c = os.path.join(rd, "certs")
        out = ["user root;", "worker_processes 1;", "daemon on;",
               "pid %s/nginx.pid;" % rd,
               "error_log %s/nginx-error.log warn;" % rd,
               "events { worker_connections 1024; }",
               "http {",
               "  access_log %s/nginx-access.log;" % rd,
               "  client_body_temp_path %s/tmp/body;" % rd,
               "  proxy_temp_path %s/tmp/proxy;" % rd,
               "  fastcgi_temp_path %s/tmp/fastcgi;" % rd,
               "  uwsgi_temp_path %s/tmp/uwsgi;" % rd,
               "  scgi_temp_path %s/tmp/scgi;" % rd,
               "  server_tokens off;", "  keepalive_timeout 5;",
               "  sendfile off;", "  charset off;",
               "  server_names_hash_bucket_size 128;",
               "  server_names_hash_max_size 4096;",
               "  ssl_protocols TLSv1.2 TLSv1.3;",
               # Unknown SNI names land here (HTTP 404, valid lab cert).
               "  server { listen %s:443 ssl default_server; server_name _;"
               " ssl_certificate %s/valid.chain.pem;"
               " ssl_certificate_key %s/leaf.key; return 404; }" % (TLS_ADDR, c, c),
               # Plain HTTP on the HTTPS port: the TLS handshake fails.
               "  server { listen %s:443 default_server; server_name _;"
               " return 404; }" % PLAIN_ADDR]
        for h in self.hosts:
            http = h["http"]
            cert = {"valid": "valid.chain.pem",
                    "nointermediate": "valid.pem"}.get(h["cert"],
                                                       h["cert"] + ".pem")
            loc = []
            ctype = http.get("ctype", "text/plain")
            loc.append('default_type "%s"' % (ctype or ""))
            if http.get("rate"):
                loc.append("limit_rate %d" % http["rate"])
            status = http.get("status", 200)
            if status in (301, 302, 307, 308):
                loc.append("return %d %s" % (status, http.get(
                    "location", "https://www.{d}/.well-known/mta-sts.txt"
                ).replace("{d}", h["d"])))
            elif status != 200:
                loc.append("return %d" % status)
            elif h["file"]:
                loc.append("alias %s" % h["file"])
            else:
                loc.append("return 404")
            out.append("  server { listen %s:443 ssl; server_name %s;"
                       " ssl_certificate %s/%s; ssl_certificate_key %s/leaf.key;"
                       "\n    location = /.well-known/mta-sts.txt { types { } %s; }"
                       "\n    location / { return 404; } }" %
                       (TLS_ADDR, h["host"], c, cert, c, "; ".join(loc)))
        for name, b in sorted(self.bulk.items()):
            p = os.path.join(rd, "www", name + ".txt")
            with open(p, "wb") as f:
                f.write(b["body"])
            out.append("  server { listen %s:443 ssl; server_name %s;"
                       " ssl_certificate %s/%s.pem; ssl_certificate_key"
                       " %s/leaf.key;\n    location = /.well-known/mta-sts.txt"
                       " { types { } default_type text/plain; alias %s; }"
                       "\n    location / { return 404; } }" %
                       (TLS_ADDR, " ".join(b["hosts"]), c, name, c, p))
        out.append("}")
        with open(os.path.join(rd, "nginx.conf"), "w") as f:
            f.write("\n".join(out) + "\n")

    def write_postfix(self):
        """A private postfix instance: config, queue, data and log under
        <rundir>/postfix, one smtpd service per MTA address (its own
        certificate, syslog_name postfix/<kind> so that the maillog tells
        the addresses apart), never relaying, never accepting mail."""
        pd = os.path.join(self.rd, "postfix")
        c = os.path.join(self.rd, "certs")
        os.makedirs(os.path.join(pd, "queue"), exist_ok=True)
        main = """# generated by tests/lab/lab.py: the lab's postfix, loopback only
compatibility_level = 3.6
queue_directory = %(pd)s/queue
data_directory = %(pd)s/data
maillog_file = %(pd)s/maillog
maillog_file_prefixes = %(pd)s
myhostname = mx.%(zone)s
mydomain = %(zone)s
myorigin = $myhostname
mydestination =
relay_domains =
relayhost =
mynetworks = 127.10.255.255/32
local_recipient_maps =
local_transport = error:no local delivery in the lab
default_transport = error:no relaying from the lab
# postfix accepts only interface addresses here, and 127.10.6.x are routed
# to lo without being interface addresses: every smtpd service below binds
# its own lab address explicitly and no service binds this one.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_banner = $myhostname ESMTP lab
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
smtpd_client_restrictions =
smtpd_helo_required = no
smtpd_peername_lookup = no
disable_vrfy_command = yes
smtpd_timeout = 30s
smtpd_tls_security_level = may
smtpd_tls_cert_file = %(c)s/valid.chain.pem
smtpd_tls_key_file = %(c)s/leaf.key
smtpd_tls_loglevel = 1
smtpd_tls_received_header = no
smtpd_tls_session_cache_database =
tls_random_source = dev:/dev/urandom
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
""" % {"pd": pd, "zone": ZONE, "c": c}
        master = ["# generated by tests/lab/lab.py",
                  "# service type private unpriv chroot wakeup maxproc command"]
        for kind, (addr, cert) in MTA.items():
            opts = ["-o syslog_name=postfix/" + kind]
            if cert is None:
                opts.append("-o smtpd_tls_security_level=none")
            else:
                f = {"valid": "wrongname.pem",
                     "nointermediate": "mxnoint.pem"}.get(cert, cert + ".pem")
                opts += ["-o smtpd_tls_cert_file=%s/%s" % (c, f),
                         "-o smtpd_tls_key_file=%s/leaf.key" % c]
                if kind in SNI_KINDS:
                    opts.append("-o tls_server_sni_maps=hash:%s/sni" % pd)
            master.append("%s:%d inet n - n - 20 smtpd\n  %s" %
                          (addr, SMTP_PORT, "\n  ".join(opts)))
        for svc in ("cleanup unix n - n - 0 cleanup",
                    "qmgr unix n - n 300 1 qmgr",
                    "tlsmgr unix - - n 1000? 1 tlsmgr",
                    "rewrite unix - - n - - trivial-rewrite",
                    "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce",
                    "trace unix - - n - 0 bounce",
                    "verify unix - - n - 1 verify",
                    "proxymap unix - - n - - proxymap",
                    "anvil unix - - n - 1 anvil",
                    "scache unix - - n - 1 scache",
                    "error unix - - n - - error",
                    "retry unix - - n - - error",
                    "discard unix - - n - - discard",
                    "postlog unix-dgram n - n - 1 postlogd"):
            master.append(svc)
        with open(os.path.join(pd, "main.cf"), "w") as f:
            f.write(main)
        # SNI: host -> key and chain files, loaded into the table by
        # "postmap -F" (start_postfix).
        with open(os.path.join(pd, "sni"), "w") as f:
            for h, leaf in sorted(self.sni.items()):
                f.write("%s %s/leaf.key %s/%s.pem\n" % (h, c, c, leaf))
        with open(os.path.join(pd, "master.cf"), "w") as f:
            f.write("\n".join(master) + "\n")

    def write_peers(self):
        c = os.path.join(self.rd, "certs")
        conf = {"port": SMTP_PORT, "peers": PEERS,
                "cert": os.path.join(c, "mxpeer.pem"),
                "key": os.path.join(c, "leaf.key"),
                "http_port": HTTPS_PORT, "http_peers": HTTP_PEERS,
                "http_cert": os.path.join(c, "valid.chain.pem")}
        with open(os.path.join(self.rd, "peers.json"), "w") as f:
            json.dump(conf, f, indent=1)

    # ---------------------------------------------------------- certificates

    def certs(self):
        """Test PKI with the openssl CLI (ECDSA P-256): root, intermediate,
        a second unknown root, and one leaf per certificate kind."""
        c = os.path.join(self.rd, "certs")
        shutil.rmtree(c, ignore_errors=True)
        os.makedirs(os.path.join(c, "new"))
        def key(name):
            sh(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", os.path.join(c, name)])
        for k in ("root.key", "int.key", "other.key", "leaf.key"):
            key(k)
        for k, cn in (("root", "mtasts-scan lab root CA"),
                      ("other", "mtasts-scan lab unknown CA")):
            sh(["openssl", "req", "-x509", "-new", "-key",
                os.path.join(c, k + ".key"), "-subj", "/CN=" + cn,
                "-days", "3650", "-sha256", "-addext",
                "basicConstraints=critical,CA:true", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out", os.path.join(c, k + ".pem")])
        with open(os.path.join(c, "index.txt"), "w"):
            pass
        with open(os.path.join(c, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(c, "ca.cnf"), "w") as f:
            f.write("""[ca]
default_ca = int
[int]
dir = %(c)s
database = %(c)s/index.txt
serial = %(c)s/serial
new_certs_dir = %(c)s/new
certificate = %(c)s/int.pem
private_key = %(c)s/int.key
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[root]
dir = %(c)s
database = %(c)s/index.txt
serial = %(c)s/serial
new_certs_dir = %(c)s/new
certificate = %(c)s/root.pem
private_key = %(c)s/root.key
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
[v3_int]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
""" % {"c": c})
        cnf = os.path.join(c, "ca.cnf")
        sh(["openssl", "req", "-new", "-key", os.path.join(c, "int.key"),
            "-subj", "/CN=mtasts-scan lab intermediate CA",
            "-out", os.path.join(c, "int.csr")])
        sh(["openssl", "ca", "-batch", "-notext", "-config", cnf, "-name",
            "root", "-extensions", "v3_int", "-extfile", cnf, "-days", "3650",
            "-in", os.path.join(c, "int.csr"), "-out",
            os.path.join(c, "int.pem")])

        def stamp(t):
            return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))
        now = time.time()
        day = 86400
        by_kind = {}
        for h in self.hosts:
            by_kind.setdefault(h["cert"], []).append(h["host"])
        # MX hosts: the SNI-selected hosts get small leaves of their own
        # (mxvalid-N), the others join the leaf of their certificate kind
        # (one certificate per address); the TLS 1.0 peer and the address
        # without intermediate get leaves with only their MX names.
        sni, extra = [], {"mxpeer": [], "mxnoint": [], "manysans": []}
        for host, kind in sorted(self.smtp_hosts.items()):
            ck = SMTP_CERT.get(kind)
            if kind in SNI_KINDS:
                sni.append(host)
            elif kind == "tls10":
                extra["mxpeer"].append(host)
            elif kind == "nointermediate":
                extra["mxnoint"].append(host)
            elif kind == "manysans":
                extra["manysans"].append(host)
            elif ck and ck != "wrongname":
                by_kind.setdefault(ck, []).append(host)
        if extra["manysans"]:
            extra["manysans"] = ["filler-%03d.%s" % (i, ZONE) for i in range(
                MANY_SANS - len(extra["manysans"]))] + extra["manysans"]
        self.sni = {}
        for i in range(0, len(sni), SNI_CHUNK):
            extra["mxvalid-%d" % (i // SNI_CHUNK)] = sni[i:i + SNI_CHUNK]
            for h in sni[i:i + SNI_CHUNK]:
                self.sni[h] = "mxvalid-%d" % (i // SNI_CHUNK)
        valid = sorted(self.valid_sans) or ["mta-sts.valid-basic." + ZONE]
        leaves = {
            "valid": (valid, now - day, now + 365 * day, "int"),
            "expired": (by_kind.get("expired", []), now - 400 * day,
                        now - 30 * day, "int"),
            "notyet": (by_kind.get("notyet", []), now + 30 * day,
                       now + 400 * day, "int"),
            "wrongname": (["mta-sts.somebody-else." + ZONE, "www." + ZONE],
                          now - day, now + 365 * day, "int"),
            "expired-wrongname": (["mta-sts.somebody-else." + ZONE],
                                  now - 400 * day, now - 30 * day, "int"),
            "expiring": (by_kind.get("expiring", []), now - 60 * day,
                         now + 5 * day, "int"),
            "unknownca": (by_kind.get("unknownca", []), now - day,
                          now + 365 * day, "other"),
            "selfsigned": (by_kind.get("selfsigned", []), now - day,
                           now + 365 * day, "self"),
        }
        for name, b in self.bulk.items():
            leaves[name] = (sorted(b["hosts"]), now - day, now + 365 * day,
                            "int")
        for name, sans in extra.items():
            leaves[name] = (sans, now - day, now + 365 * day, "int")
        leaf_key = os.path.join(c, "leaf.key")
        for kind, (sans, nb, na, issuer) in leaves.items():
            sans = sans or ["mta-sts.unused-%s.%s" % (kind, ZONE)]
            ext = os.path.join(c, kind + ".ext")
            with open(ext, "w") as f:
                f.write("[leaf]\nbasicConstraints=critical,CA:false\n"
                        "keyUsage=critical,digitalSignature\n"
                        "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" %
                        ",".join("DNS:" + s for s in sans))
            pem = os.path.join(c, kind + ".pem")
            subj = "/CN=" + sans[-1 if kind == "manysans" else 0]
            if issuer == "self":
                sh(["openssl", "req", "-x509", "-new", "-key", leaf_key,
                    "-subj", subj, "-days", "365", "-config", ext,
                    "-extensions", "leaf", "-out", pem])
                continue
            csr = os.path.join(c, kind + ".csr")
            sh(["openssl", "req", "-new", "-key", leaf_key, "-subj", subj,
                "-out", csr])
            if issuer == "other":
                sh(["openssl", "x509", "-req", "-in", csr, "-CA",
                    os.path.join(c, "other.pem"), "-CAkey",
                    os.path.join(c, "other.key"), "-CAcreateserial",
                    "-days", "365", "-extfile", ext, "-extensions", "leaf",
                    "-out", pem])
                continue
            sh(["openssl", "ca", "-batch", "-notext", "-config", cnf,
                "-name", "int", "-extfile", ext, "-extensions", "leaf",
                "-startdate", stamp(nb), "-enddate", stamp(na),
                "-in", csr, "-out", pem])
        # Every leaf signed by the intermediate is served with it, except
        # the "nointermediate" kind, which serves valid.pem alone.
        with open(os.path.join(c, "int.pem")) as f:
            inter = f.read()
        for kind in ("expired", "notyet", "wrongname", "expired-wrongname",
                     "expiring", "mxpeer", "manysans") + tuple(self.bulk) + \
                tuple(sorted(set(self.sni.values()))):
            p = os.path.join(c, kind + ".pem")
            with open(p) as f:
                leaf = f.read()
            with open(p, "w") as f:
                f.write(leaf + inter)
        with open(os.path.join(c, "valid.pem")) as f:
            leaf = f.read()
        with open(os.path.join(c, "valid.chain.pem"), "w") as f:
            f.write(leaf + inter)
        shutil.copy(os.path.join(c, "root.pem"),
                    os.path.join(self.rd, "ca.pem"))


def first_mx(body):
    """The first mx value of a (possibly broken) corpus policy as an MX host
    name: '*.' becomes 'mx.', a trailing dot is dropped; None when it is not
    a plain host name."""
    for ln in re.split(rb"\r\n|\n|\r", body):
        m = re.match(rb"\s*mx\s*:\s*(\S+)", ln, re.I)
        if not m:
            continue
        v = m.group(1).decode("latin-1").lower().rstrip(".")
        if v.startswith("*."):
            v = "mx." + v[2:]
        if re.fullmatch(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", v):
            return v
        return None
    return None


# ---------------------------------------------------------------- processes

def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie or a recycled pid of another program does not count
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        if stat[stat.rindex(")") + 2:].startswith(("Z", "X")):
            return False
        with open("/proc/%d/comm" % pid) as f:
            comm = f.read().strip()   # NSD renames itself "nsd: main"
        names = [COMMS.get(n, n) for n in SERVERS]
        return any(comm == n or comm.startswith(n + ":") for n in names)
    except OSError:
        return False


def pid_file(rd, name):
    return os.path.join(rd, PIDFILES.get(name, name + ".pid"))


def leftovers(rd):
    """Pids of lab servers started with this run dir's configs whose pid
    file is gone (an interrupted start): matched by their command line
    (the peers: their config file; postfix's master: MAIL_CONFIG)."""
    confs = [os.path.join(rd, n + ".conf") for n in SERVERS]
    confs.append(os.path.join(rd, "peers.json"))
    mail_config = ("MAIL_CONFIG=" + os.path.join(rd, "postfix")).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
            with open("/proc/%s/environ" % d, "rb") as f:
                envs = f.read().split(b"\0")
        except OSError:
            continue
        line = " ".join(args)   # nginx rewrites its argv into one title
        if (any(c in args or (" " + c) in line for c in confs)
                or mail_config in envs) and alive(int(d)):
            out.append(int(d))
    return out


def stop(rd, quiet=False):
    """Stops the servers named by the pid files, then any leftover started
    from this run dir's configs."""
    pids = {}
    for name in SERVERS:
        pids[name] = read_pid(pid_file(rd, name))
        try:
            os.unlink(pid_file(rd, name))
        except OSError:
            pass
    kill_wait(pids, quiet)
    kill_wait({"leftover %d" % p: p for p in leftovers(rd)}, quiet)


def kill_wait(pids, quiet):
    """SIGTERM to each pid, up to 5 s grace, then SIGKILL: the processes
    given, by their pids, nothing else."""
    pids = {n: p for n, p in pids.items() if alive(p)}
    for name, pid in pids.items():
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not any(alive(p) for p in pids.values()):
            break
        time.sleep(0.05)
    for name, pid in pids.items():
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        if not quiet:
            print("lab: stopped %s (pid %d)" % (name, pid))


def dns_query(server, name, qtype=1, timeout=1.0):
    """Minimal stdlib DNS query; returns the rcode or None on timeout."""
    qid = os.getpid() & 0xFFFF
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (server, 53))
        r, _ = s.recvfrom(4096)
        return r[3] & 0x0F
    except OSError:
        return None
    finally:
        s.close()


def wait_ready(deadline):
    """Waits until NSD and unbound answer and nginx accepts TLS."""
    checks = {
        "nsd": lambda: dns_query(NSD_ADDR, "valid-basic." + ZONE, 15) == 0,
        "unbound": lambda: dns_query(UNBOUND_ADDR, "valid-basic." + ZONE,
                                     15) == 0,
        "nginx": lambda: tcp_ok(TLS_ADDR, 443) and alive(
            read_pid(os.path.join(run_dir(), "nginx.pid"))),
        "postfix": lambda: all(smtp_greets(a) for a, _ in MTA.values()),
        "peers": lambda: tcp_ok(PEERS["tls10"], SMTP_PORT) and tcp_ok(
            HTTP_PEERS["gigabyte"], HTTPS_PORT) and alive(
            read_pid(pid_file(run_dir(), "peers"))),
    }
    pending = dict(checks)
    while pending and time.time() < deadline:
        for name in list(pending):
            if pending[name]():
                del pending[name]
        if pending:
            time.sleep(0.1)
    return sorted(pending)


def smtp_greets(addr):
    """True when addr:25 sends a 220 greeting (then QUIT)."""
    try:
        with socket.create_connection((addr, SMTP_PORT), timeout=1.0) as s:
            ok = s.recv(512).startswith(b"220")
            s.sendall(b"QUIT\r\n")
            return ok
    except OSError:
        return False


def tcp_ok(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


def start(rd):
    t0 = time.time()
    os.makedirs(rd, exist_ok=True)
    stop(rd, quiet=True)
    for name in ("nsd.log", "unbound.log", "nginx-error.log",
                 "nginx-access.log", "peers.log", "peers.out",
                 "postfix/maillog"):
        try:
            os.unlink(os.path.join(rd, name))
        except OSError:
            pass
    shutil.rmtree(os.path.join(rd, "www"), ignore_errors=True)
    data = load_scenarios()
    lab = Lab(rd)
    lab.build(data)
    lab.certs()
    lab.write()
    with open(os.path.join(rd, "groups.json"), "w") as f:
        json.dump(data["groups"], f, indent=1)
    sh(["nsd-checkconf", os.path.join(rd, "nsd.conf")])
    sh(["nsd-checkzone", ZONE, os.path.join(rd, "lab.test.zone")])
    sh(["unbound-checkconf", os.path.join(rd, "unbound.conf")])
    sh(["nginx", "-t", "-q", "-p", rd, "-e", os.path.join(rd, "nginx-error.log"),
        "-c", os.path.join(rd, "nginx.conf")])
    sh(["nsd", "-c", os.path.join(rd, "nsd.conf")])
    sh(["unbound", "-c", os.path.join(rd, "unbound.conf")])
    sh(["nginx", "-p", rd, "-e", os.path.join(rd, "nginx-error.log"),
        "-c", os.path.join(rd, "nginx.conf")])
    start_postfix(rd)
    with open(os.path.join(rd, "peers.out"), "wb") as out:
        subprocess.Popen([sys.executable, os.path.join(HERE, "peers",
                                                       "peers.py"),
                          rd, os.path.join(rd, "peers.json")],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                         start_new_session=True)
    bad = wait_ready(time.time() + 10)
    if bad:
        stop(rd, quiet=True)
        raise SystemExit("lab: not ready: %s (logs in %s)" % (", ".join(bad), rd))
    n = sum(len(v) for v in lab.lists.values())
    print("lab: up in %.1fs: %d list lines, %d policy hosts, run dir %s" %
          (time.time() - t0, n, len(lab.hosts), rd))


def start_postfix(rd):
    """postfix -c <rundir>/postfix: its own queue, never a system service.
    The queue directory is root's, the data directory postfix's."""
    pd = os.path.join(rd, "postfix")
    os.chmod(os.path.join(pd, "queue"), 0o755)
    os.makedirs(os.path.join(pd, "data"), exist_ok=True)
    shutil.chown(os.path.join(pd, "data"), "postfix", "postfix")
    env = dict(os.environ, MAIL_CONFIG=pd)
    sh(["postmap", "-c", pd, "-F", "hash:" + os.path.join(pd, "sni")],
       env=env)
    sh(["postfix", "-c", pd, "check"], env=env)
    sh(["postfix", "-c", pd, "start"], env=env)


def status(rd):
    up = 0
    for name in SERVERS:
        pid = read_pid(pid_file(rd, name))
        ok = alive(pid)
        up += ok
        print("%-8s %s" % (name, "running (pid %d)" % pid if ok else "stopped"))
    return up == len(SERVERS)


def status_quiet(rd):
    """True when every lab server runs."""
    return all(alive(read_pid(pid_file(rd, n))) for n in SERVERS)


def env(rd):
    print("MS_LAB_DIR=%s" % rd)
    print("MS_LAB_RESOLVER=%s" % UNBOUND_ADDR)
    print("MS_LAB_AUTH=%s" % NSD_ADDR)
    print("MS_LAB_CA_FILE=%s/ca.pem" % rd)
    print("MS_LAB_LISTS=%s/lists" % rd)
    print("MS_LAB_ARGS='--resolver %s --ca-file %s/ca.pem --allow-private "
          "--timeout 3'" % (UNBOUND_ADDR, rd))
    print("MS_LAB_MAILLOG=%s/postfix/maillog" % rd)
    print("MS_LAB_PEERS_LOG=%s/peers.log" % rd)


# ------------------------------------------------------------------ lease
#
# The lab's addresses are fixed, so two test runs on one machine (several
# build trees) must not use it at once. "start --lease OWNER" (the ctest
# fixture, OWNER = the build tree) takes an exclusive flock on
# <rundir>/lab.lock, waiting for other owners, and hands the locked descriptor
# to a small holder process that keeps it until "stop --lease OWNER" (or
# for at most MS_LAB_LEASE seconds, default 900). A stop by another owner
# leaves the lab alone. Plain start/stop (humans, the demo) take the lock
# only while they work.

def lock_path(rd):
    return os.path.join(rd, "lab.lock")   # the run dir is never removed


def lock(rd, wait):
    fd = os.open(lock_path(rd), os.O_RDWR | os.O_CREAT, 0o644)
    t0 = time.time()
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.time() - t0 > wait:
                os.close(fd)
                raise SystemExit("lab: still leased by %s after %d s" %
                                 (lease_owner(rd), wait))
            if not said:
                print("lab: waiting for the lease of %s" % lease_owner(rd),
                      flush=True)
                said = True
            time.sleep(0.2)


def lease_owner(rd):
    try:
        with open(os.path.join(rd, "lease")) as f:
            pid, owner = f.read().split(" ", 1)
        if holder_alive(int(pid)):
            return owner.strip()
    except (OSError, ValueError):
        pass
    return None


def holder_alive(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().split(b"\0")
        return b"_hold" in args and not open(
            "/proc/%d/stat" % pid).read().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return False


def hold(fd, secs):
    """The holder: keeps the inherited locked descriptor open."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    time.sleep(secs)
    os.close(fd)


def release_lease(rd):
    try:
        with open(os.path.join(rd, "lease")) as f:
            pid = int(f.read().split(" ", 1)[0])
    except (OSError, ValueError):
        return
    if holder_alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not holder_alive(pid):
                break
            time.sleep(0.05)
    try:
        os.unlink(os.path.join(rd, "lease"))
    except OSError:
        pass


def main(argv):
    args = argv[1:]
    owner = None
    if "--lease" in args:
        i = args.index("--lease")
        owner = args[i + 1]
        del args[i:i + 2]
    if len(args) == 2 and args[0] == "_hold":
        hold(int(os.environ["MS_LAB_LOCK_FD"]), float(args[1]))
        return 0
    if len(args) != 1 or args[0] not in ("start", "stop", "status", "env"):
        print("usage: lab.py [--lease OWNER] start|stop|status|env",
              file=sys.stderr)
        return 2
    rd = run_dir()
    cmd = args[0]
    if cmd == "start":
        if os.geteuid() != 0:
            print("lab: must run as root (ports 53 and 443)", file=sys.stderr)
            return 2
        os.makedirs(rd, exist_ok=True)
        if owner is not None and lease_owner(rd) == owner:
            release_lease(rd)          # a re-run by the same owner
        fd = lock(rd, float(os.environ.get("MS_LAB_WAIT", "900")))
        start(rd)
        if owner is not None:
            p = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "_hold",
                 os.environ.get("MS_LAB_LEASE", "900")],
                pass_fds=(fd,), env=dict(os.environ, MS_LAB_LOCK_FD=str(fd)),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            with open(os.path.join(rd, "lease"), "w") as f:
                f.write("%d %s\n" % (p.pid, owner))
        os.close(fd)
    elif cmd == "stop":
        current = lease_owner(rd)
        if owner is not None and current not in (None, owner):
            print("lab: leased by %s, not stopping it" % current)
            return 0
        if owner is None and current is not None:
            print("lab: note: stopping the lab leased by %s" % current)
        stop(rd)
        release_lease(rd)
    elif cmd == "status":
        return 0 if status(rd) else 1
    else:
        env(rd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
