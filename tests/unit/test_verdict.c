/*
 * The verdict rules (data/verdict.md): a table of synthetic observations
 * and the status, mode and exact finding list each must give. Rows cover
 * every rule, every status, each mode-dependent severity and the kinds of
 * mistake in the shared corpus bug log (with our own short bytes). The
 * corpus MX cases (mx-cases.tsv) run too when ../shared/corpus exists.
 */
#include "core/verdict.h"

#include <stdint.h>

#include "unit.h"
#include "util/xalloc.h"

#define NOW           1800000000 /* 2027-01-15, an arbitrary fixed clock */
#define DAY           86400
#define DOMAIN        "example.com"
#define ABSENT        "(absent)" /* sentinel: no record / no header */
#define GOOD_STS      "v=STSv1; id=20240101"
#define GOOD_RPT      "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
#define GOOD_MX       "10 mx1.example.com"
#define POL(mode, mx) "version: STSv1\nmode: " mode "\n" mx "max_age: 604800\n"
#define GOOD_POL      POL("enforce", "mx: mx1.example.com\n")

/* ---- helpers that build struct ms_obs by hand --------------------------- */

/* Sets a TXT lookup: records split at '|' (NULL or ABSENT: none). */
static void set_txt(struct ms_obs_txt *t, const char *qname,
                    enum ms_dns_outcome o, const char *recs)
{
  t->qname = ms_xstrdup(qname);
  t->dns.outcome = o;
  if (!recs || strcmp(recs, ABSENT) == 0)
    return;
  const char *p = recs;
  while (t->n_records < MS_TXT_RECORDS_MAX) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    t->records[t->n_records] = ms_xstrndup(p, n);
    t->record_len[t->n_records++] = n;
    if (!bar)
      break;
    p = bar + 1;
  }
}

static void obs_with_txt(struct ms_obs *o, const char *recs,
                         enum ms_dns_outcome dns)
{
  char q[300];
  snprintf(q, sizeof(q), "_mta-sts.%s", o->domain);
  if (dns == MS_DNS_NOT_RUN)
    dns = (recs && strcmp(recs, ABSENT) != 0) ? MS_DNS_OK : MS_DNS_NXDOMAIN;
  set_txt(&o->sts, q, dns, recs);
}

/*
 * Adds an MX host. addr: NULL one public address; "-" none (NODATA);
 * "!" one address withheld by the SSRF guard; "?" A lookup timed out.
 */
static void add_mx(struct ms_obs *o, const char *host, uint16_t pref,
                   const char *addr)
{
  if (o->mx.n_host >= MS_MX_HOSTS_MAX)
    return;
  struct ms_obs_mx_host *h = &o->mx.host[o->mx.n_host++];
  h->host = ms_xstrdup(host);
  h->preference = pref;
  h->addrs.a.outcome = MS_DNS_OK;
  h->addrs.aaaa.outcome = MS_DNS_NODATA;
  if (!addr) {
    h->addrs.addr[0].family = 4;
    memcpy(h->addrs.addr[0].bytes, "\x5d\xb8\xd8\x22", 4);
    h->addrs.n_addr = 1;
  } else if (strcmp(addr, "-") == 0) {
    h->addrs.a.outcome = MS_DNS_NODATA;
  } else if (strcmp(addr, "!") == 0) {
    h->n_private = 1;
  } else if (strcmp(addr, "?") == 0) {
    h->addrs.a.outcome = MS_DNS_TIMEOUT;
  }
}

/* Parses "10 a.example,20 b.example -" into MX hosts; "." is a null MX,
 * "" no MX at all (the domain itself is the implicit MX). */
static void set_mx(struct ms_obs *o, const char *spec, enum ms_dns_outcome d)
{
  o->mx.dns.outcome = d ? d : MS_DNS_OK;
  if (d && d != MS_DNS_OK && d != MS_DNS_NODATA)
    return;
  if (strcmp(spec, ".") == 0) {
    o->mx.null_mx = true;
    return;
  }
  if (spec[0] == '\0') {
    o->mx.dns.outcome = MS_DNS_NODATA;
    o->mx.implicit = true;
    add_mx(o, o->domain, 0, NULL);
    return;
  }
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", spec);
  char *save = NULL;
  for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
    char *host = strchr(e, ' ');
    if (!host)
      continue;
    *host++ = '\0';
    char *addr = strchr(host, ' ');
    if (addr)
      *addr++ = '\0';
    uint16_t pref = 0;
    for (const char *q = e; *q >= '0' && *q <= '9'; q++)
      pref = (uint16_t)(pref * 10 + (*q - '0'));
    add_mx(o, host, pref, addr);
  }
}

/* The HTTPS fetch: status, Content-Type (NULL or ABSENT: none), body, and a
 * certificate that verifies (or not). */
static void set_policy(struct ms_obs *o, long status, const char *ctype,
                       const char *body, bool cert_ok)
{
  struct ms_obs_fetch *p = &o->policy;
  char host[300];
  snprintf(host, sizeof(host), "mta-sts.%s", o->domain);
  p->host = ms_xstrdup(host);
  p->addrs.a.outcome = MS_DNS_OK;
  p->addrs.aaaa.outcome = MS_DNS_NODATA;
  p->outcome = MS_FETCH_OK;
  p->http_status = status;
  if (ctype && strcmp(ctype, ABSENT) != 0)
    p->content_type = ms_xstrdup(ctype);
  if (body) {
    p->body = ms_xstrdup(body);
    p->body_len = strlen(body);
  }
  p->cert.present = true;
  p->cert.not_before = NOW - 30 * DAY;
  p->cert.not_after = NOW + 60 * DAY;
  p->cert.chain_verified = cert_ok;
  p->cert.errors = cert_ok ? 0 : MS_CERT_UNTRUSTED;
}

/* ---- the table ---------------------------------------------------------- */

