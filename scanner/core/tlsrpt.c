/*
 * The TLS-RPT TXT RRset at _smtp._tls.<domain>, RFC 8460 section 3: the
 * version prefix, the exactly-one rule, the record grammar and the rua
 * URIs (mailto: per RFC 6068, https: per RFC 3986). Rules: data/verdict.md,
 * "TLS-RPT". Field cursor and quoting: core/txtrec.c.
 */
#include "core/tlsrpt.h"

#include "core/addr.h"
#include "core/domain.h"
#include "core/txtrec.h"

/* Room for a quoted excerpt: each source byte may become \xHH.
 *
 * Flow, as in sts_txt.c: classify every record, count the candidates, and
 * parse only a single one. Grammar problems of that record give one
 * TLSRPT_SYNTAX finding (the detail lists them); each bad rua URI gives
 * its own TLSRPT_RUA_INVALID with the URI as subject, so an operator sees
 * exactly which address to fix. */
#define QBUF       (MS_TXTREC_QUOTE_MAX * 4 + 8)
#define PREFIX     "v=TLSRPTv1"
#define PREFIX_LEN 10

/* Length of "v=TLSRPTv1" *WSP (";" / end) at the start of r, or 0. The
 * bare version counts as a candidate: its missing rua is then reported
 * (RFC 8460 needs at least one field, and rua is the required one). */
static size_t tlsrpt_candidate(struct ms_slice r, bool *space)
{
  size_t i = PREFIX_LEN;

  *space = false; /* TLS-RPT has no prefix-space rule: WSP goes to the cursor */
  if (!ms_slice_starts_with(r, PREFIX))
    return 0;
  while (i < r.len && ms_ascii_is_wsp((unsigned char)r.ptr[i]))
    i++;
  if (i == r.len)
    return PREFIX_LEN; /* the WSP, if any, is seen by the cursor */
  return r.ptr[i] == ';' ? i + 1 : 0;
}

/* Why a record that mentions TLSRPT is not a candidate. */
static const char *tlsrpt_bad_prefix_why(struct ms_slice r)
{
  if (ms_slice_starts_with(r, PREFIX)) {
    size_t i = PREFIX_LEN;
    while (i < r.len && ms_ascii_is_wsp((unsigned char)r.ptr[i]))
      i++;
    if (i > PREFIX_LEN)
      return "no ';' after v=TLSRPTv1";
    return "the version is not exactly TLSRPTv1";
  }
  if (ms_slice_starts_with(r, "v=TLSRPTv"))
    return "the version is not TLSRPTv1";
  if (r.len >= PREFIX_LEN &&
      ms_slice_eq_nocase(ms_slice_make(r.ptr, PREFIX_LEN),
                         ms_slice_cstr(PREFIX)))
    return "wrong letter case (the prefix v=TLSRPTv1 is case-sensitive)";
  if (r.len >= 2 && r.ptr[0] == 'v' && r.ptr[1] != '=')
    return "the record does not begin with v=TLSRPTv1 ('=' missing)";
  if (r.len && ms_ascii_is_wsp((unsigned char)r.ptr[0]))
    return "leading whitespace";
  if (r.len && (r.ptr[0] == '"' || r.ptr[0] == '\''))
    return "literal quote characters in the record";
  return "the record does not begin with v=TLSRPTv1";
}

/* HEXDIG of RFC 5234, either case (pct-encoded, RFC 3986 section 2.1). */
static bool is_hex(int ch)
{
  return ms_ascii_is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
         (ch >= 'A' && ch <= 'F');
}

/* RFC 3986 characters allowed unencoded in a path, query or fragment
 * (pchar / "/" / "?"), minus what RFC 8460 section 3 wants encoded:
 * ',' '!' ';'. '%' is checked apart (pct-encoded). */
static bool uri_tail_char(int ch)
{
  if (ms_ascii_is_alnum(ch))
    return true;
  switch (ch) {
    case '-':
    case '.':
    case '_':
    case '~': /* unreserved */
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')': /* sub-delims */
    case '*':
    case '+':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?':
    case '%':
      return true;
    default:
      return false;
  }
}

/* Whole-URI checks every scheme shares: no WSP or control bytes, no
 * unencoded ',' '!' ';', and every '%' followed by two hex digits. */
static const char *uri_chars_problem(struct ms_slice u)
{
  for (size_t i = 0; i < u.len; i++) {
    int ch = (unsigned char)u.ptr[i];
    if (ch <= 0x20 || ch >= 0x7f)
      return "whitespace, control or non-ASCII bytes in the URI";
    if (ch == ',' || ch == '!' || ch == ';')
      return "unencoded ',', '!' or ';' (RFC 8460 section 3: "
             "percent-encode them)";
    if (ch == '%' && (i + 2 >= u.len || !is_hex((unsigned char)u.ptr[i + 1]) ||
                      !is_hex((unsigned char)u.ptr[i + 2])))
      return "'%' not followed by two hex digits";
  }
  return NULL;
}

