#!/usr/bin/env python3
"""Integration test: scans every lab domain with the real scanner and checks
each JSON record against tests/lab/scenarios.json.

    run_lab_tests.py [--keep] [--only ID,ID] [--lease OWNER] SCANNER_BINARY

Inside the ctest fixture (lab.start --lease OWNER, then this with the same
--lease OWNER) it uses the running lab. Otherwise it takes the lab's lock for
the whole run (waiting for other test runs), restarts the lab from the
current scenarios, and stops it at the end when it was not running before
(unless --keep). One scanner run per scenario group (groups share extra arguments).
Checks, per input domain:
  (a) exactly one record per distinct input domain (duplicates, comments and
      blank lines in the list are not scanned twice / at all);
  (b) the record validates against data/schema/record.schema.json;
  (c) status, the exact set of finding codes, mode and severities as
      expected; fixed severities must match data/findings.def and
      mode-dependent ones the record's mode.
  (d) optional subjects: the exact subjects of a code's findings.
Corpus domains (when the shared corpus exists) must give one schema-valid
record whose status is not "error".
Group checks (scenarios.json "checks"): the hostile group's records stay
within the deadline and the scanner's peak RSS (wait4) under a bound; the
shared group (1,000 generated domains on two MX hosts) makes exactly one
probe per (host, address): the --summary counters and postfix's maillog
("connect from" lines per smtpd service) both say so. Over the whole run
no probe may send MAIL/RCPT/DATA (maillog and peers.log).
Prints one line per failing domain, then "N passed, M failed"; exit 1 on any
failure.
"""

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lab  # noqa: E402

SCHEMA = os.path.join(TOP, "data", "schema", "record.schema.json")
CATALOGUE = os.path.join(TOP, "data", "findings.def")
# Codes the lab cannot produce by design (no previous run).
NOT_IN_LAB = ("HISTORY_",)
MODES = ("enforce", "testing", "none")
# Codes whose severity depends on context (checked by mode or expectation).
CONTEXT_SEVERITY = {"TLSRPT_MISSING", "POLICY_FIELD_DUPLICATE",
                    "POLICY_MAX_AGE_SHORT"}


def catalogue():
    """code -> severity ("error", "warning", "info" or "mode")."""
    out = {}
    with open(CATALOGUE, encoding="utf-8") as f:
        for m in re.finditer(r"^MS_FINDING\((\w+),\s*(\w+)", f.read(), re.M):
            out[m.group(1)] = m.group(2).lower()
    return out


def load_validator(problems):
    if not os.path.isfile(SCHEMA):
        problems.append("schema: %s does not exist yet (it is written by "
                        "another engineer); records cannot be validated" %
                        SCHEMA)
        return None
    try:
        import jsonschema
    except ImportError:
        problems.append("schema: python3-jsonschema is not installed")
        return None
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def coverage_problems(data, cat):
    """Every catalogue code outside NOT_IN_LAB must be expected somewhere;
    every mode-dependent SMTP_* code in an enforce, a testing and a none
    policy."""
    seen = set()
    modes = {}
    for s in data["scenarios"] + data.get("generated", []):
        seen.update(s["expect"]["codes"])
        for c in s["expect"]["codes"]:
            modes.setdefault(c, set()).add(s["expect"].get("mode"))
    unknown = sorted(seen - set(cat))
    missing = sorted(c for c in cat if c not in seen
                     and not c.startswith(NOT_IN_LAB))
    out = []
    if unknown:
        out.append("scenarios: codes not in data/findings.def: %s" %
                   " ".join(unknown))
    if missing:
        out.append("scenarios: no scenario produces %s" % " ".join(missing))
    for c in sorted(cat):
        if c.startswith("SMTP_") and cat[c] == "mode":
            lack = [m for m in MODES if m not in modes.get(c, set())]
            if lack:
                out.append("scenarios: %s is not expected with mode %s" %
                           (c, " ".join(lack)))
    return out


