/*
 * The per-domain state machine (see job.h). States change only in
 * job_enter(); every stage callback stores its result (the stage modules
 * fill the job's own observation structs in place), decrements
 * job->pending and calls job_step(), the one join-and-decide point.
 *
 *   INIT -> DISCOVER -> [PROBE ->] REPORT -> DONE
 *
 * DISCOVER runs every lookup in parallel and starts the dependent ones as
 * answers arrive. PROBE runs the STARTTLS probes and TLSA lookups of the MX
 * hosts when core/plan.c says the domain is to be probed. REPORT hands the observations to the scanner; DONE waits
 * for the callbacks still outstanding (c-ares has no per-query cancel) and
 * for the deadline timer to close, then frees the job.
 */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/plan.h"
#include "util/container.h"
#include "util/xalloc.h"

/* "_smtp._tls." (11) + the longest scannable domain (244) + NUL. */
#define MS_DOMAIN_NAME_BUF 272

enum job_state {
  JOB_INIT,
  JOB_DISCOVER, /* lookups and the policy fetch in flight */
  JOB_PROBE,    /* STARTTLS probes and TLSA lookups in flight */
  JOB_REPORT,   /* observations final: reported to the scanner */
  JOB_DONE,     /* waiting for outstanding callbacks and handles */
  JOB_STATE_COUNT
};

/* A callback context for one MX host's address lookup. */
struct mx_ctx {
  struct ms_job *job;
  size_t index;
};

struct ms_job {
  const struct ms_job_env *env;
  enum job_state state;
  struct ms_obs obs;
  int pending;           /* stage callbacks outstanding */
  int open_handles;      /* uv handles not yet closed */
  uv_timer_t deadline;
  uv_timer_t kick;       /* zero-delay timer: report invalid input later */
  struct ms_https_req *fetch;
  char sts_name[MS_DOMAIN_NAME_BUF];
  char tlsrpt_name[MS_DOMAIN_NAME_BUF];
  char policy_host[MS_DOMAIN_NAME_BUF];
  char tlsa_name[MS_MX_HOSTS_MAX][MS_DOMAIN_NAME_BUF];
  struct mx_ctx mx_ctx[MS_MX_HOSTS_MAX];
};

static const char *const state_names[JOB_STATE_COUNT] = {
    "INIT", "DISCOVER", "PROBE", "REPORT", "DONE"};

static void job_enter(struct ms_job *job, enum job_state next);

