/* report/report_db.c, report_agg.c and report_out.c: records into the
 * compact store, counts, expiring certificates, the diff between two runs
 * and what the renderers make of hostile strings. */
#include "report/report_agg.h"
#include "report/report_db.h"
#include "report/report_out.h"

#include <jansson.h>

#include "unit.h"

/* 2026-12-04T00:00:00Z */
#define NOW 1796342400

static struct ms_rdom *parse(struct ms_rdb *db, const char *json,
                             const char **why)
{
  json_t *rec = json_loads(json, JSON_ALLOW_NUL, NULL);
  *why = rec ? NULL : "not JSON";
  struct ms_rdom *d = rec ? ms_rdb_parse(db, rec, why) : NULL;
  json_decref(rec);
  return d;
}

/* Which records are records: every way a line can fail, and what a good
 * one keeps. */
static void test_parse(void)
{
  static const struct {
    const char *json;
    bool ok;
    int status, mode, n_find, n_cert;
  } rows[] = {
      {"{\"domain\":\"a.example\",\"status\":\"valid\",\"mode\":\"enforce\","
       "\"findings\":[]}",
       true, MS_RSTATUS_VALID, MS_RMODE_ENFORCE, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"none\",\"findings\":[]}", true,
       MS_RSTATUS_NONE, MS_RMODE_ABSENT, 0, 0},
      /* the same code twice with one severity is one entry (count 2) */
      {"{\"domain\":\"a.example\",\"status\":\"invalid\",\"mode\":\"testing\","
       "\"findings\":[{\"code\":\"MX_NOT_COVERED\",\"severity\":\"warning\"},"
       "{\"code\":\"MX_NOT_COVERED\",\"severity\":\"warning\"},"
       "{\"code\":\"POLICY_SYNTAX\",\"severity\":\"error\"}]}",
       true, MS_RSTATUS_INVALID, MS_RMODE_TESTING, 2, 0},
      /* certificates: one expired policy cert, one MX far away, one MX
       * listed twice (two addresses) counted once, one unparsable date */
      {"{\"domain\":\"c.example\",\"status\":\"valid\",\"mode\":\"none\","
       "\"findings\":[],\"policy\":{\"host\":\"mta-sts.c.example\"},"
       "\"policy_tls\":{\"certificate\":{\"not_after\":"
       "\"2026-11-01T00:00:00Z\"}},\"mx\":["
       "{\"host\":\"mx1\",\"smtp\":{\"certificate\":{\"not_after\":"
       "\"2030-01-01T00:00:00Z\"}}},"
       "{\"host\":\"mx2\",\"smtp\":{\"certificate\":{\"not_after\":"
       "\"2026-12-05T00:00:00Z\"}}},"
       "{\"host\":\"mx2\",\"smtp\":{\"certificate\":{\"not_after\":"
       "\"2026-12-05T00:00:00Z\"}}},"
       "{\"host\":\"mx3\",\"smtp\":{\"certificate\":{\"not_after\":"
       "\"yesterday\"}}},{\"host\":\"mx4\",\"smtp\":null}]}",
       true, MS_RSTATUS_VALID, MS_RMODE_NONE, 0, 2},
      {"[1,2]", false, 0, 0, 0, 0},
      {"\"valid\"", false, 0, 0, 0, 0},
      {"{\"status\":\"valid\",\"findings\":[]}", false, 0, 0, 0, 0},
      {"{\"domain\":\"\",\"status\":\"valid\",\"findings\":[]}", false, 0, 0, 0,
       0},
      {"{\"domain\":\"a\\u0000b\",\"status\":\"valid\",\"findings\":[]}", false,
       0, 0, 0, 0},
      {"{\"domain\":7,\"status\":\"valid\",\"findings\":[]}", false, 0, 0, 0,
       0},
      {"{\"domain\":\"a.example\",\"status\":\"VALID\",\"findings\":[]}", false,
       0, 0, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"valid\",\"mode\":\"strict\","
       "\"findings\":[]}",
       false, 0, 0, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"valid\"}", false, 0, 0, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"valid\",\"findings\":{}}", false,
       0, 0, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"valid\",\"findings\":["
       "{\"code\":\"X\",\"severity\":\"fatal\"}]}",
       false, 0, 0, 0, 0},
      {"{\"domain\":\"a.example\",\"status\":\"valid\",\"findings\":["
       "{\"severity\":\"info\"}]}",
       false, 0, 0, 0, 0},
  };
  struct ms_rcodes codes;
  struct ms_rdb db;
  ms_rcodes_init(&codes);
  ms_rdb_init(&db, &codes, true, NOW + 14 * 86400);
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const char *why = NULL;
    struct ms_rdom *d = parse(&db, rows[i].json, &why);
    MS_CHECK_ROW((d != NULL) == rows[i].ok, "[%zu] %s: %s", i, rows[i].json,
                 why ? why : "accepted");
    if (!d)
      continue;
    MS_CHECK_ROW(d->status == rows[i].status && d->mode == rows[i].mode &&
                     d->n_find == rows[i].n_find && d->n_cert == rows[i].n_cert,
                 "[%zu] status %d mode %d find %u cert %u", i, d->status,
                 d->mode, (unsigned)d->n_find, (unsigned)d->n_cert);
    ms_rdom_free(d);
  }
  ms_rdb_cleanup(&db);
  ms_rcodes_cleanup(&codes);
}

