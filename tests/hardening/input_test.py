#!/usr/bin/env python3
"""Hostile input (issue 6, part 3), against the running lab.

    input_test.py [--memory] SCANNER

1. One CRLF file with a BOM, NUL bytes, an over-long line, over-long labels
   and names, IP literals (v4, v6, bracketed, v4-mapped), wildcards, URLs
   and e-mail addresses pasted instead of domains, invalid UTF-8, IDN
   U-labels (bücher.lab.test -> xn--bcher-kva.lab.test), duplicates in
   other spellings, comments and blank lines. Every distinct input gives
   exactly one schema-valid record: a correct scan of the lab domain, or
   INPUT_INVALID_NAME (status error) whose detail names the reason.
2. --memory: a million-line input, mostly duplicates of 2,000 NXDOMAIN lab
   names and 2,000 invalid lines, scanned for real; the scanner's peak RSS
   (VmHWM) with 100k and with 1M lines may differ by less than 4 MiB plus
   16 bytes per extra distinct input.
Prints "N passed, M failed"; exit 77 when the lab is not running.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

L = ".lab.test"
# (raw line, expectation): ("scan", domain, status) | ("invalid", reason
# substring of the detail) | ("dup", domain or raw line of the first) |
# ("none",): no record at all.
CASES = [
    (b"\xef\xbb\xbfvalid-basic" + L.encode(), ("scan", "valid-basic" + L,
                                               "valid")),
    (b"Valid-CRLF.LAB.test", ("scan", "valid-crlf" + L, "valid")),
    ("bücher.lab.test".encode(), ("scan", "xn--bcher-kva" + L, "valid")),
    ("BÜCHER.LAB.TEST.".encode(), ("dup", "xn--bcher-kva" + L)),
    (b"xn--bcher-kva.lab.test", ("dup", "xn--bcher-kva" + L)),
    (b"  valid-basic.lab.test.  ", ("dup", "valid-basic" + L)),
    (b"\tvalid-mixed-eol.lab.test\t# a trailing comment",
     ("scan", "valid-mixed-eol" + L, "valid")),
    (b"nxdomain.lab.test", ("scan", "nxdomain" + L, "error")),
    (b"# a comment line", ("none",)),
    (b"", ("none",)),
    (b"   ", ("none",)),
    (b"nul\x00byte.lab.test", ("invalid", "characters")),
    (b"a" * 10000, ("invalid", "longer than 1024")),
    (b"a" * 64 + L.encode(), ("invalid", "label longer than 63")),
    ((b"a" * 60 + b".") * 5 + b"lab.test", ("invalid", "longer than 253")),
    (b"192.0.2.1", ("invalid", "IP literal")),
    (b"192.0.2.1", ("dup", "192.0.2.1")),
    (b"2001:db8::1", ("invalid", "IP literal")),
    (b"[2001:db8::1]", ("invalid", "IP literal")),
    (b"[192.0.2.1]", ("invalid", "IP literal")),
    (b"::ffff:10.0.0.1", ("invalid", "IP literal")),
    (b"*.lab.test", ("invalid", "wildcard")),
    (b"*", ("invalid", "")),
    (b"https://valid-basic.lab.test/.well-known/mta-sts.txt",
     ("invalid", "URL")),
    (b"http://valid-basic.lab.test", ("invalid", "URL")),
    (b"postmaster@valid-basic.lab.test", ("invalid", "e-mail")),
    (b"mailto:tlsrpt@lab.test", ("invalid", "e-mail")),
    (b"\xff\xfe.lab.test", ("invalid", "IDN")),
    (b"a..b.lab.test", ("invalid", "empty label")),
    (b".leading.lab.test", ("invalid", "empty label")),
    (b"-bad.lab.test", ("invalid", "hyphen")),
    (b"valid-basic.lab.test:443", ("invalid", "characters")),
    (b"valid basic.lab.test", ("invalid", "whitespace")),
    (b"2130706433", ("invalid", "numeric")),
    (b"..", ("invalid", "dots")),
    (b".", ("invalid", "empty")),
]


def match_invalid(recs, raw):
    """Records whose input is this rejected line (compared after trimming;
    a NUL or the 1024-byte cap may shorten what the record keeps)."""
    want = raw.decode("utf-8", "replace").strip()
    # Bytes that are not UTF-8 are written as \u00XX (output.md).
    alt = raw.decode("latin-1").strip()
    out = []
    for r in recs:
        inp = (r.get("input") or "").strip()
        if not any(f.get("code") == "INPUT_INVALID_NAME"
                   for f in r.get("findings") or []):
            continue
        if inp in (want, alt) or (inp and len(inp) >= 3 and want.startswith(inp)
                           and ("\0" in want or len(want) > 1024)):
            out.append(r)
    return out


def hostile_file(t, scanner, tmp):
    path = os.path.join(tmp, "hostile.txt")
    with open(path, "wb") as f:
        # CRLF throughout, no terminator after the last line.
        f.write(b"\r\n".join(raw for raw, _ in CASES))
    out = os.path.join(tmp, "hostile.jsonl")
    rc, _, err, hwm, secs = common.run_sampled(
        [scanner, "-f", path, "-o", out, "--timeout", "3", "-j", "16",
         "--no-progress"] + common.lab_args())
    t.check(rc == 0, "hostile file: exit %s: %s" % (rc, err[-400:]))
    with open(out, encoding="utf-8") as f:
        recs = common.records(f.read())
    t.note("hostile file: %d lines, %d records, %.1f s, peak RSS %.1f MiB" %
           (len(CASES), len(recs), secs, hwm / 1024.0))
    for r in recs:
        if "_bad" in r:
            t.fail("hostile file: output line is not JSON: %r" % r["_bad"])
            continue
        errs = t.schema_errors(r)
        t.check(not errs, "hostile file: %s: schema: %s" %
                (r.get("domain"), errs))
    expected = 0
    claimed = set()
    for raw, exp in CASES:
        what = "line %r" % raw[:60]
        kind = exp[0]
        if kind in ("none", "dup"):
            continue
        expected += 1
        if kind == "scan":
            got = [r for r in recs if r.get("domain") == exp[1]]
            ok = len(got) == 1 and got[0].get("status") == exp[2]
            t.check(ok, "%s: expected one record for %s with status %s, "
                    "got %s" % (what, exp[1], exp[2],
                                [r.get("status") for r in got]))
            claimed.update(id(r) for r in got)
            continue
        got = match_invalid(recs, raw)
        claimed.update(id(r) for r in got)
        if not t.check(len(got) == 1, "%s: %d INPUT_INVALID_NAME records, "
                       "expected 1" % (what, len(got))):
            continue
        r = got[0]
        det = [f.get("detail") or "" for f in r["findings"]
               if f.get("code") == "INPUT_INVALID_NAME"]
        t.check(r.get("status") == "error" and det and det[0] and
                exp[1].lower() in det[0].lower(),
                "%s: status %s, detail %r (expected a reason with %r)" %
                (what, r.get("status"), det, exp[1]))
        inp = r.get("input") or ""
        t.check("\r" not in inp and "\ufeff" not in inp,
                "%s: input member %r keeps the CR or BOM" % (what, inp[:60]))
    stray = [r.get("input") or r.get("domain") for r in recs
             if id(r) not in claimed]
    t.check(len(recs) == expected and not stray,
            "hostile file: %d records for %d distinct inputs; unexpected: %r"
            % (len(recs), expected, stray[:5]))


def big_list(path, lines, distinct_nx, distinct_bad):
    """lines lines cycling over distinct_nx NXDOMAIN lab names and
    distinct_bad rejected lines (mixed case and spacing, so the
    duplicates are only equal after normalisation)."""
    with open(path, "w") as f:
        for i in range(lines):
            k = i % (distinct_nx + distinct_bad)
            if k < distinct_nx:
                name = "nx-%05d.Absent.LAB.test" % k
                f.write(name + ("\n" if i & 1 else ".\n"))
            else:
                f.write("bad_%05d.lab.test\n" % (k - distinct_nx))


def memory(t, scanner, tmp):
    res = {}
    for n in (100000, 1000000):
        path = os.path.join(tmp, "big-%d.txt" % n)
        big_list(path, n, 2000, 2000)
        out = os.path.join(tmp, "big-%d.jsonl" % n)
        rc, _, err, hwm, secs = common.run_sampled(
            [scanner, "-f", path, "-o", out, "--timeout", "3", "-j", "100",
             "--no-smtp", "--no-progress"] + common.lab_args(), timeout=600)
        with open(out, encoding="utf-8") as f:
            nrec = sum(1 for _ in f)
        t.note("%d lines (4,000 distinct): exit %s, %d records, %.1f s, peak "
               "RSS %.1f MiB" % (n, rc, nrec, secs, hwm / 1024.0))
        t.check(rc == 0, "%d lines: exit %s: %s" % (n, rc, err[-300:]))
        t.check(nrec == 4000, "%d lines: %d records, expected 4000 (one "
                "per distinct input)" % (n, nrec))
        res[n] = hwm
        os.unlink(path)
    delta = res[1000000] - res[100000]
    t.note("peak RSS 1M - 100k lines: %+.2f MiB" % (delta / 1024.0))
    t.check(res[100000] > 0 and delta < 4 * 1024,
            "peak RSS grew by %.2f MiB from 100k to 1M lines (bound 4 MiB; "
            "same distinct inputs)" % (delta / 1024.0))


def sanitized(scanner):
    with open(scanner, "rb") as f:
        return b"__asan_init" in f.read()


def main(argv):
    mem = "--memory" in argv
    argv = [a for a in argv if a != "--memory"]
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if not common.lab_running():
        print("input: skipped (the lab is not running)")
        return common.SKIP
    scanner = os.path.abspath(argv[1])
    t = common.Tally("input")
    with tempfile.TemporaryDirectory(prefix="ms-input-") as tmp:
        hostile_file(t, scanner, tmp)
        if mem and sanitized(scanner):
            t.note("memory: skipped for a sanitizer build (ASan's quarantine "
                   "keeps freed memory, so RSS grows with the line count)")
        elif mem:
            memory(t, scanner, tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
