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
Corpus domains (when the shared corpus exists) must give one schema-valid
record whose status is not "error".
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
# Codes the lab cannot produce by design (no SMTP peers, no previous run).
NOT_IN_LAB = ("SMTP_", "HISTORY_")
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
    """Every catalogue code outside NOT_IN_LAB must be expected somewhere."""
    seen = set()
    for s in data["scenarios"]:
        seen.update(s["expect"]["codes"])
    unknown = sorted(seen - set(cat))
    missing = sorted(c for c in cat if c not in seen
                     and not c.startswith(NOT_IN_LAB))
    out = []
    if unknown:
        out.append("scenarios: codes not in data/findings.def: %s" %
                   " ".join(unknown))
    if missing:
        out.append("scenarios: no scenario produces %s" % " ".join(missing))
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
        args += data["groups"][g]
        with open(os.path.join(outdir, g + ".cmd"), "w") as f:
            f.write(" ".join(args) + "\n")
        procs[g] = (subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(err, "wb")),
                    out, err, time.time())
    res = {}
    for g, (p, out, err, t0) in procs.items():
        try:
            rc = p.wait(timeout=400)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            rc = "killed after 400 s"
        secs = time.time() - t0
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
        res[g] = (rc, recs, errtext, secs)
    return res


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
    if status != exp["status"] or codes not in sets or (
            "mode" in exp and mode != exp["mode"]):
        probs.append("expected %s; got %s" %
                     (fmt(exp["status"], exp["codes"], exp.get("mode", "*")),
                      fmt(status, codes, mode)))
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
        res = run_groups(scanner, rd, data, groups)
        for g in groups:
            rc, recs, errtext, secs = res[g]
            mine = {k: v for k, v in expect.items() if v["group"] == g}
            print("group %s: %d domains, exit %s, %.1f s" %
                  (g, len(mine), rc, secs))
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
