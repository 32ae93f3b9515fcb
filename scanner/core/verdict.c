/*
 * The auditing rules of data/verdict.md: observations (core/obs.h) in,
 * findings, status and derived evidence out. Calls the pure parsers
 * (sts_txt, policy, tlsrpt, mx_match) and adds the findings that need the
 * whole picture: fetch outcomes, certificates, MX coverage, the MX
 * STARTTLS probes, DNS faults.
 */
#include "core/verdict.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mx_match.h"

#define DAY_SECONDS  86400
#define SUBJ_SCRATCH 320

const char *ms_status_name(enum ms_status s)
{
  switch (s) {
    case MS_STATUS_VALID:
      return "valid";
    case MS_STATUS_WARNING:
      return "warning";
    case MS_STATUS_INVALID:
      return "invalid";
    case MS_STATUS_NONE:
      return "none";
    case MS_STATUS_ERROR:
      return "error";
  }
  return "error";
}

/* A lookup that reached the zone: its answer (or its absence) is data.
 * NXDOMAIN and NODATA both mean "no record" (verdict.md, DNS faults). */
static bool dns_answered(enum ms_dns_outcome o)
{
  return o == MS_DNS_OK || o == MS_DNS_NODATA || o == MS_DNS_NXDOMAIN;
}

/* DNS_TIMEOUT or DNS_SERVFAIL for a resolver fault on the query named by
 * subject ("_mta-sts.example.com TXT"); the detail keeps the outcome and
 * the library's message. */
static void add_dns_fault(struct ms_findings *f, const struct ms_obs_dns *d,
                          const char *subject)
{
  enum ms_finding code =
      d->outcome == MS_DNS_TIMEOUT ? MS_F_DNS_TIMEOUT : MS_F_DNS_SERVFAIL;
  if (d->detail && d->detail[0])
    ms_findings_add(f, code, MS_SEV_DEFAULT, subject, "%s: %s",
                    ms_dns_outcome_name(d->outcome), d->detail);
  else
    ms_findings_add(f, code, MS_SEV_DEFAULT, subject, "%s",
                    ms_dns_outcome_name(d->outcome));
}

/* Builds the record slices of a TXT lookup (records may hold NUL bytes,
 * so the lengths come from the observation, not strlen). */
static size_t txt_slices(const struct ms_obs_txt *t, struct ms_slice *out)
{
  size_t n =
      t->n_records < MS_TXT_RECORDS_MAX ? t->n_records : MS_TXT_RECORDS_MAX;
  for (size_t i = 0; i < n; i++) {
    const char *p = t->records[i] ? t->records[i] : "";
    out[i] = ms_slice_make(p, t->records[i] ? t->record_len[i] : 0);
  }
  return n;
}

/* Floor of (a / b) for b > 0, also for negative a: a certificate that
 * expired one second ago has -1 days left, not 0 (C division truncates
 * toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  if (a % b != 0 && a < 0)
    q--;
  return q;
}

/* Narrows to int without overflow (absurd certificate dates). */
static int clamp_int(int64_t v)
{
  if (v > INT_MAX)
    return INT_MAX;
  if (v < INT_MIN)
    return INT_MIN;
  return (int)v;
}

/* State shared by the rule groups of one verdict (stack only; the
 * verdict allocates nothing). */
struct ctx {
  const struct ms_obs *obs;
  const struct ms_verdict_cfg *cfg;
  struct ms_verdict *out;
  struct ms_findings *f;
  bool has_record; /* a candidate or malformed _mta-sts record exists */
  /* Room for a 253-byte name plus a prefix and a record type; the list
   * truncates to MS_FINDING_SUBJ_MAX. */
  char policy_host[SUBJ_SCRATCH];
  char subj[SUBJ_SCRATCH]; /* scratch for composed subjects */
};

/*
 * The _mta-sts TXT record (RFC 8461 section 3.1). NXDOMAIN and NODATA are
 * "no record"; a resolver fault is reported as such and does not claim the
 * record is missing (bug log 10: the DNS error is not "no MTA-STS"). A
 * CNAME loop is a defect of the zone, not of the resolver: senders get no
 * record, so it is evaluated as an empty RRset and the chain is shown.
 */
static void rules_sts(struct ctx *c)
{
  const struct ms_obs_txt *t = &c->obs->sts;
  enum ms_dns_outcome o = t->dns.outcome;

  if (dns_answered(o) || o == MS_DNS_CNAME_LOOP) {
    struct ms_slice rec[MS_TXT_RECORDS_MAX];
    size_t n = o == MS_DNS_CNAME_LOOP ? 0 : txt_slices(t, rec);
    ms_sts_txt_eval(rec, n, &c->out->sts, c->f);
    c->out->has_sts = true;
    c->has_record = c->out->sts.state != MS_STS_MISSING;
  } else if (ms_dns_outcome_is_resolver_fault(o)) {
    snprintf(c->subj, sizeof(c->subj), "_mta-sts.%s TXT", c->obs->domain);
    add_dns_fault(c->f, &t->dns, c->subj);
  }
  /* NOT_RUN / CANCELED: the stage did not run, nothing to say. */

  if (t->n_cname > 0) {
    char chain[MS_FINDING_DET_MAX];
    size_t used = 0;
    int w;
    if (t->qname)
      w = snprintf(chain, sizeof(chain), "%s", t->qname);
    else
      w = snprintf(chain, sizeof(chain), "_mta-sts.%s", c->obs->domain);
    used = w > 0 ? (size_t)w : 0;
    size_t n = t->n_cname < MS_CNAME_MAX ? t->n_cname : MS_CNAME_MAX;
    for (size_t i = 0; i < n && used < sizeof(chain); i++) {
      w = snprintf(chain + used, sizeof(chain) - used, " -> %s",
                   t->cname_chain[i] ? t->cname_chain[i] : "?");
      used += w > 0 ? (size_t)w : 0;
    }
    snprintf(c->subj, sizeof(c->subj), "_mta-sts.%s", c->obs->domain);
    if (o == MS_DNS_CNAME_LOOP)
      ms_findings_add(c->f, MS_F_STS_RECORD_CNAME, MS_SEV_DEFAULT, c->subj,
                      "%s (loop or more than %d hops)", chain, MS_CNAME_MAX);
    else
      ms_findings_add(c->f, MS_F_STS_RECORD_CNAME, MS_SEV_DEFAULT, c->subj,
                      "%s", chain);
  }
}

