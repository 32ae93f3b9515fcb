/*
 * ms_sts_txt_eval: RFC 8461 section 3.1 prefix filtering, the exactly-one
 * rule and the record grammar (data/verdict.md, "The _mta-sts record").
 * Each row is our own short record showing one kind of mistake seen in
 * ../shared/corpus/txt.tsv (or a boundary); the corpus itself is replayed
 * against an expectation table when it is present.
 */
#include "core/sts_txt.h"

#include "txtcodes.h"
#include "unit.h"

#define MS_SYN "STS_RECORD_SYNTAX"
#define MS_OK_ MS_STS_OK
#define MS_INV MS_STS_INVALID
#define MS_MAL MS_STS_MALFORMED

struct sts_row {
  const char *what;
  const char *rec[4]; /* NULL-terminated records */
  size_t len0;        /* length of rec[0] when it holds NUL bytes, else 0 */
  enum ms_sts_state state;
  bool usable;
  const char *id;     /* expected id text (NULL: do not check) */
  const char *codes;  /* exact set of codes, sorted or not */
  const char *detail; /* a substring some finding's detail must hold */
};

static const struct sts_row rows[] = {
    /* Valid shapes published in the wild. */
    {"trailing ';'",
     {"v=STSv1; id=20230705;"},
     0,
     MS_OK_,
     true,
     "20230705",
     "",
     NULL},
    {"no trailing ';'",
     {"v=STSv1; id=20230705"},
     0,
     MS_OK_,
     true,
     "20230705",
     "",
     NULL},
    {"no spaces, 13-digit ms id",
     {"v=STSv1;id=1700000000123;"},
     0,
     MS_OK_,
     true,
     "1700000000123",
     "",
     NULL},
    {"two strings joined",
     {"v=STSv1;id=20991231235959"},
     0,
     MS_OK_,
     true,
     "20991231235959",
     "",
     NULL},
    {"id ending in Z",
     {"v=STSv1; id=230101120000Z;"},
     0,
     MS_OK_,
     true,
     "230101120000Z",
     "",
     NULL},
    {"id with T",
     {"v=STSv1; id=20240101T0000"},
     0,
     MS_OK_,
     true,
     "20240101T0000",
     "",
     NULL},
    {"1-character id", {"v=STSv1; id=7"}, 0, MS_OK_, true, "7", "", NULL},
    {"32-character id",
     {"v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345"},
     0,
     MS_OK_,
     true,
     "abcdefghijklmnopqrstuvwxyz012345",
     "",
     NULL},
    {"tab after ';'", {"v=STSv1;\tid=5"}, 0, MS_OK_, true, "5", "", NULL},
    {"final ';' then WSP",
     {"v=STSv1; id=5; \t"},
     0,
     MS_OK_,
     true,
     "5",
     "",
     NULL},
    {"unrelated records discarded",
     {"v=spf1 -all", "v=STSv1; id=5", "x"},
     0,
     MS_OK_,
     true,
     "5",
     "",
     NULL},
    {"malformed record next to a candidate is discarded",
     {"v=STSv1 id=4", "v=STSv1; id=5"},
     0,
     MS_OK_,
     true,
     "5",
     "",
     NULL},
    /* Extension fields. */
    {"mode= in the TXT record",
     {"v=STSv1; id=99; mode=testing"},
     0,
     MS_OK_,
     true,
     "99",
     "STS_EXTENSION_FIELD",
     "policy-file field"},
    {"extension name charset",
     {"v=STSv1; id=99; a.b-c_d=x!y~"},
     0,
     MS_OK_,
     true,
     "99",
     "STS_EXTENSION_FIELD",
     "a.b-c_d=x!y~"},
    {"two extensions",
     {"v=STSv1; x1=a; id=99; x2=b"},
     0,
     MS_OK_,
     true,
     "99",
     "STS_EXTENSION_FIELD,STS_EXTENSION_FIELD",
     NULL},
    {"32-character extension name",
     {"v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz012345=v"},
     0,
     MS_OK_,
     true,
     "1",
     "STS_EXTENSION_FIELD",
     NULL},
    /* Whitespace before the first ';' (grammatical, but see erratum). */
    {"space before ';'",
     {"v=STSv1 ; id=77;"},
     0,
     MS_OK_,
     true,
     "77",
     "STS_RECORD_PREFIX_SPACE",
     "whitespace between"},
    {"junk record + tab before ';'",
     {"v", "v=STSv1\t; id=77"},
     0,
     MS_OK_,
     true,
     "77",
     "STS_RECORD_PREFIX_SPACE",
     NULL},
    {"runs of WSP around ';'",
     {"v=STSv1   ;   id=q"},
     0,
     MS_OK_,
     true,
     "q",
     "STS_RECORD_PREFIX_SPACE",
     NULL},
    /* No record at all. */
    {"no records",
     {NULL},
     0,
     MS_STS_MISSING,
     false,
     "",
     "STS_RECORD_MISSING",
     NULL},
    {"only unrelated records",
     {"v=spf1 -all", "google-site-verification=x"},
     0,
     MS_STS_MISSING,
     false,
     "",
     "STS_RECORD_MISSING",
     NULL},
    {"empty record",
     {""},
     0,
     MS_STS_MISSING,
     false,
     "",
     "STS_RECORD_MISSING",
     NULL},
    /* Mentions v=STS but no candidate. */
    {"missing ';' after version",
     {"v=STSv1 id=77"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "no ';' after v=STSv1"},
    {"lower-case version",
     {"v=stsv1; id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "letter case"},
    {"upper-case V",
     {"V=STSv1; id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "letter case"},
    {"other version",
     {"v=STSv3; id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "not STSv1"},
    {"STSv10",
     {"v=STSv10; id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "not exactly STSv1"},
    {"STSv2 with extension",
     {"v=STSv2;id=q;ext=r"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "v=STSv2;id=q;ext=r"},
    {"version only",
     {"v=STSv1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "without ';'"},
    {"no ';' and empty id",
     {"v=STSv1 id="},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     NULL},
    {"leading space",
     {" v=STSv1; id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "leading whitespace"},
    {"literal quotes",
     {"\"v=STSv1; id=1\""},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "quote"},
    {"version not first",
     {"id=1; v=STSv1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "not at the start"},
    {"comma instead of ';'",
     {"v=STSv1,id=1"},
     0,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "not followed by ';'"},
    {"NUL before ';'",
     {"v=STSv1\0; id=1"},
     14,
     MS_MAL,
     false,
     "",
     "STS_RECORD_MALFORMED_PREFIX",
     "\\x00"},
    /* Several candidates. */
    {"two candidates",
     {"v=STSv1; id=a", "v=STSv1; id=b"},
     0,
     MS_STS_MULTIPLE,
     false,
     "",
     "STS_RECORD_MULTIPLE",
     "records 1 and 2"},
    {"three candidates",
     {"v=STSv1; id=a", "x", "v=STSv1;id=b", "v=STSv1 ;id=c"},
     0,
     MS_STS_MULTIPLE,
     false,
     "",
     "STS_RECORD_MULTIPLE",
     "3 records"},
    /* One candidate that breaks the grammar. */
    {"repeated version, no id",
     {"v=STSv1; v=STSv1"},
     0,
     MS_INV,
     false,
     "",
     "STS_ID_MISSING," MS_SYN,
     "repeated v"},
    {"version + ';' only",
     {"v=STSv1;"},
     0,
     MS_INV,
     false,
     "",
     "STS_ID_MISSING",
     NULL},
    {"empty id",
     {"v=STSv1; id=;"},
     0,
     MS_INV,
     false,
     "",
     "STS_ID_INVALID",
     "empty id"},
    {"empty id at the end",
     {"v=STSv1; id="},
     0,
     MS_INV,
     false,
     "",
     "STS_ID_INVALID",
     NULL},
    {"id with punctuation",
     {"v=STSv1; id=#1;"},
     0,
     MS_INV,
     false,
     "#1",
     "STS_ID_INVALID",
     "other than letters"},
    {"id with dashes",
     {"v=STSv1; id=2024-01-01"},
     0,
     MS_INV,
     false,
     "2024-01-01",
     "STS_ID_INVALID",
     NULL},
    {"id with dots",
     {"v=STSv1; id=1.2"},
     0,
     MS_INV,
     false,
     "1.2",
     "STS_ID_INVALID",
     NULL},
    {"id with underscore",
     {"v=STSv1; id=a_b"},
     0,
     MS_INV,
     false,
     "a_b",
     "STS_ID_INVALID",
     NULL},
    {"33-character id",
     {"v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456"},
     0,
     MS_INV,
     false,
     NULL,
     "STS_ID_INVALID",
     "33 characters"},
    {"non-ASCII id",
     {"v=STSv1; id=\xc3\xa9t\xc3\xa9"},
     0,
     MS_INV,
     false,
     NULL,
     "STS_ID_INVALID",
     "\\xc3"},
    {"NUL inside the id",
     {"v=STSv1; id=ab\0cd"},
     17,
     MS_INV,
     false,
     NULL,
     "STS_ID_INVALID",
     "ab\\x00cd"},
    {"repeated id",
     {"v=STSv1; id=a; id=b"},
     0,
     MS_INV,
     false,
     "a",
     MS_SYN,
     "repeated id"},
    {"unknown field, no id",
     {"v=STSv1; foo=bar"},
     0,
     MS_INV,
     false,
     "",
     "STS_EXTENSION_FIELD,STS_ID_MISSING",
     NULL},
    {"ID in capitals",
     {"v=STSv1; ID=1"},
     0,
     MS_INV,
     false,
     "",
     "STS_EXTENSION_FIELD,STS_ID_MISSING",
     "case-sensitive"},
    {"';' missing between fields",
     {"v=STSv1;  id=q ext=r.com"},
     0,
     MS_INV,
     false,
     "q",
     MS_SYN,
     "';' missing before \"ext=r.com\""},
    {"WSP inside the id",
     {"v=STSv1; id=12 34"},
     0,
     MS_INV,
     false,
     "12",
     MS_SYN,
     "whitespace inside"},
    {"trailing WSP without ';'",
     {"v=STSv1; id=1 "},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "whitespace at the end"},
    {"empty field at the end",
     {"v=STSv1; id=1;;"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "empty field"},
    {"empty field first",
     {"v=STSv1;; id=1"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "empty field"},
    {"field without '='",
     {"v=STSv1; id=1; junk"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "without '='"},
    {"extension name starting with '_'",
     {"v=STSv1; _x=1; id=1"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "invalid field name"},
    {"33-character extension name",
     {"v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=v"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     NULL},
    {"'=' inside an extension value",
     {"v=STSv1; id=1; x=a=b"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "invalid value"},
    {"empty extension value",
     {"v=STSv1; id=1; x="},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     NULL},
    {"NUL in an extension value",
     {"v=STSv1; id=1; x=a\0"},
     19,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "\\x00"},
    {"spaces around '='",
     {"v=STSv1; id = 5"},
     0,
     MS_INV,
     false,
     "5",
     MS_SYN,
     "whitespace before '='"},
    {"several problems, one finding",
     {"v=STSv1;; v=STSv1; id=1; id=2"},
     0,
     MS_INV,
     false,
     "1",
     MS_SYN,
     "empty field (';;'); repeated v"},
};

static void test_rows(void)
{
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct sts_row *r = &rows[i];
    struct ms_slice rec[4];
    struct ms_findings f;
    struct ms_sts_txt out;
    char got[1024];
    size_t n = 0;

    while (n < 4 && r->rec[n]) {
      rec[n] = ms_slice_cstr(r->rec[n]);
      n++;
    }
    if (r->len0)
      rec[0].len = r->len0;
    ms_findings_init(&f);
    ms_sts_txt_eval(rec, n, &out, &f);
    MS_CHECK_ROW(ms_tc_same(&f, r->codes, got, sizeof(got)),
                 "%s: codes [%s], want [%s]", r->what, got, r->codes);
    MS_CHECK_ROW(out.state == r->state, "%s: state %d, want %d", r->what,
                 (int)out.state, (int)r->state);
    MS_CHECK_ROW(out.usable == r->usable, "%s: usable %d", r->what,
                 (int)out.usable);
    if (r->id)
      MS_CHECK_ROW(ms_slice_eq_cstr(out.id, r->id), "%s: id \"%.*s\"", r->what,
                   (int)out.id.len, out.id.ptr);
    /* id_valid follows the id's own grammar. */
    bool want_valid =
        out.id.len > 0 && !ms_findings_has(&f, MS_F_STS_ID_INVALID);
    if (out.state == MS_STS_OK || out.state == MS_STS_INVALID)
      MS_CHECK_ROW(out.id_valid == want_valid, "%s: id_valid %d", r->what,
                   (int)out.id_valid);
    if (r->detail) {
      bool seen = false;
      for (size_t k = 0; k < f.n; k++)
        seen = seen || strstr(f.item[k].detail, r->detail) != NULL;
      MS_CHECK_ROW(seen, "%s: no detail holds \"%s\" (first: \"%s\")", r->what,
                   r->detail, f.n ? f.item[0].detail : "");
    }
    for (size_t k = 0; k < f.n; k++) {
      MS_CHECK_ROW(f.item[k].sev == MS_SEV_DEFAULT, "%s: severity set",
                   r->what);
      MS_CHECK_ROW(f.item[k].subject[0] == '\0', "%s: subject set", r->what);
    }
  }
}

/* The id and index slices point into the record that is the candidate. */
static void test_slices(void)
{
  struct ms_slice rec[3] = {ms_slice_cstr("v=spf1 -all"), ms_slice_cstr("x"),
                            ms_slice_cstr("v=STSv1; id=abc123; e=1")};
  struct ms_findings f;
  struct ms_sts_txt out;

  ms_findings_init(&f);
  ms_sts_txt_eval(rec, 3, &out, &f);
  CU_ASSERT_EQUAL(out.index, 2);
  CU_ASSERT_PTR_EQUAL(out.id.ptr, rec[2].ptr + 12);
  CU_ASSERT_EQUAL(out.id.len, 6);
  CU_ASSERT(out.id_valid);
  CU_ASSERT(out.usable);
  CU_ASSERT_STRING_EQUAL(f.item[0].detail, "e=1");
}

/* A record as long as DNS allows gives a finding whose detail is cut,
 * never an overflow. */
static void test_long_record(void)
{
  static char big[4000];
  struct ms_slice rec;
  struct ms_findings f;
  struct ms_sts_txt out;

  memcpy(big, "v=STSv1; id=", 12);
  memset(big + 12, 'x', sizeof(big) - 12);
  rec = ms_slice_make(big, sizeof(big));
  ms_findings_init(&f);
  ms_sts_txt_eval(&rec, 1, &out, &f);
  CU_ASSERT_EQUAL(out.state, MS_STS_INVALID);
  CU_ASSERT_EQUAL(f.n, 1);
  CU_ASSERT_EQUAL(f.item[0].code, MS_F_STS_ID_INVALID);
  CU_ASSERT(strstr(f.item[0].detail, "...") != NULL);
}

/* Expectations for the sts rows of ../shared/corpus/txt.tsv, by 1-based
 * data-row number. */
struct corpus_want {
  int row;
  enum ms_sts_state state;
  bool usable;
  const char *codes;
};

static const struct corpus_want corpus_want[] = {
    {1, MS_OK_, true, ""},
    {2, MS_OK_, true, ""},
    {3, MS_OK_, true, ""},
    {4, MS_OK_, true, ""},
    {5, MS_OK_, true, ""},
    {6, MS_OK_, true, ""},
    {7, MS_OK_, true, ""},
    {8, MS_OK_, true, ""},
    {9, MS_OK_, true, ""},
    {10, MS_OK_, true, ""},
    {11, MS_OK_, true, ""},
    {12, MS_OK_, true, "STS_EXTENSION_FIELD"},
    {13, MS_OK_, true, ""},
    {14, MS_OK_, true, ""},
    {15, MS_OK_, true, ""},
    {16, MS_OK_, true, ""},
    {17, MS_OK_, true, ""},
    {18, MS_OK_, true, ""},
    {19, MS_OK_, true, ""},
    {20, MS_OK_, true, ""},
    {21, MS_OK_, true, ""},
    {22, MS_OK_, true, ""},
    {23, MS_OK_, true, ""},
    {24, MS_OK_, true, ""},
    {25, MS_OK_, true, ""},
    {26, MS_OK_, true, ""},
    {27, MS_OK_, true, "STS_RECORD_PREFIX_SPACE"},
    {28, MS_OK_, true, "STS_RECORD_PREFIX_SPACE"},
    {29, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {30, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {31, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {32, MS_INV, false, "STS_ID_MISSING,STS_RECORD_SYNTAX"},
    {33, MS_STS_MULTIPLE, false, "STS_RECORD_MULTIPLE"},
    {34, MS_INV, false, "STS_ID_INVALID"},
    {35, MS_INV, false, "STS_ID_INVALID"},
    {36, MS_INV, false, "STS_RECORD_SYNTAX"},
    {37, MS_INV, false, "STS_EXTENSION_FIELD,STS_ID_MISSING"},
    {38, MS_OK_, true, "STS_RECORD_PREFIX_SPACE"},
    {39, MS_INV, false, "STS_RECORD_SYNTAX"},
    {40, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {41, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {42, MS_MAL, false, "STS_RECORD_MALFORMED_PREFIX"},
    {43, MS_INV, false, "STS_ID_MISSING"},
    {44, MS_INV, false, "STS_ID_INVALID"},
    {45, MS_INV, false, "STS_ID_INVALID"},
};

static void corpus_row(int rowno, const struct ms_tc_row *row, void *arg)
{
  const struct corpus_want *w = NULL;
  struct ms_findings f;
  struct ms_sts_txt out;
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
    ms_sts_txt_eval(row->rec, row->nrec, &out, &f);
    return;
  }
  ms_sts_txt_eval(row->rec, row->nrec, &out, &f);
  MS_CHECK_ROW(ms_tc_same(&f, w->codes, got, sizeof(got)),
               "txt.tsv row %d: codes [%s], want [%s]", rowno, got, w->codes);
  MS_CHECK_ROW(out.state == w->state && out.usable == w->usable,
               "txt.tsv row %d: state %d usable %d", rowno, (int)out.state,
               (int)out.usable);
}

static void test_corpus(void)
{
  int seen = ms_tc_corpus("sts", corpus_row, NULL);
  if (seen < 0)
    return; /* no ../shared/corpus next to this checkout */
  /* Every expectation must have met its row (rows may be added). */
  CU_ASSERT(seen >= (int)(sizeof(corpus_want) / sizeof(corpus_want[0])));
}

CU_TestInfo ms_tests_sts_txt[] = {
    {"record table", test_rows},
    {"slices point into the candidate", test_slices},
    {"long record, detail cut", test_long_record},
    {"shared corpus txt.tsv (sts rows)", test_corpus},
    CU_TEST_INFO_NULL,
};