/* RFC 6068 addr-spec, local@domain, and an optional ?hfields tail.
 * Deliberately simpler than RFC 5322: quoted local parts and domain
 * literals ([192.0.2.1]) are refused; reporting addresses never use them
 * and receivers' parsers vary. The host must be a real host name. */
static const char *uri_mailto_problem(struct ms_slice s)
{
  struct ms_slice addr, local, dom;
  bool q, at;
  struct ms_slice hf = ms_slice_split(s, '?', &addr, &q);

  if (addr.len == 0)
    return "mailto: without an address";
  dom = ms_slice_split(addr, '@', &local, &at);
  if (!at)
    return "mailto: address without '@'";
  if (local.len == 0)
    return "mailto: address with an empty local part";
  for (size_t i = 0; i < local.len; i++) {
    int ch = (unsigned char)local.ptr[i];
    /* dot-atom-text in URI form: atext that needs no encoding, or %XX. */
    bool ok = ms_ascii_is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
              ch == '~' || ch == '$' || ch == '&' || ch == '\'' || ch == '*' ||
              ch == '+' || ch == '=' || ch == '%';
    if (!ok)
      return "a character in the local part that must be percent-encoded";
    if (ch == '.' && (i == 0 || i + 1 == local.len || local.ptr[i - 1] == '.'))
      return "misplaced '.' in the local part";
  }
  /* The first '@' splits; a second one lands in dom and fails here. */
  if (!ms_domain_is_hostname(dom))
    return "the address's domain is not a valid host name";
  for (size_t i = 0; q && i < hf.len; i++) {
    if (!uri_tail_char((unsigned char)hf.ptr[i]))
      return "a character in the ?hfields part that must be "
             "percent-encoded";
  }
  return NULL;
}

/* An IPv4address or a bracketed IPv6 literal (host is without brackets
 * when v6 is false). */
static bool uri_ip_literal(struct ms_slice host, int family)
{
  char buf[MS_ADDR_STR_MAX + 1];
  struct ms_addr a;

  if (host.len == 0 || host.len > MS_ADDR_STR_MAX)
    return false;
  ms_slice_copy(host, buf, sizeof(buf));
  return ms_addr_parse(buf, &a) && a.family == family;
}

/* https://host[:port][/path][?query][#fragment], RFC 3986 section 3.
 * s is what follows "https://". Not supported on purpose: userinfo
 * (user@host), IPvFuture literals and empty ports, none of which a
 * reporting endpoint has a reason to use. */
static const char *uri_https_problem(struct ms_slice s)
{
  size_t i = 0;
  struct ms_slice host;

  if (s.len && s.ptr[0] == '[') {
    while (i < s.len && s.ptr[i] != ']')
      i++;
    if (i == s.len)
      return "unterminated '[' in the host";
    /* IP-literal = "[" IPv6address "]" (IPv4 is written bare). */
    host = ms_slice_make(s.ptr + 1, i - 1);
    if (!uri_ip_literal(host, 6))
      return "the bracketed host is not an IPv6 address";
    i++;
  } else {
    while (i < s.len && s.ptr[i] != ':' && s.ptr[i] != '/' && s.ptr[i] != '?' &&
           s.ptr[i] != '#') {
      if (s.ptr[i] == '@')
        return "user information before the host is not supported";
      i++;
    }
    host = ms_slice_make(s.ptr, i);
    if (host.len == 0)
      return "https: URI without a host";
    /* A reg-name may end in one dot (a fully qualified name). */
    if (host.len > 1 && host.ptr[host.len - 1] == '.')
      host.len--;
    if (!ms_domain_is_hostname(host) && !uri_ip_literal(host, 4))
      return "the host is not a valid host name or IP address";
  }
  /* port = *DIGIT in RFC 3986; we want 1..65535 written in 1..5 digits. */
  if (i < s.len && s.ptr[i] == ':') {
    size_t p0 = ++i;
    uint64_t port;
    while (i < s.len && ms_ascii_is_digit((unsigned char)s.ptr[i]))
      i++;
    if (!ms_slice_parse_u64(ms_slice_make(s.ptr + p0, i - p0), 5, &port) ||
        port == 0 || port > 65535)
      return "invalid port";
  }
  if (i < s.len && s.ptr[i] != '/' && s.ptr[i] != '?' && s.ptr[i] != '#')
    return "unexpected character after the host";
  /* path-abempty [ "?" query ] [ "#" fragment ]: the same characters,
   * and '#' only once (it starts the fragment). */
  bool frag = false;
  for (; i < s.len; i++) {
    int ch = (unsigned char)s.ptr[i];
    if (ch == '#' && !frag) {
      frag = true;
      continue;
    }
    if (!uri_tail_char(ch))
      return "a character in the path, query or fragment that must be "
             "percent-encoded";
  }
  return NULL;
}