struct vrow {
  const char *name;
  /* observations; zero values give a clean enforce deployment */
  const char *sts;             /* '|' between records; NULL: GOOD_STS */
  enum ms_dns_outcome sts_dns; /* 0: OK, or NXDOMAIN when sts ABSENT */
  const char *cname;           /* '|' between alias targets */
  const char *mx;              /* see set_mx; NULL: GOOD_MX */
  enum ms_dns_outcome mx_dns;  /* 0: OK */
  enum ms_fetch_outcome fetch; /* 0: OK (a response was received) */
  long http;                   /* 0: 200 */
  const char *ctype;           /* NULL: text/plain */
  const char *body;            /* NULL: GOOD_POL */
  const char *location;
  const char *fetch_error;
  bool truncated;
  unsigned cert_err; /* MS_CERT_* bits */
  const char *untrusted_why;
  int64_t cert_left; /* seconds until not_after; 0: 60 days */
  bool no_cert;
  enum ms_dns_outcome host_dns; /* policy host A outcome (NO_ADDRESS) */
  size_t host_private;          /* policy host addresses withheld */
  const char *tlsrpt;           /* NULL: GOOD_RPT */
  enum ms_dns_outcome rpt_dns;  /* 0: OK / NXDOMAIN when ABSENT */
  bool deadline;
  bool allow_private;
  const char *invalid; /* input_why: the input is not a name */
  /* expectations */
  enum ms_status status;
  enum ms_mode mode;
  const char *codes;   /* space separated, any order (the test sorts) */
  const char *sevs;    /* "CODE=sev ..." where not the catalogue's */
  const char *item;    /* "CODE|subject|detail" that must be present */
  const char *covered; /* mx_covered_by of each host, "0 -1" */
  bool check_days;
  int days_left;
};

#define E   MS_STATUS_ERROR
#define I   MS_STATUS_INVALID
#define W   MS_STATUS_WARNING
#define N   MS_STATUS_NONE
#define V   MS_STATUS_VALID
#define ENF MS_MODE_ENFORCE
#define TST MS_MODE_TESTING
#define MNO MS_MODE_NONE
#define UNS MS_MODE_UNSET

