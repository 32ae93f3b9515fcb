#!/usr/bin/env python3
"""Integration test of mtasts-report over the hand-written fixtures in
tests/report/fixtures/ (python3 stdlib + the built binary): summary numbers,
the diff against the previous night, merging shards, exit codes, the text
summary, and the Prometheus file checked by a real parser (promtool when
installed, and Debian's python3-prometheus-client when importable).

usage: run_report_tests.py MTASTS_REPORT_BINARY
The expected values below are worked out by hand from the fixtures (see the
comments); they are not copied from the tool's output.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
NOW = "2026-12-04T00:00:00Z"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(binary, *args, stdin=None):
    p = subprocess.run([binary, *args], cwd=FIX, input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# cur-a.jsonl + cur-b.jsonl (shards of "tonight"), prev.jsonl ("last night").
# charlie.example is in both shards: cur-b's record (warning) wins.
EXPECT_STATUS = {"valid": 2,     # bravo, delta
                 "warning": 2,   # charlie (cur-b), echo
                 "invalid": 2,   # alpha, hostile
                 "none": 0,
                 "error": 1}     # new
EXPECT_MODE = {"enforce": 5, "testing": 1, "none": 0, "null": 1}
EXPECT_NEW = {("alpha.example", "POLICY_CERT_EXPIRED"),
              ("charlie.example", "SMTP_CERT_EXPIRING"),
              ("echo.example", "FUTURE_CODE_X"),  # unknown to the catalogue
              ("hostile.example", "STS_RECORD_MALFORMED_PREFIX"),
              ("hostile.example", "MX_NOT_COVERED"),
              ("new.example", "DNS_TIMEOUT")}
# bravo's TLSRPT_MISSING is info (no problem); gone.example left the list.
EXPECT_FIXED = {("bravo.example", "MX_NOT_COVERED")}
EXPECT_CHANGES = {("alpha.example", "valid", "invalid"),
                  ("bravo.example", "invalid", "valid"),
                  ("hostile.example", "valid", "invalid")}
HOSTILE_HOST = 'mx."evil\\\nhost'
# (domain, host, kind, days_left) at NOW, within 14 days; delta's is not.
EXPECT_EXP = [("alpha.example", "mta-sts.alpha.example", "policy", -4),
              ("hostile.example", HOSTILE_HOST, "mx", 1),
              ("charlie.example", "mx1.charlie.example", "mx", 6)]


def test_summary(binary, tmp):
    out = os.path.join(tmp, "summary.json")
    rc, _, err = run(binary, "--now", NOW, "--previous", "prev.jsonl",
                     "--summary-json", out, "cur-a.jsonl", "cur-b.jsonl")
    check(rc == 0, "summary run exits 0 (got %d)" % rc)
    s = json.load(open(out, encoding="utf-8"))
    check(s["domains"] == 7, "7 domains (got %s)" % s["domains"])
    check(s["by_status"] == EXPECT_STATUS, "by_status %s" % s["by_status"])
    check(s["by_mode"] == EXPECT_MODE, "by_mode %s" % s["by_mode"])
    # broken JSON (cur-a:3), an array (cur-b:3), status "bogus" (cur-b:4)
    check(s["bad_lines"] == 3, "3 bad lines (got %s)" % s["bad_lines"])
    check(s["duplicates"] == 1, "1 duplicate (got %s)" % s["duplicates"])
    for where in ("cur-a.jsonl:3:", "cur-b.jsonl:3:", "cur-b.jsonl:4:",
                  "cur-b.jsonl:1: domain seen before"):
        check(where in err, "stderr names %s" % where)
    check(s["by_severity"] == {"error": 4, "warning": 4, "info": 1},
          "by_severity %s" % s["by_severity"])
    f = s["findings"]
    check(f["FUTURE_CODE_X"] == {"domains": 1, "findings": 2,
                                 "by_severity": {"warning": 2}},
          "unknown code counted: %s" % f.get("FUTURE_CODE_X"))
    check(f["MX_NOT_COVERED"]["domains"] == 1, "MX_NOT_COVERED on 1 domain")
    check("POLICY_SYNTAX" not in f, "the replaced charlie record left no trace")
    got_new = {(p["domain"], p["code"]) for p in s["new_problems"]}
    check(got_new == EXPECT_NEW, "new problems %s" % sorted(got_new))
    got_fixed = {(p["domain"], p["code"]) for p in s["fixed_problems"]}
    check(got_fixed == EXPECT_FIXED, "fixed problems %s" % sorted(got_fixed))
    got_chg = {(c["domain"], c["from"], c["to"]) for c in s["status_changes"]}
    check(got_chg == EXPECT_CHANGES, "status changes %s" % sorted(got_chg))
    check(s["previous"] == {"domains": 6, "added_domains": 2,
                            "removed_domains": 1},
          "previous %s" % s["previous"])
    got_exp = [(c["domain"], c["host"], c["kind"], c["days_left"])
               for c in s["certificates_expiring"]]
    check(got_exp == EXPECT_EXP, "expiring certificates %s" % got_exp)
    # A wider window takes delta's certificate (2027-06-01) in too.
    rc, _, _ = run(binary, "--now", NOW, "--expiring-days", "365",
                   "--summary-json", out, "cur-a.jsonl", "cur-b.jsonl")
    s = json.load(open(out, encoding="utf-8"))
    check(len(s["certificates_expiring"]) == 4 and s["new_problems"] is None,
          "--expiring-days 365: 4 certificates, no diff without --previous")


def test_exit_codes(binary, tmp):
    rows = [
        (["--now", NOW, "--previous", "prev.jsonl", "--fail-on-new",
          "--text", os.path.join(tmp, "t.txt"), "cur-a.jsonl", "cur-b.jsonl"],
         1, "--fail-on-new with new problems"),
        (["--previous", "prev.jsonl", "--fail-on-new",
          "--text", os.path.join(tmp, "t.txt"), "prev.jsonl"],
         0, "--fail-on-new against itself"),
        ([], 2, "no input"),
        (["--bogus", "cur-a.jsonl"], 2, "unknown option"),
        (["--expiring-days", "x", "cur-a.jsonl"], 2, "bad --expiring-days"),
        (["--now", "yesterday", "cur-a.jsonl"], 2, "bad --now"),
        (["--text", "-", "--merge", "-", "cur-a.jsonl"], 2, "two stdouts"),
        (["no-such-file.jsonl"], 3, "missing input"),
        (["--previous", "no-such.jsonl", "cur-a.jsonl"], 3, "missing previous"),
        (["--html", "/nonexistent-dir/x.html", "cur-a.jsonl"], 3,
         "unwritable output"),
        (["--scan-summary", "prev.jsonl", "cur-a.jsonl"], 3,
         "not a scanner summary"),
        (["--help"], 0, "--help"),
        (["-V"], 0, "-V"),
    ]
    for args, want, what in rows:
        rc, _, _ = run(binary, *args)
        check(rc == want, "exit %d for %s (got %d)" % (want, what, rc))
    check(not os.path.exists("/nonexistent-dir/x.html.tmp"), "no tmp left")


def test_text(binary):
    rc, out, _ = run(binary, "--now", NOW, "--previous", "prev.jsonl",
                     "cur-a.jsonl", "cur-b.jsonl")
    check(rc == 0, "text to stdout by default")
    for want in ("7 domains, 5 with problems",
                 "New problems since the previous run: 6",
                 "Fixed problems: 1", "Status changes: 3",
                 "Certificates expired or expiring within 14 days: 3",
                 'mx."evil\\\\\\nhost 1 days'):
        check(want in out, "text has %r" % want)
    check('evil\\\nhost' not in out, "a newline in a host stays escaped")


def test_merge(binary, tmp):
    out = os.path.join(tmp, "merged.jsonl")
    rc, _, _ = run(binary, "--merge", out, "cur-a.jsonl", "cur-b.jsonl")
    check(rc == 0, "merge exits 0")
    lines = open(out, encoding="utf-8").read().splitlines()
    doms = [json.loads(l)["domain"] for l in lines]
    check(doms == sorted(EXPECT_STATUS and doms) and len(doms) == 7
          and len(set(doms)) == 7, "7 records, sorted, unique: %s" % doms)
    check(doms == ["alpha.example", "bravo.example", "charlie.example",
                   "delta.example", "echo.example", "hostile.example",
                   "new.example"], "merge order")
    src = {}
    for name in ("cur-a.jsonl", "cur-b.jsonl"):
        for l in open(os.path.join(FIX, name), encoding="utf-8"):
            l = l.rstrip("\n")
            try:
                src[json.loads(l)["domain"]] = l  # later wins, as the tool
            except (ValueError, TypeError, KeyError):
                pass
    check(all(l == src[json.loads(l)["domain"]] for l in lines),
          "merged lines are the inputs' bytes (later record wins)")
    # Merging is idempotent, and stdin works as an input.
    data = open(out, encoding="utf-8").read()
    rc, again, _ = run(binary, "--merge", "-", "-", stdin=data)
    check(rc == 0 and again == data, "merge of the merge from stdin is equal")


def load_prom_parser():
    """The exposition parser of python3-prometheus-client; the Debian
    package's directory is tried too when python3 is not Debian's."""
    for extra in (None, "/usr/lib/python3/dist-packages"):
        if extra:
            sys.path.append(extra)
        try:
            from prometheus_client.parser import \
                text_string_to_metric_families as parse
            return parse
        except ImportError:
            pass
    print("note: python3-prometheus-client not installed")
    return None


def test_prom(binary, tmp):
    out = os.path.join(tmp, "mtasts.prom")
    rc, _, _ = run(binary, "--now", NOW, "--previous", "prev.jsonl",
                   "--prom", out, "cur-a.jsonl", "cur-b.jsonl")
    check(rc == 0 and os.path.exists(out) and not os.path.exists(out + ".tmp"),
          "prom written, FILE.tmp renamed away")
    text = open(out, encoding="utf-8").read()
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "promtool check metrics: rc %d %s%s"
              % (p.returncode, p.stdout, p.stderr))
    else:
        print("note: promtool not installed (Debian package prometheus)")
    text_string_to_metric_families = load_prom_parser()
    if not promtool and not text_string_to_metric_families:
        check(False, "no Prometheus format checker available")
        return
    if not text_string_to_metric_families:
        return
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    def get(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))
    for st, n in EXPECT_STATUS.items():
        check(get("mtasts_domains", status=st) == n, "mtasts_domains %s" % st)
    check(get("mtasts_domains_by_mode", mode="enforce") == 5, "mode enforce")
    check(get("mtasts_findings", code="FUTURE_CODE_X", severity="warning")
          == 2, "findings{FUTURE_CODE_X}")
    check(get("mtasts_cert_expiring", kind="mx") == 2
          and get("mtasts_cert_expiring", kind="policy") == 1,
          "cert_expiring by kind")
    # The hostile host name comes back byte for byte from the parser.
    check(get("mtasts_cert_remaining_seconds", domain="hostile.example",
              host=HOSTILE_HOST, kind="mx") == 86400,
          "label with \" \\ and newline round-trips")
    check(get("mtasts_problems_new") == 6 and get("mtasts_problems_fixed") == 1,
          "problems new/fixed")
    check(get("mtasts_report_timestamp_seconds") == 1796342400, "timestamp")
    # duration: the slowest record (bravo 250 ms) without --scan-summary ...
    check(get("mtasts_scan_duration_seconds") == 0.25, "duration from records")
    summ = os.path.join(tmp, "scan-summary.json")
    with open(summ, "w") as fp:
        json.dump({"duration_ms": 61500, "domains": 7}, fp)
    rc, _, _ = run(binary, "--prom", out, "--scan-summary", summ,
                   "cur-a.jsonl")
    text = open(out, encoding="utf-8").read()
    check("mtasts_scan_duration_seconds 61.500" in text,
          "duration from --scan-summary")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        test_summary(binary, tmp)
        test_exit_codes(binary, tmp)
        test_text(binary)
        test_merge(binary, tmp)
        test_prom(binary, tmp)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