static void test_codes(void)
{
  struct ms_rcodes c;
  uint16_t id, id2;
  ms_rcodes_init(&c);
  CU_ASSERT(ms_rcodes_id(&c, "MX_NOT_COVERED", 14, &id));
  CU_ASSERT_EQUAL(id, MS_F_MX_NOT_COVERED);
  CU_ASSERT(ms_rcodes_id(&c, "FUTURE_X", 8, &id));
  CU_ASSERT(id >= MS_F_COUNT);
  CU_ASSERT(ms_rcodes_id(&c, "FUTURE_X", 8, &id2));
  CU_ASSERT_EQUAL(id, id2);
  CU_ASSERT_STRING_EQUAL(ms_rcodes_name(&c, id), "FUTURE_X");
  CU_ASSERT_EQUAL(ms_rcodes_count(&c), MS_F_COUNT + 1);
  CU_ASSERT_FALSE(ms_rcodes_id(&c, "", 0, &id));
  char longc[MS_RDB_CODE_LEN + 2];
  memset(longc, 'A', sizeof(longc));
  CU_ASSERT_FALSE(ms_rcodes_id(&c, longc, sizeof(longc), &id));
  CU_ASSERT_FALSE(ms_rcodes_id(&c, "A\0B", 3, &id));
  ms_rcodes_cleanup(&c);
  CU_ASSERT_EQUAL(ms_rcodes_count(&c), MS_F_COUNT);
}

/* A run of one record per row: domain, status, mode, code:severity list. */
struct run_row {
  const char *domain, *status, *mode, *codes, *not_after;
};

static void load(struct ms_rdb *db, const struct run_row *rows, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    json_t *f = json_array();
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rows[i].codes);
    for (char *p = buf; *p;) {
      char *sp = strchr(p, ' ');
      if (sp)
        *sp = '\0';
      char *colon = strchr(p, ':');
      CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
      *colon = '\0';
      json_array_append_new(
          f, json_pack("{s:s, s:s}", "code", p, "severity", colon + 1));
      p = sp ? sp + 1 : p + strlen(p);
    }
    json_t *rec =
        json_pack("{s:s, s:s, s:o, s:o, s:i}", "domain", rows[i].domain,
                  "status", rows[i].status, "mode",
                  rows[i].mode ? json_string(rows[i].mode) : json_null(),
                  "findings", f, "duration_ms", (int)(i + 1) * 10);
    if (rows[i].not_after)
      json_object_set_new(rec, "policy_tls",
                          json_pack("{s:{s:s}}", "certificate", "not_after",
                                    rows[i].not_after));
    const char *why = NULL;
    struct ms_rdom *d = ms_rdb_parse(db, rec, &why);
    MS_CHECK_ROW(d != NULL, "%s: %s", rows[i].domain, why);
    if (d)
      ms_rdb_put(db, d);
    json_decref(rec);
  }
}

