/*
 * core/certname: RFC 6125 section 6.4 DNS-ID matching, one table row per
 * rule, plus properties checked over the real MX names of the shared
 * corpus when it exists (../shared/corpus/mx-cases.tsv).
 */
#include "core/certname.h"

#include "unit.h"

/* A SAN or host given with an explicit length (for embedded NUL bytes). */
#define N(s) s, sizeof(s) - 1
/* A NUL-terminated one (length taken with strlen). */
#define S(s) s, 0

#define L63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"

static const struct {
  const char *san;
  size_t san_len;
  const char *host;
  size_t host_len;
  bool match;
} rows[] = {
    /* Exact names, case and trailing dots. */
    {S("mx.example.com"), S("mx.example.com"), true},
    {S("MX.Example.COM"), S("mx.example.com"), true},
    {S("mx.example.com"), S("MX.EXAMPLE.COM"), true},
    {S("mx.example.com."), S("mx.example.com"), true},
    {S("mx.example.com"), S("mx.example.com."), true},
    {S("mx.example.com."), S("MX.example.com."), true},
    {S("mx.example.com.."), S("mx.example.com"), false},
    {S("mx.example.com"), S("mx.example.com.."), false},
    {S("mx.example.com"), S("mx.example.org"), false},
    {S("mx.example.com"), S("example.com"), false},
    {S("example.com"), S("mx.example.com"), false},
    {S("mx.example.co"), S("mx.example.com"), false},
    {S("localhost"), S("localhost"), true},
    /* Certificate for one provider MX presented by its sibling (bug log:
     * a certificate valid only for mx1 served on mx2). */
    {S("mx1.forwardemail.net"), S("mx2.forwardemail.net"), false},
    {S("mx1.forwardemail.net"), S("mx1.forwardemail.net"), true},
    /* Wildcards: exactly one whole leftmost label. */
    {S("*.example.com"), S("mx.example.com"), true},
    {S("*.EXAMPLE.com"), S("Mx.example.COM."), true},
    {S("*.example.com."), S("mx.example.com"), true},
    {S("*.example.com"), S("example.com"), false},
    {S("*.example.com"), S("a.b.example.com"), false},
    {S("*.example.com"), S(".example.com"), false},
    {S("*.example.com"), S("mx.example.org"), false},
    {S("*.example.com"), S("mxexample.com"), false},
    {S("*.b.example.com"), S("a.b.example.com"), true},
    /* Wildcard depth (corpus: "*.mx.microsoft" for a tenant host two
     * labels below it, "*.google.com" for aspmx.l.google.com hosts). */
    {S("*.mx.microsoft"), S("tenant.h-v1.mx.microsoft"), false},
    {S("*.h-v1.mx.microsoft"), S("tenant.h-v1.mx.microsoft"), true},
    {S("*.google.com"), S("alt1.aspmx.l.google.com"), false},
    {S("*.aspmx.l.google.com"), S("ALT1.ASPMX.L.GOOGLE.COM."), true},
    {S("*.aspmx.l.google.com"), S("aspmx.l.google.com"), false},
    /* Partial and misplaced wildcards match nothing (corpus:
     * "alt*.aspmx.l.google.com"). */
    {S("alt*.aspmx.l.google.com"), S("alt1.aspmx.l.google.com"), false},
    {S("m*.example.com"), S("mx.example.com"), false},
    {S("*x.example.com"), S("mx.example.com"), false},
    {S("mx*.example.com"), S("mx.example.com"), false},
    {S("mx.*.example.com"), S("mx.a.example.com"), false},
    {S("*.*.example.com"), S("a.b.example.com"), false},
    {S("**.example.com"), S("mx.example.com"), false},
    {S("*"), S("com"), false},
    {S("*"), S("mx.example.com"), false},
    {S("*."), S("a."), false},
    {S("*.."), S("a.."), false},
    {S("xn--*.example.com"), S("xn--bcher-kva.example.com"), false},
    {S("mx.example.*"), S("mx.example.com"), false},
    /* Wildcards over a single remaining label. */
    {S("*.com"), S("example.com"), false},
    {S("*.com."), S("example.com."), false},
    {S("*.localhost"), S("localhost"), false},
    {S("*.xn--p1ai"), S("xn--80ak6aa92e.xn--p1ai"), false},
    {S("*.co.uk"), S("example.co.uk"), true}, /* no public-suffix list */
    /* IDN: A-labels compare as ASCII; raw UTF-8 (U-labels) is not LDH. */
    {S("xn--bcher-kva.example"), S("XN--BCHER-KVA.example"), true},
    {S("*.xn--bcher-kva.example"), S("mx.xn--bcher-kva.example"), true},
    {S("b\xc3\xbc"
       "cher.example"),
     S("b\xc3\xbc"
       "cher.example"),
     false},
    {S("xn--bcher-kva.example"),
     S("b\xc3\xbc"
       "cher.example"),
     false},
    /* NUL and other non-LDH bytes in a SAN: no match, ever. */
    {N("mx.example.com\0.evil.test"), S("mx.example.com"), false},
    {N("mx.example.com\0"), S("mx.example.com"), false},
    {N("*.example.com\0"), S("mx.example.com"), false},
    {N("\0mx.example.com"), S("mx.example.com"), false},
    {S("mx.example.com"), N("mx.example.com\0"), false},
    {S("mx_1.example.com"), S("mx_1.example.com"), false},
    {S("mx example.com"), S("mx example.com"), false},
    {S("mx.example.com "), S("mx.example.com"), false},
    {S(" mx.example.com"), S("mx.example.com"), false},
    {S("mx.example.com/"), S("mx.example.com"), false},
    {S("mx@example.com"), S("mx@example.com"), false},
    {S("*.ex\tample.com"), S("mx.ex\tample.com"), false},
    /* Empty and malformed names. */
    {S(""), S(""), false},
    {S(""), S("mx.example.com"), false},
    {S("mx.example.com"), S(""), false},
    {S("."), S("."), false},
    {S(".example.com"), S("example.com"), false},
    {S("mx..example.com"), S("mx..example.com"), false},
    {S(L63 ".example.com"), S(L63 ".example.com"), true},
    {S(L63 "l.example.com"), S(L63 "l.example.com"), false},
    {S("*.example.com"), S(L63 ".example.com"), true},
    {S("*.example.com"), S(L63 "l.example.com"), false},
    /* IP-address-looking hosts: a wildcard never covers them. */
    {S("*.0.2.1"), S("192.0.2.1"), false},
    {S("*.example.123"), S("mx.example.123"), false},
};