def run_groups(scanner, rd, data, groups):
    """Starts one scanner per group (in parallel); returns
    group -> (exit code, records or None, stderr text, seconds)."""
    outdir = os.path.join(rd, "out")
    os.makedirs(outdir, exist_ok=True)
    procs = {}
    for g in groups:
        out = os.path.join(outdir, g + ".jsonl")
        err = os.path.join(outdir, g + ".stderr")
        if os.path.exists(out):
            os.unlink(out)
        args = [scanner, "-f", os.path.join(rd, "lists", g + ".txt"),
                "-o", out]
        args += [a.replace("{rundir}", rd) for a in data["common_args"]]
        args += [a.replace("{rundir}", rd) for a in data["groups"][g]]
        with open(os.path.join(outdir, g + ".cmd"), "w") as f:
            f.write(" ".join(args) + "\n")
        procs[g] = (subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(err, "wb")),
                    out, err, time.time())
    res = {}
    rss = {}
    hwm = {g: 0 for g in procs}
    while len(rss) < len(procs) and time.time() - min(
            t for _, _, _, t in procs.values()) < 400:
        # Each scanner's peak RSS: VmHWM of its own image, sampled while it
        # runs (ru_maxrss would include the forked Python before exec).
        for g, (p, _, _, _) in procs.items():
            if g in rss:
                continue
            hwm[g] = max(hwm[g], vm_hwm_kib(p.pid))
            pid, wst = os.waitpid(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(wst)
                rss[g] = (hwm[g], time.time())
        time.sleep(0.02)
    for g, (p, out, err, t0) in procs.items():
        if g in rss:
            rc = p.returncode
            secs = rss[g][1] - t0
        else:
            p.kill()
            p.wait()
            rc = "killed after 400 s"
            secs = time.time() - t0
            rss[g] = (0, time.time())
        with open(err, encoding="utf-8", errors="replace") as f:
            errtext = f.read()
        recs = None
        if os.path.exists(out):
            recs = []
            with open(out, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    try:
                        recs.append(json.loads(line))
                    except ValueError as e:
                        recs.append({"_bad_line": n, "_error": str(e)})
        res[g] = (rc, recs, errtext, secs, rss[g][0])
    return res


def udp_tc(server, name, qtype=16):
    """True/False: the TC bit of a UDP answer to a query with an EDNS OPT
    of 1232 bytes; None on timeout."""
    import socket
    import struct
    q = struct.pack(">HHHHHH", 0x4d53, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)      # OPT
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    try:
        s.sendto(q, (server, 53))
        r, _ = s.recvfrom(65535)
        return bool(r[2] & 0x02)
    except OSError:
        return None
    finally:
        s.close()


def vm_hwm_kib(pid):
    """Peak resident set of a running process (KiB), 0 when unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def fmt(status, codes, mode):
    return "status=%s codes=[%s] mode=%s" % (status, " ".join(sorted(codes)),
                                             mode)


def check_record(rec, exp, cat, validator):
    """Returns a list of problems (empty: pass)."""
    probs = []
    if validator is not None:
        errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
        for e in errs[:3]:
            probs.append("schema: %s at /%s" %
                         (e.message[:160], "/".join(map(str, e.path))))
    findings = rec.get("findings") or []
    codes = {f.get("code") for f in findings}
    status, mode = rec.get("status"), rec.get("mode")
    if exp.get("corpus"):
        if status == "error":
            probs.append("corpus domain (%s) got status error: %s" %
                         (exp.get("source"), fmt(status, codes, mode)))
        return probs
    sets = [set(exp["codes"])] + [set(a) for a in exp.get("alternatives", [])]
    statuses = [exp["status"]] + exp.get("status_alternatives", [])
    if status not in statuses or codes not in sets or (
            "mode" in exp and mode != exp["mode"]):
        probs.append("expected %s; got %s" %
                     (fmt(exp["status"], exp["codes"], exp.get("mode", "*")),
                      fmt(status, codes, mode)))
    for c, subj in exp.get("subjects", {}).items():
        got = sorted(f.get("subject") or "" for f in findings
                     if f.get("code") == c)
        if got != sorted(subj):
            probs.append("subjects of %s: expected %s, got %s" %
                         (c, sorted(subj), got))
    want = exp.get("severity", {})
    mode_sev = {"enforce": "error", "testing": "warning"}.get(mode, "info")
    for f in findings:
        c, sev = f.get("code"), f.get("severity")
        if c in want:
            ok = sev == want[c]
        elif c == "TLSRPT_MISSING":
            ok = sev == ("warning" if mode == "testing" else "info")
        elif c in CONTEXT_SEVERITY:
            ok = sev in ("warning", "error")
        elif cat.get(c) == "mode":
            ok = sev == mode_sev
        else:
            ok = c not in cat or sev == cat[c]
        if not ok:
            probs.append("severity of %s (%s) is %s" %
                         (c, f.get("subject", "-"), sev))
    return probs


class LogMarks:
    """The part of postfix's maillog and of peers.log written during the
    scanner runs (offsets taken before, text read after)."""

    FILES = {"maillog": os.path.join("postfix", "maillog"),
             "peers": "peers.log", "nginx": "nginx-access.log"}

    def __init__(self, rd):
        self.rd = rd
        self.start = {k: self.size(k) for k in self.FILES}
        self.text = {}

    def path(self, k):
        return os.path.join(self.rd, self.FILES[k])

    def size(self, k):
        try:
            return os.path.getsize(self.path(k))
        except OSError:
            return 0

    def read(self):
        for k in self.FILES:
            try:
                with open(self.path(k), "rb") as f:
                    f.seek(self.start[k])
                    self.text[k] = f.read().decode("utf-8", "replace")
            except OSError:
                self.text[k] = ""

    def connects(self, service):
        """New SMTP connections to postfix's smtpd service (one per lab
        address, syslog_name postfix/<service>)."""
        tag = "postfix/%s/smtpd[" % service
        return sum(1 for ln in self.text["maillog"].splitlines()
                   if tag in ln and ": connect from " in ln)

    def peer_sent(self, kind):
        """Bytes sent per closed connection of one peer kind."""
        out = []
        for ln in self.text["peers"].splitlines():
            f = ln.split()
            if len(f) >= 5 and f[1] == kind and f[3] == "close" and \
                    f[4].startswith("sent="):
                out.append(int(f[4][5:]))
        return out

    def mail_commands(self):
        """The probe must never send MAIL, RCPT or DATA."""
        out = []
        for ln in self.text["maillog"].splitlines():
            if " disconnect from " in ln and re.search(
                    r" (mail|rcpt|data)=\d", ln):
                out.append("postfix saw a mail transaction: " + ln.strip())
        for ln in self.text["peers"].splitlines():
            if " saw-" in ln:
                out.append("a peer saw a mail command: " + ln.strip())
        return out[:5]


def is_sanitized(scanner):
    """True for an ASan build (its RSS bound is larger)."""
    try:
        with open(scanner, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def group_checks(g, chk, recs, rss_kib, sanitizer, logs, rd, errtext,
                 all_rss=None):
    """The group-level checks of scenarios.json "checks"."""
    out = []
    over = chk.get("rss_over")
    if over and all_rss is not None:
        # Peak RSS relative to a normal run with the same arguments (issue
        # 6: hostile peers may not raise it by more than a few MiB).
        base = all_rss.get(over["group"], 0)
        print("group %s: peak RSS %.1f MiB, baseline group %s %.1f MiB" %
              (g, rss_kib / 1024.0, over["group"], base / 1024.0))
        # ASan's quarantine and shadow memory inflate a sanitizer build.
        mib = over.get("mib_sanitizer", over["mib"]) if sanitizer \
            else over["mib"]
        if base <= 0 or rss_kib - base > mib * 1024:
            out.append("group %s: peak RSS %.1f MiB is more than %d MiB above"
                       " group %s (%.1f MiB)" % (g, rss_kib / 1024.0,
                                                 mib, over["group"],
                                                 base / 1024.0))
    for needle in chk.get("nginx_log_absent", []):
        # A request the scanner must never make (e.g. a redirect target).
        hits = [ln for ln in logs.text.get("nginx", "").splitlines()
                if needle in ln]
        if hits:
            out.append("group %s: nginx saw a request with %r: %s" %
                       (g, needle, hits[0].strip()))
    for server, name in chk.get("udp_truncated", []):
        # The scenario really needs the TCP retry: over UDP (EDNS 1232) the
        # answer comes back truncated.
        tc = udp_tc(server, name)
        print("group %s: UDP answer for %s from %s: TC=%s" %
              (g, name, server, tc))
        if tc is not True:
            out.append("group %s: the UDP answer for %s from %s is not "
                       "truncated (TC=%s): TCP fallback untested" %
                       (g, name, server, tc))
    for kind, cap in sorted(chk.get("peer_sent_max", {}).items()):
        # How much a peer wrote before the scanner hung up on it.
        sent = logs.peer_sent(kind)
        print("group %s: peer %s: %d connection(s), sent %s bytes" %
              (g, kind, len(sent), sent))
        if not sent or max(sent) > cap:
            out.append("group %s: peer %s sent %s bytes (bound %d; the "
                       "scanner must stop reading)" % (g, kind, sent, cap))
    lim = chk.get("max_duration_ms")
    if lim is not None:
        slow = [(r.get("domain"), r.get("duration_ms")) for r in recs
                if not isinstance(r.get("duration_ms"), (int, float))
                or r["duration_ms"] > lim]
        for d, ms in slow:
            out.append("group %s: %s took %s ms (bound %d ms)" %
                       (g, d, ms, lim))
    key = "max_rss_mib_sanitizer" if sanitizer else "max_rss_mib"
    if key in chk:
        if rss_kib <= 0 or rss_kib > chk[key] * 1024:
            out.append("group %s: peak RSS %.1f MiB, bound %d MiB" %
                       (g, rss_kib / 1024.0, chk[key]))
    smtp = None
    if "summary" in chk:
        path = chk["summary"].replace("{rundir}", rd)
        try:
            with open(path, encoding="utf-8") as f:
                smtp = json.load(f).get("smtp") or {}
        except (OSError, ValueError) as e:
            out.append("group %s: summary %s: %s" % (g, path, e))
            smtp = None
        if smtp is not None:
            print("group %s: summary smtp %s" % (g, json.dumps(smtp)))
            want = {"probes": chk.get("smtp_probes"),
                    "requests": chk.get("smtp_requests")}
            for k, v in want.items():
                if v is not None and smtp.get(k) != v:
                    out.append("group %s: summary smtp.%s is %s, expected %s"
                               % (g, k, smtp.get(k), v))
            if not smtp.get("blocked") and isinstance(
                    smtp.get("requests"), int) and isinstance(
                    smtp.get("probes"), int) and smtp.get("shared") != \
                    smtp["requests"] - smtp["probes"]:
                out.append("group %s: summary smtp.shared is %s, expected "
                           "requests - probes" % (g, smtp.get("shared")))
    if "blocked" in chk:
        # Port 25 "blocked" (every probe refused): said once on stderr, the
        # rest skipped without findings.
        said = errtext.count("appears to be blocked")
        if said != 1:
            out.append("group %s: the blocked notice appeared %d times on "
                       "stderr, expected once" % (g, said))
        if smtp is None or smtp.get("blocked") is not chk["blocked"]:
            out.append("group %s: summary smtp.blocked is not %s" %
                       (g, chk["blocked"]))
        n = sum(1 for r in recs if any(f.get("code") == "SMTP_UNREACHABLE"
                                       for f in r.get("findings") or []))
        probes = (smtp or {}).get("probes")
        if not isinstance(probes, int) or n > probes or n >= len(recs):
            out.append("group %s: %d records with SMTP_UNREACHABLE, %s "
                       "probes, %d domains" % (g, n, probes, len(recs)))
    for svc, n in sorted(chk.get("maillog_connects", {}).items()):
        got = logs.connects(svc)
        print("group %s: postfix/%s: %d new connection(s)" % (g, svc, got))
        if got != n:
            out.append("group %s: postfix/%s saw %d connection(s), "
                       "expected %d" % (g, svc, got, n))
    return out


def main(argv):
    keep = "--keep" in argv
    argv = [a for a in argv if a != "--keep"]
    owner = None
    if "--lease" in argv:
        i = argv.index("--lease")
        owner = argv[i + 1]
        del argv[i:i + 2]
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only = set(argv[i + 1].split(","))
        del argv[i:i + 2]
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    scanner = os.path.abspath(argv[1])
    failed, passed = [], 0
    if not os.access(scanner, os.X_OK):
        print("FAIL scanner binary %s does not exist (not built yet?)" %
              scanner)
        print("0 passed, 1 failed")
        return 1
    rd = lab.run_dir()
    started = False
    fd = None
    if owner is None or lab.lease_owner(rd) != owner:
        # Not inside our own ctest fixture: hold the lab's lock for the whole
        # run, so that no other test run restarts it under us, and (re)start
        # it from the current scenarios.
        os.makedirs(rd, exist_ok=True)
        fd = lab.lock(rd, 900)
        started = not lab.status_quiet(rd)
        print("lab: (re)starting it")
        lab.start(rd)
    try:
        data = lab.load_scenarios()
        cat = catalogue()
        with open(os.path.join(rd, "expect.json"), encoding="utf-8") as f:
            expect = json.load(f)
        if only:
            expect = {k: v for k, v in expect.items() if v["id"] in only}
        failed += coverage_problems(data, cat)
        validator = load_validator(failed)
        groups = sorted({e["group"] for e in expect.values()})
        logs = LogMarks(rd)
        res = run_groups(scanner, rd, data, groups)
        time.sleep(0.5)          # postlogd writes the maillog asynchronously
        logs.read()
        failed += logs.mail_commands()
        sanitizer = is_sanitized(scanner)
        for g in groups:
            rc, recs, errtext, secs, rss_kib = res[g]
            mine = {k: v for k, v in expect.items() if v["group"] == g}
            print("group %s: %d domains, exit %s, %.1f s, peak RSS %.1f MiB"
                  % (g, len(mine), rc, secs, rss_kib / 1024.0))
            chk = data.get("checks", {}).get(g)
            if chk and recs is not None:
                failed += group_checks(g, chk, recs, rss_kib, sanitizer,
                                       logs, rd, errtext,
                                       {k: v[4] for k, v in res.items()})
            if rc != 0 or "ERROR: AddressSanitizer" in errtext \
                    or "runtime error:" in errtext:
                tail = "\n    ".join(errtext.strip().splitlines()[-15:])
                failed.append("group %s: scanner exited %s; stderr:\n    %s"
                              % (g, rc, tail))
            if recs is None:
                failed.append("group %s: no output file" % g)
                continue
            got = {}
            for r in recs:
                if "_bad_line" in r:
                    failed.append("group %s: output line %d is not JSON: %s"
                                  % (g, r["_bad_line"], r["_error"]))
                    continue
                key = r.get("domain")
                if key not in mine:
                    inp = (r.get("input") or "").strip()
                    key = inp if inp in mine else key
                if key in got:
                    failed.append("%s: more than one record" % key)
                    continue
                got[key] = r
            for key in sorted(got):
                if key not in mine:
                    failed.append("%s: unexpected record (input %r)" %
                                  (key, got[key].get("input")))
            for key, exp in sorted(mine.items()):
                if key not in got:
                    failed.append("%s [%s]: no record" % (key, exp["id"]))
                    continue
                probs = check_record(got[key], exp, cat, validator)
                if probs:
                    failed.append("%s [%s]: %s" % (key, exp["id"],
                                                   "; ".join(probs)))
                else:
                    passed += 1
    finally:
        if started and not keep:
            lab.stop(rd, quiet=True)
        if fd is not None:
            os.close(fd)
    for line in failed:
        print("FAIL " + line)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
