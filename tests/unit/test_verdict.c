/*
 * The verdict rules (data/verdict.md): a table of synthetic observations
 * and the status, mode and exact finding list each must give. Rows cover
 * every rule, every status, each mode-dependent severity and the kinds of
 * mistake in the shared corpus bug log (with our own short bytes). The
 * corpus MX cases (mx-cases.tsv) run too when ../shared/corpus exists.
 * The STARTTLS probe rules have their own tables: every SMTP_* code under
 * every mode, per-host aggregation over addresses, skipped probes.
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

/* ---- the STARTTLS probe rules (verdict.md "MX transport") -------------- */

#define SMTP_MX        "10 mx1.example.com,20 mx2.example.com"
#define SMTP_POL(mode) POL(mode, "mx: *.example.com\n")
#define MAX_PROBES     3

/* One probe result. Zero values are a clean probe: 220, EHLO 250 with
 * STARTTLS, 220, TLS 1.3, a verifying certificate with 60 days left. */
struct sprobe {
  const char *addr;             /* NULL: no more probes */
  enum ms_smtp_outcome outcome; /* 0 (NOT_RUN) is spelled .not_run */
  bool not_run;
  int code;           /* reply code of the failing step */
  const char *error;  /* the probe's words */
  int tls_version;    /* 0: 0x0304 for OK, none otherwise */
  const char *proto;  /* tls_protocol for tls_version */
  unsigned cert_err;  /* MS_CERT_* bits */
  int64_t cert_left;  /* seconds until not_after; 0: 60 days */
  int64_t cert_start; /* seconds until not_before; 0: 30 days ago */
  const char *why;    /* untrusted_reason */
  const char *san;    /* first SAN; NULL: the MX host */
  bool bare;          /* leave the address text empty */
};

struct shost {
  const char *host; /* NULL: the row's host[] ends */
  bool no_smtp;     /* smtp == NULL: no probes planned */
  bool tlsa;
  struct sprobe p[MAX_PROBES];
};

/* Fills one ms_obs_smtp from a row's probe (see struct sprobe). */
static void fill_probe(struct ms_obs_smtp *s, const struct sprobe *p,
                       const char *host)
{
  memset(s, 0, sizeof(*s));
  s->outcome = p->not_run   ? MS_SMTP_NOT_RUN
               : p->outcome ? p->outcome
                            : MS_SMTP_OK;
  if (!p->bare)
    snprintf(s->address, sizeof(s->address), "%s", p->addr);
  if (p->error)
    s->error = ms_xstrdup(p->error);
  enum ms_smtp_outcome o = s->outcome;
  bool reached = o != MS_SMTP_NOT_RUN && o != MS_SMTP_CONNECT_FAILED &&
                 o != MS_SMTP_TIMEOUT && o != MS_SMTP_NO_BANNER &&
                 o != MS_SMTP_SKIPPED && o != MS_SMTP_CANCELED;
  s->banner_code = o == MS_SMTP_BANNER_REJECTED ? p->code : reached ? 220 : 0;
  if (s->banner_code == 220 && o != MS_SMTP_PROTOCOL_ERROR) {
    s->ehlo_code = o == MS_SMTP_EHLO_FAILED ? p->code : 250;
    s->starttls_offered = o != MS_SMTP_EHLO_FAILED && o != MS_SMTP_NO_STARTTLS;
  }
  if (s->starttls_offered)
    s->starttls_code = o == MS_SMTP_STARTTLS_REFUSED ? p->code : 220;
  bool tls = o == MS_SMTP_OK || p->tls_version || p->cert_err;
  if (!tls)
    return;
  s->ehlo_tls_code = o == MS_SMTP_OK ? 250 : 0;
  s->tls_version = p->tls_version ? p->tls_version : 0x0304;
  s->tls_protocol = ms_xstrdup(p->proto ? p->proto : "TLSv1.3");
  s->tls_cipher = ms_xstrdup("TLS_AES_128_GCM_SHA256");
  struct ms_cert_info *c = &s->cert;
  c->present = true;
  c->subject = ms_xstrdup("CN=mx");
  c->san[c->n_san++] = ms_xstrdup(p->san ? p->san : host);
  c->not_before = NOW + (p->cert_start ? p->cert_start : -30 * DAY);
  c->not_after = NOW + (p->cert_left ? p->cert_left : 60 * DAY);
  c->errors = p->cert_err;
  c->chain_verified = p->cert_err == 0;
  if (p->why)
    c->untrusted_reason = ms_xstrdup(p->why);
}

