#!/usr/bin/env python3
"""Self-test of data/schema/record.schema.json (python3-jsonschema).

  1. The schema is a valid draft 2020-12 schema and its finding-code enum is
     exactly the codes of data/findings.def.
  2. Good records validate: hand-written ones here, and every expected record
     of tests/unit/test_record.c (its string literals starting with
     {"domain"), so the exact C output is schema-checked too.
  3. Bad records (one defect each, derived from a good one) are rejected.
  4. Any JSON Lines files given as arguments are validated line by line (the
     lab can run: schema_selftest.py out.jsonl).
Exits 0 when everything holds, 1 otherwise.
"""

import copy
import importlib.util
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # python3-jsonschema missing: a setup problem
    print("schema_selftest: python3-jsonschema is not installed",
          file=sys.stderr)
    sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "data", "schema", "record.schema.json")
TEST_RECORD_C = os.path.join(ROOT, "tests", "unit", "test_record.c")


def load_gen():
    path = os.path.join(ROOT, "scripts", "gen-findings-doc.py")
    spec = importlib.util.spec_from_file_location("gen_findings_doc", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GOOD_INVALID_INPUT = {
    "domain": "not a domain", "input": "Not a domain", "status": "error",
    "mode": None, "scanned_at": "2026-12-03T02:00:01Z", "duration_ms": 0,
    "findings": [{"code": "INPUT_INVALID_NAME", "severity": "error",
                  "message": "the input line is not a valid domain name",
                  "detail": "illegal character ' '"}],
    "sts_record": None, "policy": None, "policy_tls": None, "mx": None,
    "tlsrpt": None,
}

GOOD_FULL = {
    "domain": "example.org", "status": "valid", "mode": "enforce",
    "scanned_at": "2026-12-03T02:00:01Z", "duration_ms": 412,
    "findings": [{"code": "STS_RECORD_CNAME", "severity": "info",
                  "message": "m", "subject": "_mta-sts.example.org"}],
    "sts_record": {"name": "_mta-sts.example.org",
                   "records": ["v=STSv1; id=20190125;"], "id": "20190125",
                   "cname_chain": ["_mta-sts.example.net"], "dns": "ok",
                   "usable": True},
    "policy": {"url": "https://mta-sts.example.org/.well-known/mta-sts.txt",
               "host": "mta-sts.example.org",
               "addresses": ["192.0.2.80", "2001:db8::80"], "fetch": "ok",
               "error": None, "connected_to": "192.0.2.80",
               "http_status": 200, "content_type": "text/plain",
               "location": None, "bytes": 78, "truncated": False,
               "sha256": "0" * 64,
               "body": "version: STSv1\nmode: enforce\nmx: mail.example.org\n"
                       "max_age: 604800\n",
               "version": "STSv1", "mode": "enforce", "max_age": 604800,
               "mx": ["mail.example.org"]},
    "policy_tls": {"protocol": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384",
                   "certificate": {
                       "subject": "CN=mta-sts.example.org", "issuer": "CN=CA",
                       "san": ["mta-sts.example.org"],
                       "not_before": "2026-11-03T02:00:01Z",
                       "not_after": "2027-02-01T03:00:01Z", "days_left": 60,
                       "chain_verified": True, "verify_error": None,
                       "errors": [], "untrusted_reason": None}},
    "mx": [{"host": "mail.example.org", "preference": 10,
            "addresses": ["192.0.2.25"], "covered_by": "mail.example.org",
            "implicit": False,
            # Evidence objects are open: "extra" stands for later members.
            "smtp": {"reachable": True, "starttls": True,
                     "protocol": "TLSv1.3", "cipher": "TLS_AES_128_GCM_SHA256",
                     "certificate": None, "verify_error": None, "tlsa": False,
                     "extra": 1,
                     "addresses": [
                         {"address": "192.0.2.25", "outcome": "ok",
                          "shared": False, "banner_code": 220,
                          "banner": "mail.example.org ESMTP",
                          "ehlo_code": 250, "starttls_offered": True,
                          "starttls_code": 220, "ehlo_tls_code": 250,
                          "protocol": "TLSv1.3",
                          "cipher": "TLS_AES_128_GCM_SHA256",
                          "certificate": None, "error": None,
                          "duration_ms": 41},
                         {"address": "2001:db8::25", "outcome": "skipped",
                          "shared": True, "banner_code": None, "banner": None,
                          "ehlo_code": None, "starttls_offered": False,
                          "starttls_code": None, "ehlo_tls_code": None,
                          "protocol": None, "cipher": None,
                          "certificate": None, "error": None,
                          "duration_ms": 0}]}},
           {"host": "old.example.org", "preference": 20,
            "addresses": ["192.0.2.26"], "covered_by": None,
            "implicit": False, "smtp": None}],
    "tlsrpt": {"records": ["v=TLSRPTv1; rua=mailto:r@example.org"],
               "rua": ["mailto:r@example.org"], "dns": "ok"},
}


def mutate(base, path, value=None, delete=False):
    """Returns a deep copy of base with the member at path (a list of keys
    and indexes) set to value, or deleted."""
    rec = copy.deepcopy(base)
    node = rec
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return rec


DEL = object()

# (name, base, path, value): value DEL deletes the member.
BAD = [(f"missing {k}", GOOD_FULL, [k], DEL) for k in
       ("domain", "status", "mode", "findings", "scanned_at", "duration_ms")]
BAD += [
    ("status not in enum", GOOD_FULL, ["status"], "ok"),
    ("mode not in enum", GOOD_FULL, ["mode"], "enforced"),
    ("domain not a string", GOOD_FULL, ["domain"], None),
    ("unknown top-level member", GOOD_FULL, ["extra"], 1),
    ("findings not an array", GOOD_FULL, ["findings"], {}),
    ("unknown finding code", GOOD_FULL, ["findings", 0, "code"], "NO_SUCH_CODE"),
    ("lower-case code", GOOD_FULL, ["findings", 0, "code"], "sts_record_cname"),
    ("severity mode-dependent", GOOD_FULL, ["findings", 0, "severity"],
     "mode-dependent"),
    ("severity default", GOOD_FULL, ["findings", 0, "severity"], "default"),
    ("extra member in a finding", GOOD_FULL, ["findings", 0, "hint"], "x"),
    ("finding without message", GOOD_FULL, ["findings", 0, "message"], DEL),
    ("empty subject", GOOD_FULL, ["findings", 0, "subject"], ""),
    ("timestamp with space", GOOD_FULL, ["scanned_at"], "2026-12-03 02:00:01Z"),
    ("timestamp month 13", GOOD_FULL, ["scanned_at"], "2026-13-03T02:00:01Z"),
    ("timestamp not UTC", GOOD_FULL, ["scanned_at"],
     "2026-12-03T02:00:01+01:00"),
    ("timestamp without Z", GOOD_FULL, ["scanned_at"], "2026-12-03T02:00:01"),
    ("negative duration", GOOD_FULL, ["duration_ms"], -1),
    ("fractional duration", GOOD_FULL, ["duration_ms"], 1.5),
    ("duration as string", GOOD_FULL, ["duration_ms"], "412"),
    ("sts_record without usable", GOOD_FULL, ["sts_record", "usable"], DEL),
    ("sts_record dns not_run", GOOD_FULL, ["sts_record", "dns"], "not_run"),
    ("sts_record records not strings", GOOD_FULL, ["sts_record", "records"],
     [1]),
    ("policy http_status string", GOOD_FULL, ["policy", "http_status"], "200"),
    ("policy http_status 0", GOOD_FULL, ["policy", "http_status"], 0),
    ("policy sha256 upper case", GOOD_FULL, ["policy", "sha256"], "A" * 64),
    ("policy max_age too big", GOOD_FULL, ["policy", "max_age"], 31557601),
    ("policy fetch unknown", GOOD_FULL, ["policy", "fetch"], "done"),
    ("policy without body", GOOD_FULL, ["policy", "body"], DEL),
    ("policy address not an IP", GOOD_FULL, ["policy", "addresses"],
     ["mta-sts.example.org"]),
    ("policy body_base64 bad", GOOD_FULL, ["policy", "body_base64"], "a b"),
    ("certificate error unknown", GOOD_FULL,
     ["policy_tls", "certificate", "errors"], ["bogus"]),
    ("certificate not_after bad", GOOD_FULL,
     ["policy_tls", "certificate", "not_after"], "2027-02-01"),
    ("certificate days_left float", GOOD_FULL,
     ["policy_tls", "certificate", "days_left"], 1.5),
    ("mx preference too big", GOOD_FULL, ["mx", 0, "preference"], 70000),
    ("mx host without covered_by", GOOD_FULL, ["mx", 0, "covered_by"], DEL),
    ("mx implicit not bool", GOOD_FULL, ["mx", 0, "implicit"], "no"),
    ("mx is an object", GOOD_FULL, ["mx"], {}),
    ("mx smtp is a string", GOOD_FULL, ["mx", 0, "smtp"], "ok"),
    ("mx smtp without addresses", GOOD_FULL, ["mx", 0, "smtp", "addresses"],
     DEL),
    ("mx smtp without reachable", GOOD_FULL, ["mx", 0, "smtp", "reachable"],
     DEL),
    ("mx smtp starttls a string", GOOD_FULL, ["mx", 0, "smtp", "starttls"],
     "yes"),
    ("mx smtp tlsa null", GOOD_FULL, ["mx", 0, "smtp", "tlsa"], None),
    ("mx smtp certificate a string", GOOD_FULL,
     ["mx", 0, "smtp", "certificate"], "CN=x"),
    ("smtp probe outcome unknown", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "outcome"], "refused"),
    ("smtp probe without outcome", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "outcome"], DEL),
    ("smtp probe address a name", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "address"], "mx.example.org"),
    ("smtp probe reply code 0", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "banner_code"], 0),
    ("smtp probe reply code 4 digits", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "ehlo_code"], 2500),
    ("smtp probe shared missing", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 1, "shared"], DEL),
    ("smtp probe negative duration", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "duration_ms"], -1),
    ("smtp probe starttls_offered null", GOOD_FULL,
     ["mx", 0, "smtp", "addresses", 0, "starttls_offered"], None),
    ("tlsrpt rua not an array", GOOD_FULL, ["tlsrpt", "rua"], "mailto:x@y"),
    ("invalid input without findings", GOOD_INVALID_INPUT, ["findings"], DEL),
]