static const struct vrow rows[] = {
    /* -- a clean deployment and its modes -- */
    {.name = "good enforce",
     .status = V,
     .mode = ENF,
     .codes = "",
     .covered = "0",
     .check_days = true,
     .days_left = 60},
    {.name = "good testing",
     .body = POL("testing", "mx: mx1.example.com\n"),
     .status = V,
     .mode = TST,
     .codes = "POLICY_MODE_TESTING"},
    {.name = "good none",
     .body = POL("none", "mx: mx1.example.com\n"),
     .status = V,
     .mode = MNO,
     .codes = "POLICY_MODE_NONE"},
    {.name = "mode none without mx",
     .body = POL("none", ""),
     .status = V,
     .mode = MNO,
     .codes = "POLICY_MODE_NONE MX_NOT_COVERED",
     .sevs = "MX_NOT_COVERED=info",
     .covered = "-1"},
    /* -- bug log 1-3: line endings -- */
    {.name = "bug1 LF policy",
     .body = "version: STSv1\nmode: enforce\n"
             "mx: mx1.example.com\nmax_age: 604800\n",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "CRLF policy",
     .body = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
             "max_age: 604800\r\n",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "bug2 mixed endings",
     .body = "version: STSv1\r\nmode: enforce\nmx: mx1.example.com\r\n"
             "max_age: 86400\n",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "bug3 no final newline",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
             "max_age: 86400",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "bug3 trailing blank line",
     .body = GOOD_POL "\n",
     .status = W,
     .mode = ENF,
     .codes = "POLICY_TRAILING_BLANK_LINE"},
    {.name = "blank line between fields",
     .body = "version: STSv1\nmode: enforce\n\nmx: mx1.example.com\n"
             "max_age: 604800\n",
     .status = I,
     .mode = ENF,
     .codes = "POLICY_BLANK_LINE"},
    /* -- bug log 4: media type -- */
    {.name = "bug4 charset parameter",
     .ctype = "text/plain; charset=utf-8",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "media type case",
     .ctype = "Text/Plain;charset=UTF-8",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "bug4 text/html",
     .ctype = "text/html",
     .status = I,
     .mode = ENF,
     .codes = "POLICY_CONTENT_TYPE",
     .item = "POLICY_CONTENT_TYPE|mta-sts.example.com|Content-Type: "
             "text/html"},
    {.name = "no content type",
     .ctype = ABSENT,
     .status = I,
     .mode = ENF,
     .codes = "POLICY_CONTENT_TYPE"},
    /* -- bug log 5-7: the TXT record -- */
    {.name = "bug5 prefix space",
     .sts = "v=STSv1 ; id=1234;",
     .status = I,
     .mode = ENF,
     .codes = "STS_RECORD_PREFIX_SPACE"},
    {.name = "bug5 junk record and prefix space",
     .sts = "v|v=STSv1 ; id=1234",
     .status = I,
     .mode = ENF,
     .codes = "STS_RECORD_PREFIX_SPACE"},
    {.name = "bug6 split strings joined",
     .sts = "v=STSv1;id=20261606010000",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "bug7 two STSv1 records",
     .sts = "v=STSv1; id=1|v=STSv1; id=2",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MULTIPLE POLICY_WITHOUT_RECORD"},
    {.name = "wrong case prefix",
     .sts = "v=stsv1; id=1",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MALFORMED_PREFIX POLICY_WITHOUT_RECORD"},
    {.name = "literal quotes",
     .sts = "\"v=STSv1; id=1\"",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MALFORMED_PREFIX POLICY_WITHOUT_RECORD"},
    {.name = "empty field",
     .sts = "v=STSv1;; id=1",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_SYNTAX POLICY_WITHOUT_RECORD"},
    {.name = "id missing",
     .sts = "v=STSv1; ext=1",
     .status = I,
     .mode = UNS,
     .codes = "STS_ID_MISSING STS_EXTENSION_FIELD POLICY_WITHOUT_RECORD"},
    {.name = "id invalid",
     .sts = "v=STSv1; id=abc-123",
     .status = I,
     .mode = UNS,
     .codes = "STS_ID_INVALID POLICY_WITHOUT_RECORD"},
    {.name = "extension field",
     .sts = "v=STSv1; id=1; foo=bar",
     .status = V,
     .mode = ENF,
     .codes = "STS_EXTENSION_FIELD"},
    /* -- corpus txt.tsv kinds of record mistakes -- */
    {.name = "missing semicolon",
     .sts = "v=STSv1 id=2021",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MALFORMED_PREFIX POLICY_WITHOUT_RECORD"},
    {.name = "unknown version",
     .sts = "v=STSv2; id=1",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MALFORMED_PREFIX POLICY_WITHOUT_RECORD"},
    {.name = "duplicate id",
     .sts = "v=STSv1; id=foo; id=bar",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_SYNTAX POLICY_WITHOUT_RECORD"},
    {.name = "id too long",
     .sts = "v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456789",
     .status = I,
     .mode = UNS,
     .codes = "STS_ID_INVALID POLICY_WITHOUT_RECORD"},
    {.name = "policy key in the record",
     .sts = "v=STSv1; id=1; mode=enforce",
     .status = V,
     .mode = ENF,
     .codes = "STS_EXTENSION_FIELD"},
    {.name = "TLS-RPT without rua",
     .tlsrpt = "v=TLSRPTv1;",
     .status = I,
     .mode = ENF,
     .codes = "TLSRPT_RUA_INVALID"},
    {.name = "TLS-RPT http URI",
     .tlsrpt = "v=TLSRPTv1; rua=http://r.example",
     .status = I,
     .mode = ENF,
     .codes = "TLSRPT_RUA_INVALID"},
    /* -- corpus policy kinds, seen through the verdict -- */
    {.name = "BOM",
     .body = "\xEF\xBB\xBF" GOOD_POL,
     .status = I,
     .mode = ENF,
     .codes = "POLICY_ENCODING"},
    {.name = "conflicting mode lines",
     .body = "version: STSv1\nmode: enforce\nmode: testing\n"
             "mx: mx1.example.com\nmax_age: 604800\n",
     .status = I,
     .mode = ENF,
     .codes = "POLICY_FIELD_DUPLICATE",
     .sevs = "POLICY_FIELD_DUPLICATE=error"},
    {.name = "max_age 0",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
             "max_age: 0\n",
     .status = I,
     .mode = ENF,
     .codes = "POLICY_MAX_AGE_SHORT",
     .sevs = "POLICY_MAX_AGE_SHORT=error"},
    {.name = "bug14 partial wildcard is invalid",
     .body = POL("enforce", "mx: alt*.example.com\nmx: mx1.example.com\n"),
     .status = I,
     .mode = ENF,
     .codes = "POLICY_MX_INVALID",
     .item = "POLICY_MX_INVALID|alt*.example.com|*",
     .covered = "1"},
    /* -- no record -- */
    {.name = "nothing at all",
     .sts = ABSENT,
     .fetch = MS_FETCH_NO_ADDRESS,
     .tlsrpt = ABSENT,
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING TLSRPT_MISSING"},
    {.name = "unrelated TXT only",
     .sts = "google-site-verification=abc",
     .fetch = MS_FETCH_NO_ADDRESS,
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING"},
    {.name = "policy without record",
     .sts = ABSENT,
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING POLICY_WITHOUT_RECORD"},
    {.name = "bad policy without record",
     .sts = ABSENT,
     .body = "version: STSv1\n mode: enforce\nmx: mx1.example.com\n"
             "max_age: 604800\n",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING POLICY_WITHOUT_RECORD POLICY_SPACING"},
    {.name = "no record: 404 is not a finding",
     .sts = ABSENT,
     .http = 404,
     .body = "not found",
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING"},
    {.name = "no record: redirect is not a finding",
     .sts = ABSENT,
     .http = 301,
     .location = "https://www.example.com/",
     .body = "",
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING"},
    {.name = "no record: connect failure is not a finding",
     .sts = ABSENT,
     .fetch = MS_FETCH_CONNECT_FAILED,
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING"},
    {.name = "no record: 200 web page is not a policy",
     .sts = ABSENT,
     .ctype = "text/html",
     .body = "<html>hello</html>",
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING"},
    {.name = "no record: served policy, bad cert",
     .sts = ABSENT,
     .cert_err = MS_CERT_EXPIRED,
     .cert_left = -2 * DAY,
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING POLICY_WITHOUT_RECORD POLICY_CERT_EXPIRED"},
    {.name = "no record: served policy, text/html",
     .sts = ABSENT,
     .ctype = "text/html",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING POLICY_WITHOUT_RECORD POLICY_CONTENT_TYPE"},
    /* -- bug log 10: DNS faults on _mta-sts -- */
    {.name = "bug10 TXT timeout",
     .sts_dns = MS_DNS_TIMEOUT,
     .sts = ABSENT,
     .status = E,
     .mode = UNS,
     .codes = "DNS_TIMEOUT",
     .item = "DNS_TIMEOUT|_mta-sts.example.com TXT|timeout"},
    {.name = "TXT servfail",
     .sts_dns = MS_DNS_SERVFAIL,
     .sts = ABSENT,
     .status = E,
     .mode = UNS,
     .codes = "DNS_SERVFAIL"},
    {.name = "TXT refused",
     .sts_dns = MS_DNS_REFUSED,
     .sts = ABSENT,
     .status = E,
     .mode = UNS,
     .codes = "DNS_SERVFAIL"},
    {.name = "TXT CNAME loop",
     .sts_dns = MS_DNS_CNAME_LOOP,
     .sts = ABSENT,
     .cname = "a.example.net|_mta-sts.example.com",
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING STS_RECORD_CNAME POLICY_WITHOUT_RECORD"},
    /* -- bug log 15, 23: fetch failures with a record -- */
    {.name = "bug15 policy 404",
     .http = 404,
     .body = "Not Found",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_HTTP_STATUS",
     .item = "POLICY_HTTP_STATUS|mta-sts.example.com|HTTP 404"},
    {.name = "policy 500",
     .http = 500,
     .body = "oops",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_HTTP_STATUS"},
    {.name = "bug23 redirect",
     .http = 301,
     .location = "https://www.example.com/.well-known/mta-sts.txt",
     .body = "",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_REDIRECT",
     .item = "POLICY_REDIRECT|mta-sts.example.com|"
             "https://www.example.com/.well-known/mta-sts.txt"},
    {.name = "connect failed",
     .fetch = MS_FETCH_CONNECT_FAILED,
     .fetch_error = "Connection refused",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CONNECT_FAILED",
     .item = "POLICY_CONNECT_FAILED|mta-sts.example.com|Connection refused"},
    {.name = "fetch timeout",
     .fetch = MS_FETCH_TIMEOUT,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_TIMEOUT"},
    {.name = "TLS failed",
     .fetch = MS_FETCH_TLS_FAILED,
     .fetch_error = "wrong version number",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_TLS_FAILED",
     .item = "POLICY_TLS_FAILED|mta-sts.example.com|wrong version number"},
    {.name = "bad HTTP",
     .fetch = MS_FETCH_ERROR,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_HTTP_STATUS"},
    {.name = "too large",
     .fetch = MS_FETCH_TOO_LARGE,
     .truncated = true,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_TOO_LARGE"},
    {.name = "host not found",
     .fetch = MS_FETCH_NO_ADDRESS,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_HOST_NOT_FOUND"},
    {.name = "policy host A timeout",
     .fetch = MS_FETCH_NO_ADDRESS,
     .host_dns = MS_DNS_TIMEOUT,
     .status = E,
     .mode = UNS,
     .codes = "DNS_TIMEOUT",
     .item = "DNS_TIMEOUT|mta-sts.example.com A|timeout"},
    {.name = "policy host private",
     .fetch = MS_FETCH_BLOCKED,
     .host_private = 2,
     .status = W,
     .mode = UNS,
     .codes = "TARGET_PRIVATE_ADDRESS",
     .item = "TARGET_PRIVATE_ADDRESS|mta-sts.example.com|"
             "2 non-public address(es) not contacted"},
    {.name = "policy host private, no record",
     .sts = ABSENT,
     .fetch = MS_FETCH_BLOCKED,
     .host_private = 1,
     .status = N,
     .mode = UNS,
     .codes = "STS_RECORD_MISSING TARGET_PRIVATE_ADDRESS"},
    {.name = "allow private",
     .host_private = 1,
     .allow_private = true,
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "record + 200 web page",
     .ctype = "text/html",
     .body = "<html>hello</html>",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CONTENT_TYPE POLICY_SYNTAX POLICY_VERSION_MISSING "
              "POLICY_MODE_MISSING POLICY_MAX_AGE_MISSING MX_NOT_COVERED",
     .sevs = "MX_NOT_COVERED=info"},
    /* -- bug log 21: alias domain -- */
    {.name = "bug21 alias CNAME, no policy host",
     .cname = "_mta-sts.example-main.test",
     .fetch = MS_FETCH_NO_ADDRESS,
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_CNAME POLICY_HOST_NOT_FOUND",
     .item = "STS_RECORD_CNAME|_mta-sts.example.com|_mta-sts.example.com -> "
             "_mta-sts.example-main.test"},
    {.name = "bug21 alias CNAME, 404",
     .cname = "_mta-sts.example-main.test",
     .http = 404,
     .body = "no",
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_CNAME POLICY_HTTP_STATUS"},
    {.name = "alias CNAME, certificate of the main domain",
     .cname = "_mta-sts.example-main.test",
     .cert_err = MS_CERT_NAME_MISMATCH,
     .status = I,
     .mode = UNS,
     .codes = "STS_RECORD_CNAME POLICY_CERT_NAME_MISMATCH"},
    {.name = "alias CNAME, all good",
     .cname = "_mta-sts.example-main.test",
     .status = V,
     .mode = ENF,
     .codes = "STS_RECORD_CNAME"},
    /* -- certificates -- */
    {.name = "cert expired",
     .cert_err = MS_CERT_EXPIRED,
     .cert_left = -3 * DAY,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CERT_EXPIRED",
     .check_days = true,
     .days_left = -3},
    {.name = "cert expired and wrong name",
     .cert_err = MS_CERT_EXPIRED | MS_CERT_NAME_MISMATCH,
     .cert_left = -1,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CERT_EXPIRED POLICY_CERT_NAME_MISMATCH",
     .check_days = true,
     .days_left = -1},
    {.name = "cert not yet valid",
     .cert_err = MS_CERT_NOT_YET_VALID,
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CERT_NOT_YET_VALID"},
    {.name = "cert self-signed",
     .cert_err = MS_CERT_UNTRUSTED,
     .untrusted_why = "self-signed",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CERT_UNTRUSTED",
     .item = "POLICY_CERT_UNTRUSTED|mta-sts.example.com|self-signed"},
    {.name = "cert expiring",
     .cert_left = 5 * DAY + 100,
     .status = W,
     .mode = ENF,
     .codes = "POLICY_CERT_EXPIRING",
     .item = "POLICY_CERT_EXPIRING|mta-sts.example.com|expires in 5 days",
     .check_days = true,
     .days_left = 5},
    {.name = "cert 14 days left is not expiring",
     .cert_left = 14 * DAY,
     .status = V,
     .mode = ENF,
     .codes = "",
     .check_days = true,
     .days_left = 14},
    {.name = "cert 14 days minus 1s is expiring",
     .cert_left = 14 * DAY - 1,
     .status = W,
     .mode = ENF,
     .codes = "POLICY_CERT_EXPIRING",
     .check_days = true,
     .days_left = 13},
    /* -- bug log 8: typo nmx -- */
    {.name = "bug8 nmx typo",
     .body = POL("enforce", "nmx: mx1.example.com\n"),
     .status = I,
     .mode = UNS,
     .codes = "POLICY_MX_MISSING POLICY_FIELD_UNKNOWN MX_NOT_COVERED",
     .sevs = "MX_NOT_COVERED=info",
     .covered = "-1"},
    /* -- MX coverage, bug log 13, 19 -- */
    {.name = "bug13 wildcard one label only",
     .mx = "0 tenant.cell.mx.example.net",
     .body = POL("enforce", "mx: *.mx.example.net\n"),
     .status = I,
     .mode = ENF,
     .codes = "MX_NOT_COVERED POLICY_MX_UNUSED",
     .item = "MX_NOT_COVERED|tenant.cell.mx.example.net|",
     .covered = "-1"},
    {.name = "wildcard at the right depth",
     .mx = "0 tenant.cell.mx.example.net",
     .body = POL("enforce", "mx: *.cell.mx.example.net\n"),
     .status = V,
     .mode = ENF,
     .codes = "",
     .covered = "0"},
    {.name = "bug19 policy allows only other hosts",
     .mx = "1 mx1.bigmail.example,5 mx2.bigmail.example",
     .body = POL("enforce", "mx: *.mx.cdn.example\n"),
     .status = I,
     .mode = ENF,
     .codes = "MX_NOT_COVERED MX_NOT_COVERED POLICY_MX_UNUSED",
     .covered = "-1 -1"},
    {.name = "not covered in testing",
     .body = POL("testing", "mx: other.example.net\n"),
     .status = W,
     .mode = TST,
     .codes = "POLICY_MODE_TESTING MX_NOT_COVERED POLICY_MX_UNUSED",
     .sevs = "MX_NOT_COVERED=warning"},
    {.name = "not covered in mode none",
     .body = POL("none", "mx: other.example.net\n"),
     .status = V,
     .mode = MNO,
     .codes = "POLICY_MODE_NONE MX_NOT_COVERED POLICY_MX_UNUSED",
     .sevs = "MX_NOT_COVERED=info"},
    {.name = "not covered, unusable policy",
     .body = POL("enforce", "mx: other.example.net\n"),
     .cert_err = MS_CERT_UNTRUSTED,
     .untrusted_why = "unknown issuer",
     .status = I,
     .mode = UNS,
     .codes = "POLICY_CERT_UNTRUSTED MX_NOT_COVERED POLICY_MX_UNUSED",
     .sevs = "MX_NOT_COVERED=info"},
    {.name = "case-insensitive pattern",
     .body = POL("enforce", "mx: MX1.Example.COM\n"),
     .status = V,
     .mode = ENF,
     .codes = "",
     .covered = "0"},
    {.name = "trailing dot pattern still matches",
     .body = POL("enforce", "mx: mx1.example.com.\n"),
     .status = I,
     .mode = ENF,
     .codes = "POLICY_MX_TRAILING_DOT",
     .covered = "0"},
    {.name = "first covering pattern",
     .mx = "10 mx1.example.com,20 mx2.example.com",
     .body = POL("enforce", "mx: *.example.com\nmx: mx2.example.com\n"),
     .status = V,
     .mode = ENF,
     .codes = "",
     .covered = "0 0"},
    {.name = "unused pattern",
     .body = POL("enforce", "mx: mx1.example.com\nmx: old.example.com\n"),
     .status = V,
     .mode = ENF,
     .codes = "POLICY_MX_UNUSED",
     .item = "POLICY_MX_UNUSED|old.example.com|",
     .covered = "0"},
    {.name = "IP literal pattern is invalid (corpus M07)",
     .mx = "10 firewall.example.com",
     .body = POL("enforce", "mx: 192.0.2.1\nmx: *.example.com\n"),
     .status = I,
     .mode = ENF,
     .codes = "POLICY_MX_INVALID",
     .covered = "1"},
    {.name = "placeholder pattern (corpus M19)",
     .mx = "10 mail.example.com,20 fallback-mail.example.com",
     .body = POL("enforce", "mx: mail.yourdomain.example\n"),
     .status = I,
     .mode = ENF,
     .codes = "MX_NOT_COVERED MX_NOT_COVERED POLICY_MX_UNUSED",
     .covered = "-1 -1"},
    {.name = "duplicate MX host reported once",
     .mx = "10 mx1.example.com,20 mx1.example.com",
     .body = POL("enforce", "mx: other.example.net\n"),
     .status = I,
     .mode = ENF,
     .codes = "MX_NOT_COVERED POLICY_MX_UNUSED",
     .covered = "-1 -1"},
    /* -- the MX lookup -- */
    {.name = "null MX",
     .mx = ".",
     .status = V,
     .mode = ENF,
     .codes = "MX_NULL"},
    {.name = "no MX: implicit MX not covered",
     .mx = "",
     .status = I,
     .mode = ENF,
     .codes = "MX_NONE MX_NOT_COVERED POLICY_MX_UNUSED",
     .item = "MX_NOT_COVERED|example.com|",
     .covered = "-1"},
    {.name = "no MX: implicit MX covered",
     .mx = "",
     .body = POL("enforce", "mx: example.com\n"),
     .status = W,
     .mode = ENF,
     .codes = "MX_NONE",
     .covered = "0"},
    {.name = "MX timeout",
     .mx_dns = MS_DNS_TIMEOUT,
     .status = E,
     .mode = ENF,
     .codes = "MX_LOOKUP_FAILED DNS_TIMEOUT",
     .item = "DNS_TIMEOUT|MX example.com|timeout"},
    {.name = "MX servfail",
     .mx_dns = MS_DNS_SERVFAIL,
     .status = E,
     .mode = ENF,
     .codes = "MX_LOOKUP_FAILED DNS_SERVFAIL"},
    {.name = "MX CNAME loop is not the resolver",
     .mx_dns = MS_DNS_CNAME_LOOP,
     .status = I,
     .mode = ENF,
     .codes = "MX_LOOKUP_FAILED"},
    {.name = "domain NXDOMAIN",
     .mx_dns = MS_DNS_NXDOMAIN,
     .status = E,
     .mode = ENF,
     .codes = "DNS_DOMAIN_NOT_FOUND"},
    {.name = "MX host without address",
     .mx = "10 mx1.example.com -",
     .status = W,
     .mode = ENF,
     .codes = "MX_NO_ADDRESS",
     .item = "MX_NO_ADDRESS|mx1.example.com|"},
    {.name = "MX host address lookup timed out",
     .mx = "10 mx1.example.com ?",
     .status = V,
     .mode = ENF,
     .codes = ""},
    {.name = "MX host private",
     .mx = "10 mx1.example.com !",
     .status = W,
     .mode = ENF,
     .codes = "TARGET_PRIVATE_ADDRESS",
     .item = "TARGET_PRIVATE_ADDRESS|mx1.example.com|"
             "1 non-public address(es) not contacted"},
    {.name = "MX host private, allowed",
     .mx = "10 mx1.example.com !",
     .allow_private = true,
     .status = V,
     .mode = ENF,
     .codes = ""},
    /* -- policy body findings through the verdict -- */
    {.name = "short max_age",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
             "max_age: 3600\n",
     .status = W,
     .mode = ENF,
     .codes = "POLICY_MAX_AGE_SHORT"},
    {.name = "field case",
     .body = "version: STSv1\nMode: enforce\nmx: mx1.example.com\n"
             "max_age: 604800\n",
     .status = I,
     .mode = ENF,
     .codes = "POLICY_FIELD_CASE"},
    /* -- TLS-RPT -- */
    {.name = "TLS-RPT missing, testing",
     .tlsrpt = ABSENT,
     .body = POL("testing", "mx: mx1.example.com\n"),
     .status = W,
     .mode = TST,
     .codes = "POLICY_MODE_TESTING TLSRPT_MISSING",
     .sevs = "TLSRPT_MISSING=warning"},
    {.name = "TLS-RPT missing, enforce",
     .tlsrpt = ABSENT,
     .status = V,
     .mode = ENF,
     .codes = "TLSRPT_MISSING"},
    {.name = "TLS-RPT timeout",
     .rpt_dns = MS_DNS_TIMEOUT,
     .tlsrpt = ABSENT,
     .status = E,
     .mode = ENF,
     .codes = "DNS_TIMEOUT",
     .item = "DNS_TIMEOUT|_smtp._tls.example.com TXT|timeout"},
    {.name = "TLS-RPT multiple",
     .tlsrpt = GOOD_RPT "|" GOOD_RPT,
     .status = I,
     .mode = ENF,
     .codes = "TLSRPT_MULTIPLE"},
    /* -- scan level -- */
    {.name = "deadline",
     .deadline = true,
     .mx_dns = MS_DNS_CANCELED,
     .fetch = MS_FETCH_CANCELED,
     .rpt_dns = MS_DNS_CANCELED,
     .tlsrpt = ABSENT,
     .status = E,
     .mode = UNS,
     .codes = "SCAN_DEADLINE"},
    {.name = "input invalid",
     .invalid = "label longer than 63 bytes",
     .status = E,
     .mode = UNS,
     .codes = "INPUT_INVALID_NAME",
     .item = "INPUT_INVALID_NAME||label longer than 63 bytes"},
    /* -- severities and sorting across groups -- */
    {.name = "many at once",
     .mx = "10 mx1.example.com,20 mx2.example.com -,30 mx3.example.com !",
     .ctype = "text/html",
     .cert_left = 2 * DAY,
     .tlsrpt = ABSENT,
     .status = I,
     .mode = ENF,
     .codes = "POLICY_CONTENT_TYPE MX_NOT_COVERED MX_NOT_COVERED "
              "POLICY_CERT_EXPIRING MX_NO_ADDRESS TARGET_PRIVATE_ADDRESS "
              "TLSRPT_MISSING",
     .covered = "0 -1 -1"},
};

/* Builds the observation of a row. */
static void build(const struct vrow *r, struct ms_obs *o)
{
  ms_obs_init(o);
  snprintf(o->domain, sizeof(o->domain), "%s", DOMAIN);
  o->input = ms_xstrdup(DOMAIN);
  if (r->invalid) {
    o->domain[0] = '\0';
    o->input_invalid = true;
    snprintf(o->input_why, sizeof(o->input_why), "%s", r->invalid);
    return;
  }
  o->deadline_hit = r->deadline;
  obs_with_txt(o, r->sts ? r->sts : GOOD_STS, r->sts_dns);
  if (r->cname) {
    const char *p = r->cname;
    while (o->sts.n_cname < MS_CNAME_MAX) {
      const char *bar = strchr(p, '|');
      size_t n = bar ? (size_t)(bar - p) : strlen(p);
      o->sts.cname_chain[o->sts.n_cname++] = ms_xstrndup(p, n);
      if (!bar)
        break;
      p = bar + 1;
    }
  }
  set_mx(o, r->mx ? r->mx : GOOD_MX, r->mx_dns);

  set_policy(o, r->http ? r->http : 200, r->ctype ? r->ctype : "text/plain",
             r->body ? r->body : GOOD_POL, r->cert_err == 0);
  struct ms_obs_fetch *p = &o->policy;
  p->cert.errors = r->cert_err;
  p->cert.untrusted_reason =
      r->untrusted_why ? ms_xstrdup(r->untrusted_why) : NULL;
  if (r->cert_left)
    p->cert.not_after = NOW + r->cert_left;
  if (r->location)
    p->location = ms_xstrdup(r->location);
  if (r->fetch_error)
    p->error = ms_xstrdup(r->fetch_error);
  p->body_truncated = r->truncated;
  p->n_private = r->host_private;
  if (r->fetch)
    p->outcome = r->fetch;
  if (r->no_cert)
    ms_cert_info_cleanup(&p->cert);
  if (r->fetch != 0 && r->fetch != MS_FETCH_OK &&
      r->fetch != MS_FETCH_TOO_LARGE) {
    /* Nothing came back: no status, no body, no certificate (except a
     * failed TLS handshake may have shown one; not modelled here). */
    p->http_status = 0;
    free(p->body);
    p->body = NULL;
    p->body_len = 0;
    free(p->content_type);
    p->content_type = NULL;
    ms_cert_info_cleanup(&p->cert);
  }
  if (r->fetch == MS_FETCH_NO_ADDRESS || r->fetch == MS_FETCH_BLOCKED)
    p->addrs.a.outcome = r->host_dns ? r->host_dns : MS_DNS_NXDOMAIN;

  char q[300];
  snprintf(q, sizeof(q), "_smtp._tls.%s", o->domain);
  const char *rpt = r->tlsrpt ? r->tlsrpt : GOOD_RPT;
  enum ms_dns_outcome rd = r->rpt_dns;
  if (rd == MS_DNS_NOT_RUN)
    rd = strcmp(rpt, ABSENT) != 0 ? MS_DNS_OK : MS_DNS_NXDOMAIN;
  set_txt(&o->tlsrpt, q, rd, rpt);
}

/* Expected severity of one code in a row: an override from r->sevs, else
 * the catalogue's, resolved by the row's expected mode. */
static enum ms_sev expected_sev(const struct vrow *r, const char *code)
{
  size_t n = strlen(code);
  for (const char *s = r->sevs; s && *s;) {
    const char *eq = strchr(s, '=');
    if (!eq)
      break;
    const char *end = strchr(eq, ' ');
    size_t vl = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
    if ((size_t)(eq - s) == n && strncmp(s, code, n) == 0) {
      if (vl == 5 && strncmp(eq + 1, "error", 5) == 0)
        return MS_SEV_ERROR;
      if (vl == 7 && strncmp(eq + 1, "warning", 7) == 0)
        return MS_SEV_WARNING;
      return MS_SEV_INFO;
    }
    s = end ? end + 1 : eq + 1 + vl;
  }
  enum ms_finding f;
  if (!ms_finding_by_code(code, &f))
    return MS_SEV_DEFAULT;
  enum ms_sev s = ms_finding_info(f)->sev;
  if (s == MS_SEV_MODE)
    s = r->mode == MS_MODE_ENFORCE   ? MS_SEV_ERROR
        : r->mode == MS_MODE_TESTING ? MS_SEV_WARNING
                                     : MS_SEV_INFO;
  return s;
}

struct exp_item {
  char code[64];
  enum ms_sev sev;
};

static int cmp_exp(const void *pa, const void *pb)
{
  const struct exp_item *a = pa, *b = pb;
  if (a->sev != b->sev)
    return a->sev > b->sev ? -1 : 1;
  return strcmp(a->code, b->code);
}

/* Formats the actual list as "CODE:sev CODE:sev" for failure messages. */
static void fmt_actual(const struct ms_findings *f, char *buf, size_t cap)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < f->n && used < cap; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s:%s[%s|%s]", i ? " " : "",
                     ms_finding_info(f->item[i].code)->code,
                     ms_sev_name(f->item[i].sev), f->item[i].subject,
                     f->item[i].detail);
    used += w > 0 ? (size_t)w : 0;
  }
}

static bool has_item(const struct ms_findings *f, const char *spec)
{
  char code[64], subj[MS_FINDING_SUBJ_MAX], det[MS_FINDING_DET_MAX];
  const char *b1 = strchr(spec, '|');
  const char *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
  if (!b2)
    return false;
  snprintf(code, sizeof(code), "%.*s", (int)(b1 - spec), spec);
  snprintf(subj, sizeof(subj), "%.*s", (int)(b2 - b1 - 1), b1 + 1);
  snprintf(det, sizeof(det), "%s", b2 + 1);
  for (size_t i = 0; i < f->n; i++) {
    const struct ms_finding_item *it = &f->item[i];
    if (strcmp(ms_finding_info(it->code)->code, code) == 0 &&
        strcmp(it->subject, subj) == 0 &&
        (strcmp(det, "*") == 0 || strcmp(it->detail, det) == 0))
      return true;
  }
  return false;
}

static void check_row(const struct vrow *r, const struct ms_obs *o,
                      const struct ms_verdict *v)
{
  static char actual[8192];
  fmt_actual(&v->findings, actual, sizeof(actual));

  MS_CHECK_ROW(v->status == r->status, "%s: status %s, want %s (%s)", r->name,
               ms_status_name(v->status), ms_status_name(r->status), actual);
  MS_CHECK_ROW(v->mode == r->mode, "%s: mode %d, want %d", r->name,
               (int)v->mode, (int)r->mode);

  /* The expected list, sorted the way the contract says. */
  struct exp_item exp[MS_FINDINGS_MAX];
  size_t n_exp = 0;
  char buf[1024];
  snprintf(buf, sizeof(buf), "%s", r->codes);
  char *save = NULL;
  for (char *t = strtok_r(buf, " ", &save); t && n_exp < MS_FINDINGS_MAX;
       t = strtok_r(NULL, " ", &save)) {
    snprintf(exp[n_exp].code, sizeof(exp[n_exp].code), "%s", t);
    exp[n_exp].sev = expected_sev(r, t);
    n_exp++;
  }
  qsort(exp, n_exp, sizeof(exp[0]), cmp_exp);

  bool same = n_exp == v->findings.n;
  for (size_t i = 0; same && i < n_exp; i++) {
    const struct ms_finding_item *it = &v->findings.item[i];
    same = strcmp(ms_finding_info(it->code)->code, exp[i].code) == 0 &&
           it->sev == exp[i].sev;
  }
  MS_CHECK_ROW(same, "%s: findings\n    got:  %s\n    want: %s", r->name,
               actual, r->codes);

  for (size_t i = 0; i < v->findings.n; i++) {
    enum ms_sev s = v->findings.item[i].sev;
    MS_CHECK_ROW(s == MS_SEV_ERROR || s == MS_SEV_WARNING || s == MS_SEV_INFO,
                 "%s: item %zu left unresolved", r->name, i);
  }
  if (r->item)
    MS_CHECK_ROW(has_item(&v->findings, r->item), "%s: no item %s in %s",
                 r->name, r->item, actual);
  if (r->covered) {
    char want[256] = "", got[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < o->mx.n_host && used < sizeof(got); i++) {
      int w = snprintf(got + used, sizeof(got) - used, "%s%d", i ? " " : "",
                       v->mx_covered_by[i]);
      used += w > 0 ? (size_t)w : 0;
    }
    snprintf(want, sizeof(want), "%s", r->covered);
    MS_CHECK_ROW(strcmp(got, want) == 0, "%s: covered_by '%s', want '%s'",
                 r->name, got, want);
  }
  if (r->check_days)
    MS_CHECK_ROW(v->cert_days_left == r->days_left, "%s: days_left %d, want %d",
                 r->name, v->cert_days_left, r->days_left);
  /* Derived evidence agrees with the findings. */
  MS_CHECK_ROW(v->policy_usable == (v->mode != MS_MODE_UNSET),
               "%s: policy_usable %d with mode %d", r->name,
               (int)v->policy_usable, (int)v->mode);
}

static void test_table(void)
{
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    build(&rows[i], o);
    cfg.allow_private = rows[i].allow_private;
    ms_verdict(o, &cfg, v);
    check_row(&rows[i], o, v);
    ms_obs_cleanup(o);
  }
  free(v);
  free(o);
}

/* ms_verdict_status on hand-made lists: every status and its precedence. */
static void test_status(void)
{
  static const struct {
    const char *codes; /* "CODE:sev ..." (sev e/w/i) */
    bool sts_missing;
    enum ms_status want;
  } st[] = {
      {"", false, MS_STATUS_VALID},
      {"STS_EXTENSION_FIELD:i", false, MS_STATUS_VALID},
      {"MX_NONE:w", false, MS_STATUS_WARNING},
      {"MX_NOT_COVERED:e MX_NONE:w", false, MS_STATUS_INVALID},
      {"STS_RECORD_MISSING:i", false, MS_STATUS_NONE},
      {"", true, MS_STATUS_NONE},
      {"STS_RECORD_MISSING:i POLICY_WITHOUT_RECORD:w", false, MS_STATUS_NONE},
      {"STS_RECORD_MISSING:i POLICY_SPACING:e", false, MS_STATUS_INVALID},
      {"STS_RECORD_MISSING:i DNS_TIMEOUT:e", false, MS_STATUS_ERROR},
      {"MX_LOOKUP_FAILED:e DNS_SERVFAIL:e", false, MS_STATUS_ERROR},
      {"MX_LOOKUP_FAILED:e", false, MS_STATUS_INVALID},
      {"DNS_DOMAIN_NOT_FOUND:e", false, MS_STATUS_ERROR},
      {"SCAN_DEADLINE:e MX_NONE:w", false, MS_STATUS_ERROR},
      {"INPUT_INVALID_NAME:e", true, MS_STATUS_ERROR},
      {"MX_NOT_COVERED:i", false, MS_STATUS_VALID},
      {"MX_NOT_COVERED:w", false, MS_STATUS_WARNING},
  };
  struct ms_findings *f = ms_xcalloc(1, sizeof(*f));
  for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
    ms_findings_init(f);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", st[i].codes);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
      char *colon = strchr(t, ':');
      *colon = '\0';
      enum ms_finding code;
      CU_ASSERT_FATAL(ms_finding_by_code(t, &code));
      enum ms_sev s = colon[1] == 'e'   ? MS_SEV_ERROR
                      : colon[1] == 'w' ? MS_SEV_WARNING
                                        : MS_SEV_INFO;
      ms_findings_add(f, code, s, NULL, NULL);
    }
    enum ms_status got = ms_verdict_status(f, st[i].sts_missing);
    MS_CHECK_ROW(got == st[i].want, "status row %zu (%s): %s, want %s", i,
                 st[i].codes, ms_status_name(got), ms_status_name(st[i].want));
  }
  free(f);
  CU_ASSERT_STRING_EQUAL(ms_status_name(MS_STATUS_NONE), "none");
  CU_ASSERT_STRING_EQUAL(ms_status_name(MS_STATUS_INVALID), "invalid");
}

/* Sort keys beyond the code (subject, then detail) and duplicate removal,
 * written out by hand rather than recomputed. */
static void test_sort_dedupe(void)
{
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  ms_obs_init(o);
  snprintf(o->domain, sizeof(o->domain), "%s", DOMAIN);
  obs_with_txt(o, GOOD_STS, MS_DNS_NOT_RUN);
  set_mx(o,
         "30 c.example.org -,10 b.example.org,20 a.example.org -,"
         "40 b.example.org",
         MS_DNS_OK);
  set_policy(o, 200, "text/plain", POL("enforce", "mx: z.example.org\n"), true);
  set_txt(&o->tlsrpt, "_smtp._tls.example.com", MS_DNS_OK, GOOD_RPT);
  ms_verdict(o, &cfg, v);
  static const char *const want[][2] = {
      {"MX_NOT_COVERED", "a.example.org"},
      {"MX_NOT_COVERED", "b.example.org"},
      {"MX_NOT_COVERED", "c.example.org"},
      {"MX_NO_ADDRESS", "a.example.org"},
      {"MX_NO_ADDRESS", "c.example.org"},
      {"POLICY_MX_UNUSED", "z.example.org"},
  };
  size_t n = sizeof(want) / sizeof(want[0]);
  CU_ASSERT_EQUAL_FATAL(v->findings.n, n);
  for (size_t i = 0; i < n; i++) {
    const struct ms_finding_item *it = &v->findings.item[i];
    MS_CHECK_ROW(strcmp(ms_finding_info(it->code)->code, want[i][0]) == 0 &&
                     strcmp(it->subject, want[i][1]) == 0,
                 "sort position %zu: %s %s, want %s %s", i,
                 ms_finding_info(it->code)->code, it->subject, want[i][0],
                 want[i][1]);
  }
  CU_ASSERT_EQUAL(v->status, MS_STATUS_INVALID);
  ms_obs_cleanup(o);
  free(v);
  free(o);
}

/* ---- the corpus MX cases (skipped without ../shared/corpus) ------------- */

/* Expected coverage from the note: 1 all covered, 0 none, -1 not stated
 * plainly enough to test. */
static int corpus_expectation(const char *note)
{
  const char *e = strstr(note, "Expected: ");
  if (!e)
    return -1;
  e += strlen("Expected: ");
  if (strncmp(e, "NONE covered", 12) == 0 || strncmp(e, "NOT covered", 11) == 0)
    return 0;
  if (strncmp(e, "covered only", 12) == 0)
    return -1; /* ambiguous by the corpus' own account */
  if (strncmp(e, "all covered", 11) == 0 ||
      strncmp(e, "both MX covered", 15) == 0 || strncmp(e, "covered", 7) == 0)
    return 1;
  return -1;
}

static void test_corpus_mx(void)
{
  const char *dir = ms_test_corpus_dir();
  if (!dir)
    return;
  char path[4096];
  snprintf(path, sizeof(path), "%s/mx-cases.tsv", dir);
  size_t len;
  char *tsv = ms_test_read_file(path, &len);
  if (!tsv)
    return;
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  int tested = 0;
  char *save = NULL;
  for (char *line = strtok_r(tsv, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char *col[4] = {line, NULL, NULL, NULL};
    for (int k = 1; k < 4; k++) {
      col[k] = col[k - 1] ? strchr(col[k - 1], '\t') : NULL;
      if (col[k])
        *col[k]++ = '\0';
    }
    if (!col[3] || strcmp(col[0], "domain-id") == 0 || col[2][0] == '-')
      continue;
    int want = corpus_expectation(col[3]);
    if (want < 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s/%s.txt", dir,
             col[2][0] == 'R' ? "policies-reconstructed" : "policies", col[2]);
    size_t blen;
    char *body = ms_test_read_file(path, &blen);
    if (!body)
      continue;
    ms_obs_init(o);
    snprintf(o->domain, sizeof(o->domain), "example.test");
    obs_with_txt(o, GOOD_STS, MS_DNS_NOT_RUN);
    o->mx.dns.outcome = MS_DNS_OK;
    /* "5 mail.protonmail.ch.,10 mailsec.protonmail.ch.": the I/O layer
     * hands the verdict lower-case names without the root dot. */
    char *s2 = NULL;
    for (char *e = strtok_r(col[1], ",", &s2); e;
         e = strtok_r(NULL, ",", &s2)) {
      char *h = strchr(e, ' ');
      if (!h)
        continue;
      h++;
      size_t hl = strlen(h);
      if (hl && h[hl - 1] == '.')
        h[--hl] = '\0';
      for (size_t k = 0; k < hl; k++)
        h[k] = (char)ms_ascii_lower((unsigned char)h[k]);
      add_mx(o, h, 10, NULL);
    }
    set_policy(o, 200, "text/plain", NULL, true);
    o->policy.body = body; /* may hold NULs: keep the length read */
    o->policy.body_len = blen;
    ms_verdict(o, &cfg, v);
    size_t covered = 0;
    for (size_t i = 0; i < o->mx.n_host; i++)
      covered += v->mx_covered_by[i] >= 0;
    bool ok = want ? covered == o->mx.n_host : covered == 0;
    MS_CHECK_ROW(ok, "corpus %s (policy %s): %zu of %zu covered, want %s",
                 col[0], col[2], covered, o->mx.n_host, want ? "all" : "none");
    MS_CHECK_ROW(v->policy_parsed, "corpus %s: policy not parsed", col[0]);
    tested++;
    ms_obs_cleanup(o);
  }
  CU_ASSERT(tested >= 10);
  free(tsv);
  free(v);
  free(o);
}

CU_TestInfo ms_tests_verdict[] = {
    {"table", test_table},
    {"status", test_status},
    {"sort_dedupe", test_sort_dedupe},
    {"corpus_mx", test_corpus_mx},
    CU_TEST_INFO_NULL,
};