/* Replaces the hosts of o (built by build()) with the row's hosts, their
 * addresses and probe results. */
static void attach_hosts(struct ms_obs *o, const struct shost *hs)
{
  for (size_t i = 0; i < o->mx.n_host; i++) {
    free(o->mx.host[i].host);
    ms_obs_addrs_cleanup(&o->mx.host[i].addrs);
  }
  memset(o->mx.host, 0, sizeof(o->mx.host));
  o->mx.n_host = 0;
  for (size_t i = 0; i < 2 && hs[i].host; i++) {
    struct ms_obs_mx_host *h = &o->mx.host[o->mx.n_host++];
    h->host = ms_xstrdup(hs[i].host);
    h->preference = (uint16_t)(10 * (i + 1));
    h->addrs.a.outcome = MS_DNS_OK;
    h->addrs.aaaa.outcome = MS_DNS_OK;
    h->has_tlsa = hs[i].tlsa;
    h->tlsa.outcome = hs[i].tlsa ? MS_DNS_OK : MS_DNS_NXDOMAIN;
    size_t n = 0;
    while (n < MAX_PROBES && hs[i].p[n].addr)
      n++;
    for (size_t j = 0; j < n; j++)
      CU_ASSERT_FATAL(ms_addr_parse(hs[i].p[j].addr, &h->addrs.addr[j]));
    h->addrs.n_addr = n;
    if (hs[i].no_smtp || n == 0)
      continue;
    h->probed = true;
    h->smtp = ms_xcalloc(n, sizeof(*h->smtp));
    for (size_t j = 0; j < n; j++)
      fill_probe(&h->smtp[j], &hs[i].p[j], hs[i].host);
  }
}

/* Policy mode of a row: enforce, testing, none, or no MTA-STS at all
 * (UNSET: no record and no policy, the --probe-all readiness audit). */
static void build_smtp(struct ms_obs *o, enum ms_mode mode,
                       const struct shost *hs)
{
  struct vrow r = {.mx = SMTP_MX};
  if (mode == MS_MODE_TESTING)
    r.body = SMTP_POL("testing");
  else if (mode == MS_MODE_NONE)
    r.body = SMTP_POL("none");
  else if (mode == MS_MODE_ENFORCE)
    r.body = SMTP_POL("enforce");
  else {
    r.sts = ABSENT;
    r.http = 404;
    r.body = "not found";
  }
  build(&r, o);
  attach_hosts(o, hs);
}

/* "CODE:sev|subject|detail" lines of the items whose code starts with
 * prefix ("" for all), in the verdict's order. */
static void fmt_items(const struct ms_findings *f, const char *prefix,
                      char *buf, size_t cap)
{
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < f->n && used < cap; i++) {
    const char *code = ms_finding_info(f->item[i].code)->code;
    if (strncmp(code, prefix, strlen(prefix)) != 0)
      continue;
    int w = snprintf(buf + used, cap - used, "%s:%s|%s|%s\n", code,
                     ms_sev_name(f->item[i].sev), f->item[i].subject,
                     f->item[i].detail);
    used += w > 0 ? (size_t)w : 0;
  }
}

/* -- each SMTP code under each mode -- */

struct smatrix {
  const char *name;
  struct sprobe p; /* on mx1.example.com, 192.0.2.1 */
  bool tlsa;
  const char *items; /* the SMTP_* items, "@" where the severity goes */
  bool mode_dep;     /* severity follows the mode; else fixed */
};

#define M1 "mx1.example.com"
#define A1 "192.0.2.1"

