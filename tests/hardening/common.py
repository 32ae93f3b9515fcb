"""Helpers shared by the hardening tests (tests/hardening/*_test.py): the
record schema, a result tally that prints "N passed, M failed", a scanner
run that samples its peak RSS (VmHWM) while it runs, and the lab's
addresses and arguments."""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SCHEMA = os.path.join(TOP, "data", "schema", "record.schema.json")
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))

SKIP = 77   # ctest SKIP_RETURN_CODE


def lab_dir():
    import lab  # noqa: E402  (tests/lab/lab.py)
    return lab.run_dir()


def lab_args(extra=()):
    """Arguments every lab scan uses (resolver, CA, loopback allowed)."""
    rd = lab_dir()
    return ["--resolver", "127.10.0.1", "--ca-file",
            os.path.join(rd, "ca.pem"), "--allow-private",
            "--ehlo-name", "probe.mtasts-scan.lab.test"] + list(extra)


def lab_running():
    import lab
    return lab.status_quiet(lab.run_dir())


def validator():
    """A jsonschema validator for one record, or None (then the tally
    records a failure: records must be checked)."""
    try:
        import jsonschema
    except ImportError:
        return None
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


class Tally:
    """Collects check results; done() prints failures and the totals."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self.val = validator()
        if self.val is None:
            self.fail("python3-jsonschema is missing: records not validated")

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.fail(what)
        return ok

    def fail(self, what):
        self.failed.append(what)
        print("FAIL %s" % what, flush=True)

    def note(self, text):
        print("%s: %s" % (self.name, text), flush=True)

    def schema_errors(self, rec):
        if self.val is None:
            return []
        return ["%s at /%s" % (e.message[:120], "/".join(map(str, e.path)))
                for e in self.val.iter_errors(rec)][:3]

    def done(self):
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        return 1 if self.failed else 0


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def run_sampled(args, timeout=300, **kw):
    """Runs args; returns (exit code, stdout bytes, stderr text, peak RSS
    KiB, seconds). Peak RSS is VmHWM of the process image, sampled every
    10 ms (read just before the process is reaped, so it is complete)."""
    t0 = time.time()
    out = kw.pop("stdout", subprocess.PIPE)
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, **kw)
    hwm = 0
    # stderr is drained by a thread so a chatty scanner never blocks.
    import threading
    chunks = {"err": b"", "out": b""}

    def drain(stream, key):
        chunks[key] = stream.read()

    ts = [threading.Thread(target=drain, args=(p.stderr, "err"))]
    if out is subprocess.PIPE:
        ts.append(threading.Thread(target=drain, args=(p.stdout, "out")))
    for t in ts:
        t.start()
    rc = None
    while rc is None:
        hwm = max(hwm, vm_hwm_kib(p.pid))
        # waitid with WNOWAIT leaves the zombie so VmHWM can be read last.
        try:
            info = os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG |
                             os.WNOWAIT)
        except ChildProcessError:
            info = None
        if info is not None:
            hwm = max(hwm, vm_hwm_kib(p.pid))
            rc = p.wait()
            break
        if time.time() - t0 > timeout:
            p.kill()
            rc = p.wait()
            break
        time.sleep(0.01)
    for t in ts:
        t.join()
    return (rc, chunks["out"], chunks["err"].decode("utf-8", "replace"),
            hwm, time.time() - t0)


def records(text):
    """Parses JSON Lines; a bad line becomes {"_bad": text}."""
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        try:
            out.append(json.loads(ln))
        except ValueError:
            out.append({"_bad": ln[:200]})
    return out
