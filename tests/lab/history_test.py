#!/usr/bin/env python3
"""History across two lab runs (issue 4): HISTORY_* findings with --previous.

Run 1 scans hist-same-id, hist-downgrade and a control domain. Between the
runs the lab changes: hist-same-id's policy body changes while its TXT id
stays (RFC 8461 section 8.1), hist-downgrade's policy goes from enforce to
testing and its TXT id changes. Run 2 scans again with --previous run1.
Expected: HISTORY_POLICY_CHANGED_SAME_ID on hist-same-id only;
HISTORY_MODE_DOWNGRADED (and HISTORY_ID_CHANGED) on hist-downgrade only;
no HISTORY_* finding on the control domain. The lab is restored afterwards.
The scanner asks NSD directly (127.10.0.2) so that no resolver cache hides
the DNS change; NSD re-reads its zone on SIGHUP.

Usage: history_test.py SCANNER
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
RUN = os.environ.get("MS_LAB_DIR", os.path.join(TOP, "lab-run"))
ZONE = os.path.join(RUN, "lab.test.zone")
DOMAINS = ["hist-same-id.lab.test", "hist-downgrade.lab.test",
           "valid-basic.lab.test"]


def policy_path(domain):
    return os.path.join(RUN, "www", "mta-sts.%s.txt" % domain)


def scan(scanner, out, previous=None):
    args = [scanner, "--resolver", "127.10.0.2", "--ca-file",
            os.path.join(RUN, "ca.pem"), "--allow-private", "--timeout", "3",
            "--no-smtp", "-o", out] + DOMAINS
    if previous:
        args += ["--previous", previous]
    r = subprocess.run(args, stderr=subprocess.PIPE, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit("history: scanner exit %d: %s" % (r.returncode, r.stderr))
    recs = {}
    with open(out, encoding="utf-8") as fp:
        for line in fp:
            rec = json.loads(line)
            recs[rec["domain"]] = rec
    return recs


def nsd_reload():
    with open(os.path.join(RUN, "nsd.pid")) as fp:
        os.kill(int(fp.read().split()[0]), signal.SIGHUP)
    time.sleep(1.0)


def history_codes(rec):
    return sorted(f["code"] for f in rec["findings"]
                  if f["code"].startswith("HISTORY_"))


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    scanner = argv[1]
    for d in DOMAINS[:2]:
        if not os.path.exists(policy_path(d)):
            sys.exit("history: %s missing: is the lab running?" %
                     policy_path(d))
    outdir = os.path.join(RUN, "out")
    os.makedirs(outdir, exist_ok=True)
    run1 = os.path.join(outdir, "history-1.jsonl")
    run2 = os.path.join(outdir, "history-2.jsonl")
    backups = [(p, p + ".history-bak") for p in
               (ZONE, policy_path(DOMAINS[0]), policy_path(DOMAINS[1]))]
    for p, b in backups:
        shutil.copyfile(p, b)
    failures = []
    try:
        first = scan(scanner, run1)
        for d in DOMAINS:
            if first[d]["status"] != "valid" or history_codes(first[d]):
                failures.append("run 1: %s is %s %s" % (
                    d, first[d]["status"], history_codes(first[d])))
        # The change between the nights.
        with open(policy_path(DOMAINS[0]), "a") as fp:
            fp.write("x-comment: changed without a new id\n")
        with open(policy_path(DOMAINS[1])) as fp:
            body = fp.read()
        with open(policy_path(DOMAINS[1]), "w") as fp:
            fp.write(body.replace("mode: enforce", "mode: testing"))
        with open(ZONE) as fp:
            zone = fp.read()
        pat = re.compile(r'^(_mta-sts\.hist-downgrade\.lab\.test\.\s.*TXT\s+'
                         r'"v=STSv1; id=)([A-Za-z0-9]+)"', re.M)
        if not pat.search(zone):
            sys.exit("history: no TXT record for hist-downgrade in the zone")
        zone = pat.sub(lambda m: m.group(1) + m.group(2) + 'b"', zone)
        with open(ZONE, "w") as fp:
            fp.write(zone)
        nsd_reload()

        second = scan(scanner, run2, previous=run1)
        want = {
            DOMAINS[0]: ["HISTORY_POLICY_CHANGED_SAME_ID"],
            DOMAINS[1]: ["HISTORY_ID_CHANGED", "HISTORY_MODE_DOWNGRADED"],
            DOMAINS[2]: [],
        }
        for d, codes in want.items():
            got = history_codes(second[d])
            if got != codes:
                failures.append("run 2: %s history %s, want %s" %
                                (d, got, codes))
        if second[DOMAINS[0]]["status"] != "invalid":
            failures.append("run 2: %s status %s, want invalid (the history "
                            "finding is an error)" %
                            (DOMAINS[0], second[DOMAINS[0]]["status"]))
        if second[DOMAINS[1]]["mode"] != "testing":
            failures.append("run 2: %s mode %s, want testing" %
                            (DOMAINS[1], second[DOMAINS[1]]["mode"]))
    finally:
        for p, b in backups:
            shutil.move(b, p)
        nsd_reload()
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (0 if failures else 1, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