/* POLICY_CONTENT_TYPE (section 3.2): the media type, before any ';' and
 * trimmed, must be text/plain in any case; parameters are fine (bug log
 * 4: "text/plain; charset=utf-8" is valid). */
static void check_content_type(struct ctx *c)
{
  const char *ct = c->obs->policy.content_type;
  if (!ct) {
    ms_findings_add(c->f, MS_F_POLICY_CONTENT_TYPE, MS_SEV_DEFAULT,
                    c->policy_host, "no Content-Type");
    return;
  }
  struct ms_slice type;
  bool found;
  (void)ms_slice_split(ms_slice_cstr(ct), ';', &type, &found);
  type = ms_slice_trim_wsp(type);
  if (!ms_slice_eq_nocase(type, ms_slice_cstr("text/plain")))
    ms_findings_add(c->f, MS_F_POLICY_CONTENT_TYPE, MS_SEV_DEFAULT,
                    c->policy_host, "Content-Type: %s", ct);
}

/* Certificate findings (section 3.3): every problem is reported, so an
 * expired certificate for the wrong name gives both. The bits come from
 * net/https.c, which verifies without aborting the handshake (pitfalls:
 * VERIFYPEER=0 plus our own X509_STORE), so one fetch yields them all.
 * POLICY_CERT_EXPIRING needs a date that is otherwise in range; trust or
 * name problems do not hide it (the operator still has to renew). */
static void check_cert(struct ctx *c)
{
  const struct ms_cert_info *cert = &c->obs->policy.cert;
  unsigned e = cert->errors;
  const char *h = c->policy_host;

  if (e & MS_CERT_EXPIRED)
    ms_findings_add(c->f, MS_F_POLICY_CERT_EXPIRED, MS_SEV_DEFAULT, h, NULL);
  if (e & MS_CERT_NOT_YET_VALID)
    ms_findings_add(c->f, MS_F_POLICY_CERT_NOT_YET_VALID, MS_SEV_DEFAULT, h,
                    NULL);
  if (e & MS_CERT_NAME_MISMATCH)
    ms_findings_add(c->f, MS_F_POLICY_CERT_NAME_MISMATCH, MS_SEV_DEFAULT, h,
                    NULL);
  /* Any other verify error also means the chain does not verify. */
  if (e & (MS_CERT_UNTRUSTED | MS_CERT_OTHER)) {
    const char *why =
        cert->untrusted_reason ? cert->untrusted_reason : cert->verify_error;
    if (why)
      ms_findings_add(c->f, MS_F_POLICY_CERT_UNTRUSTED, MS_SEV_DEFAULT, h, "%s",
                      why);
    else
      ms_findings_add(c->f, MS_F_POLICY_CERT_UNTRUSTED, MS_SEV_DEFAULT, h,
                      NULL);
  }

  if (cert->present && !(e & (MS_CERT_EXPIRED | MS_CERT_NOT_YET_VALID))) {
    int64_t left = cert->not_after - c->cfg->now;
    int64_t window =
        (int64_t)(c->cfg->cert_warn_days > 0 ? c->cfg->cert_warn_days : 0) *
        DAY_SECONDS;
    if (left < window)
      ms_findings_add(c->f, MS_F_POLICY_CERT_EXPIRING, MS_SEV_DEFAULT, h,
                      "expires in %d days",
                      clamp_int(floor_div(left, DAY_SECONDS)));
  }
}

/* The policy host's A/AAAA lookup failed in the resolver: that, not a
 * missing host, is what explains NO_ADDRESS. Returns true when reported. */
static bool policy_host_dns_fault(struct ctx *c)
{
  const struct ms_obs_addrs *a = &c->obs->policy.addrs;
  const struct ms_obs_dns *d = NULL;
  const char *type = "A";
  if (ms_dns_outcome_is_resolver_fault(a->a.outcome)) {
    d = &a->a;
  } else if (ms_dns_outcome_is_resolver_fault(a->aaaa.outcome)) {
    d = &a->aaaa;
    type = "AAAA";
  }
  if (!d)
    return false;
  snprintf(c->subj, sizeof(c->subj), "mta-sts.%s %s", c->obs->domain, type);
  add_dns_fault(c->f, d, c->subj);
  return true;
}

/* Transport and HTTP outcomes: MTA-STS problems only when the domain has
 * a record; without one a broken web host is the normal case (many
 * domains have a wildcard web host), kept only as evidence in the record.
 * POLICY_TOO_LARGE is the exception: it explains a served policy's
 * truncated parse, so it goes with the policy, record or not. */
