/*
 * core/plan.c: which domains get their MX hosts probed (data/verdict.md,
 * "MX transport"), as a table of synthetic observations, and which
 * addresses the SSRF guard lets the probe contact.
 */
#include "core/plan.h"

#include "unit.h"
#include "util/xalloc.h"

/* MX shapes of a row. */
enum mxs {
  MX_ONE = 0,  /* one MX host, lookup OK */
  MX_IMPLICIT, /* NODATA: the job lists the domain itself as host[0] */
  MX_NULL,     /* "MX 0 ." */
  MX_EMPTY,    /* OK but no host kept */
  MX_FAILED,   /* SERVFAIL */
  MX_NXDOMAIN, /* the domain does not exist */
  MX_NOT_RUN
};

struct prow {
  const char *name;
  const char *sts;             /* '|' between records; NULL: none */
  enum ms_dns_outcome sts_dns; /* 0: OK with records, NXDOMAIN without */
  bool sts_not_run;            /* the TXT lookup never ran */
  enum ms_fetch_outcome fetch; /* 0: NOT_RUN */
  long http;
  const char *body;
  enum mxs mx;
  bool invalid;
  bool probe_all;
  bool no_smtp;
  bool want;
};

static const struct prow rows[] = {
    /* -- the record, in every state -- */
    {.name = "usable record", .sts = "v=STSv1; id=1", .want = true},
    {.name = "record with bad id (invalid)",
     .sts = "v=STSv1; id=a-b",
     .want = true},
    {.name = "malformed prefix", .sts = "v=STSV1; id=1", .want = true},
    {.name = "leading space", .sts = " v=STSv1; id=1", .want = true},
    {.name = "prefix space", .sts = "v=STSv1 ; id=1", .want = true},
    {.name = "two records", .sts = "v=STSv1; id=1|v=STSv1; id=2", .want = true},
    {.name = "v=STSv1 alone", .sts = "v=STSv1", .want = true},
    {.name = "unrelated TXT only",
     .sts = "google-site-verification=x",
     .want = false},
    {.name = "no record (NXDOMAIN)", .want = false},
    {.name = "no record (NODATA)", .sts_dns = MS_DNS_NODATA, .want = false},
    {.name = "TXT timed out",
     .sts = "v=STSv1; id=1",
     .sts_dns = MS_DNS_TIMEOUT,
     .want = false},
    {.name = "TXT SERVFAIL", .sts_dns = MS_DNS_SERVFAIL, .want = false},
    {.name = "TXT CNAME loop", .sts_dns = MS_DNS_CNAME_LOOP, .want = false},
    {.name = "TXT not run",
     .sts = "v=STSv1; id=1",
     .sts_not_run = true,
     .want = false},
    /* -- a served policy without record -- */
    {.name = "served policy, no record",
     .fetch = MS_FETCH_OK,
     .http = 200,
     .body = "version: STSv1\nmode: enforce\n",
     .want = true},
    {.name = "served policy, lower case",
     .fetch = MS_FETCH_OK,
     .http = 200,
     .body = "version: stsv1\n",
     .want = true},
    {.name = "served policy over the cap",
     .fetch = MS_FETCH_TOO_LARGE,
     .http = 200,
     .body = "version: STSv1\n",
     .want = true},
    {.name = "200 without STSv1 (wildcard web host)",
     .fetch = MS_FETCH_OK,
     .http = 200,
     .body = "<html>hello</html>",
     .want = false},
    {.name = "404 mentioning STSv1",
     .fetch = MS_FETCH_OK,
     .http = 404,
     .body = "STSv1 not here",
     .want = false},
    {.name = "redirect", .fetch = MS_FETCH_OK, .http = 301, .want = false},
    {.name = "200 with empty body",
     .fetch = MS_FETCH_OK,
     .http = 200,
     .want = false},
    {.name = "fetch timed out", .fetch = MS_FETCH_TIMEOUT, .want = false},
    /* -- --probe-all and --no-smtp -- */
    {.name = "probe-all without MTA-STS", .probe_all = true, .want = true},
    {.name = "no-smtp with a record",
     .sts = "v=STSv1; id=1",
     .no_smtp = true,
     .want = false},
    {.name = "no-smtp beats probe-all",
     .probe_all = true,
     .no_smtp = true,
     .want = false},
    /* -- what there is to probe -- */
    {.name = "implicit MX",
     .sts = "v=STSv1; id=1",
     .mx = MX_IMPLICIT,
     .want = true},
    {.name = "null MX", .sts = "v=STSv1; id=1", .mx = MX_NULL, .want = false},
    {.name = "null MX with probe-all",
     .mx = MX_NULL,
     .probe_all = true,
     .want = false},
    {.name = "MX answer with no host",
     .sts = "v=STSv1; id=1",
     .mx = MX_EMPTY,
     .want = false},
    {.name = "MX lookup failed",
     .sts = "v=STSv1; id=1",
     .mx = MX_FAILED,
     .want = false},
    {.name = "domain NXDOMAIN, probe-all",
     .mx = MX_NXDOMAIN,
     .probe_all = true,
     .want = false},
    {.name = "MX not run",
     .sts = "v=STSv1; id=1",
     .mx = MX_NOT_RUN,
     .want = false},
    {.name = "invalid input line",
     .invalid = true,
     .probe_all = true,
     .want = false},
};