static const struct run_row prev_rows[] = {
    {"a.example", "valid", "enforce", "", NULL},
    {"b.example", "invalid", "enforce",
     "MX_NOT_COVERED:error TLSRPT_MISSING:info", NULL},
    {"c.example", "warning", "testing", "POLICY_MAX_AGE_SHORT:warning", NULL},
    {"gone.example", "invalid", "enforce", "POLICY_HTTP_STATUS:error", NULL},
    {"w.example", "warning", "testing", "MX_NOT_COVERED:warning", NULL},
};

static const struct run_row cur_rows[] = {
    {"a.example", "invalid", "enforce", "POLICY_CERT_EXPIRED:error",
     "2026-11-30T00:00:00Z"},
    {"b.example", "valid", "enforce", "TLSRPT_MISSING:info",
     "2026-12-18T00:00:00Z"}, /* exactly 14 days: listed */
    {"c.example", "warning", "testing",
     "POLICY_MAX_AGE_SHORT:warning POLICY_MODE_TESTING:info",
     "2026-12-18T00:00:01Z"}, /* one second too late */
    {"n.example", "error", NULL, "DNS_TIMEOUT:error", NULL},
    /* same code, severity raised by the mode: not a new problem */
    {"w.example", "invalid", "enforce",
     "MX_NOT_COVERED:error MX_NOT_COVERED:error", NULL},
};

