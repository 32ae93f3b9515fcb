#!/usr/bin/env python3
"""Interrupted runs and output errors (issue 6, part 4), against the lab.

    interrupt_test.py [--seed N] SCANNER

1. SIGKILL at random moments: a run over ~1,100 lab inputs (the 1,000
   shared-MX domains, NXDOMAIN names, rejected lines, a few slow hostile
   domains) is killed with SIGKILL after a random delay, resumed with
   --resume and killed again, several times, then resumed to the end. The
   output must hold exactly one schema-valid record per distinct input:
   no duplicate, none missing, no torn line after the final run.
2. SIGINT: exit status 3 within the grace period (min(deadline, 10 s)) plus
   slack, every line whole, and stderr says how far it got ("N domains").
3. Output errors: -o /dev/full -> exit 3 and a clear message; stdout into a
   pipe closed early (| head -c 100) -> exit 3, no hang.
The seed is printed (rerun with --seed N). Prints "N passed, M failed";
exit 77 when the lab is not running.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ARGS = ["--timeout", "2", "--deadline", "4", "-j", "64", "--no-progress"]


def inputs(rd):
    """The list lines and the set of keys expected in the output (domain
    for scanned inputs, the trimmed line for rejected ones)."""
    lines, keys = [], set()
    with open(os.path.join(rd, "lists", "shared.txt")) as f:
        for ln in f:
            if ln.strip():
                lines.append(ln.strip())
                keys.add(ln.strip())
    for i in range(60):
        d = "nx-%03d.absent.lab.test" % i
        lines.append(d.upper() if i % 2 else d)     # normalised duplicates
        lines.append(d + ".")
        keys.add(d)
    for i in range(40):
        bad = "bad_%03d@lab.test" % i
        lines += [bad, bad]                         # rejected, twice
        keys.add(bad)
    for i in range(5):
        # A NUL byte: the record keeps the line up to the NUL only, and
        # --resume must still recognise it (scanner/input.c).
        lines.append("nul-%02d\0rest.lab.test" % i)
        keys.add("nul-%02d" % i)
    # Slow ones: they are often in flight when the kill comes.
    for sid in ("http-drip", "http-headers-forever", "smtp-slow-enforce",
                "smtp-silent-enforce"):
        lines.append(sid + ".lab.test")
        keys.add(sid + ".lab.test")
    random.shuffle(lines)
    return lines, keys


def key_of(r):
    if any(f.get("code") == "INPUT_INVALID_NAME"
           for f in r.get("findings") or []):
        return (r.get("input") or "").strip()
    return r.get("domain")


def read_out(path):
    """(whole records, number of torn/non-JSON lines, last line torn)."""
    with open(path, "rb") as f:
        data = f.read()
    recs, bad = [], 0
    parts = data.split(b"\n")
    torn = parts[-1] != b""
    for i, ln in enumerate(parts):
        if not ln:
            continue
        try:
            recs.append(json.loads(ln))
        except ValueError:
            if not (torn and i == len(parts) - 1):
                bad += 1
    return recs, bad, torn


def check_complete(t, what, path, keys):
    recs, bad, torn = read_out(path)
    t.check(bad == 0 and not torn, "%s: %d broken line(s), torn end %s" %
            (what, bad, torn))
    seen = {}
    for r in recs:
        seen.setdefault(key_of(r), []).append(r)
    dups = sorted(k for k, v in seen.items() if len(v) > 1)
    missing = sorted(keys - set(seen))
    extra = sorted(str(k) for k in set(seen) - keys)
    t.check(not dups, "%s: %d input(s) with more than one record: %s" %
            (what, len(dups), dups[:5]))
    t.check(not missing, "%s: %d input(s) without a record: %s" %
            (what, len(missing), missing[:5]))
    t.check(not extra, "%s: unexpected records: %s" % (what, extra[:5]))
    errs = [(key_of(r), e) for r in recs for e in t.schema_errors(r)]
    t.check(not errs, "%s: schema: %s" % (what, errs[:3]))
    t.note("%s: %d records for %d inputs" % (what, len(recs), len(keys)))


def sigkill_resume(t, scanner, tmp, rd, rng):
    lines, keys = inputs(rd)
    lst = os.path.join(tmp, "list.txt")
    with open(lst, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = os.path.join(tmp, "killed.jsonl")
    base = [scanner, "-f", lst, "-o", out] + ARGS + common.lab_args()
    kills = 0
    for i in range(5):
        args = base + (["--resume"] if i else [])
        delay = rng.uniform(0.1, 1.5)
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        p.stderr.close()
        if i == 1 and os.path.exists(out):
            # A write cut short by a crash (one record per write(2), but
            # SIGKILL can still cut a long one): --resume must cut this
            # torn line and scan its domain again.
            with open(out, "ab") as f:
                f.write(b'{"domain":"torn.example","status":"va')
        size = os.path.getsize(out) if os.path.exists(out) else 0
        recs, bad, torn = read_out(out) if size else ([], 0, False)
        t.note("run %d: killed after %.2f s: %d records, torn end %s" %
               (i + 1, delay, len(recs), torn))
        t.check(bad == 0, "run %d: %d broken line(s) before the end" %
                (i + 1, bad))
        # SIGKILL can cut even a single write(2) short (the kernel checks
        # for a fatal signal between the pages it copies), so a torn last
        # line is possible after a kill; what matters is that --resume
        # repairs it, which the final checks below assert.
        if torn and i != 1:
            t.note("run %d: SIGKILL left a torn last line (repaired by "
                   "--resume)" % (i + 1))
    p = subprocess.run(base + ["--resume"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    t.check(p.returncode == 0, "final --resume run exited %d: %s" %
            (p.returncode, p.stderr.decode(errors="replace")[-300:]))
    t.check(kills >= 3, "only %d of 5 runs were still running when killed "
            "(the list finishes too fast)" % kills)
    check_complete(t, "after %d SIGKILLs and --resume" % kills, out, keys)
    # A --resume of a complete output scans nothing and adds nothing.
    before = os.path.getsize(out)
    p = subprocess.run(base + ["--resume"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)
    t.check(p.returncode == 0 and os.path.getsize(out) == before,
            "--resume of a finished run: exit %d, size %d -> %d" %
            (p.returncode, before, os.path.getsize(out)))


def sigint(t, scanner, tmp, rd):
    lines, _ = inputs(rd)
    lst = os.path.join(tmp, "list2.txt")
    with open(lst, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = os.path.join(tmp, "sigint.jsonl")
    deadline = 4.0
    p = subprocess.Popen([scanner, "-f", lst, "-o", out] + ARGS +
                         common.lab_args(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(1.0)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    secs = time.time() - t0
    err = err.decode(errors="replace")
    t.note("SIGINT: exit %s after %.2f s; stderr: %s" %
           (p.returncode, secs, " | ".join(err.strip().splitlines()[-2:])))
    t.check(p.returncode == 3, "SIGINT: exit %s, expected 3" % p.returncode)
    t.check(secs <= min(deadline, 10.0) + 2.0,
            "SIGINT: took %.1f s to stop (grace %.1f s)" % (secs, deadline))
    t.check(re.search(r"\d+ domains", err) is not None,
            "SIGINT: stderr does not say how far it got: %r" % err[-300:])
    recs, bad, torn = read_out(out)
    t.check(bad == 0 and not torn and recs,
            "SIGINT: %d records, %d broken, torn end %s" %
            (len(recs), bad, torn))


def output_errors(t, scanner, rd):
    lst = os.path.join(rd, "lists", "shared.txt")
    base = [scanner, "-f", lst] + ARGS + common.lab_args()
    try:
        p = subprocess.run(base + ["-o", "/dev/full"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode(errors="replace")
        t.note("-o /dev/full: exit %d: %s" % (p.returncode, err.strip()[-200:]))
        t.check(p.returncode == 3 and "cannot write" in err,
                "-o /dev/full: exit %d, stderr %r" % (p.returncode, err[-200:]))
    except subprocess.TimeoutExpired:
        t.fail("-o /dev/full: still running after 60 s")
    t0 = time.time()
    p1 = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p2 = subprocess.Popen(["head", "-c", "100"], stdin=p1.stdout,
                          stdout=subprocess.DEVNULL)
    p1.stdout.close()
    try:
        _, err = p1.communicate(timeout=60)
        err = err.decode(errors="replace")
        t.note("| head -c 100: exit %d after %.1f s: %s" %
               (p1.returncode, time.time() - t0, err.strip()[-200:]))
        t.check(p1.returncode == 3 and "cannot write" in err,
                "| head -c 100: exit %d, stderr %r" % (p1.returncode,
                                                       err[-200:]))
    except subprocess.TimeoutExpired:
        p1.kill()
        p1.wait()
        t.fail("| head -c 100: the scanner hangs on a closed pipe")
    p2.wait()


def main(argv):
    seed = int(time.time())
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if not common.lab_running():
        print("interrupt: skipped (the lab is not running)")
        return common.SKIP
    scanner = os.path.abspath(argv[1])
    rd = common.lab_dir()
    t = common.Tally("interrupt")
    t.note("seed %d" % seed)
    rng = random.Random(seed)
    random.seed(seed)
    with tempfile.TemporaryDirectory(prefix="ms-interrupt-") as tmp:
        sigkill_resume(t, scanner, tmp, rd, rng)
        sigint(t, scanner, tmp, rd)
        output_errors(t, scanner, rd)
    return t.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