static const struct smatrix matrix[] = {
    {"no STARTTLS",
     {.addr = A1, .outcome = MS_SMTP_NO_STARTTLS},
     false,
     "SMTP_STARTTLS_MISSING:@|" M1 "|" A1 ": STARTTLS not advertised\n",
     true},
    {"STARTTLS refused",
     {.addr = A1, .outcome = MS_SMTP_STARTTLS_REFUSED, .code = 454},
     false,
     "SMTP_STARTTLS_MISSING:@|" M1 "|" A1 ": STARTTLS answered 454\n",
     true},
    {"EHLO refused",
     {.addr = A1, .outcome = MS_SMTP_EHLO_FAILED, .code = 502},
     false,
     "SMTP_STARTTLS_MISSING:@|" M1 "|" A1 ": EHLO answered 502\n",
     true},
    {"TLS garbage",
     {.addr = A1,
      .outcome = MS_SMTP_TLS_FAILED,
      .error = "wrong version number"},
     false,
     "SMTP_TLS_FAILED:@|" M1 "|" A1 ": wrong version number\n",
     true},
    {"TLS failed, no text",
     {.addr = A1, .outcome = MS_SMTP_TLS_FAILED},
     false,
     "SMTP_TLS_FAILED:@|" M1 "|" A1 ": handshake failed\n",
     true},
    {"TLS 1.0",
     {.addr = A1, .tls_version = 0x0301, .proto = "TLSv1"},
     false,
     "SMTP_TLS_VERSION:@|" M1 "|" A1 ": TLSv1\n",
     true},
    {"TLS 1.1",
     {.addr = A1, .tls_version = 0x0302, .proto = "TLSv1.1"},
     false,
     "SMTP_TLS_VERSION:@|" M1 "|" A1 ": TLSv1.1\n",
     true},
    {"cert expired",
     {.addr = A1, .cert_err = MS_CERT_EXPIRED, .cert_left = -3 * DAY},
     false,
     "SMTP_CERT_EXPIRED:@|" M1 "|" A1 ": expired 3 days ago\n",
     true},
    {"cert not yet valid",
     {.addr = A1, .cert_err = MS_CERT_NOT_YET_VALID, .cert_start = 2 * DAY},
     false,
     "SMTP_CERT_NOT_YET_VALID:@|" M1 "|" A1 ": not valid for another 2 days\n",
     true},
    {"cert wrong name (bug log 18)",
     {.addr = A1, .cert_err = MS_CERT_NAME_MISMATCH, .san = "mx2.example.com"},
     false,
     "SMTP_CERT_NAME_MISMATCH:@|" M1 "|" A1
     ": certificate for mx2.example.com\n",
     true},
    {"cert self-signed",
     {.addr = A1, .cert_err = MS_CERT_UNTRUSTED, .why = "self-signed"},
     false,
     "SMTP_CERT_UNTRUSTED:@|" M1 "|" A1 ": self-signed\n",
     true},
    {"cert other verify error",
     {.addr = A1, .cert_err = MS_CERT_OTHER},
     false,
     "SMTP_CERT_UNTRUSTED:@|" M1 "|" A1 ": chain does not verify\n",
     true},
    {"connection refused",
     {.addr = A1,
      .outcome = MS_SMTP_CONNECT_FAILED,
      .error = "connection refused"},
     false,
     "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": connection refused\n",
     false},
    {"no greeting in time",
     {.addr = A1, .outcome = MS_SMTP_TIMEOUT},
     false,
     "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": timed out\n",
     false},
    {"closed before greeting",
     {.addr = A1, .outcome = MS_SMTP_NO_BANNER},
     false,
     "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": closed before a greeting\n",
     false},
    {"greeting 554",
     {.addr = A1, .outcome = MS_SMTP_BANNER_REJECTED, .code = 554},
     false,
     "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": greeting 554\n",
     false},
    {"endless reply",
     {.addr = A1,
      .outcome = MS_SMTP_PROTOCOL_ERROR,
      .error = "reply over 64 lines"},
     false,
     "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": reply over 64 lines\n",
     false},
    {"cert expiring",
     {.addr = A1, .cert_left = 5 * DAY + 60},
     false,
     "SMTP_CERT_EXPIRING:warning|" M1 "|" A1 ": expires in 5 days\n",
     false},
    {"DANE TLSA", {.addr = A1}, true, "SMTP_DANE_TLSA:info|" M1 "|\n", false},
};

/* Copies tmpl into out with its one '@' replaced by sev. */
static void subst_sev(const char *tmpl, const char *sev, char *out, size_t cap)
{
  const char *at = strchr(tmpl, '@');
  if (!at)
    snprintf(out, cap, "%s", tmpl);
  else
    snprintf(out, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, sev, at + 1);
}

