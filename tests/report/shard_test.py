#!/usr/bin/env python3
"""Shard test against the running lab (ctest fixture "lab"): scans the lab's
main list once unsharded and as --shard 1/3, 2/3 and 3/3, merges the shards
with mtasts-report --merge, and checks that the shards are disjoint, cover
the list, and that the merge equals the unsharded run as a set of
(domain, status, mode, sorted finding codes). Then renders the HTML report
of the full run in headless chromium (every problem domain shown, no
script, a screenshot), unless chromium is missing (said, not hidden).

usage: shard_test.py MTASTS_SCAN MTASTS_REPORT [OUTDIR]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import browser  # noqa: E402
import lab  # noqa: E402  (read-only use: where the lab runs)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def key_set(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.add((r["domain"], r["status"], r["mode"],
                     tuple(sorted(x["code"] for x in r["findings"]))))
    return out


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    scan, report = (os.path.abspath(a) for a in sys.argv[1:3])
    outdir = os.path.abspath(sys.argv[3] if len(sys.argv) == 4 else ".")
    os.makedirs(outdir, exist_ok=True)
    rd = lab.run_dir()
    if not lab.status(rd):
        print("the lab is not running: run this through ctest (fixture lab) "
              "or start it with scripts/lab.sh start")
        return 1
    domains = os.path.join(rd, "lists", "main.txt")
    args = ["-f", domains, "--resolver", lab.UNBOUND_ADDR, "--ca-file",
            os.path.join(rd, "ca.pem"), "--allow-private", "--timeout", "3",
            "--no-smtp", "-j", "32"]
    runs = {"all": []}
    for k in (1, 2, 3):
        runs["shard-%d" % k] = ["--shard", "%d/3" % k]
    files = {}
    for name, extra in runs.items():
        out = os.path.join(outdir, "lab-%s.jsonl" % name)
        summ = os.path.join(outdir, "lab-%s.summary.json" % name)
        p = subprocess.run([scan, *args, *extra, "-o", out, "--summary", summ],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, "scan %s exits 0 (got %d) %s"
              % (name, p.returncode, p.stderr[-300:]))
        files[name] = out
    shards = [key_set(files["shard-%d" % k]) for k in (1, 2, 3)]
    doms = [{k[0] for k in s} for s in shards]
    check(all(doms), "every shard got domains: %s" % [len(d) for d in doms])
    check(not (doms[0] & doms[1] or doms[0] & doms[2] or doms[1] & doms[2]),
          "shards are disjoint")
    merged = os.path.join(outdir, "lab-merged.jsonl")
    p = subprocess.run([report, "--merge", merged,
                        *(files["shard-%d" % k] for k in (1, 2, 3))],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and "seen before" not in p.stderr,
          "merge exits 0 without duplicates %s" % p.stderr[-300:])
    whole, got = key_set(files["all"]), key_set(merged)
    check({k[0] for k in whole} == set().union(*doms),
          "the shards cover the list (%d domains)" % len(whole))
    for k in sorted(whole ^ got)[:20]:
        print("  differs: %s %s" % ("unsharded" if k in whole else "merged", k))
    check(whole == got, "merged shards == unsharded run "
          "(domain, status, mode, codes)")
    lines = [json.loads(l)["domain"] for l in open(merged, encoding="utf-8")]
    check(lines == sorted(lines), "merged output sorted by domain")

    # The HTML report of the full lab run, in a real browser.
    chromium = browser.find_chromium()
    if not chromium:
        print("SKIP (part): chromium not installed: HTML of the lab run NOT "
              "checked")
    else:
        html = os.path.join(outdir, "report-lab.html")
        png = os.path.join(outdir, "report-lab.png")
        p = subprocess.run([report, "--html", html, "--scan-summary",
                            os.path.join(outdir, "lab-all.summary.json"),
                            files["all"]], capture_output=True, timeout=120)
        check(p.returncode == 0, "report --html of the lab run exits 0")
        problems = sorted(k[0] for k in whole
                          if k[1] in ("invalid", "warning", "error"))
        dom, _ = browser.render(chromium, html, png)
        # The DOM shows names HTML-escaped (&amp; etc.); lab names are plain.
        browser.check_page(check, dom, png, problems, ["<svg"])
        print("screenshot: %s" % png)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