static void test_rows(void)
{
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    size_t sl = rows[i].san_len ? rows[i].san_len : strlen(rows[i].san);
    size_t hl = rows[i].host_len ? rows[i].host_len : strlen(rows[i].host);
    bool got = ms_certname_match(ms_slice_make(rows[i].san, sl),
                                 ms_slice_make(rows[i].host, hl));
    MS_CHECK_ROW(got == rows[i].match, "row %zu: san '%s' host '%s' -> %d", i,
                 rows[i].san, rows[i].host, (int)got);
  }
}

/* The list forms: any entry matching is enough, NULL entries are skipped,
 * an embedded NUL (slice form) stays a mismatch. */
static void test_any(void)
{
  static const char *const sans[] = {"mx1.forwardemail.net", NULL,
                                     "*.example.com", "alt*.example.org"};
  static const struct {
    const char *host;
    bool match;
  } hosts[] = {
      {"mx1.forwardemail.net", true}, {"mx2.forwardemail.net", false},
      {"mx.example.com", true},       {"a.b.example.com", false},
      {"alt1.example.org", false},    {"", false},
  };
  const struct ms_slice slices[] = {
      {"good.example\0.evil.test", 23},
      {"mx.example.net", 14},
  };
  for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
    bool got = ms_certname_match_any(sans, 4, ms_slice_cstr(hosts[i].host));
    MS_CHECK_ROW(got == hosts[i].match, "any: %s", hosts[i].host);
  }
  CU_ASSERT_FALSE(
      ms_certname_match_any(sans, 0, ms_slice_cstr("mx1.forwardemail.net")));
  CU_ASSERT_FALSE(
      ms_certname_match_any_slices(slices, 2, ms_slice_cstr("good.example")));
  CU_ASSERT_TRUE(
      ms_certname_match_any_slices(slices, 2, ms_slice_cstr("MX.example.net")));
  CU_ASSERT_FALSE(
      ms_certname_match_any_slices(slices, 1, ms_slice_cstr("mx.example.net")));
}