static void check_fetch_outcome(struct ctx *c, bool served)
{
  const struct ms_obs_fetch *p = &c->obs->policy;
  const char *h = c->policy_host;
  const char *err = p->error ? p->error : "";

  if ((p->outcome == MS_FETCH_TOO_LARGE || p->body_truncated) &&
      (served || c->has_record))
    ms_findings_add(c->f, MS_F_POLICY_TOO_LARGE, MS_SEV_DEFAULT, h,
                    "more than %d bytes; the first %d were parsed",
                    MS_POLICY_MAX_BYTES, MS_POLICY_MAX_BYTES);
  if (!c->has_record)
    return;

  switch (p->outcome) {
    case MS_FETCH_NO_ADDRESS:
      /* Section 3.3: the policy host must resolve; a resolver fault is
       * reported as such, since the host may well exist. */
      if (!policy_host_dns_fault(c))
        ms_findings_add(c->f, MS_F_POLICY_HOST_NOT_FOUND, MS_SEV_DEFAULT, h,
                        NULL);
      return;
    case MS_FETCH_CONNECT_FAILED:
      ms_findings_add(c->f, MS_F_POLICY_CONNECT_FAILED, MS_SEV_DEFAULT, h, "%s",
                      err);
      return;
    case MS_FETCH_TIMEOUT:
      ms_findings_add(c->f, MS_F_POLICY_TIMEOUT, MS_SEV_DEFAULT, h, "%s", err);
      return;
    case MS_FETCH_TLS_FAILED:
      ms_findings_add(c->f, MS_F_POLICY_TLS_FAILED, MS_SEV_DEFAULT, h, "%s",
                      err);
      return;
    case MS_FETCH_ERROR:
      /* A connection was made but the exchange was not valid HTTP: the
       * nearest catalogue entry is an HTTP failure. */
      ms_findings_add(c->f, MS_F_POLICY_HTTP_STATUS, MS_SEV_DEFAULT, h, "%s",
                      err[0] ? err : "no valid HTTP response");
      return;
    case MS_FETCH_OK:
    case MS_FETCH_TOO_LARGE:
      break;
    case MS_FETCH_NOT_RUN:
    case MS_FETCH_BLOCKED: /* TARGET_PRIVATE_ADDRESS, reported apart */
    case MS_FETCH_CANCELED:
      return;
  }

  /* Section 3.3: "HTTP 3xx redirects MUST NOT be followed". */
  if (p->http_status >= 300 && p->http_status < 400) {
    if (p->location)
      ms_findings_add(c->f, MS_F_POLICY_REDIRECT, MS_SEV_DEFAULT, h, "%s",
                      p->location);
    else
      ms_findings_add(c->f, MS_F_POLICY_REDIRECT, MS_SEV_DEFAULT, h, "HTTP %ld",
                      p->http_status);
  } else if (p->http_status != 200) {
    /* Section 3.3: only a 200 response carries a policy. */
    ms_findings_add(c->f, MS_F_POLICY_HTTP_STATUS, MS_SEV_DEFAULT, h,
                    "HTTP %ld", p->http_status);
  }
}

/*
 * The policy fetch and body (sections 3.2, 3.3). A policy is *served* when
 * the host answered 200 with a body that mentions STSv1; it is parsed with
 * or without a record, and a record with a 200 gets its body parsed even
 * when it does not look like a policy (a CDN page gives the missing-field
 * findings, which is what senders will see).
 */
static void rules_policy(struct ctx *c)
{
  const struct ms_obs_fetch *p = &c->obs->policy;
  struct ms_verdict *out = c->out;
  bool fetched = p->outcome == MS_FETCH_OK || p->outcome == MS_FETCH_TOO_LARGE;
  bool got200 = fetched && p->http_status == 200;
  const char *body = p->body ? p->body : "";
  size_t len = p->body ? p->body_len : 0;

  /* The fetch keeps at most the cap; clamp anyway so a bigger buffer from
   * another caller is parsed as the first 64 KiB, as verdict.md says. */
  if (len > MS_POLICY_MAX_BYTES)
    len = MS_POLICY_MAX_BYTES;
  bool served =
      got200 && ms_slice_contains_nocase(ms_slice_make(body, len), "STSv1");
  out->policy_served = served;

  if (served || (c->has_record && got200)) {
    ms_policy_parse(body, len, &out->policy, c->f);
    out->policy_parsed = true;
    check_content_type(c);
  }
  if (c->has_record || served)
    check_cert(c);

  /* The SSRF guard withheld addresses: said with or without a record,
   * since it explains why nothing was contacted. */
  if (!c->cfg->allow_private &&
      (p->n_private > 0 || p->outcome == MS_FETCH_BLOCKED))
    ms_findings_add(c->f, MS_F_TARGET_PRIVATE_ADDRESS, MS_SEV_DEFAULT,
                    c->policy_host, "%zu non-public address(es) not contacted",
                    p->n_private);
  check_fetch_outcome(c, served);

  /* Half a deployment: a policy senders never discover. */
  if (served && out->has_sts && !out->sts.usable)
    ms_findings_add(c->f, MS_F_POLICY_WITHOUT_RECORD, MS_SEV_DEFAULT,
                    c->policy_host, NULL);

  /* Usable = what a sender would apply (verdict.md "Usable policy"). */
  out->policy_usable =
      out->has_sts && out->sts.usable && p->outcome == MS_FETCH_OK &&
      p->http_status == 200 && p->cert.present && p->cert.errors == 0 &&
      !p->body_truncated && out->policy_parsed && out->policy.usable;
  out->mode = out->policy_usable ? out->policy.mode : MS_MODE_UNSET;
  if (p->cert.present)
    out->cert_days_left =
        clamp_int(floor_div(p->cert.not_after - c->cfg->now, DAY_SECONDS));
}

