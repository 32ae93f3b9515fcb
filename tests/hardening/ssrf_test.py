#!/usr/bin/env python3
"""SSRF guard (issue 6, part 5): policy and MX hosts that resolve to
loopback, private, link-local, multicast, unspecified, documentation or
otherwise non-public addresses (IPv4 and IPv6, v4-mapped, NAT64, 6to4) are
never contacted without --allow-private.

    ssrf_test.py SCANNER

Safety: the scan runs only inside a new network namespace that has nothing
but loopback (unshare --net, then ip link set lo up; the test refuses to
run when any other interface exists), so even a broken guard cannot reach
any real network. Inside it, tests/hardening/dnsstub.py answers on
127.0.0.1:53 and the scanner runs with --resolver 127.0.0.1, WITHOUT
--allow-private, under strace -f -e trace=connect: no connect() other than
to the stub (127.0.0.1:53) may appear. Every record must carry
TARGET_PRIVATE_ADDRESS for the policy host and the MX host, policy.fetch
"blocked" and no SMTP probe, and validate against the schema. A control
run WITH --allow-private must show connect() attempts to those addresses
(all fail at once in the namespace): that proves the strace check can
fail. Needs root, unshare(1), ip(8); exit 77 (skipped) without them.
Prints "N passed, M failed".
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# label -> address of both the policy host and the MX host.
TARGETS = [
    ("v4-rfc1918-10", "10.0.0.1"), ("v4-rfc1918-172", "172.16.5.4"),
    ("v4-rfc1918-192", "192.168.1.1"), ("v4-cgnat", "100.64.0.1"),
    ("v4-linklocal", "169.254.169.254"), ("v4-multicast", "224.0.0.251"),
    ("v4-unspecified", "0.0.0.0"), ("v4-broadcast", "255.255.255.255"),
    ("v4-loopback", "127.0.0.1"), ("v4-loopback-other", "127.1.2.3"),
    ("v4-documentation", "192.0.2.10"), ("v4-benchmark", "198.18.0.1"),
    ("v6-linklocal", "fe80::1"), ("v6-ula", "fd12:3456::1"),
    ("v6-ula-fc", "fc00::1"), ("v6-multicast", "ff02::1"),
    ("v6-unspecified", "::"), ("v6-loopback", "::1"),
    ("v6-mapped-private", "::ffff:10.0.0.1"),
    ("v6-mapped-loopback", "::ffff:127.0.0.1"),
    ("v6-mapped-linklocal", "::ffff:169.254.169.254"),
    ("v6-nat64-private", "64:ff9b::a00:1"),
    ("v6-6to4-private", "2002:a00:1::1"),
    ("v6-documentation", "2001:db8::1"),
]
ZONE = "ssrf.test"
STUB = ("127.0.0.1", 53)


def zone():
    z = {}
    for label, addr in TARGETS:
        d = "%s.%s" % (label, ZONE)
        rtype = "AAAA" if ":" in addr else "A"
        z[("_mta-sts." + d, "TXT")] = [["v=STSv1; id=20240101"]]
        z[("_smtp._tls." + d, "TXT")] = [["v=TLSRPTv1; rua=mailto:r@" + d]]
        z[(d, "MX")] = [(10, "mx." + d)]
        z[("mta-sts." + d, rtype)] = [addr]
        z[("mx." + d, rtype)] = [addr]
    return z


def interfaces():
    """Interface names of this network namespace (ip -o link; /sys/class/net
    would show the mount namespace's view, not this one's)."""
    p = subprocess.run(["ip", "-o", "link", "show"], stdout=subprocess.PIPE,
                       check=True)
    return sorted(ln.split(":")[1].strip().split("@")[0]
                  for ln in p.stdout.decode().splitlines() if ":" in ln)


CONNECT = re.compile(r"connect\(\d+, \{sa_family=(AF_INET6?),(.*?)\}")


def connects(trace):
    """(family, address, port) of every connect() in an strace file."""
    out = []
    with open(trace, encoding="utf-8", errors="replace") as f:
        for ln in f:
            m = CONNECT.search(ln)
            if not m:
                continue
            body = m.group(2)
            port = re.search(r"htons\((\d+)\)", body)
            if m.group(1) == "AF_INET":
                a = re.search(r'inet_addr\("([^"]+)"\)', body)
            else:
                a = re.search(r'inet_pton\(AF_INET6, "([^"]+)"', body)
            out.append((m.group(1), a.group(1) if a else "?",
                        int(port.group(1)) if port else -1))
    return out


def scan(scanner, listfile, outfile, trace, allow):
    args = [scanner, "-f", listfile, "-o", outfile, "--resolver",
            "%s:%d" % STUB, "--timeout", "2", "-j", "8",
            "--ehlo-name", "probe.ssrf.test", "--no-progress"]
    if allow:
        args.append("--allow-private")
    if trace:
        args = ["strace", "-f", "-qq", "-e", "trace=connect", "-o",
                trace] + args
    env = dict(os.environ)
    if trace:
        # LeakSanitizer cannot run under ptrace (strace): leaks are checked
        # by every other test of the sanitizer build.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":detect_leaks=0").lstrip(":")
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=env)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def inside(scanner):
    t = common.Tally("ssrf")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    if interfaces() != ["lo"]:
        # Never scan these addresses where a route to them could exist.
        t.fail("refusing to run: the namespace has interfaces %s" %
               interfaces())
        return t.done()
    import dnsstub
    stub = dnsstub.Stub(STUB[0], STUB[1], zone())
    stub.start()
    tmp = tempfile.mkdtemp(prefix="ms-ssrf-")
    have_strace = shutil.which("strace") is not None
    if not have_strace:
        t.note("strace not found: connect() attempts are not traced")
    try:
        lst = os.path.join(tmp, "list.txt")
        with open(lst, "w") as f:
            f.write("\n".join("%s.%s" % (lb, ZONE) for lb, _ in TARGETS))
        out = os.path.join(tmp, "out.jsonl")
        trace = os.path.join(tmp, "trace.txt") if have_strace else None
        rc, err = scan(scanner, lst, out, trace, allow=False)
        t.check(rc == 0, "guarded run exited %s: %s" % (rc, err[-500:]))
        with open(out, encoding="utf-8") as f:
            recs = common.records(f.read())
        by = {r.get("domain"): r for r in recs}
        t.check(len(recs) == len(TARGETS) == len(by),
                "%d records for %d domains" % (len(recs), len(TARGETS)))
        for label, addr in TARGETS:
            d = "%s.%s" % (label, ZONE)
            r = by.get(d)
            if not t.check(r is not None, "%s (%s): no record" % (d, addr)):
                continue
            probs = t.schema_errors(r)
            subj = sorted(f.get("subject") for f in r.get("findings", [])
                          if f.get("code") == "TARGET_PRIVATE_ADDRESS")
            if subj != sorted(["mta-sts." + d, "mx." + d]):
                probs.append("TARGET_PRIVATE_ADDRESS subjects %s" % subj)
            pol = r.get("policy") or {}
            if pol.get("fetch") != "blocked" or pol.get("connected_to"):
                probs.append("policy fetch %r connected_to %r" %
                             (pol.get("fetch"), pol.get("connected_to")))
            for mx in r.get("mx") or []:
                for a in ((mx.get("smtp") or {}).get("addresses") or []):
                    if a.get("outcome") != "not_run":
                        probs.append("SMTP probe of %s: %s" %
                                     (a.get("address"), a.get("outcome")))
            if r.get("status") != "warning":
                probs.append("status %s" % r.get("status"))
            t.check(not probs, "%s (%s): %s" % (d, addr, "; ".join(probs)))
        if have_strace:
            bad = [c for c in connects(trace) if c[1:] != STUB]
            t.check(not bad, "guarded run: connect() to %s" % bad[:5])
            t.note("guarded run: %d connect() calls, all to the stub" %
                   len(connects(trace)))
            # Control: with --allow-private the same scan does try them.
            rc, err = scan(scanner, lst, out, trace, allow=True)
            tried = {c[1] for c in connects(trace) if c[1:] != STUB}
            want = {a for _, a in TARGETS if a not in ("0.0.0.0", "::")}
            missing = sorted(a for a in want if a not in tried and
                             a.lower() not in tried)
            t.note("control run (--allow-private): %d target addresses "
                   "tried" % len(tried))
            t.check(len(tried) >= 10, "control run: only %d target "
                    "addresses tried (%s missing); the trace check would "
                    "not notice a broken guard" % (len(tried), missing[:6]))
    finally:
        stub.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


def main(argv):
    if len(argv) == 3 and argv[1] == "--inside":
        return inside(os.path.abspath(argv[2]))
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    scanner = os.path.abspath(argv[1])
    if os.geteuid() != 0 or not shutil.which("unshare") or \
            not shutil.which("ip"):
        print("ssrf: skipped (needs root, unshare and ip)")
        return common.SKIP
    p = subprocess.run(["unshare", "--net", "--", sys.executable,
                        os.path.abspath(__file__), "--inside", scanner])
    return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
