/*
 * The probe plan (core/plan.h): which domains get their MX hosts probed
 * and which addresses of a host the probe may contact. Reuses the TXT
 * record evaluation of core/sts_txt.c so that "has a record" means what
 * the verdict means by it.
 */
#include "core/plan.h"

#include <stdlib.h>

#include "core/sts_txt.h"
#include "util/slice.h"
#include "util/xalloc.h"

/* A record in any state but MISSING, from a TXT lookup that reached the
 * zone. NXDOMAIN and NODATA are answers too (no record at all); a
 * resolver fault is not, and a CNAME loop leaves senders with nothing. */
static bool publishes_record(const struct ms_obs_txt *t)
{
  if (t->dns.outcome != MS_DNS_OK)
    return false; /* NODATA, NXDOMAIN: no record; faults: unknown */
  struct ms_slice rec[MS_TXT_RECORDS_MAX];
  size_t n =
      t->n_records < MS_TXT_RECORDS_MAX ? t->n_records : MS_TXT_RECORDS_MAX;
  for (size_t i = 0; i < n; i++)
    rec[i] = ms_slice_make(t->records[i] ? t->records[i] : "",
                           t->records[i] ? t->record_len[i] : 0);
  /* The findings are not wanted here, only the state; the list is large
   * (MS_FINDINGS_MAX items), so it lives on the heap, not the stack. */
  struct ms_findings *scratch = ms_xmalloc(sizeof(*scratch));
  ms_findings_init(scratch);
  struct ms_sts_txt sts;
  ms_sts_txt_eval(rec, n, &sts, scratch);
  free(scratch);
  return sts.state != MS_STS_MISSING;
}

/* A served policy, as the verdict defines it (verdict.md, "The policy
 * fetch"): a response with status 200 whose body mentions STSv1 in any
 * case. A body over the cap still counts (its first 64 KiB are parsed). */
static bool serves_policy(const struct ms_obs_fetch *p)
{
  bool fetched = p->outcome == MS_FETCH_OK || p->outcome == MS_FETCH_TOO_LARGE;
  if (!fetched || p->http_status != 200 || !p->body)
    return false;
  return ms_slice_contains_nocase(ms_slice_make(p->body, p->body_len), "STSv1");
}

bool ms_plan_probe_domain(const struct ms_obs *obs, bool probe_all,
                          bool no_smtp)
{
  if (!obs || no_smtp || obs->input_invalid)
    return false;
  const struct ms_obs_mx *mx = &obs->mx;
  /* Something to probe: an answered MX lookup (NODATA is the implicit
   * MX), not a null MX (RFC 7505: the domain accepts no mail). */
  if (mx->dns.outcome != MS_DNS_OK && mx->dns.outcome != MS_DNS_NODATA)
    return false;
  if (mx->null_mx || mx->n_host == 0)
    return false;
  if (probe_all)
    return true; /* --probe-all: a readiness audit before deploying */
  return publishes_record(&obs->sts) || serves_policy(&obs->policy);
}

bool ms_plan_probe_addr(const struct ms_addr *a, bool allow_private)
{
  if (!a || (a->family != 4 && a->family != 6))
    return false;
  return allow_private || !ms_addr_is_private(a);
}