/* One A/AAAA pair finished with an answer from the zone (no fault, not
 * canceled), so "no address" is a fact and not a gap in the scan. A query
 * the scanner did not send (NOT_RUN, e.g. an IPv4-only run) does not
 * block the conclusion, but at least one must have been answered. */
static bool addrs_settled(const struct ms_obs_addrs *a)
{
  bool ok_a = dns_answered(a->a.outcome) || a->a.outcome == MS_DNS_NOT_RUN;
  bool ok_aaaa =
      dns_answered(a->aaaa.outcome) || a->aaaa.outcome == MS_DNS_NOT_RUN;
  return ok_a && ok_aaaa &&
         (dns_answered(a->a.outcome) || dns_answered(a->aaaa.outcome));
}

/* Index of the first valid pattern covering host, or -1 (section 4.1).
 * Marks every covering pattern in used[] (not just the first), so that
 * POLICY_MX_UNUSED only names patterns no host needs. Invalid patterns
 * never cover anything: senders drop them. */
static int first_cover(const struct ms_policy *pol, struct ms_slice host,
                       bool *used)
{
  int first = -1;
  for (size_t j = 0; j < pol->n_mx && j < MS_POLICY_MX_MAX; j++) {
    if (!pol->mx[j].valid || !ms_mx_match(pol->mx[j].pattern, host))
      continue;
    used[j] = true;
    if (first < 0)
      first = (int)j;
  }
  return first;
}

/*
 * MX coverage (section 4.1) and the MX lookup itself. Coverage is checked
 * against any parsed policy, usable or not, so an operator sees which
 * hosts a fixed policy would still miss; the severity follows the mode.
 */
static void rules_mx(struct ctx *c)
{
  const struct ms_obs_mx *mx = &c->obs->mx;
  const char *dom = c->obs->domain;
  enum ms_dns_outcome o = mx->dns.outcome;
  size_t n = mx->n_host < MS_MX_HOSTS_MAX ? mx->n_host : MS_MX_HOSTS_MAX;

  /* NODATA is "no MX records": the implicit-MX case, not a failure. A
   * CNAME loop is the zone's fault, so it fails the lookup without making
   * the status "error" (that is for resolver faults only). */
  bool answered = o == MS_DNS_OK || o == MS_DNS_NODATA;
  if (o == MS_DNS_NXDOMAIN) {
    ms_findings_add(c->f, MS_F_DNS_DOMAIN_NOT_FOUND, MS_SEV_DEFAULT, dom, NULL);
  } else if (ms_dns_outcome_is_resolver_fault(o) || o == MS_DNS_CNAME_LOOP) {
    snprintf(c->subj, sizeof(c->subj), "MX %s", dom);
    ms_findings_add(c->f, MS_F_MX_LOOKUP_FAILED, MS_SEV_DEFAULT, c->subj, "%s",
                    ms_dns_outcome_name(o));
    if (ms_dns_outcome_is_resolver_fault(o))
      add_dns_fault(c->f, &mx->dns, c->subj);
  }
  if (answered && mx->null_mx)
    ms_findings_add(c->f, MS_F_MX_NULL, MS_SEV_DEFAULT, dom, NULL);
  else if (answered && mx->implicit)
    ms_findings_add(c->f, MS_F_MX_NONE, MS_SEV_DEFAULT, dom, NULL);

  /* Per-host facts, independent of any policy. */
  for (size_t i = 0; i < n; i++) {
    const struct ms_obs_mx_host *h = &mx->host[i];
    const char *name = h->host ? h->host : "";
    if (h->n_private > 0 && !c->cfg->allow_private)
      ms_findings_add(c->f, MS_F_TARGET_PRIVATE_ADDRESS, MS_SEV_DEFAULT, name,
                      "%zu non-public address(es) not contacted", h->n_private);
    if (h->addrs.n_addr == 0 && h->n_private == 0 && addrs_settled(&h->addrs))
      ms_findings_add(c->f, MS_F_MX_NO_ADDRESS, MS_SEV_DEFAULT, name, NULL);
  }

  /* Coverage needs a parsed policy and a real MX set; a null MX has
   * nothing to cover, and after a failed lookup every pattern would look
   * unused. */
  if (!c->out->policy_parsed || !answered || mx->null_mx)
    return;
  const struct ms_policy *pol = &c->out->policy;
  bool used[MS_POLICY_MX_MAX] = {false};
  for (size_t i = 0; i < n; i++) {
    const char *name = mx->host[i].host ? mx->host[i].host : "";
    c->out->mx_covered_by[i] = first_cover(pol, ms_slice_cstr(name), used);
    if (c->out->mx_covered_by[i] < 0)
      ms_findings_add(c->f, MS_F_MX_NOT_COVERED, MS_SEV_DEFAULT, name, NULL);
  }
  /* RFC 5321 section 5.1: with no MX the domain itself is the MX host;
   * the I/O layer may or may not list it as host[0]. */
  if (mx->implicit && n == 0 && first_cover(pol, ms_slice_cstr(dom), used) < 0)
    ms_findings_add(c->f, MS_F_MX_NOT_COVERED, MS_SEV_DEFAULT, dom, NULL);

  for (size_t j = 0; j < pol->n_mx && j < MS_POLICY_MX_MAX; j++) {
    if (!pol->mx[j].valid || used[j])
      continue;
    char pat[MS_FINDING_SUBJ_MAX];
    ms_slice_copy(pol->mx[j].pattern, pat, sizeof(pat));
    ms_findings_add(c->f, MS_F_POLICY_MX_UNUSED, MS_SEV_DEFAULT, pat, NULL);
  }
}