static void test_smtp_matrix(void)
{
  static const struct {
    enum ms_mode mode;
    const char *sev;        /* of a mode-dependent code */
    enum ms_status st_dep;  /* status with a mode-dependent item */
    enum ms_status st_warn; /* status with a warning item */
  } modes[] = {
      {MS_MODE_ENFORCE, "error", MS_STATUS_INVALID, MS_STATUS_WARNING},
      {MS_MODE_TESTING, "warning", MS_STATUS_WARNING, MS_STATUS_WARNING},
      {MS_MODE_NONE, "info", MS_STATUS_VALID, MS_STATUS_WARNING},
      /* --probe-all on a domain without MTA-STS: info, status none. */
      {MS_MODE_UNSET, "info", MS_STATUS_NONE, MS_STATUS_NONE},
  };
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  static char got[4096], want[1024];
  for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
    const struct smatrix *m = &matrix[i];
    for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
      struct shost hs[2] = {{.host = M1, .tlsa = m->tlsa, .p = {m->p}},
                            {.host = NULL}};
      build_smtp(o, modes[k].mode, hs);
      ms_verdict(o, &cfg, v);
      fmt_items(&v->findings, "SMTP_", got, sizeof(got));
      subst_sev(m->items, modes[k].sev, want, sizeof(want));
      MS_CHECK_ROW(strcmp(got, want) == 0, "%s / mode %d:\n  got  %s  want %s",
                   m->name, (int)modes[k].mode, got, want);
      enum ms_status st =
          m->tlsa       ? (modes[k].mode == MS_MODE_UNSET ? MS_STATUS_NONE
                                                          : MS_STATUS_VALID)
          : m->mode_dep ? modes[k].st_dep
                        : modes[k].st_warn;
      MS_CHECK_ROW(v->status == st, "%s / mode %d: status %s, want %s", m->name,
                   (int)modes[k].mode, ms_status_name(v->status),
                   ms_status_name(st));
      MS_CHECK_ROW(v->mode == modes[k].mode, "%s: mode %d, want %d", m->name,
                   (int)v->mode, (int)modes[k].mode);
      ms_obs_cleanup(o);
    }
  }
  free(v);
  free(o);
}

/* -- aggregation, mixed hosts, skipped probes: whole finding lists -- */

struct srow {
  const char *name;
  enum ms_mode mode;
  struct shost h[2];
  bool blocked; /* obs->smtp_blocked */
  bool deadline;
  const char *want; /* every item, "CODE:sev|subject|detail\n", sorted */
  enum ms_status status;
};

#define A2 "2001:db8::1"
#define A3 "192.0.2.2"
#define M2 "mx2.example.com"