/* NULL when u is a valid tlsrpt-uri, else why not. */
static const char *uri_problem(struct ms_slice u)
{
  const char *why;

  if (u.len == 0)
    return "empty URI";
  why = uri_chars_problem(u);
  if (why)
    return why;
  /* Schemes are case-insensitive (RFC 3986 section 3.1). */
  if (u.len >= 7 &&
      ms_slice_eq_nocase(ms_slice_make(u.ptr, 7), ms_slice_cstr("mailto:")))
    return uri_mailto_problem(ms_slice_make(u.ptr + 7, u.len - 7));
  if (u.len >= 8 &&
      ms_slice_eq_nocase(ms_slice_make(u.ptr, 8), ms_slice_cstr("https://")))
    return uri_https_problem(ms_slice_make(u.ptr + 8, u.len - 8));
  if (u.len >= 5 &&
      ms_slice_eq_nocase(ms_slice_make(u.ptr, 5), ms_slice_cstr("http:")))
    return "http: is not allowed (https: only)";
  if (!memchr(u.ptr, ':', u.len))
    return "not a URI (no scheme): mailto: or https: expected";
  return "the scheme is not mailto: or https:";
}

/* The public predicate is the reason function with the reason dropped,
 * so the two can never disagree. */
bool ms_tlsrpt_uri_valid(struct ms_slice uri)
{
  return uri_problem(uri) == NULL;
}

/* The rua field's value: tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri). */
static bool tlsrpt_rua(struct ms_slice value, struct ms_tlsrpt *out,
                       struct ms_txtrec_problems *pr, struct ms_findings *f)
{
  char q[QBUF], q2[QBUF];
  bool ok = true, more = true;

  if (value.len == 0) {
    ms_findings_add(f, MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT, NULL,
                    "rua= without any URI");
    return false;
  }
  /* Each piece between ',' is one URI; *WSP around ',' is allowed. */
  while (more) {
    struct ms_slice piece;
    value = ms_slice_split(value, ',', &piece, &more);
    piece = ms_slice_trim_wsp(piece);
    /* "uri ext=value": the ';' before the next field was forgotten. */
    size_t w = ms_txtrec_find_wsp(piece);
    if (w < piece.len) {
      struct ms_slice tail =
          ms_slice_trim_wsp(ms_slice_make(piece.ptr + w, piece.len - w));
      struct ms_slice th;
      bool teq;
      (void)ms_slice_split(tail, '=', &th, &teq);
      if (teq && ms_txtrec_ext_name_ok(th)) {
        ms_txtrec_quote(tail, MS_TXTREC_QUOTE_MAX, q2, sizeof(q2));
        ms_txtrec_problem(pr, "';' missing before \"%s\"", q2);
        piece.len = w;
      }
    }
    ms_txtrec_quote(piece, MS_FINDING_SUBJ_MAX / 4 - 4, q, sizeof(q));
    if (piece.len == 0) {
      ms_findings_add(f, MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT, NULL,
                      "empty URI in the rua list (stray ',')");
      ok = false;
      continue;
    }
    /* Valid URIs are kept (up to the cap) as slices into the record. */
    const char *why = uri_problem(piece);
    if (why) {
      ms_findings_add(f, MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT, q, "%s", why);
      ok = false;
    } else if (out->n_rua < MS_TLSRPT_RUA_MAX) {
      out->rua[out->n_rua++] = piece;
    } else {
      /* The cap of the header: more URIs are counted as invalid. */
      ms_findings_add(f, MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT, q,
                      "more than %d rua URIs", MS_TLSRPT_RUA_MAX);
      ok = false;
    }
  }
  return ok;
}

/* Parses the only candidate; returns true when it is fully valid. */
static bool tlsrpt_parse(struct ms_slice r, size_t pfx, struct ms_tlsrpt *out,
                         struct ms_findings *f)
{
  struct ms_txtrec_problems pr;
  struct ms_txtrec_cursor cur = {ms_slice_make(r.ptr + pfx, r.len - pfx)};
  struct ms_slice fld;
  bool have_rua = false, rua_ok = true, rua_case = false;
  char q[QBUF];

