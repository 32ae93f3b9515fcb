/*
 * Which MX hosts the STARTTLS probe visits, decided from what the
 * discovery stage saw (data/verdict.md, "MX transport: the STARTTLS
 * probe"). The job asks these pure functions at its join point, so the
 * decision can be unit-tested from synthetic observations.
 * Pure: no I/O, no clock. Tests: tests/unit/test_plan.c.
 */
#ifndef MS_CORE_PLAN_H
#define MS_CORE_PLAN_H

#include <stdbool.h>

#include "core/addr.h"
#include "core/obs.h"

/* True when the MX hosts of the domain should be probed. By default that
 * is a domain that publishes an MTA-STS record in any state but
 * "missing" (evaluated with ms_sts_txt_eval on obs->sts.records, from a
 * successful TXT lookup: OK, NODATA or NXDOMAIN) or serves a policy (the
 * fetch got HTTP 200 and the body contains "STSv1" in any case); with
 * probe_all every domain. Never with no_smtp, for an invalid input line,
 * a null MX, a failed MX lookup or an empty host list (the job lists the
 * implicit MX as host[0], so "no MX records" still gets probed). obs is
 * borrowed and may be NULL (false). Never fails. */
bool ms_plan_probe_domain(const struct ms_obs *obs, bool probe_all,
                          bool no_smtp);

/* True when the SSRF guard lets the probe contact address a: always with
 * allow_private (--allow-private), else only public addresses. An address
 * it refuses keeps outcome NOT_RUN in ms_obs_mx_host.smtp[] and gives no
 * SMTP finding (TARGET_PRIVATE_ADDRESS says why). a is borrowed. */
bool ms_plan_probe_addr(const struct ms_addr *a, bool allow_private);

#endif