static const struct srow srows[] = {
    {.name = "clean probes on both hosts",
     .mode = ENF,
     .h = {{.host = M1, .p = {{.addr = A1}, {.addr = A2}}},
           {.host = M2, .p = {{.addr = A3}}}},
     .want = "",
     .status = V},
    {.name = "two addresses unreachable, one finding",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1,
                   .outcome = MS_SMTP_CONNECT_FAILED,
                   .error = "connection refused"},
                  {.addr = A2,
                   .outcome = MS_SMTP_TIMEOUT,
                   .error = "no greeting within 10 s"}}},
           {.host = M2, .p = {{.addr = A3}}}},
     .want = "SMTP_UNREACHABLE:warning|" M1 "|" A1 ": connection refused; " A2
             ": no greeting within 10 s\n",
     .status = W},
    {.name = "one good address and one bad",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1},
                  {.addr = A2, .outcome = MS_SMTP_NO_STARTTLS},
                  {.addr = A3}}}},
     .want =
         "SMTP_STARTTLS_MISSING:error|" M1 "|" A2 ": STARTTLS not advertised\n",
     .status = I},
    {.name = "bug log 18: mx2 shows mx1's certificate (testing)",
     .mode = TST,
     .h = {{.host = M1, .p = {{.addr = A1}}},
           {.host = M2,
            .p = {{.addr = A3,
                   .cert_err = MS_CERT_NAME_MISMATCH,
                   .san = "mx1.example.com"}}}},
     .want = "SMTP_CERT_NAME_MISMATCH:warning|" M2 "|" A3
             ": certificate for mx1.example.com\n"
             "POLICY_MODE_TESTING:info||\n",
     .status = W},
    {.name = "every certificate problem at once",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1,
                   .tls_version = 0x0302,
                   .proto = "TLSv1.1",
                   .cert_err = MS_CERT_EXPIRED | MS_CERT_NAME_MISMATCH |
                               MS_CERT_UNTRUSTED,
                   .cert_left = -1,
                   .why = "unknown issuer",
                   .san = "*.example.net"}}}},
     .want = "SMTP_CERT_EXPIRED:error|" M1 "|" A1 ": expired 1 days ago\n"
             "SMTP_CERT_NAME_MISMATCH:error|" M1 "|" A1
             ": certificate for *.example.net\n"
             "SMTP_CERT_UNTRUSTED:error|" M1 "|" A1 ": unknown issuer\n"
             "SMTP_TLS_VERSION:error|" M1 "|" A1 ": TLSv1.1\n",
     .status = I},
    {.name = "same problem on two hosts: one finding each",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1,
                   .cert_err = MS_CERT_UNTRUSTED,
                   .why = "self-signed"},
                  {.addr = A2,
                   .cert_err = MS_CERT_UNTRUSTED,
                   .why = "self-signed"}}},
           {.host = M2,
            .p = {{.addr = A3,
                   .cert_err = MS_CERT_UNTRUSTED,
                   .why = "self-signed"}}}},
     .want = "SMTP_CERT_UNTRUSTED:error|" M1 "|" A1 ": self-signed; " A2
             ": self-signed\n"
             "SMTP_CERT_UNTRUSTED:error|" M2 "|" A3 ": self-signed\n",
     .status = I},
    {.name = "expiring: 14 days left is outside the window, 13 inside",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1, .cert_left = 14 * DAY},
                  {.addr = A2, .cert_left = 14 * DAY - 1}}}},
     .want = "SMTP_CERT_EXPIRING:warning|" M1 "|" A2 ": expires in 13 days\n",
     .status = W},
    {.name = "expiring and untrusted both said",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1,
                   .cert_left = DAY,
                   .cert_err = MS_CERT_UNTRUSTED,
                   .why = "missing intermediate"}}}},
     .want = "SMTP_CERT_UNTRUSTED:error|" M1 "|" A1 ": missing intermediate\n"
             "SMTP_CERT_EXPIRING:warning|" M1 "|" A1 ": expires in 1 days\n",
     .status = I},
    {.name = "TLS 1.2 is fine",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1, .tls_version = 0x0303, .proto = "TLSv1.2"}}}},
     .want = "",
     .status = V},
    {.name = "skipped, not run, canceled: nothing",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = A1, .outcome = MS_SMTP_SKIPPED},
                  {.addr = A2, .not_run = true},
                  {.addr = A3, .outcome = MS_SMTP_CANCELED}}}},
     .want = "",
     .status = V},
    {.name = "port 25 blocked: every probe skipped",
     .mode = ENF,
     .blocked = true,
     .h = {{.host = M1, .p = {{.addr = A1, .outcome = MS_SMTP_SKIPPED}}},
           {.host = M2, .p = {{.addr = A3, .outcome = MS_SMTP_SKIPPED}}}},
     .want = "",
     .status = V},
    {.name = "no probes planned (smtp NULL)",
     .mode = ENF,
     .h = {{.host = M1,
            .no_smtp = true,
            .p = {{.addr = A1, .outcome = MS_SMTP_NO_STARTTLS}}}},
     .want = "",
     .status = V},
    {.name = "TLSA without probes",
     .mode = ENF,
     .h = {{.host = M1, .no_smtp = true, .tlsa = true, .p = {{.addr = A1}}}},
     .want = "SMTP_DANE_TLSA:info|" M1 "|\n",
     .status = V},
    {.name = "address text missing: formatted from the lookup",
     .mode = ENF,
     .h = {{.host = M1,
            .p = {{.addr = "2001:db8:0:0::25",
                   .bare = true,
                   .outcome = MS_SMTP_NO_STARTTLS}}}},
     .want = "SMTP_STARTTLS_MISSING:error|" M1
             "|2001:db8::25: STARTTLS not advertised\n",
     .status = I},
    {.name = "probe-all, no MTA-STS: mode-dependent ones are info",
     .mode = UNS,
     .h = {{.host = M1,
            .p = {{.addr = A1, .outcome = MS_SMTP_NO_STARTTLS},
                  {.addr = A2, .outcome = MS_SMTP_TIMEOUT}}}},
     .want =
         "SMTP_UNREACHABLE:warning|" M1 "|" A2 ": timed out\n"
         "SMTP_STARTTLS_MISSING:info|" M1 "|" A1 ": STARTTLS not advertised\n"
         "STS_RECORD_MISSING:info||\n",
     .status = N},
    {.name = "deadline cut the probes short",
     .mode = ENF,
     .deadline = true,
     .h = {{.host = M1, .p = {{.addr = A1, .outcome = MS_SMTP_CANCELED}}}},
     .want = "SCAN_DEADLINE:error||unfinished: SMTP probes\n",
     .status = E},
};

