#!/usr/bin/env python3
"""Renders the HTML report of the fixtures in headless chromium and checks
it: every problem domain shown, the hostile policy and TXT record shown as
text (no <script> or <img> element, the title unchanged), links to the
catalogue anchors, and a real screenshot. Exits 77 (ctest skip) with a
message when chromium is not installed (scripts/install-deps.sh adds it).

usage: browser_test.py MTASTS_REPORT_BINARY [OUTDIR]
The screenshot stays in OUTDIR (default: the current directory) as
report-fixtures.png for a human to look at.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    outdir = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else ".")
    chromium = browser.find_chromium()
    if not chromium:
        print("SKIP: chromium is not installed (Debian package chromium; "
              "scripts/install-deps.sh installs it): HTML NOT CHECKED")
        return browser.SKIP
    os.makedirs(outdir, exist_ok=True)
    html = os.path.join(outdir, "report-fixtures.html")
    png = os.path.join(outdir, "report-fixtures.png")
    for f in (html, png):
        if os.path.exists(f):
            os.unlink(f)
    p = subprocess.run([binary, "--now", "2026-12-04T00:00:00Z", "--previous",
                        "prev.jsonl", "--html", html, "cur-a.jsonl",
                        "cur-b.jsonl"], cwd=FIX, capture_output=True,
                       timeout=60)
    check(p.returncode == 0, "mtasts-report --html exits 0")
    raw = open(html, encoding="utf-8").read()
    check("<script" not in raw.lower(), "the page has no <script> at all")
    check("http://" not in raw.replace("http://www.w3.org/2000/svg", "")
          and "https://fonts" not in raw and "<link" not in raw,
          "no external assets")
    dom, _ = browser.render(chromium, html, png)
    browser.check_page(
        check, dom, png,
        ["alpha.example", "charlie.example", "echo.example",
         "hostile.example", "new.example"],
        [
            # The policy body and the TXT record, as text.
            "mx: &lt;script&gt;document.title='pwned'&lt;/script&gt;",
            "v=STSv1 &lt;script&gt;alert(1)&lt;/script&gt;\" id=1",
            "\"quoted\" &amp; &lt;b&gt;bold&lt;/b&gt;",
            "rua=mailto:&lt;img src=x onerror=alert(2)&gt;",
            # Codes link to the catalogue on the page, which explains them.
            'href="#MX_NOT_COVERED"', 'id="MX_NOT_COVERED"',
            'href="#code-unknown-',
            # The chart and the changes.
            "<svg", "Changes since the previous run", "New problems (6)",
        ])
    print("screenshot: %s" % png)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
