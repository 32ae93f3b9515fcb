/*
 * The auditing rules: observations (core/obs.h) in, findings, status and
 * derived evidence out. This is where RFC 8461 and the catalogue meet; the
 * reasoning for each choice is in data/findings.def and README.md.
 * Pure: the clock comes in as an argument. Tests: tests/unit/test_verdict.c.
 */
#ifndef MS_CORE_VERDICT_H
#define MS_CORE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/findings.h"
#include "core/obs.h"
#include "core/policy.h"
#include "core/sts_txt.h"
#include "core/tlsrpt.h"

enum ms_status {
  MS_STATUS_VALID,
  MS_STATUS_WARNING,
  MS_STATUS_INVALID,
  MS_STATUS_NONE,
  MS_STATUS_ERROR
};

/* "valid", "warning", "invalid", "none", "error". */
const char *ms_status_name(enum ms_status s);

struct ms_verdict_cfg {
  int64_t now;          /* Unix seconds, for certificate dates */
  int cert_warn_days;   /* POLICY_CERT_EXPIRING window; default 14 */
  bool allow_private;   /* --allow-private (no TARGET_PRIVATE_ADDRESS) */
};

struct ms_verdict {
  enum ms_status status;
  enum ms_mode mode;            /* of the usable policy, else UNSET */
  bool has_sts;                 /* sts evaluated (input valid, DNS ran) */
  struct ms_sts_txt sts;        /* slices into obs->sts.records */
  bool policy_served;           /* a policy-like 200 body was fetched */
  bool policy_parsed;
  struct ms_policy policy;      /* slices into obs->policy.body */
  bool policy_usable;           /* record usable + fetch ok + policy ok */
  struct ms_tlsrpt tlsrpt;      /* slices into obs->tlsrpt.records */
  int cert_days_left;           /* policy host leaf; valid if cert present */
  /* Per MX host: index into policy.mx of the first covering pattern, or
   * -1 when none covers it (or there is no policy). */
  int mx_covered_by[MS_MX_HOSTS_MAX];
  struct ms_findings findings;  /* severities resolved, sorted */
};

/* Computes the verdict for one domain. obs must outlive *out (slices).
 * Never fails. */
void ms_verdict(const struct ms_obs *obs, const struct ms_verdict_cfg *cfg,
                struct ms_verdict *out);

/* Adds findings computed after ms_verdict (the history rules): resolves
 * their severities, merges them into v->findings in sorted order without
 * duplicates, and recomputes v->status. */
void ms_verdict_extend(struct ms_verdict *v, const struct ms_findings *extra);

/* Status from a resolved, complete finding list (exposed for tests and for
 * the history rules): error > invalid > warning > none > valid per
 * ../shared/spec/findings.md "Status of a domain". */
enum ms_status ms_verdict_status(const struct ms_findings *f,
                                 bool sts_missing);

#endif