def expected_records_of_test_c(gen):
    """The expected JSON lines of tests/unit/test_record.c."""
    with open(TEST_RECORD_C, encoding="utf-8", errors="surrogateescape") as fp:
        src = fp.read()
    out = []
    for lit in gen.c_string_literals(src):
        if not lit.startswith('{"domain"'):
            continue
        # Hex escapes decode to code points; re-read them as the bytes the
        # C compiler emits, which are the UTF-8 that record.c writes.
        raw = lit.encode("latin-1", errors="surrogateescape")
        out.append(json.loads(raw.decode("utf-8")))
    return out


def main(argv):
    gen = load_gen()
    with open(SCHEMA, encoding="utf-8") as fp:
        schema = json.load(fp)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema)
    failures = 0

    def fail(msg):
        nonlocal failures
        failures += 1
        print("FAIL: " + msg, file=sys.stderr)

    with open(os.path.join(ROOT, "data", "findings.def"), encoding="utf-8") as fp:
        codes = [r["code"] for r in gen.parse_def(fp.read())]
    if schema["$defs"]["finding_code"].get("enum") != codes:
        fail("schema finding_code enum differs from data/findings.def "
             "(run scripts/gen-findings-doc.py)")

    good = [("invalid input", GOOD_INVALID_INPUT), ("full", GOOD_FULL)]
    from_c = expected_records_of_test_c(gen)
    if len(from_c) < 5:
        fail("found only %d expected records in test_record.c" % len(from_c))
    good += [("test_record.c #%d (%s)" % (i, r.get("domain")), r)
             for i, r in enumerate(from_c)]
    for name, rec in good:
        errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
        for e in errs:
            fail("good record %s rejected at %s: %s"
                 % (name, "/".join(map(str, e.path)), e.message))

    for name, base, path, value in BAD:
        rec = mutate(base, path, delete=value is DEL,
                     value=None if value is DEL else value)
        if validator.is_valid(rec):
            fail("bad record accepted: %s" % name)

    for path in argv:
        with open(path, encoding="utf-8") as fp:
            for lineno, line in enumerate(fp, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    fail("%s:%d: not JSON: %s" % (path, lineno, e))
                    continue
                for e in validator.iter_errors(rec):
                    fail("%s:%d: %s: %s" % (path, lineno,
                                            "/".join(map(str, e.path)),
                                            e.message))

    total = len(good) + len(BAD)
    if failures:
        print("schema_selftest: %d failure(s)" % failures, file=sys.stderr)
        return 1
    print("schema_selftest: %d good and %d bad records behave (%d from "
          "test_record.c), %d files checked" % (len(good), len(BAD),
                                                 len(from_c), len(argv)))
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