static void test_smtp_table(void)
{
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  static char got[8192];
  for (size_t i = 0; i < sizeof(srows) / sizeof(srows[0]); i++) {
    const struct srow *r = &srows[i];
    build_smtp(o, r->mode, r->h);
    o->smtp_blocked = r->blocked;
    o->deadline_hit = r->deadline;
    ms_verdict(o, &cfg, v);
    fmt_items(&v->findings, "", got, sizeof(got));
    MS_CHECK_ROW(strcmp(got, r->want) == 0, "%s:\n  got  %s  want %s", r->name,
                 got, r->want);
    MS_CHECK_ROW(v->status == r->status, "%s: status %s, want %s", r->name,
                 ms_status_name(v->status), ms_status_name(r->status));
    ms_obs_cleanup(o);
  }
  free(v);
  free(o);
}

/* Sixteen unreachable addresses: the detail stays within the cap, lists
 * whole entries only and counts the rest. */
static void test_smtp_detail_cap(void)
{
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  struct shost hs[2] = {{.host = M1, .p = {{.addr = A1}}}, {.host = NULL}};
  build_smtp(o, MS_MODE_ENFORCE, hs);
  struct ms_obs_mx_host *h = &o->mx.host[0];
  ms_obs_smtp_cleanup(&h->smtp[0]);
  free(h->smtp);
  h->smtp = ms_xcalloc(MS_ADDRS_MAX, sizeof(*h->smtp));
  h->addrs.n_addr = MS_ADDRS_MAX;
  for (size_t j = 0; j < MS_ADDRS_MAX; j++) {
    char ip[32];
    snprintf(ip, sizeof(ip), "198.51.100.%zu", 100 + j);
    CU_ASSERT_FATAL(ms_addr_parse(ip, &h->addrs.addr[j]));
    snprintf(h->smtp[j].address, sizeof(h->smtp[j].address), "%s", ip);
    h->smtp[j].outcome = MS_SMTP_TIMEOUT;
  }
  ms_verdict(o, &cfg, v);
  CU_ASSERT_EQUAL_FATAL(v->findings.n, 1);
  const char *d = v->findings.item[0].detail;
  size_t listed = 0;
  for (const char *p = strstr(d, ": timed out"); p;
       p = strstr(p + 1, ": timed out"))
    listed++;
  const char *more = strstr(d, "(+");
  size_t rest = 0;
  for (const char *p = more ? more + 2 : ""; *p >= '0' && *p <= '9'; p++)
    rest = rest * 10 + (size_t)(*p - '0');
  MS_CHECK_ROW(more && listed + rest == MS_ADDRS_MAX && listed >= 4 &&
                   strcmp(d + strlen(d) - 6, " more)") == 0 &&
                   strncmp(d, "198.51.100.100: timed out; ", 27) == 0,
               "detail cap: %zu listed, %zu more: %s", listed, rest, d);
  ms_obs_cleanup(o);

  /* One address with an over-long error: shortened, not dropped. */
  build_smtp(o, MS_MODE_ENFORCE, hs);
  h = &o->mx.host[0];
  h->smtp[0].outcome = MS_SMTP_PROTOCOL_ERROR;
  h->smtp[0].error = ms_xmalloc(301);
  memset(h->smtp[0].error, 'x', 300);
  h->smtp[0].error[300] = '\0';
  ms_verdict(o, &cfg, v);
  char want[200];
  snprintf(want, sizeof(want), "%s: %.*s", A1, 119, h->smtp[0].error);
  CU_ASSERT_EQUAL_FATAL(v->findings.n, 1);
  MS_CHECK_ROW(strcmp(v->findings.item[0].detail, want) == 0, "long error: %s",
               v->findings.item[0].detail);
  ms_obs_cleanup(o);
  free(v);
  free(o);
}