  ms_txtrec_problems_init(&pr);
  /* "v=TLSRPTv1 " and nothing else: WSP that no ';' follows. */
  if (pfx == PREFIX_LEN && r.len > PREFIX_LEN)
    ms_txtrec_problem(&pr, "whitespace after the version without a ';'");
  while (ms_txtrec_next(&cur, &fld, &pr)) {
    struct ms_slice name, value;
    bool eq;
    ms_txtrec_quote(fld, MS_TXTREC_QUOTE_MAX, q, sizeof(q));
    value = ms_slice_split(fld, '=', &name, &eq);
    if (!eq) {
      ms_txtrec_problem(&pr, "field without '=': \"%s\"", q);
      continue;
    }
    struct ms_slice tname = ms_slice_trim_wsp(name);
    if (tname.len < name.len)
      ms_txtrec_problem(&pr, "whitespace before '=' in \"%s\"", q);
    name = tname;
    /* tlsrpt-rua = %s"rua=" ...: exact, lower-case name. */
    if (ms_slice_eq_cstr(name, "rua")) {
      if (have_rua) {
        /* One rua field holds a comma-separated list (section 3). */
        ms_txtrec_problem(&pr,
                          "repeated rua field (\"%s\"; list the "
                          "URIs in one rua, separated by ',')",
                          q);
        continue;
      }
      have_rua = true;
      if (value.len && ms_ascii_is_wsp((unsigned char)value.ptr[0])) {
        ms_txtrec_problem(&pr, "whitespace after '=' in \"%s\"", q);
        value = ms_slice_trim_wsp(value);
      }
      rua_ok = tlsrpt_rua(value, out, &pr, f);
      continue;
    }
    if (ms_slice_eq_cstr(name, "v")) {
      ms_txtrec_problem(&pr, "repeated v field (\"%s\")", q);
      continue;
    }
    /* "RUA=" is a valid extension by the grammar, but surely meant as
     * rua: remember it for the missing-rua detail. */
    if (ms_slice_eq_nocase(name, ms_slice_cstr("rua")))
      rua_case = true;
    if (!ms_txtrec_ext_name_ok(name))
      ms_txtrec_problem(&pr, "invalid field name in \"%s\"", q);
    else if (!ms_txtrec_ext_value_ok(value))
      ms_txtrec_problem(&pr, "invalid extension value in \"%s\"", q);
    /* A valid extension is ignored, as receivers must (section 3). */
  }
  /* rua is the one required field (RFC 8460 section 3); without it no
   * report can be sent, which is what RUA_INVALID says. */
  if (!have_rua)
    ms_findings_add(f, MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT, NULL,
                    "no rua field%s",
                    rua_case ? " (field names are case-sensitive: rua=)" : "");
  if (pr.n)
    ms_findings_add(f, MS_F_TLSRPT_SYNTAX, MS_SEV_DEFAULT, NULL, "%s", pr.text);
  return have_rua && rua_ok && pr.n == 0;
}

void ms_tlsrpt_eval(const struct ms_slice *records, size_t n, bool mode_testing,
                    struct ms_tlsrpt *out, struct ms_findings *f)
{
  char q[QBUF];

  /* Outputs start as "no record". */
  out->present = false;
  out->index = 0;
  out->n_rua = 0;
  out->valid = false;

  struct ms_txtrec_pick pk;
  ms_txtrec_pick(records, n, tlsrpt_candidate, "TLSRPT", &pk);
  size_t ncand = pk.n_cand, first = pk.first, second = pk.second;
  size_t pfx = pk.prefix_len, mention = pk.mention;
  if (ncand == 0 && mention == n) {
    /* Reports matter most while the policy is in testing mode. */
    ms_findings_add(f, MS_F_TLSRPT_MISSING,
                    mode_testing ? MS_SEV_WARNING : MS_SEV_INFO, NULL, NULL);
    return;
  }
  /* A record meant as TLS-RPT but with a bad prefix: receivers ignore
   * it, and the catalogue reports that as TLSRPT_SYNTAX. */
  if (ncand == 0) {
    out->index = mention;
    ms_txtrec_quote(records[mention], MS_TXTREC_QUOTE_MAX, q, sizeof(q));
    ms_findings_add(f, MS_F_TLSRPT_SYNTAX, MS_SEV_DEFAULT, NULL, "%s: \"%s\"",
                    tlsrpt_bad_prefix_why(records[mention]), q);
    return;
  }
  out->index = first;
  /* Section 3: with several records, senders do not report at all. */
  if (ncand > 1) {
    ms_findings_add(f, MS_F_TLSRPT_MULTIPLE, MS_SEV_DEFAULT, NULL,
                    "%zu records begin with v=TLSRPTv1 (records %zu and "
                    "%zu%s)",
                    ncand, first + 1, second + 1, ncand > 2 ? ", ..." : "");
    return;
  }
  out->present = true;
  out->valid = tlsrpt_parse(records[first], pfx, out, f);
}