static void test_aggregate_and_diff(void)
{
  struct ms_rcodes codes;
  struct ms_rdb cur, prev;
  ms_rcodes_init(&codes);
  ms_rdb_init(&cur, &codes, true, NOW + 14 * 86400);
  ms_rdb_init(&prev, &codes, false, 0);
  load(&prev, prev_rows, sizeof(prev_rows) / sizeof(prev_rows[0]));
  load(&cur, cur_rows, sizeof(cur_rows) / sizeof(cur_rows[0]));
  size_t n;
  struct ms_rdom **v = ms_rdb_sorted(&cur, &n);
  CU_ASSERT_EQUAL_FATAL(n, 5);
  for (size_t i = 1; i < n; i++)
    CU_ASSERT(strcmp(v[i - 1]->domain, v[i]->domain) < 0);

  struct ms_ragg agg;
  ms_ragg_compute(&agg, v, n, ms_rcodes_count(&codes), NOW, 14);
  static const uint64_t want_status[MS_RSTATUS_COUNT] = {1, 1, 2, 0, 1};
  static const uint64_t want_mode[MS_RMODE_COUNT] = {3, 1, 0, 1};
  for (int i = 0; i < MS_RSTATUS_COUNT; i++)
    MS_CHECK_ROW(agg.by_status[i] == want_status[i], "status %s: %llu",
                 ms_rstatus_name((enum ms_rstatus)i),
                 (unsigned long long)agg.by_status[i]);
  for (int i = 0; i < MS_RMODE_COUNT; i++)
    MS_CHECK_ROW(agg.by_mode[i] == want_mode[i], "mode %s: %llu",
                 ms_rmode_name((enum ms_rmode)i),
                 (unsigned long long)agg.by_mode[i]);
  CU_ASSERT_EQUAL(agg.by_sev[MS_SEV_ERROR], 4);
  CU_ASSERT_EQUAL(agg.by_sev[MS_SEV_WARNING], 1);
  CU_ASSERT_EQUAL(agg.by_sev[MS_SEV_INFO], 2);
  CU_ASSERT_EQUAL(agg.codes[MS_F_MX_NOT_COVERED].domains, 1);
  CU_ASSERT_EQUAL(agg.codes[MS_F_MX_NOT_COVERED].findings, 2);
  CU_ASSERT_EQUAL(agg.duration_ms_sum, 150);
  CU_ASSERT_EQUAL(agg.duration_ms_max, 50);
  CU_ASSERT_EQUAL_FATAL(agg.n_exp, 2);
  CU_ASSERT_STRING_EQUAL(agg.exp[0].dom->domain, "a.example");
  CU_ASSERT_EQUAL(agg.exp[0].days_left, -4);
  CU_ASSERT_STRING_EQUAL(agg.exp[0].cert->host, "mta-sts.a.example");
  CU_ASSERT_STRING_EQUAL(agg.exp[1].dom->domain, "b.example");
  CU_ASSERT_EQUAL(agg.exp[1].days_left, 14);

  struct ms_rdiff diff;
  ms_rdiff_compute(&diff, v, n, &prev);
  static const struct {
    const char *domain;
    enum ms_finding code;
  } want_new[] = {{"a.example", MS_F_POLICY_CERT_EXPIRED},
                  {"n.example", MS_F_DNS_TIMEOUT}};
  CU_ASSERT_EQUAL_FATAL(diff.n_new, 2);
  for (size_t i = 0; i < 2; i++)
    MS_CHECK_ROW(strcmp(diff.new_p[i].domain, want_new[i].domain) == 0 &&
                     diff.new_p[i].code == want_new[i].code,
                 "new[%zu] = %s %u", i, diff.new_p[i].domain,
                 (unsigned)diff.new_p[i].code);
  /* b's MX_NOT_COVERED is fixed; TLSRPT_MISSING (info) is no problem;
   * gone.example left the list: removed, not fixed. */
  CU_ASSERT_EQUAL_FATAL(diff.n_fixed, 1);
  CU_ASSERT_STRING_EQUAL(diff.fixed[0].domain, "b.example");
  CU_ASSERT_EQUAL(diff.fixed[0].code, MS_F_MX_NOT_COVERED);
  CU_ASSERT_EQUAL_FATAL(diff.n_chg, 3);
  CU_ASSERT_STRING_EQUAL(diff.chg[0].domain, "a.example");
  CU_ASSERT_EQUAL(diff.chg[0].from, MS_RSTATUS_VALID);
  CU_ASSERT_EQUAL(diff.chg[0].to, MS_RSTATUS_INVALID);
  CU_ASSERT_STRING_EQUAL(diff.chg[2].domain, "w.example");
  CU_ASSERT_EQUAL(diff.added, 1);
  CU_ASSERT_EQUAL(diff.removed, 1);
  CU_ASSERT_EQUAL(diff.prev_domains, 5);

  /* The same run against itself: nothing new, nothing fixed. */
  struct ms_rdiff same;
  ms_rdiff_compute(&same, v, n, &cur);
  CU_ASSERT_EQUAL(
      same.n_new + same.n_fixed + same.n_chg + same.added + same.removed, 0);
  ms_rdiff_cleanup(&same);
  ms_rdiff_cleanup(&diff);
  ms_ragg_cleanup(&agg);
  free(v);
  ms_rdb_cleanup(&cur);
  ms_rdb_cleanup(&prev);
  ms_rcodes_cleanup(&codes);
}

static void test_later_record_wins(void)
{
  struct ms_rcodes codes;
  struct ms_rdb db;
  ms_rcodes_init(&codes);
  ms_rdb_init(&db, &codes, false, 0);
  static const struct run_row rows[] = {
      {"x.example", "invalid", "enforce", "POLICY_SYNTAX:error", NULL},
      {"y.example", "valid", "enforce", "", NULL},
      {"x.example", "valid", "testing", "", NULL},
  };
  load(&db, rows, 2);
  CU_ASSERT_EQUAL(db.n, 2);
  json_t *rec = json_pack("{s:s, s:s, s:s, s:[]}", "domain", "x.example",
                          "status", "valid", "mode", "testing", "findings");
  const char *why;
  struct ms_rdom *d = ms_rdb_parse(&db, rec, &why);
  json_decref(rec);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_TRUE(ms_rdb_put(&db, d));
  CU_ASSERT_EQUAL(db.n, 2);
  const struct ms_rdom *x = ms_rdb_get(&db, "x.example");
  CU_ASSERT_PTR_NOT_NULL_FATAL(x);
  CU_ASSERT_EQUAL(x->status, MS_RSTATUS_VALID);
  CU_ASSERT_EQUAL(x->mode, MS_RMODE_TESTING);
  CU_ASSERT_PTR_NULL(ms_rdb_get(&db, "z.example"));
  /* Growth keeps every entry findable. */
  for (int i = 0; i < 3000; i++) {
    char name[32];
    snprintf(name, sizeof(name), "d%d.example", i);
    rec = json_pack("{s:s, s:s, s:[]}", "domain", name, "status", "none",
                    "findings");
    d = ms_rdb_parse(&db, rec, &why);
    json_decref(rec);
    CU_ASSERT_FALSE(ms_rdb_put(&db, d));
  }
  CU_ASSERT_EQUAL(db.n, 3002);
  CU_ASSERT_PTR_NOT_NULL(ms_rdb_get(&db, "d2999.example"));
  CU_ASSERT_PTR_NOT_NULL(ms_rdb_get(&db, "x.example"));
  ms_rdb_cleanup(&db);
  ms_rcodes_cleanup(&codes);
}