static void build(const struct prow *r, struct ms_obs *o)
{
  ms_obs_init(o);
  snprintf(o->domain, sizeof(o->domain), "example.com");
  o->input_invalid = r->invalid;
  struct ms_obs_txt *t = &o->sts;
  t->dns.outcome = r->sts_dns ? r->sts_dns
                   : r->sts   ? MS_DNS_OK
                              : MS_DNS_NXDOMAIN;
  if (r->sts_not_run)
    t->dns.outcome = MS_DNS_NOT_RUN;
  for (const char *p = r->sts; p && t->n_records < MS_TXT_RECORDS_MAX;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    t->records[t->n_records] = ms_xstrndup(p, n);
    t->record_len[t->n_records++] = n;
    p = bar ? bar + 1 : NULL;
  }
  o->policy.outcome = r->fetch;
  o->policy.http_status = r->http;
  if (r->body) {
    o->policy.body = ms_xstrdup(r->body);
    o->policy.body_len = strlen(r->body);
  }
  struct ms_obs_mx *mx = &o->mx;
  mx->dns.outcome = MS_DNS_OK;
  switch (r->mx) {
    case MX_ONE:
    case MX_IMPLICIT:
      mx->host[0].host =
          ms_xstrdup(r->mx == MX_ONE ? "mx1.example.com" : "example.com");
      mx->n_host = 1;
      if (r->mx == MX_IMPLICIT) {
        mx->dns.outcome = MS_DNS_NODATA;
        mx->implicit = true;
      }
      break;
    case MX_NULL:
      mx->null_mx = true;
      break;
    case MX_EMPTY:
      break;
    case MX_FAILED:
      mx->dns.outcome = MS_DNS_SERVFAIL;
      break;
    case MX_NXDOMAIN:
      mx->dns.outcome = MS_DNS_NXDOMAIN;
      break;
    case MX_NOT_RUN:
      mx->dns.outcome = MS_DNS_NOT_RUN;
      break;
  }
}

static void test_domain_table(void)
{
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct prow *r = &rows[i];
    build(r, o);
    bool got = ms_plan_probe_domain(o, r->probe_all, r->no_smtp);
    MS_CHECK_ROW(got == r->want, "%s: probe %d, want %d", r->name, (int)got,
                 (int)r->want);
    ms_obs_cleanup(o);
  }
  free(o);
  CU_ASSERT_FALSE(ms_plan_probe_domain(NULL, true, false));
}

/* The SSRF guard for probes: text in, allowed with and without
 * --allow-private. */
static void test_addr_table(void)
{
  static const struct {
    const char *addr;
    bool want_public_only; /* without --allow-private */
  } cases[] = {
      {"93.184.216.34", true},     {"2a00:1450:4001::1b", true},
      {"127.0.0.1", false},        {"::1", false},
      {"10.1.2.3", false},         {"192.168.0.25", false},
      {"169.254.1.1", false},      {"fe80::1", false},
      {"::ffff:127.0.0.1", false}, {"0.0.0.0", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct ms_addr a;
    CU_ASSERT_FATAL(ms_addr_parse(cases[i].addr, &a));
    bool strict = ms_plan_probe_addr(&a, false);
    bool loose = ms_plan_probe_addr(&a, true);
    MS_CHECK_ROW(strict == cases[i].want_public_only && loose,
                 "%s: guarded %d (want %d), allow-private %d", cases[i].addr,
                 (int)strict, (int)cases[i].want_public_only, (int)loose);
  }
  struct ms_addr bad = {.family = 0};
  CU_ASSERT_FALSE(ms_plan_probe_addr(&bad, true));
  CU_ASSERT_FALSE(ms_plan_probe_addr(NULL, true));
}

CU_TestInfo ms_tests_plan[] = {
    {"probe domain", test_domain_table},
    {"probe address", test_addr_table},
    CU_TEST_INFO_NULL,
};