/* ---- MX transport: the STARTTLS probe (sections 4.2, 5) ---- */

/* The SMTP codes a host can collect, in catalogue order; one accumulator
 * per code gathers the affected addresses of one MX host. */
enum agg_slot {
  AGG_UNREACHABLE,
  AGG_STARTTLS_MISSING,
  AGG_TLS_FAILED,
  AGG_TLS_VERSION,
  AGG_CERT_EXPIRED,
  AGG_CERT_NOT_YET_VALID,
  AGG_CERT_NAME_MISMATCH,
  AGG_CERT_UNTRUSTED,
  AGG_CERT_EXPIRING,
  AGG_COUNT
};
static const enum ms_finding smtp_codes[AGG_COUNT] = {
    [AGG_UNREACHABLE] = MS_F_SMTP_UNREACHABLE,
    [AGG_STARTTLS_MISSING] = MS_F_SMTP_STARTTLS_MISSING,
    [AGG_TLS_FAILED] = MS_F_SMTP_TLS_FAILED,
    [AGG_TLS_VERSION] = MS_F_SMTP_TLS_VERSION,
    [AGG_CERT_EXPIRED] = MS_F_SMTP_CERT_EXPIRED,
    [AGG_CERT_NOT_YET_VALID] = MS_F_SMTP_CERT_NOT_YET_VALID,
    [AGG_CERT_NAME_MISMATCH] = MS_F_SMTP_CERT_NAME_MISMATCH,
    [AGG_CERT_UNTRUSTED] = MS_F_SMTP_CERT_UNTRUSTED,
    [AGG_CERT_EXPIRING] = MS_F_SMTP_CERT_EXPIRING,
};
/* Room kept at the end of a detail for " (+NN more)", and the longest
 * "what" of one address: with a 45-byte address the first entry always
 * fits, so a long probe error is shortened rather than dropped. */
#define AGG_TAIL     16
#define AGG_WHAT_MAX 120

/* "ADDR: what; ADDR: what" for one code of one host. Entries that do not
 * fit the catalogue's detail cap are counted and summarised at the end
 * instead of being cut in the middle of an address. */
struct agg {
  char det[MS_FINDING_DET_MAX];
  size_t used;
  size_t n;       /* addresses listed */
  size_t omitted; /* addresses that did not fit */
};