/* Renders every output of a store holding one hostile record and checks
 * that nothing from the record survives unescaped. */
static void test_render_hostile(void)
{
  static const char hostile[] =
      "{\"domain\":\"h.example\",\"status\":\"invalid\",\"mode\":\"enforce\","
      "\"findings\":[{\"code\":\"<b>X\\\"Y</b>\",\"severity\":\"error\"}],"
      "\"mx\":[{\"host\":\"mx.\\\"evil\\\\\\nhost\",\"smtp\":{\"certificate\":"
      "{\"not_after\":\"2026-12-05T00:00:00Z\"}}}],"
      "\"sts_record\":{\"records\":[\"<script>alert(1)</script>\"]},"
      "\"policy\":{\"body\":\"mx: <script>x</script>\\u0000\"}}";
  struct ms_rcodes codes;
  struct ms_rdb db;
  ms_rcodes_init(&codes);
  ms_rdb_init(&db, &codes, true, NOW + 14 * 86400);
  const char *why;
  struct ms_rdom *d = parse(&db, hostile, &why);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  ms_rdb_put(&db, d);
  size_t n;
  struct ms_rdom **v = ms_rdb_sorted(&db, &n);
  struct ms_ragg agg;
  ms_ragg_compute(&agg, v, n, ms_rcodes_count(&codes), NOW, 14);
  struct ms_rctx ctx = {.codes = &codes,
                        .dom = v,
                        .n = n,
                        .agg = &agg,
                        .now = NOW,
                        .expiring_days = 14};
  static const struct {
    void (*fn)(FILE *, const struct ms_rctx *);
    const char *name;
    const char *must;     /* must appear */
    const char *must_not; /* must not appear */
  } rows[] = {
      {ms_rout_prom, "prom", "host=\"mx.\\\"evil\\\\\\nhost\"", "evil\\\"\n"},
      {ms_rout_prom, "prom", "code=\"<b>X\\\"Y</b>\"", "X\"Y"},
      {ms_rout_html, "html", "&lt;b&gt;X&quot;Y&lt;/b&gt;", "<b>X"},
      {ms_rout_html, "html", "mx.&quot;evil", "<script"},
      {ms_rout_text, "text", "mx.\"evil\\\\\\nhost", "evil\\\n"},
      {ms_rout_summary_json, "json", "\"domains\": 1", "<b>X\"Y"},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    rows[i].fn(fp, &ctx);
    fclose(fp);
    MS_CHECK_ROW(strstr(out, rows[i].must) != NULL, "%s lacks %s", rows[i].name,
                 rows[i].must);
    MS_CHECK_ROW(strstr(out, rows[i].must_not) == NULL, "%s has %s",
                 rows[i].name, rows[i].must_not);
    free(out);
  }
  ms_ragg_cleanup(&agg);
  free(v);
  ms_rdb_cleanup(&db);
  ms_rcodes_cleanup(&codes);
}

CU_TestInfo ms_tests_report_agg[] = {
    {"parse", test_parse},
    {"codes", test_codes},
    {"aggregate_and_diff", test_aggregate_and_diff},
    {"later_record_wins", test_later_record_wins},
    {"render_hostile", test_render_hostile},
    CU_TEST_INFO_NULL,
};
