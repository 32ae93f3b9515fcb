#!/usr/bin/env python3
"""Generate the finding documentation from the catalogue.

Reads data/findings.def (the MS_FINDING(...) X-macro rows; C string literals
may span lines, be split into adjacent literals and contain escapes) and
writes:
  - data/findings.md: one table per section (the /* comments */ between the
    rows name the sections);
  - the finding `code` enum of data/schema/record.schema.json
    ($defs.finding_code.enum), so the schema never drifts from the catalogue.

  --check   regenerate in memory and fail (exit 1) when a file on disk is
            stale; this is the ctest `docs.findings`.
  --root D  the checkout (default: the parent of this script's directory).

The lexer is importable (tests/schema_selftest.py uses c_string_literals()).
Standard library only.
"""

import argparse
import json
import os
import re
import sys

SEVERITIES = {
    "ERROR": "error",
    "WARNING": "warning",
    "INFO": "info",
    "MODE": "mode-dependent",
}

SIMPLE_ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
    "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}


class DefError(Exception):
    """A malformed catalogue; the message names the line."""


def _decode_escape(src, i, line):
    """Decodes the escape starting after the backslash at src[i]."""
    c = src[i]
    if c in SIMPLE_ESCAPES:
        return SIMPLE_ESCAPES[c], i + 1
    if c == "x":
        j = i + 1
        while j < len(src) and src[j] in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 1:
            raise DefError("line %d: \\x without hex digits" % line)
        return chr(int(src[i + 1:j], 16)), j
    if c in "01234567":
        j = i
        while j < len(src) and j < i + 3 and src[j] in "01234567":
            j += 1
        return chr(int(src[i:j], 8)), j
    raise DefError("line %d: unknown escape \\%s" % (line, c))


def tokenize(src):
    """Yields (kind, value, line): kind is 'comment', 'string', 'ident'
    or 'punct'. Strings are decoded; comments are stripped of the markers."""
    i, line, n = 0, 1, len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise DefError("line %d: unterminated comment" % line)
            text = src[i + 2:end]
            yield ("comment", text, line)
            line += text.count("\n")
            i = end + 2
        elif src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end < 0 else end
            yield ("comment", src[i + 2:end], line)
            i = end
        elif c == '"':
            start_line, out, i = line, [], i + 1
            while True:
                if i >= n or src[i] == "\n":
                    raise DefError("line %d: unterminated string" % start_line)
                if src[i] == '"':
                    i += 1
                    break
                if src[i] == "\\":
                    if i + 1 < n and src[i + 1] == "\n":  # line splice
                        line += 1
                        i += 2
                        continue
                    ch, i = _decode_escape(src, i + 1, line)
                    out.append(ch)
                else:
                    out.append(src[i])
                    i += 1
            yield ("string", "".join(out), start_line)
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            yield ("ident", src[i:j], line)
            i = j
        else:
            yield ("punct", c, line)
            i += 1


def c_string_literals(src):
    """Returns every string literal of C source src, adjacent literals
    concatenated as the compiler does (used by the schema self-test)."""
    out, prev_string = [], False
    for kind, value, _ in tokenize(src):
        if kind == "comment":
            continue
        if kind == "string":
            if prev_string:
                out[-1] += value
            else:
                out.append(value)
            prev_string = True
        else:
            prev_string = False
    return out


def parse_def(src):
    """Returns the catalogue rows, in file order, as dicts with section,
    code, sev, rfc, message, doc."""
    toks = [t for t in tokenize(src)]
    rows, section, i = [], None, 0
    while i < len(toks):
        kind, value, line = toks[i]
        if kind == "comment":
            text = value.strip()
            # A one-line comment names a section; the file's header block
            # and the clang-format switches do not.
            if text and "\n" not in text and not text.startswith("clang-format"):
                section = text
            i += 1
            continue
        if kind != "ident" or value != "MS_FINDING":
            raise DefError("line %d: unexpected %r" % (line, value))
        i += 1
        if i >= len(toks) or toks[i][:2] != ("punct", "("):
            raise DefError("line %d: MS_FINDING without '('" % line)
        i += 1
        args, cur = [], None
        while True:
            if i >= len(toks):
                raise DefError("line %d: unterminated MS_FINDING" % line)
            k, val, ln = toks[i]
            i += 1
            if k == "comment":
                continue
            if k == "punct" and val in ",)":
                if cur is None:
                    raise DefError("line %d: empty argument" % ln)
                args.append(cur)
                cur = None
                if val == ")":
                    break
                continue
            if k == "string":
                if cur is None:
                    cur = ("string", val)
                elif cur[0] == "string":
                    cur = ("string", cur[1] + val)
                else:
                    raise DefError("line %d: bad argument" % ln)
            elif k == "ident" and cur is None:
                cur = ("ident", val)
            else:
                raise DefError("line %d: unexpected %r in MS_FINDING" % (ln, val))
        if len(args) != 5:
            raise DefError("line %d: MS_FINDING needs 5 arguments, got %d"
                           % (line, len(args)))
        kinds = [a[0] for a in args]
        if kinds != ["ident", "ident", "string", "string", "string"]:
            raise DefError("line %d: MS_FINDING(ID, SEV, \"rfc\", \"message\", "
                           "\"explanation\") expected" % line)
        code, sev = args[0][1], args[1][1]
        if sev not in SEVERITIES:
            raise DefError("line %d: %s: unknown severity %s" % (line, code, sev))
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            raise DefError("line %d: bad code %s" % (line, code))
        if section is None:
            raise DefError("line %d: %s comes before any section comment"
                           % (line, code))
        rows.append({"section": section, "code": code, "sev": SEVERITIES[sev],
                     "rfc": args[2][1], "message": args[3][1],
                     "doc": args[4][1]})
    seen = set()
    for r in rows:
        if r["code"] in seen:
            raise DefError("duplicate code %s" % r["code"])
        seen.add(r["code"])
        if not r["message"] or not r["doc"]:
            raise DefError("%s: empty message or explanation" % r["code"])
    if not rows:
        raise DefError("no MS_FINDING rows")
    return rows