/* ms_verdict_extend: findings added after the verdict (the history rules)
 * are resolved, merged without duplicates, sorted, and counted in the
 * status. */
static void test_extend(void)
{
  static const struct {
    const char *name;
    struct vrow base;  /* the domain before the extra findings */
    const char *extra; /* "CODE|subject" items, ' ' between */
    const char *want;  /* every item after, "CODE:sev|subject|detail\n" */
    enum ms_status status;
  } cases[] = {
      {"nothing added", {.mx = GOOD_MX}, "", "", V},
      {"info keeps valid",
       {.mx = GOOD_MX},
       "HISTORY_ID_CHANGED|",
       "HISTORY_ID_CHANGED:info||\n",
       V},
      {"warning",
       {.mx = GOOD_MX},
       "HISTORY_STATUS_REGRESSED|",
       "HISTORY_STATUS_REGRESSED:warning||\n",
       W},
      {"error sorts first",
       {.mx = GOOD_MX, .tlsrpt = ABSENT},
       "HISTORY_POLICY_CHANGED_SAME_ID|",
       "HISTORY_POLICY_CHANGED_SAME_ID:error||\nTLSRPT_MISSING:info||\n",
       I},
      {"no record stays none",
       {.mx = GOOD_MX, .sts = ABSENT, .http = 404, .body = "x"},
       "HISTORY_MODE_DOWNGRADED|",
       "HISTORY_MODE_DOWNGRADED:warning||\nSTS_RECORD_MISSING:info||\n",
       N},
      {"duplicate dropped, mode resolved",
       {.mx = "10 mx9.example.com", .body = POL("testing", "mx: a.example\n")},
       "MX_NOT_COVERED|mx9.example.com",
       "MX_NOT_COVERED:warning|mx9.example.com|\n"
       "POLICY_MODE_TESTING:info||\nPOLICY_MX_UNUSED:info|a.example|\n",
       W},
  };
  struct ms_obs *o = ms_xcalloc(1, sizeof(*o));
  struct ms_verdict *v = ms_xcalloc(1, sizeof(*v));
  struct ms_findings *extra = ms_xcalloc(1, sizeof(*extra));
  struct ms_verdict_cfg cfg = {.now = NOW, .cert_warn_days = 14};
  static char got[4096];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    build(&cases[i].base, o);
    ms_verdict(o, &cfg, v);
    ms_findings_init(extra);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", cases[i].extra);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
      char *bar = strchr(t, '|');
      *bar = '\0';
      enum ms_finding code;
      CU_ASSERT_FATAL(ms_finding_by_code(t, &code));
      ms_findings_add(extra, code, MS_SEV_DEFAULT, bar + 1, NULL);
    }
    ms_verdict_extend(v, extra);
    fmt_items(&v->findings, "", got, sizeof(got));
    MS_CHECK_ROW(strcmp(got, cases[i].want) == 0,
                 "extend %s:\n  got  %s  want %s", cases[i].name, got,
                 cases[i].want);
    MS_CHECK_ROW(v->status == cases[i].status, "extend %s: status %s, want %s",
                 cases[i].name, ms_status_name(v->status),
                 ms_status_name(cases[i].status));
    ms_obs_cleanup(o);
  }
  ms_verdict_extend(NULL, extra); /* NULL-safe */
  free(extra);
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
    {"smtp_matrix", test_smtp_matrix},
    {"smtp_table", test_smtp_table},
    {"smtp_detail_cap", test_smtp_detail_cap},
    {"extend", test_extend},
    CU_TEST_INFO_NULL,
};