static int64_t now_ms(void)
{
  uv_timeval64_t tv;
  if (uv_gettimeofday(&tv) != 0)
    return 0;
  return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void on_handle_closed(uv_handle_t *h)
{
  struct ms_job *job = h->data;
  job->open_handles--;
  if (job->state == JOB_DONE && job->pending == 0 && job->open_handles == 0) {
    const struct ms_job_env *env = job->env;
    ms_obs_cleanup(&job->obs);
    free(job);
    env->gone(env->arg);
  }
}

/* Frees the job once nothing refers to it any more. */
static void maybe_free(struct ms_job *job)
{
  if (job->state != JOB_DONE || job->pending != 0)
    return;
  if (!uv_is_closing((uv_handle_t *)&job->deadline))
    uv_close((uv_handle_t *)&job->deadline, on_handle_closed);
  if (!uv_is_closing((uv_handle_t *)&job->kick))
    uv_close((uv_handle_t *)&job->kick, on_handle_closed);
}

/* True when the probes are to run (pure decision in core/plan.c). */
static bool want_probes(const struct ms_job *job)
{
  const struct ms_config *cfg = job->env->cfg;
  return job->env->smtp && !job->obs.deadline_hit &&
         ms_plan_probe_domain(&job->obs, cfg->probe_all, cfg->no_smtp);
}

/* The join point: when nothing is outstanding, the next state. */
static void job_step(struct ms_job *job)
{
  if (job->pending != 0 && job->state != JOB_DONE)
    return;
  switch (job->state) {
    case JOB_DISCOVER:
      job_enter(job, want_probes(job) ? JOB_PROBE : JOB_REPORT);
      break;
    case JOB_PROBE:
      job_enter(job, JOB_REPORT);
      break;
    case JOB_DONE:
      maybe_free(job);
      break;
    default:
      break;
  }
}

/* Splits addrs into the ones that may be contacted (copied to out) and
 * counts the ones the SSRF guard withholds. */
static size_t guard_addrs(const struct ms_job *job,
                          const struct ms_obs_addrs *addrs,
                          struct ms_addr *out, size_t *n_private)
{
  size_t n = 0;
  *n_private = 0;
  for (size_t i = 0; i < addrs->n_addr; i++) {
    if (!job->env->cfg->allow_private && ms_addr_is_private(&addrs->addr[i]))
      (*n_private)++;
    else
      out[n++] = addrs->addr[i];
  }
  return n;
}

static void on_fetch_done(void *arg)
{
  struct ms_job *job = arg;
  job->fetch = NULL;
  job->pending--;
  job_step(job);
}

static void on_policy_addrs(void *arg)
{
  struct ms_job *job = arg;
  struct ms_obs_fetch *pf = &job->obs.policy;
  job->pending--;
  if (job->state == JOB_DISCOVER) {
    struct ms_addr ok[MS_ADDRS_MAX];
    size_t n = guard_addrs(job, &pf->addrs, ok, &pf->n_private);
    if (pf->addrs.n_addr == 0) {
      pf->outcome = MS_FETCH_NO_ADDRESS;
    } else if (n == 0) {
      pf->outcome = MS_FETCH_BLOCKED;
    } else if (ms_https_fetch(job->env->https, job->policy_host, ok, n, pf,
                              on_fetch_done, job, &job->fetch) == MS_OK) {
      job->pending++;
    } else {
      pf->outcome = MS_FETCH_ERROR;
      pf->error = ms_xstrdup("could not start the HTTPS request");
    }
  }
  job_step(job);
}

static void on_mx_host_addrs(void *arg)
{
  struct mx_ctx *ctx = arg;
  struct ms_job *job = ctx->job;
  struct ms_obs_mx_host *h = &job->obs.mx.host[ctx->index];
  struct ms_addr ok[MS_ADDRS_MAX];
  job->pending--;
  (void)guard_addrs(job, &h->addrs, ok, &h->n_private);
  job_step(job);
}

static void lookup_mx_host(struct ms_job *job, size_t i)
{
  job->mx_ctx[i].job = job;
  job->mx_ctx[i].index = i;
  if (ms_dns_lookup_addrs(job->env->dns, job->obs.mx.host[i].host,
                          &job->obs.mx.host[i].addrs, on_mx_host_addrs,
                          &job->mx_ctx[i]) == MS_OK)
    job->pending++;
}

static void on_mx(void *arg)
{
  struct ms_job *job = arg;
  struct ms_obs_mx *mx = &job->obs.mx;
  job->pending--;
  if (job->state == JOB_DISCOVER) {
    if (mx->dns.outcome == MS_DNS_NODATA && mx->n_host == 0 && !mx->null_mx) {
      /* RFC 5321 section 5.1: no MX means the domain itself is the MX. */
      mx->implicit = true;
      mx->host[0].host = ms_xstrdup(job->obs.domain);
      mx->host[0].preference = 0;
      mx->n_host = 1;
    }
    for (size_t i = 0; i < mx->n_host; i++)
      lookup_mx_host(job, i);
  }
  job_step(job);
}

static void on_txt(void *arg)
{
  struct ms_job *job = arg;
  job->pending--;
  job_step(job);
}

static void on_probe_done(void *arg)
{
  struct ms_job *job = arg;
  job->pending--;
  job_step(job);
}

/* Starts the probes of every MX host on every address the SSRF guard
 * allows, and the host's TLSA lookup (RFC 7672 _25._tcp.<host>). */
static void start_probes(struct ms_job *job)
{
  struct ms_obs_mx *mx = &job->obs.mx;
  const struct ms_config *cfg = job->env->cfg;
  for (size_t i = 0; i < mx->n_host; i++) {
    struct ms_obs_mx_host *h = &mx->host[i];
    if (h->addrs.n_addr == 0)
      continue;
    h->probed = true;
    h->smtp = ms_xcalloc(h->addrs.n_addr, sizeof(*h->smtp));
    for (size_t j = 0; j < h->addrs.n_addr; j++) {
      const struct ms_addr *a = &h->addrs.addr[j];
      ms_addr_format(a, h->smtp[j].address, sizeof(h->smtp[j].address));
      if (!cfg->allow_private && ms_addr_is_private(a))
        continue; /* stays NOT_RUN: the guard withholds it */
      if (ms_smtp_probe(job->env->smtp, h->host, a, &h->smtp[j],
                        on_probe_done, job) == MS_OK)
        job->pending++;
    }
    snprintf(job->tlsa_name[i], sizeof(job->tlsa_name[i]), "_25._tcp.%s",
             h->host);
    if (ms_dns_lookup_tlsa(job->env->dns, job->tlsa_name[i], &h->tlsa,
                           &h->has_tlsa, on_probe_done, job) == MS_OK)
      job->pending++;
  }
}

static void on_deadline(uv_timer_t *t)
{
  struct ms_job *job = ms_container_of(t, struct ms_job, deadline);
  if (job->state != JOB_DISCOVER && job->state != JOB_PROBE)
    return;
  job->obs.deadline_hit = true;
  if (job->fetch) {
    /* The request's callback never runs after a cancel. */
    ms_https_cancel(job->fetch);
    job->fetch = NULL;
    if (job->obs.policy.outcome == MS_FETCH_NOT_RUN)
      job->obs.policy.outcome = MS_FETCH_CANCELED;
    job->pending--;
  }
  job_enter(job, JOB_REPORT);
}

static void on_kick(uv_timer_t *t)
{
  struct ms_job *job = ms_container_of(t, struct ms_job, kick);
  job_step(job);
}

static void start_lookups(struct ms_job *job)
{
  const char *d = job->obs.domain;
  struct ms_dns *dns = job->env->dns;
  snprintf(job->sts_name, sizeof(job->sts_name), "_mta-sts.%s", d);
  snprintf(job->tlsrpt_name, sizeof(job->tlsrpt_name), "_smtp._tls.%s", d);
  snprintf(job->policy_host, sizeof(job->policy_host), "mta-sts.%s", d);
  job->obs.policy.host = ms_xstrdup(job->policy_host);

  if (ms_dns_lookup_txt(dns, job->sts_name, &job->obs.sts, on_txt, job) ==
      MS_OK)
    job->pending++;
  if (ms_dns_lookup_mx(dns, d, &job->obs.mx, on_mx, job) == MS_OK)
    job->pending++;
  if (ms_dns_lookup_addrs_once(dns, job->policy_host,
                               &job->obs.policy.addrs, on_policy_addrs,
                               job) == MS_OK)
    job->pending++;
  if (ms_dns_lookup_txt(dns, job->tlsrpt_name, &job->obs.tlsrpt, on_txt,
                        job) == MS_OK)
    job->pending++;
}

static void job_enter(struct ms_job *job, enum job_state next)
{
  enum job_state prev = job->state;
  if (prev == next)
    return;
  job->state = next;
  if (job->env->trace)
    fprintf(stderr, "trace: %s: %s -> %s\n",
            job->obs.domain[0] ? job->obs.domain : "(invalid)",
            state_names[prev], state_names[next]);
  switch (next) {
    case JOB_DISCOVER:
      uv_timer_start(&job->deadline, on_deadline,
                     (uint64_t)job->env->cfg->deadline_ms, 0);
      if (job->obs.input_invalid) {
        /* Nothing to look up; report from the loop, not inside start. */
        uv_timer_start(&job->kick, on_kick, 0, 0);
      } else {
        start_lookups(job);
        if (job->pending == 0) /* nothing could be started */
          uv_timer_start(&job->kick, on_kick, 0, 0);
      }
      break;
    case JOB_PROBE:
      start_probes(job);
      if (job->pending == 0) /* nothing to probe after all */
        uv_timer_start(&job->kick, on_kick, 0, 0);
      break;
    case JOB_REPORT:
      uv_timer_stop(&job->deadline);
      if (job->env->smtp)
        job->obs.smtp_blocked = ms_smtp_blocked(job->env->smtp);
      job->obs.duration_ms = now_ms() - job->obs.started_ms;
      job->env->report(job->env->arg, &job->obs);
      job_enter(job, JOB_DONE);
      break;
    case JOB_DONE:
      maybe_free(job);
      break;
    case JOB_INIT:
    case JOB_STATE_COUNT:
      MS_ASSERT(!"bad job state");
      break;
  }
}

void ms_job_start(const struct ms_job_env *env, struct ms_input_item *item)
{
  struct ms_job *job = ms_xcalloc(1, sizeof(*job));
  job->env = env;
  job->state = JOB_INIT;
  ms_obs_init(&job->obs);
  job->obs.started_ms = now_ms();
  job->obs.input = item->line; /* taken */
  item->line = NULL;
  if (item->valid) {
    snprintf(job->obs.domain, sizeof(job->obs.domain), "%s", item->domain);
  } else {
    job->obs.input_invalid = true;
    snprintf(job->obs.input_why, sizeof(job->obs.input_why), "%s", item->why);
  }
  uv_timer_init(env->loop, &job->deadline);
  job->deadline.data = job;
  uv_timer_init(env->loop, &job->kick);
  job->kick.data = job;
  job->open_handles = 2;
  job_enter(job, JOB_DISCOVER);
}