def md_escape(text):
    """Escapes text for a GFM table cell; `code spans` keep their content
    (only '|' is escaped there, which GFM tables require)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced backtick: treat all as prose
        parts = [text.replace("`", "\\`")]
    out = []
    for idx, part in enumerate(parts):
        if idx % 2 == 1:
            out.append("`" + part.replace("|", "\\|") + "`")
            continue
        for ch in part:
            if ch in "\\|*_[]":
                out.append("\\" + ch)
            elif ch == "<":
                out.append("&lt;")
            elif ch == ">":
                out.append("&gt;")
            else:
                out.append(ch)
    return "".join(out)


def rfc_cell(rfc):
    """'3.1' -> 'RFC 8461 §3.1'; 'RFC 8460 3' -> 'RFC 8460 §3'; '-' stays."""
    if rfc == "-" or not rfc:
        return "-"
    if rfc.startswith("RFC "):
        head, _, sect = rfc.rpartition(" ")
        return "%s §%s" % (head, sect)
    return "RFC 8461 §%s" % rfc


def render_md(rows):
    out = [
        "# Finding catalogue",
        "",
        "<!-- GENERATED by scripts/gen-findings-doc.py from data/findings.def:"
        " do not edit by hand. -->",
        "",
        "Generated from `data/findings.def`, the one source of truth for the"
        " finding codes (run `python3 scripts/gen-findings-doc.py` after editing"
        " it; ctest `docs.findings` fails when this file is stale). The rules"
        " that decide when each finding is emitted, and the domain status, are"
        " in [verdict.md](verdict.md); the output contract is"
        " `../shared/spec/findings.md`.",
        "",
        "Severity `mode-dependent` is `error` when the usable policy's mode is"
        " `enforce`, `warning` when `testing`, and `info` when `none` or when no"
        " usable policy exists. Records never contain `mode-dependent`: the"
        " verdict resolves it.",
        "",
        "%d codes." % len(rows),
    ]
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            out += ["", "## " + md_escape(section), "",
                    "| code | severity | RFC | message | explanation |",
                    "|---|---|---|---|---|"]
        out.append("| `%s` | %s | %s | %s | %s |" % (
            r["code"], r["sev"], rfc_cell(r["rfc"]), md_escape(r["message"]),
            md_escape(r["doc"])))
    return "\n".join(out) + "\n"


def render_schema(schema_text, rows):
    """Returns the schema text with $defs.finding_code.enum set to the codes
    (in catalogue order), formatted canonically (2-space indent)."""
    schema = json.loads(schema_text)
    defs = schema.setdefault("$defs", {})
    fc = defs.setdefault("finding_code", {})
    fc["description"] = ("Every code of data/findings.def (generated by "
                         "scripts/gen-findings-doc.py; do not edit).")
    fc["type"] = "string"
    fc["enum"] = [r["code"] for r in rows]
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def read(path):
    with open(path, encoding="utf-8") as fp:
        return fp.read()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="fail when data/findings.md or the schema is stale")
    ap.add_argument("--root", default=os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args(argv)
    def_path = os.path.join(args.root, "data", "findings.def")
    md_path = os.path.join(args.root, "data", "findings.md")
    schema_path = os.path.join(args.root, "data", "schema",
                               "record.schema.json")
    try:
        rows = parse_def(read(def_path))
    except (DefError, OSError) as e:
        print("gen-findings-doc: %s: %s" % (def_path, e), file=sys.stderr)
        return 2
    try:
        schema_old = read(schema_path)
        schema_new = render_schema(schema_old, rows)
    except (OSError, ValueError) as e:
        print("gen-findings-doc: %s: %s" % (schema_path, e), file=sys.stderr)
        return 2
    outputs = [(md_path, render_md(rows)), (schema_path, schema_new)]
    stale = []
    for path, text in outputs:
        try:
            old = read(path)
        except OSError:
            old = None
        if old == text:
            continue
        if args.check:
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as fp:
                fp.write(text)
            print("gen-findings-doc: wrote %s" % path)
    if stale:
        for path in stale:
            print("gen-findings-doc: %s is stale; run python3 "
                  "scripts/gen-findings-doc.py" % path, file=sys.stderr)
        return 1
    if args.check:
        print("gen-findings-doc: %d codes, docs and schema up to date"
              % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
