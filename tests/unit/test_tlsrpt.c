/*
 * ms_tlsrpt_eval and ms_tlsrpt_uri_valid: RFC 8460 section 3 (version
 * prefix, exactly one record, grammar, rua URIs). Rows are our own short
 * records, one per kind of mistake seen in ../shared/corpus/txt.tsv plus
 * boundaries; the corpus is replayed against an expectation table when it
 * is present.
 */
#include "core/tlsrpt.h"

#include "txtcodes.h"
#include "unit.h"

#define RUA "TLSRPT_RUA_INVALID"
#define SYN "TLSRPT_SYNTAX"

struct rpt_row {
  const char *what;
  const char *rec[4];
  size_t len0; /* length of rec[0] when it holds NUL bytes, else 0 */
  bool present, valid;
  size_t n_rua;
  const char *codes;
  const char *subject; /* a finding must have this subject (or NULL) */
  const char *detail;  /* a substring of some finding's detail (or NULL) */
};

static const struct rpt_row rows[] = {
    /* Valid records. */
    {"one mailto",
     {"v=TLSRPTv1; rua=mailto:tls@example.com"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"two URIs",
     {"v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@ex.net"},
     0,
     true,
     true,
     2,
     "",
     NULL,
     NULL},
    {"WSP around ','",
     {"v=TLSRPTv1; rua=mailto:a@example.com \t, mailto:b@ex.net"},
     0,
     true,
     true,
     2,
     "",
     NULL,
     NULL},
    {"strings joined, no spaces",
     {"v=TLSRPTv1;rua=mailto:x@example.org"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"trailing ';'",
     {"v=TLSRPTv1;rua=mailto:r@example.org;"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"dotted local part",
     {"v=TLSRPTv1; rua=mailto:smtp.tls.r@example.com"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"https with path",
     {"v=TLSRPTv1; rua=https://r.example.com/v1/tlsrpt"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"mixed mailto and https",
     {"v=TLSRPTv1; rua=mailto:t@example.com,https://r.example.com/v1"},
     0,
     true,
     true,
     2,
     "",
     NULL,
     NULL},
    {"https with query",
     {"v=TLSRPTv1; rua=https://r.example.com/a.b?v=1"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"extension ignored",
     {"v=TLSRPTv1; rua=mailto:a@example.com; x-y.z_1=v!"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    {"unrelated records discarded",
     {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"},
     0,
     true,
     true,
     1,
     "",
     NULL,
     NULL},
    /* No record, or no candidate. */
    {"no records", {NULL}, 0, false, false, 0, "TLSRPT_MISSING", NULL, NULL},
    {"only unrelated records",
     {"v=spf1 -all", "x"},
     0,
     false,
     false,
     0,
     "TLSRPT_MISSING",
     NULL,
     NULL},
    {"'-' instead of '='",
     {"v-TLSRPTv1 rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "'=' missing"},
    {"lower case",
     {"v=tlsrptv1; rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "letter case"},
    {"other version",
     {"v=TLSRPTv2; rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "not TLSRPTv1"},
    {"TLSRPTv10",
     {"v=TLSRPTv10; rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "not exactly TLSRPTv1"},
    {"no ';' after version",
     {"v=TLSRPTv1 rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "no ';'"},
    {"leading space",
     {" v=TLSRPTv1; rua=mailto:t@example.com"},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "leading whitespace"},
    {"literal quotes",
     {"\"v=TLSRPTv1; rua=mailto:t@example.com\""},
     0,
     false,
     false,
     0,
     SYN,
     NULL,
     "quote"},
    /* Several candidates. */
    {"two records",
     {"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1;rua=mailto:b@x.io"},
     0,
     false,
     false,
     0,
     "TLSRPT_MULTIPLE",
     NULL,
     "records 1 and 2"},
    /* A candidate without a (usable) rua. */
    {"version and ';' only",
     {"v=TLSRPTv1;"},
     0,
     true,
     false,
     0,
     RUA,
     "",
     "no rua field"},
    {"version only", {"v=TLSRPTv1"}, 0, true, false, 0, RUA, NULL, NULL},
    {"version and WSP only",
     {"v=TLSRPTv1 "},
     0,
     true,
     false,
     0,
     RUA "," SYN,
     NULL,
     "whitespace after the version"},
    {"unknown field, no rua",
     {"v=TLSRPTv1; xyz=foo"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     NULL},
    {"RUA in capitals",
     {"v=TLSRPTv1; RUA=mailto:a@example.com"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "case-sensitive"},
    {"empty mailto",
     {"v=TLSRPTv1; rua=mailto:"},
     0,
     true,
     false,
     0,
     RUA,
     "mailto:",
     "without an address"},
    {"mailto without '@'",
     {"v=TLSRPTv1; rua=mailto:tlsrpt.example.com"},
     0,
     true,
     false,
     0,
     RUA,
     "mailto:tlsrpt.example.com",
     "without '@'"},
    {"empty local part",
     {"v=TLSRPTv1; rua=mailto:@example.com"},
     0,
     true,
     false,
     0,
     RUA,
     "mailto:@example.com",
     "empty local part"},
    {"bad mail domain",
     {"v=TLSRPTv1; rua=mailto:a@exa_mple.com"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "not a valid host name"},
    {"not a URI",
     {"v=TLSRPTv1; rua=not_a_valid_uri"},
     0,
     true,
     false,
     0,
     RUA,
     "not_a_valid_uri",
     "no scheme"},
    {"http scheme",
     {"v=TLSRPTv1; rua=http://r.example.com/"},
     0,
     true,
     false,
     0,
     RUA,
     "http://r.example.com/",
     "https: only"},
    {"other scheme",
     {"v=TLSRPTv1; rua=ftp://r.example.com/"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "not mailto: or https:"},
    {"unencoded '!'",
     {"v=TLSRPTv1; rua=mailto:a!b@example.com"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "percent-encode"},
    {"bad %-escape",
     {"v=TLSRPTv1; rua=https://r.example.com/a%zz"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "two hex digits"},
    {"URIs separated by a space",
     {"v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com"},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "whitespace"},
    {"one good, one bad URI",
     {"v=TLSRPTv1; rua=mailto:a@example.com,mailto:nobody"},
     0,
     true,
     false,
     1,
     RUA,
     "mailto:nobody",
     NULL},
    {"stray ','",
     {"v=TLSRPTv1; rua=mailto:a@example.com,"},
     0,
     true,
     false,
     1,
     RUA,
     NULL,
     "stray ','"},
    {"empty rua",
     {"v=TLSRPTv1; rua="},
     0,
     true,
     false,
     0,
     RUA,
     NULL,
     "without any URI"},
    {"NUL in a URI",
     {"v=TLSRPTv1; rua=mailto:a\0@example.com"},
     37,
     true,
     false,
     0,
     RUA,
     "mailto:a\\x00@example.com",
     "control"},
    /* Grammar. */
    {"repeated rua",
     {"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "repeated rua"},
    {"';' missing between fields",
     {"v=TLSRPTv1; rua=mailto:a@example.com ext=1"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "';' missing before \"ext=1\""},
    {"';' inside an https URI ends the field",
     {"v=TLSRPTv1; rua=https://r.example.com/a;b"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "without '='"},
    {"WSP after '='",
     {"v=TLSRPTv1; rua= mailto:a@example.com"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "whitespace after '='"},
    {"empty field",
     {"v=TLSRPTv1;; rua=mailto:a@example.com"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "empty field"},
    {"trailing WSP without ';'",
     {"v=TLSRPTv1; rua=mailto:a@example.com "},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "whitespace at the end"},
    {"bad extension name",
     {"v=TLSRPTv1; rua=mailto:a@example.com; _x=1"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "invalid field name"},
    {"bad extension value",
     {"v=TLSRPTv1; rua=mailto:a@example.com; x=a=b"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "invalid extension value"},
    {"repeated version",
     {"v=TLSRPTv1; rua=mailto:a@example.com; v=TLSRPTv1"},
     0,
     true,
     false,
     1,
     SYN,
     NULL,
     "repeated v"},
    {"17 URIs: the cap",
     {"v=TLSRPTv1; rua=mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,"
      "mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,"
      "mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,"
      "mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,mailto:a@b.io,"
      "mailto:a@b.io,mailto:z@b.io"},
     0,
     true,
     false,
     16,
     RUA,
     "mailto:z@b.io",
     "more than 16"},
};

static void test_rows(void)
{
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct rpt_row *r = &rows[i];
    struct ms_slice rec[4];
    struct ms_findings f;
    struct ms_tlsrpt out;
    char got[1024];
    size_t n = 0;

    while (n < 4 && r->rec[n]) {
      rec[n] = ms_slice_cstr(r->rec[n]);
      n++;
    }
    if (r->len0)
      rec[0].len = r->len0;
    ms_findings_init(&f);
    ms_tlsrpt_eval(rec, n, false, &out, &f);
    MS_CHECK_ROW(ms_tc_same(&f, r->codes, got, sizeof(got)),
                 "%s: codes [%s], want [%s]", r->what, got, r->codes);
    MS_CHECK_ROW(out.present == r->present && out.valid == r->valid,
                 "%s: present %d valid %d", r->what, (int)out.present,
                 (int)out.valid);
    MS_CHECK_ROW(out.n_rua == r->n_rua, "%s: n_rua %zu", r->what, out.n_rua);
    /* Every kept URI is valid on its own and points into the record. */
    for (size_t k = 0; k < out.n_rua; k++) {
      const struct ms_slice *u = &out.rua[k];
      MS_CHECK_ROW(ms_tlsrpt_uri_valid(*u), "%s: rua %zu", r->what, k);
      MS_CHECK_ROW(u->ptr >= rec[out.index].ptr &&
                       u->ptr + u->len <=
                           rec[out.index].ptr + rec[out.index].len,
                   "%s: rua %zu outside the record", r->what, k);
    }
    if (r->subject) {
      bool seen = false;
      for (size_t k = 0; k < f.n; k++)
        seen = seen || strcmp(f.item[k].subject, r->subject) == 0;
      MS_CHECK_ROW(seen, "%s: no finding with subject \"%s\"", r->what,
                   r->subject);
    }
    if (r->detail) {
      bool seen = false;
      for (size_t k = 0; k < f.n; k++)
        seen = seen || strstr(f.item[k].detail, r->detail) != NULL;
      MS_CHECK_ROW(seen, "%s: no detail holds \"%s\" (first: \"%s\")", r->what,
                   r->detail, f.n ? f.item[0].detail : "");
    }
  }
}

/* TLSRPT_MISSING is a warning in testing mode, info otherwise; every
 * other finding keeps the catalogue's severity. */
static void test_missing_severity(void)
{
  static const struct {
    bool testing;
    const char *rec;
    enum ms_finding code;
    enum ms_sev sev;
  } sev_rows[] = {
      {false, NULL, MS_F_TLSRPT_MISSING, MS_SEV_INFO},
      {true, NULL, MS_F_TLSRPT_MISSING, MS_SEV_WARNING},
      {true, "v=spf1 -all", MS_F_TLSRPT_MISSING, MS_SEV_WARNING},
      {true, "v=TLSRPTv1", MS_F_TLSRPT_RUA_INVALID, MS_SEV_DEFAULT},
      {true, "v=TLSRPT", MS_F_TLSRPT_SYNTAX, MS_SEV_DEFAULT},
  };
  for (size_t i = 0; i < sizeof(sev_rows) / sizeof(sev_rows[0]); i++) {
    struct ms_slice rec = ms_slice_cstr(sev_rows[i].rec);
    struct ms_findings f;
    struct ms_tlsrpt out;
    ms_findings_init(&f);
    ms_tlsrpt_eval(&rec, sev_rows[i].rec ? 1 : 0, sev_rows[i].testing, &out,
                   &f);
    MS_CHECK_ROW(f.n == 1 && f.item[0].code == sev_rows[i].code &&
                     f.item[0].sev == sev_rows[i].sev,
                 "row %zu: n %zu sev %d", i, f.n,
                 f.n ? (int)f.item[0].sev : -1);
  }
}

/* ms_tlsrpt_uri_valid on its own. */
static const struct {
  const char *uri;
  bool valid;
} uris[] = {
    {"mailto:x@y", true},
    {"mailto:tls-rpt@example.com", true},
    {"MAILTO:a@example.com", true},
    {"mailto:a+tag@sub.example.co.uk", true},
    {"mailto:a%2Cb@example.com", true},
    {"mailto:a@example.com?subject=tlsrpt", true},
    {"mailto:first.last@example.com", true},
    {"https://r.example.com", true},
    {"https://r.example.com/", true},
    {"HTTPS://R.EXAMPLE.COM/v1", true},
    {"https://r.example.com./v1", true},
    {"https://r.example.com:8443/p#frag", true},
    {"https://r.example.com/a/b?x=1&y=%2C#f?g/h", true},
    {"https://192.0.2.1/x", true},
    {"https://[2001:db8::1]:443/", true},
    {"https://[::1]", true},
    {"https://r.example.com/~u/$x'(y)*+=:@", true},
    {"", false},
    {"mailto:", false},
    {"mailto:a", false},
    {"mailto:@example.com", false},
    {"mailto:a@", false},
    {"mailto:a@-x.com", false},
    {"mailto:a@x-.com", false},
    {"mailto:a@x..com", false},
    {"mailto:a@b@example.com", false},
    {"mailto:.a@example.com", false},
    {"mailto:a.@example.com", false},
    {"mailto:a..b@example.com", false},
    {"mailto:a,b@example.com", false},
    {"mailto:a;b@example.com", false},
    {"mailto:a b@example.com", false},
    {"mailto:a\"b@example.com", false},
    {"mailto:a@example.com?x=<y>", false},
    {"mailto:a@1.2.3.4", false},
    {"https://", false},
    {"https:///path", false},
    {"https://:443/", false},
    {"https://r.example.com:/", false},
    {"https://r.example.com:0/", false},
    {"https://r.example.com:65536/", false},
    {"https://r.example.com:123456/", false},
    {"https://r.example.com:80x/", false},
    {"https://user@r.example.com/", false},
    {"https://r_x.example.com/", false},
    {"https://[::1/", false},
    {"https://[zz]/", false},
    {"https://[192.0.2.1]/", false},
    {"https://r.example.com/a b", false},
    {"https://r.example.com/a,b", false},
    {"https://r.example.com/a!b", false},
    {"https://r.example.com/a%2", false},
    {"https://r.example.com/a%g0", false},
    {"https://r.example.com/[x]", false},
    {"https://r.example.com/a#b#c", false},
    {"https://r.example.com/\xc3\xa9", false},
    {"https:r.example.com", false},
    {"http://r.example.com/", false},
    {"ftp://r.example.com/", false},
    {"r.example.com", false},
    {"tlsrpt@example.com", false},
};

static void test_uris(void)
{
  for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
    bool got = ms_tlsrpt_uri_valid(ms_slice_cstr(uris[i].uri));
    MS_CHECK_ROW(got == uris[i].valid, "\"%s\": got %d", uris[i].uri, (int)got);
  }
}

/* Expectations for the tlsrpt rows of ../shared/corpus/txt.tsv, by
 * 1-based data-row number (all rows count, sts ones too). */
struct corpus_want {
  int row;
  bool present, valid;
  const char *codes;
};

static const struct corpus_want corpus_want[] = {
    {46, true, false, RUA}, {47, true, true, ""},   {48, true, true, ""},
    {49, true, true, ""},   {50, true, true, ""},   {51, true, true, ""},
    {52, true, true, ""},   {53, true, true, ""},   {54, true, true, ""},
    {55, true, true, ""},   {56, true, true, ""},   {57, true, true, ""},
    {58, true, true, ""},   {59, true, true, ""},   {60, false, false, SYN},
    {61, true, false, RUA}, {62, true, false, RUA}, {63, true, false, RUA},
    {64, true, false, SYN}, {65, true, false, RUA}, {66, true, false, RUA},
};

static void corpus_row(int rowno, const struct ms_tc_row *row, void *arg)
{
  const struct corpus_want *w = NULL;
  struct ms_findings f;
  struct ms_tlsrpt out;
  char got[1024];

  (void)arg;
  for (size_t i = 0; i < sizeof(corpus_want) / sizeof(corpus_want[0]); i++) {
    if (corpus_want[i].row == rowno)
      w = &corpus_want[i];
  }
  ms_findings_init(&f);
  if (!w) {
    /* A row added to the corpus after this table was written: it must
     * evaluate without crashing; its expectation is for a person to add. */
    fprintf(stderr, "\n  note: txt.tsv row %d has no expectation yet\n",
            rowno);
    ms_tlsrpt_eval(row->rec, row->nrec, false, &out, &f);
    return;
  }
  ms_tlsrpt_eval(row->rec, row->nrec, false, &out, &f);
  MS_CHECK_ROW(ms_tc_same(&f, w->codes, got, sizeof(got)),
               "txt.tsv row %d: codes [%s], want [%s]", rowno, got, w->codes);
  MS_CHECK_ROW(out.present == w->present && out.valid == w->valid,
               "txt.tsv row %d: present %d valid %d", rowno, (int)out.present,
               (int)out.valid);
}

static void test_corpus(void)
{
  int seen = ms_tc_corpus("tlsrpt", corpus_row, NULL);
  if (seen < 0)
    return; /* no ../shared/corpus next to this checkout */
  /* Every expectation must have met its row (rows may be added). */
  CU_ASSERT(seen >= (int)(sizeof(corpus_want) / sizeof(corpus_want[0])));
}

CU_TestInfo ms_tests_tlsrpt[] = {
    {"record table", test_rows},
    {"TLSRPT_MISSING severity", test_missing_severity},
    {"URI table", test_uris},
    {"shared corpus txt.tsv (tlsrpt rows)", test_corpus},
    CU_TEST_INFO_NULL,
};
