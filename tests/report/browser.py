"""Headless-browser check of an mtasts-report HTML page with Debian's
chromium: --dump-dom (the DOM after parsing, scripts included if any ran)
and --screenshot. Shared by browser_test.py and shard_test.py."""
import html
import os
import shutil
import struct
import subprocess
import tempfile

SKIP = 77  # ctest SKIP_RETURN_CODE

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions"]


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(chromium, extra, url, timeout):
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([chromium, *FLAGS, "--user-data-dir=" + profile,
                            *extra, url], capture_output=True, timeout=timeout)
    return p


def render(chromium, html_path, png_path, timeout=25):
    """Returns (dom, stderr) and writes the screenshot to png_path."""
    url = "file://" + os.path.abspath(html_path)
    p = _run(chromium, ["--dump-dom"], url, timeout)
    dom = p.stdout.decode("utf-8", "replace")
    _run(chromium, ["--screenshot=" + os.path.abspath(png_path),
                    "--window-size=1280,2000", "--hide-scrollbars"], url,
         timeout)
    return dom, p.stderr.decode("utf-8", "replace")


def png_size(path):
    """(width, height) from the IHDR chunk, or None when not a PNG."""
    with open(path, "rb") as fp:
        head = fp.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_page(check, dom, png_path, problem_domains, texts):
    """The assertions every rendered report must pass. check(cond, what)."""
    check(len(dom) > 1000, "chromium dumped a DOM (%d bytes)" % len(dom))
    # A script that ran would have changed the title (the fixture's policy
    # tries document.title='pwned'); the page itself has no script at all.
    check("<title>MTA-STS report</title>" in dom, "title unchanged")
    check("pwned</title>" not in dom, "no injected script ran")
    check("<script" not in dom.lower(), "no <script> element in the DOM")
    check("<img" not in dom.lower(), "no injected <img> element")
    # Text in the serialised DOM has & < > escaped (not quotes).
    missing = [d for d in problem_domains
               if ">%s<" % html.escape(d, quote=False) not in dom]
    check(problem_domains and not missing,
          "all %d problem domains shown (missing: %s)"
          % (len(problem_domains), missing[:10]))
    for t in texts:
        check(t in dom, "DOM has %r" % t)
    ok = os.path.exists(png_path)
    size = os.path.getsize(png_path) if ok else 0
    check(ok and size > 20000, "screenshot %s is %d bytes" % (png_path, size))
    check(ok and png_size(png_path) == (1280, 2000), "screenshot is 1280x2000")