/* Checks the matcher's laws on one real host name h (lower or upper
 * case, maybe with a trailing dot): it covers itself in any case, the
 * wildcard over its parent covers it, the wildcard two levels up does
 * not, and no partial wildcard built from it does. */
static void check_host_laws(const char *h, size_t n)
{
  char up[300], wild[310];
  if (n == 0 || n >= sizeof(up))
    return;
  for (size_t i = 0; i < n; i++)
    up[i] = (char)((h[i] >= 'a' && h[i] <= 'z') ? h[i] - 32 : h[i]);
  struct ms_slice host = ms_slice_make(h, n);
  MS_CHECK_ROW(ms_certname_match(host, host), "self: %.*s", (int)n, h);
  MS_CHECK_ROW(ms_certname_match(ms_slice_make(up, n), host), "upper: %.*s",
               (int)n, h);
  const char *dot = memchr(h, '.', n);
  if (!dot)
    return;
  struct ms_slice parent = ms_slice_make(dot + 1, n - (size_t)(dot + 1 - h));
  const char *dot2 = memchr(parent.ptr, '.', parent.len);
  bool deep = dot2 && dot2 + 1 < parent.ptr + parent.len;
  int w = snprintf(wild, sizeof(wild), "*.%.*s", (int)parent.len, parent.ptr);
  MS_CHECK_ROW(ms_certname_match(ms_slice_make(wild, (size_t)w), host) == deep,
               "parent wildcard %s for %.*s", wild, (int)n, h);
  if (deep) {
    w = snprintf(wild, sizeof(wild), "*.%.*s",
                 (int)(parent.len - (size_t)(dot2 + 1 - parent.ptr)), dot2 + 1);
    MS_CHECK_ROW(!ms_certname_match(ms_slice_make(wild, (size_t)w), host),
                 "grandparent wildcard %s for %.*s", wild, (int)n, h);
  }
  w = snprintf(wild, sizeof(wild), "%c*.%.*s", h[0], (int)parent.len,
               parent.ptr);
  MS_CHECK_ROW(!ms_certname_match(ms_slice_make(wild, (size_t)w), host),
               "partial wildcard %s for %.*s", wild, (int)n, h);
}

/* mx-cases.tsv: "id<TAB>pref host.,pref host.<TAB>policy<TAB>note". */
static void test_corpus_hosts(void)
{
  char path[4096];
  const char *dir = ms_test_corpus_dir();
  if (!dir)
    return; /* no shared corpus next to this checkout */
  snprintf(path, sizeof(path), "%s/mx-cases.tsv", dir);
  size_t len;
  char *tsv = ms_test_read_file(path, &len);
  if (!tsv)
    return;
  size_t checked = 0;
  for (char *line = tsv, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *tab = strchr(line, '\t');
    if (!tab || line == tsv)
      continue; /* header line */
    char *mx = tab + 1;
    char *end = strchr(mx, '\t');
    if (end)
      *end = '\0';
    for (char *item = mx; item && *item;) {
      char *comma = strchr(item, ',');
      if (comma)
        *comma = '\0';
      char *sp = strchr(item, ' ');
      char *h = sp ? sp + 1 : item;
      check_host_laws(h, strlen(h));
      checked++;
      item = comma ? comma + 1 : NULL;
    }
  }
  CU_ASSERT(checked > 0);
  free(tsv);
}

CU_TestInfo ms_tests_certname[] = {
    {"rows", test_rows},
    {"match_any", test_any},
    {"corpus MX host names", test_corpus_hosts},
    CU_TEST_INFO_NULL,
};