static void agg_add(struct agg *a, const char *addr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void agg_add(struct agg *a, const char *addr, const char *fmt, ...)
{
  char what[AGG_WHAT_MAX];
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  if (w < 0)
    what[0] = '\0';
  char entry[MS_FINDING_DET_MAX];
  w = snprintf(entry, sizeof(entry), "%s%s: %s", a->n ? "; " : "", addr, what);
  size_t len = w > 0 ? (size_t)w : 0;
  if (a->omitted == 0 && len < sizeof(entry) &&
      a->used + len + AGG_TAIL < sizeof(a->det)) {
    memcpy(a->det + a->used, entry, len + 1);
    a->used += len;
    a->n++;
  } else {
    a->omitted++;
  }
}

/* The probe's own words for what went wrong, or a fallback. */
static const char *err_or(const struct ms_obs_smtp *s, const char *fallback)
{
  return s->error && s->error[0] ? s->error : fallback;
}

/* The reply-code part of the story: the probe reached the server, and the
 * codes say what it answered. */
static void smtp_outcome(const struct ms_obs_smtp *s, const char *ip,
                         struct agg *agg)
{
  struct agg *unreach = &agg[AGG_UNREACHABLE];
  struct agg *nostls = &agg[AGG_STARTTLS_MISSING];
  struct agg *tlsfail = &agg[AGG_TLS_FAILED];
  switch (s->outcome) {
    case MS_SMTP_CONNECT_FAILED:
      agg_add(unreach, ip, "%s", err_or(s, "connection failed"));
      break;
    case MS_SMTP_TIMEOUT:
      agg_add(unreach, ip, "%s", err_or(s, "timed out"));
      break;
    case MS_SMTP_NO_BANNER:
      agg_add(unreach, ip, "%s", err_or(s, "closed before a greeting"));
      break;
    case MS_SMTP_BANNER_REJECTED:
      /* RFC 5321 section 3.1: 554 instead of 220 refuses the session. */
      agg_add(unreach, ip, "greeting %d", s->banner_code);
      break;
    case MS_SMTP_PROTOCOL_ERROR:
      agg_add(unreach, ip, "%s", err_or(s, "protocol error"));
      break;
    case MS_SMTP_EHLO_FAILED:
      agg_add(nostls, ip, "EHLO answered %d", s->ehlo_code);
      break;
    case MS_SMTP_NO_STARTTLS:
      /* RFC 3207: the EHLO reply lists no STARTTLS keyword. */
      agg_add(nostls, ip, "STARTTLS not advertised");
      break;
    case MS_SMTP_STARTTLS_REFUSED:
      agg_add(nostls, ip, "STARTTLS answered %d", s->starttls_code);
      break;
    case MS_SMTP_TLS_FAILED:
      agg_add(tlsfail, ip, "%s", err_or(s, "handshake failed"));
      break;
    case MS_SMTP_OK:
    case MS_SMTP_NOT_RUN:  /* not probed (SSRF guard): no finding */
    case MS_SMTP_SKIPPED:  /* port 25 blocked: said once on stderr */
    case MS_SMTP_CANCELED: /* deadline or shutdown: SCAN_DEADLINE says */
      break;
  }
}

/* The TLS part: protocol and certificate of a handshake that completed.
 * Checked whenever the probe saw them (normally outcome OK), so a
 * certificate that arrived before a later failure is still judged. */
static void smtp_tls(struct ctx *c, const struct ms_obs_smtp *s, const char *ip,
                     struct agg *agg)
{
  /* Section 4.2 (and RFC 8996): TLS 1.2 or later; 0x0303 is TLS 1.2. */
  if (s->tls_version > 0 && s->tls_version < 0x0303)
    agg_add(&agg[AGG_TLS_VERSION], ip, "%s",
            s->tls_protocol ? s->tls_protocol : "older than TLS 1.2");
  const struct ms_cert_info *cert = &s->cert;
  if (!cert->present)
    return;
  unsigned e = cert->errors;
  int left = clamp_int(floor_div(cert->not_after - c->cfg->now, DAY_SECONDS));
  if (e & MS_CERT_EXPIRED)
    agg_add(&agg[AGG_CERT_EXPIRED], ip, "expired %d days ago", -left);
  if (e & MS_CERT_NOT_YET_VALID)
    agg_add(
        &agg[AGG_CERT_NOT_YET_VALID], ip, "not valid for another %d days",
        clamp_int(floor_div(cert->not_before - c->cfg->now + DAY_SECONDS - 1,
                            DAY_SECONDS)));
  if (e & MS_CERT_NAME_MISMATCH) {
    if (cert->n_san > 0 && cert->san[0])
      agg_add(&agg[AGG_CERT_NAME_MISMATCH], ip, "certificate for %s%s",
              cert->san[0], cert->n_san > 1 ? ", ..." : "");
    else
      agg_add(&agg[AGG_CERT_NAME_MISMATCH], ip,
              "no DNS name in the certificate");
  }
  /* Any other verify error also means the chain does not verify. */
  if (e & (MS_CERT_UNTRUSTED | MS_CERT_OTHER))
    agg_add(&agg[AGG_CERT_UNTRUSTED], ip, "%s",
            cert->untrusted_reason ? cert->untrusted_reason
            : cert->verify_error   ? cert->verify_error
                                   : "chain does not verify");
  /* Like POLICY_CERT_EXPIRING: dates in range, trust problems do not
   * hide it (the operator still has to renew). */
  if (!(e & (MS_CERT_EXPIRED | MS_CERT_NOT_YET_VALID))) {
    int64_t window =
        (int64_t)(c->cfg->cert_warn_days > 0 ? c->cfg->cert_warn_days : 0) *
        DAY_SECONDS;
    if (cert->not_after - c->cfg->now < window)
      agg_add(&agg[AGG_CERT_EXPIRING], ip, "expires in %d days", left);
  }
}

/*
 * Per MX host: every probed address is judged, and each code becomes one
 * finding for the host (subject: the host) whose detail names every
 * affected address. A host with one good and one bad address gets the
 * bad one's finding: senders pick addresses at random, so some mail goes
 * there. Severities: SMTP_UNREACHABLE and SMTP_CERT_EXPIRING are
 * warnings, the rest mode-dependent (resolved in finish_list, like
 * MX_NOT_COVERED), so --probe-all on a domain without MTA-STS gives info.
 */
static void rules_smtp(struct ctx *c)
{
  const struct ms_obs_mx *mx = &c->obs->mx;
  size_t n = mx->n_host < MS_MX_HOSTS_MAX ? mx->n_host : MS_MX_HOSTS_MAX;
  for (size_t i = 0; i < n; i++) {
    const struct ms_obs_mx_host *h = &mx->host[i];
    const char *name = h->host ? h->host : "";
    /* Section 2: DANE senders use DANE for this host instead. */
    if (h->has_tlsa)
      ms_findings_add(c->f, MS_F_SMTP_DANE_TLSA, MS_SEV_DEFAULT, name, NULL);
    if (!h->smtp)
      continue; /* no probes planned for this host */
    struct agg agg[AGG_COUNT];
    memset(agg, 0, sizeof(agg));
    size_t na = h->addrs.n_addr < MS_ADDRS_MAX ? h->addrs.n_addr : MS_ADDRS_MAX;
    for (size_t j = 0; j < na; j++) {
      const struct ms_obs_smtp *s = &h->smtp[j];
      if (s->outcome == MS_SMTP_NOT_RUN || s->outcome == MS_SMTP_SKIPPED ||
          s->outcome == MS_SMTP_CANCELED)
        continue;
      char ip[MS_ADDR_STR_MAX];
      if (s->address[0])
        snprintf(ip, sizeof(ip), "%s", s->address);
      else
        ms_addr_format(&h->addrs.addr[j], ip, sizeof(ip));
      smtp_outcome(s, ip, agg);
      smtp_tls(c, s, ip, agg);
    }
    for (size_t k = 0; k < AGG_COUNT; k++) {
      struct agg *a = &agg[k];
      if (a->n == 0 && a->omitted == 0)
        continue;
      if (a->omitted > 0)
        snprintf(a->det + a->used, sizeof(a->det) - a->used, "%s(+%zu more)",
                 a->n ? " " : "", a->omitted);
      ms_findings_add(c->f, smtp_codes[k], MS_SEV_DEFAULT, name, "%s", a->det);
    }
  }
}

/* TLS-RPT (RFC 8460 section 3); needs the mode for TLSRPT_MISSING, which
 * is a warning only when a usable policy is in testing mode (the reports
 * are what testing mode is for). A CNAME loop reads as "no record". */
static void rules_tlsrpt(struct ctx *c)
{
  const struct ms_obs_txt *t = &c->obs->tlsrpt;
  enum ms_dns_outcome o = t->dns.outcome;
  if (dns_answered(o) || o == MS_DNS_CNAME_LOOP) {
    struct ms_slice rec[MS_TXT_RECORDS_MAX];
    size_t n = o == MS_DNS_CNAME_LOOP ? 0 : txt_slices(t, rec);
    ms_tlsrpt_eval(rec, n, c->out->mode == MS_MODE_TESTING, &c->out->tlsrpt,
                   c->f);
  } else if (ms_dns_outcome_is_resolver_fault(o)) {
    snprintf(c->subj, sizeof(c->subj), "_smtp._tls.%s TXT", c->obs->domain);
    add_dns_fault(c->f, &t->dns, c->subj);
  }
}

/* A planned probe that the deadline cut short (CANCELED) or never let
 * start (NOT_RUN on an address the guard allows is not distinguishable
 * here, so only CANCELED counts). */
static bool smtp_unfinished(const struct ms_obs_mx *mx)
{
  size_t n = mx->n_host < MS_MX_HOSTS_MAX ? mx->n_host : MS_MX_HOSTS_MAX;
  for (size_t i = 0; i < n; i++) {
    const struct ms_obs_mx_host *h = &mx->host[i];
    size_t na = h->addrs.n_addr < MS_ADDRS_MAX ? h->addrs.n_addr : MS_ADDRS_MAX;
    for (size_t j = 0; h->smtp && j < na; j++) {
      if (h->smtp[j].outcome == MS_SMTP_CANCELED)
        return true;
    }
  }
  return false;
}

/* SCAN_DEADLINE, naming the stages that did not finish. Whatever was
 * observed before the deadline has already produced its findings; stages
 * left NOT_RUN/CANCELED produced none, so the detail says which. */
static void rules_deadline(struct ctx *c)
{
  const struct ms_obs *o = c->obs;
  char det[MS_FINDING_DET_MAX] = "";
  size_t used = 0;
  const char *stage[5] = {NULL, NULL, NULL, NULL, NULL};
  size_t k = 0;
  if (!dns_answered(o->sts.dns.outcome) &&
      !ms_dns_outcome_is_resolver_fault(o->sts.dns.outcome))
    stage[k++] = "_mta-sts TXT";
  if (!dns_answered(o->mx.dns.outcome) &&
      !ms_dns_outcome_is_resolver_fault(o->mx.dns.outcome))
    stage[k++] = "MX";
  if (o->policy.outcome == MS_FETCH_NOT_RUN ||
      o->policy.outcome == MS_FETCH_CANCELED)
    stage[k++] = "policy fetch";
  if (!dns_answered(o->tlsrpt.dns.outcome) &&
      !ms_dns_outcome_is_resolver_fault(o->tlsrpt.dns.outcome))
    stage[k++] = "TLS-RPT TXT";
  if (smtp_unfinished(&o->mx))
    stage[k++] = "SMTP probes";
  for (size_t i = 0; i < k && used < sizeof(det); i++) {
    int w = snprintf(det + used, sizeof(det) - used, "%s%s",
                     i ? ", " : "unfinished: ", stage[i]);
    used += w > 0 ? (size_t)w : 0;
  }
  ms_findings_add(c->f, MS_F_SCAN_DEADLINE, MS_SEV_DEFAULT, NULL, "%s", det);
}

/* Catalogue severity, with mode-dependent ones resolved (catalogue:
 * error when enforce, warning when testing, info otherwise). */
static enum ms_sev resolve_sev(enum ms_sev item, enum ms_finding code,
                               enum ms_mode mode)
{
  enum ms_sev s = item;
  if (s == MS_SEV_DEFAULT)
    s = ms_finding_info(code)->sev;
  if (s != MS_SEV_MODE)
    return s;
  if (mode == MS_MODE_ENFORCE)
    return MS_SEV_ERROR;
  if (mode == MS_MODE_TESTING)
    return MS_SEV_WARNING;
  return MS_SEV_INFO;
}

static bool same_item(const struct ms_finding_item *a,
                      const struct ms_finding_item *b)
{
  return a->code == b->code && strcmp(a->subject, b->subject) == 0 &&
         strcmp(a->detail, b->detail) == 0;
}

/* Order: error, warning, info; then code string, subject, detail. */
static int cmp_item(const void *pa, const void *pb)
{
  const struct ms_finding_item *a = pa, *b = pb;
  if (a->sev != b->sev)
    return a->sev > b->sev ? -1 : 1;
  int r =
      strcmp(ms_finding_info(a->code)->code, ms_finding_info(b->code)->code);
  if (r == 0)
    r = strcmp(a->subject, b->subject);
  if (r == 0)
    r = strcmp(a->detail, b->detail);
  return r;
}

/* Resolves severities, drops exact duplicates (same code, subject and
 * detail; the most severe copy is kept) and sorts. Duplicates arise from
 * MX sets that list one host twice and from repeated policy patterns.
 * Quadratic, but the list is capped at MS_FINDINGS_MAX items. */
static void finish_list(struct ms_findings *f, enum ms_mode mode)
{
  size_t kept = 0;
  for (size_t i = 0; i < f->n; i++) {
    struct ms_finding_item *it = &f->item[i];
    it->sev = resolve_sev(it->sev, it->code, mode);
    size_t j = 0;
    while (j < kept && !same_item(&f->item[j], it))
      j++;
    if (j < kept) {
      if (it->sev > f->item[j].sev)
        f->item[j].sev = it->sev;
      continue;
    }
    if (kept != i)
      f->item[kept] = *it;
    kept++;
  }
  f->n = kept;
  qsort(f->item, f->n, sizeof(f->item[0]), cmp_item);
}

enum ms_status ms_verdict_status(const struct ms_findings *f, bool sts_missing)
{
  static const enum ms_finding undecided[] = {
      MS_F_INPUT_INVALID_NAME, MS_F_SCAN_DEADLINE,        MS_F_DNS_TIMEOUT,
      MS_F_DNS_SERVFAIL,       MS_F_DNS_DOMAIN_NOT_FOUND,
  };
  /* MX_LOOKUP_FAILED caused by the resolver always comes with a
   * DNS_TIMEOUT/DNS_SERVFAIL item, so the list above covers it. */
  for (size_t i = 0; i < sizeof(undecided) / sizeof(undecided[0]); i++) {
    if (ms_findings_has(f, undecided[i]))
      return MS_STATUS_ERROR;
  }
  /* Items are normally resolved already; resolving again (as if no mode)
   * keeps the function total for lists built by other callers. */
  bool err = false, warn = false;
  for (size_t i = 0; i < f->n; i++) {
    enum ms_sev s = resolve_sev(f->item[i].sev, f->item[i].code, MS_MODE_UNSET);
    err = err || s == MS_SEV_ERROR;
    warn = warn || s == MS_SEV_WARNING;
  }
  /* Warnings (POLICY_WITHOUT_RECORD, MX_NONE) do not lift a domain out of
   * "none": it still has no MTA-STS record. */
  if ((sts_missing || ms_findings_has(f, MS_F_STS_RECORD_MISSING)) && !err)
    return MS_STATUS_NONE;
  if (err)
    return MS_STATUS_INVALID;
  return warn ? MS_STATUS_WARNING : MS_STATUS_VALID;
}

void ms_verdict(const struct ms_obs *obs, const struct ms_verdict_cfg *cfg,
                struct ms_verdict *out)
{
  memset(out, 0, sizeof(*out));
  out->mode = MS_MODE_UNSET;
  out->status = MS_STATUS_ERROR;
  for (size_t i = 0; i < MS_MX_HOSTS_MAX; i++)
    out->mx_covered_by[i] = -1;
  ms_findings_init(&out->findings);

  struct ctx c = {.obs = obs, .cfg = cfg, .out = out, .f = &out->findings};
  if (obs->input_invalid) {
    /* Nothing was looked up: the name is the only finding. */
    ms_findings_add(c.f, MS_F_INPUT_INVALID_NAME, MS_SEV_DEFAULT, NULL, "%s",
                    obs->input_why);
    finish_list(c.f, MS_MODE_UNSET);
    out->status = MS_STATUS_ERROR;
    return;
  }
  if (obs->policy.host)
    snprintf(c.policy_host, sizeof(c.policy_host), "%s", obs->policy.host);
  else
    snprintf(c.policy_host, sizeof(c.policy_host), "mta-sts.%s", obs->domain);

  /* Order matters: the policy needs the record, MX coverage the parsed
   * policy, TLS-RPT the mode. */
  rules_sts(&c);
  rules_policy(&c);
  rules_mx(&c);
  rules_smtp(&c);
  rules_tlsrpt(&c);
  if (obs->deadline_hit)
    rules_deadline(&c);

  finish_list(c.f, out->mode);
  out->status =
      ms_verdict_status(c.f, out->has_sts && out->sts.state == MS_STS_MISSING);
}

/* The history rules run after the verdict (they need the previous run),
 * so their findings join a finished list: same severity resolution, the
 * same duplicate rule and order, and a status that counts them. Items
 * beyond the cap are counted in dropped, like any other. */
void ms_verdict_extend(struct ms_verdict *v, const struct ms_findings *extra)
{
  if (!v || !extra)
    return;
  size_t n = extra->n < MS_FINDINGS_MAX ? extra->n : MS_FINDINGS_MAX;
  for (size_t i = 0; i < n; i++) {
    if (v->findings.n >= MS_FINDINGS_MAX) {
      v->findings.dropped++;
      continue;
    }
    v->findings.item[v->findings.n++] = extra->item[i];
  }
  v->findings.dropped += extra->dropped;
  finish_list(&v->findings, v->mode);
  v->status = ms_verdict_status(&v->findings,
                                v->has_sts && v->sts.state == MS_STS_MISSING);
}
