/*
 * One domain's scan: a small state machine that fans out the lookups
 * (TXT _mta-sts, MX, A/AAAA of mta-sts, TXT _smtp._tls), chains the
 * dependent steps (policy fetch after the host's addresses, MX host
 * addresses after the MX answer), then, when core/plan.c says so, the
 * STARTTLS probes of every MX host and address (shared across domains by
 * net/smtp.c) and the TLSA lookups; applies the SSRF guard, enforces the
 * per-domain deadline and hands the finished observations to the scanner.
 * All decisions about findings are core/verdict.c's, not this file's.
 */
#ifndef MS_JOB_H
#define MS_JOB_H

#include <uv.h>

#include "config.h"
#include "core/obs.h"
#include "input.h"
#include "net/dns.h"
#include "net/https.h"
#include "net/smtp.h"

struct ms_job;

/* Called once per job, when its observations are final (all stages done,
 * or the deadline expired). obs is borrowed for the duration of the call. */
typedef void (*ms_job_report_cb)(void *arg, const struct ms_obs *obs);
/* Called once per job after report, when its memory has been released. */
typedef void (*ms_job_gone_cb)(void *arg);

struct ms_job_env {
  uv_loop_t *loop;
  struct ms_dns *dns;
  struct ms_https *https;
  struct ms_smtp *smtp; /* NULL with --no-smtp */
  const struct ms_config *cfg;
  ms_job_report_cb report;
  ms_job_gone_cb gone;
  void *arg;
  bool trace; /* MS_TRACE set: log every state change on stderr */
};

/* Starts scanning item (taken: its line is owned by the job from now on).
 * env is borrowed and must outlive every job. report runs later, from the
 * loop, never inside this call. */
void ms_job_start(const struct ms_job_env *env, struct ms_input_item *item);

#endif
