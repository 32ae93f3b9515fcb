/*
 * ms_dnsq: runs lookups through net/dns.c on a uv loop and prints the
 * filled result structs. A developer and lab tool, not part of the scanner:
 *   ms_dnsq [--resolver LIST] [--timeout MS] [--tries N] [--qps N]
 *           [--repeat N] [--cancel-after MS] [--free-in-cb]
 *           txt|mx|addrs NAME
 * With --repeat, N lookups are submitted at once ('#' in NAME becomes the
 * index) and a summary is printed; the exit status says whether every
 * callback ran exactly once.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/dns.h"
#include "util/slice.h"
#include "util/xalloc.h"

enum kind {
  K_TXT,
  K_MX,
  K_ADDRS
};

/* One lookup's result and how many times its callback ran (must be 1;
 * -1 marks a lookup whose submit failed, so no callback is expected). */
struct job {
  int calls;
  union {
    struct ms_obs_txt txt;
    struct ms_obs_mx mx;
    struct ms_obs_addrs addrs;
  } u;
};

static struct ms_dns *g_dns;
static size_t g_done;
static uint64_t g_t0, g_last_cb;
static bool g_free_in_cb;
static struct ms_dns_stats g_st;

static void on_done(void *arg)
{
  struct job *j = arg;
  j->calls++;
  g_done++;
  g_last_cb = uv_hrtime();
  /* --free-in-cb: the first callback tears the resolver down (runs inside
   * c-ares' own processing: the deferral path of ms_dns_free). */
  if (g_free_in_cb && g_dns) {
    struct ms_dns *d = g_dns;
    g_dns = NULL;
    ms_dns_stats(d, &g_st);
    ms_dns_free(d);
  }
}

/* --cancel-after: tear the resolver down mid-run; every lookup still in
 * the FIFO or in flight must then complete as "canceled". */
static void on_cancel(uv_timer_t *t)
{
  uv_close((uv_handle_t *)t, NULL);
  ms_dns_stats(g_dns, &g_st);
  ms_dns_free(g_dns);
  g_dns = NULL;
}

static bool parse_num(const char *s, long *out)
{
  uint64_t v;
  if (!ms_slice_parse_u64(ms_slice_cstr(s), 9, &v))
    return false;
  *out = (long)v;
  return true;
}

/* Prints bytes as a JSON-ish quoted string (escapes quotes, controls). */
static void put_quoted(const char *p, size_t n)
{
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c > 0x7e)
      printf("\\x%02x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void put_dns(const char *label, const struct ms_obs_dns *d)
{
  printf("%s: %s (status %d%s%s)\n", label, ms_dns_outcome_name(d->outcome),
         d->status, d->detail ? ": " : "", d->detail ? d->detail : "");
}

static void put_addr(const struct ms_addr *a)
{
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, sizeof(buf));
  printf("  addr %s\n", buf);
}

/* Human-readable dump of one filled result struct (single-lookup mode). */
static void print_job(enum kind k, struct job *j)
{
  switch (k) {
    case K_TXT: {
      struct ms_obs_txt *t = &j->u.txt;
      printf("qname: %s\n", t->qname ? t->qname : "(null)");
      put_dns("outcome", &t->dns);
      for (size_t i = 0; i < t->n_cname; i++)
        printf("  cname[%zu] %s\n", i, t->cname_chain[i]);
      for (size_t i = 0; i < t->n_records; i++) {
        printf("  record[%zu] len=%zu ", i, t->record_len[i]);
        put_quoted(t->records[i], t->record_len[i]);
        putchar('\n');
      }
      if (t->records_dropped)
        printf("  records_dropped %zu\n", t->records_dropped);
      break;
    }
    case K_MX: {
      struct ms_obs_mx *m = &j->u.mx;
      put_dns("outcome", &m->dns);
      printf("  null_mx %s\n", m->null_mx ? "true" : "false");
      for (size_t i = 0; i < m->n_host; i++)
        printf("  mx %u %s\n", m->host[i].preference, m->host[i].host);
      if (m->hosts_dropped)
        printf("  hosts_dropped %zu\n", m->hosts_dropped);
      break;
    }
    case K_ADDRS: {
      struct ms_obs_addrs *a = &j->u.addrs;
      put_dns("a", &a->a);
      put_dns("aaaa", &a->aaaa);
      for (size_t i = 0; i < a->n_addr; i++)
        put_addr(&a->addr[i]);
      break;
    }
  }
}

static enum ms_dns_outcome job_outcome(enum kind k, const struct job *j)
{
  if (k == K_TXT)
    return j->u.txt.dns.outcome;
  if (k == K_MX)
    return j->u.mx.dns.outcome;
  return j->u.addrs.a.outcome;
}

/* Frees what the lookup put in the result (ms_obs_mx has no cleanup of
 * its own in obs.h, so the hosts are freed here). */
static void job_cleanup(enum kind k, struct job *j)
{
  if (k == K_TXT) {
    ms_obs_txt_cleanup(&j->u.txt);
  } else if (k == K_MX) {
    ms_obs_dns_cleanup(&j->u.mx.dns);
    for (size_t i = 0; i < j->u.mx.n_host; i++)
      free(j->u.mx.host[i].host);
  } else {
    ms_obs_addrs_cleanup(&j->u.addrs);
  }
}

/* NAME with every '#' replaced by i (for distinct names in --repeat). */
static void make_name(const char *tmpl, long i, char *out, size_t cap)
{
  char num[24];
  size_t o = 0;
  snprintf(num, sizeof(num), "%ld", i);
  for (const char *p = tmpl; *p && o + 1 < cap; p++) {
    if (*p != '#') {
      out[o++] = *p;
      continue;
    }
    for (const char *q = num; *q && o + 1 < cap; q++)
      out[o++] = *q;
  }
  out[o] = '\0';
}

static void usage(void)
{
  fprintf(
      stderr,
      "usage: ms_dnsq [--resolver LIST] [--timeout MS] "
      "[--tries N] [--qps N] [--repeat N] [--cancel-after MS] [--free-in-cb] "
      "txt|mx|addrs NAME\n");
  exit(2);
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
      {"resolver", required_argument, NULL, 'r'},
      {"timeout", required_argument, NULL, 't'},
      {"tries", required_argument, NULL, 'n'},
      {"qps", required_argument, NULL, 'q'},
      {"repeat", required_argument, NULL, 'R'},
      {"cancel-after", required_argument, NULL, 'c'},
      {"free-in-cb", no_argument, NULL, 'F'},
      {NULL, 0, NULL, 0},
  };
  struct ms_dns_config cfg = {NULL, 0, 0, 0};
  long repeat = 0, cancel_ms = -1, v;
  int c;

  while ((c = getopt_long(argc, argv, "r:t:n:q:R:c:F", opts, NULL)) != -1) {
    if (c == 'r') {
      cfg.servers = optarg;
      continue;
    }
    if (c == 'F') {
      g_free_in_cb = true;
      continue;
    }
    if (c == '?' || !parse_num(optarg, &v))
      usage();
    if (c == 't')
      cfg.timeout_ms = (int)v;
    else if (c == 'n')
      cfg.tries = (int)v;
    else if (c == 'q')
      cfg.qps = (int)v;
    else if (c == 'R')
      repeat = v;
    else if (c == 'c')
      cancel_ms = v;
  }
  if (argc - optind != 2)
    usage();
  enum kind k;
  if (strcmp(argv[optind], "txt") == 0)
    k = K_TXT;
  else if (strcmp(argv[optind], "mx") == 0)
    k = K_MX;
  else if (strcmp(argv[optind], "addrs") == 0)
    k = K_ADDRS;
  else
    usage();
  const char *name = argv[optind + 1];

  uv_loop_t loop;
  char err[256];
  uv_loop_init(&loop);
  ms_err_t e = ms_dns_new(&loop, &cfg, &g_dns, err, sizeof(err));
  if (e != MS_OK) {
    fprintf(stderr, "ms_dnsq: %s: %s\n", ms_strerror(e), err);
    uv_loop_close(&loop);
    return 2;
  }

  /* Submit everything before running the loop: this is what the scanner
   * does with thousands of domains, and it checks that no callback runs
   * inside a submitting call (g_done must still be 0 afterwards). */
  size_t n = repeat > 0 ? (size_t)repeat : 1;
  struct job *jobs = ms_xcalloc(n, sizeof(*jobs));
  size_t submitted = 0;
  for (size_t i = 0; i < n; i++) {
    char qn[300];
    make_name(name, (long)i, qn, sizeof(qn));
    if (k == K_TXT)
      e = ms_dns_lookup_txt(g_dns, qn, &jobs[i].u.txt, on_done, &jobs[i]);
    else if (k == K_MX)
      e = ms_dns_lookup_mx(g_dns, qn, &jobs[i].u.mx, on_done, &jobs[i]);
    else
      e = ms_dns_lookup_addrs(g_dns, qn, &jobs[i].u.addrs, on_done, &jobs[i]);
    if (e != MS_OK) {
      fprintf(stderr, "ms_dnsq: lookup %s: %s\n", qn, ms_strerror(e));
      jobs[i].calls = -1; /* not submitted: no callback expected */
      continue;
    }
    submitted++;
  }
  /* The contract: no callback may have run inside the submitting calls. */
  size_t early = g_done;

  uv_timer_t cancel;
  if (cancel_ms >= 0) {
    uv_timer_init(&loop, &cancel);
    uv_timer_start(&cancel, on_cancel, (uint64_t)cancel_ms, 0);
  }
  g_t0 = uv_hrtime();
  uv_run(&loop, UV_RUN_DEFAULT);
  double ms = (double)(uv_hrtime() - g_t0) / 1e6;
  double cb_ms = g_last_cb ? (double)(g_last_cb - g_t0) / 1e6 : 0.0;

  struct ms_dns_stats st = g_st;
  if (g_dns)
    ms_dns_stats(g_dns, &st);
  /* ms_dns_free only starts closing: the second run delivers the close
   * callbacks that release the memory (ASan's leak check needs them). */
  ms_dns_free(g_dns);
  uv_run(&loop, UV_RUN_DEFAULT);

  size_t bad = 0, hist[MS_DNS_CANCELED + 1] = {0};
  for (size_t i = 0; i < n; i++) {
    if (jobs[i].calls == -1)
      continue;
    if (jobs[i].calls != 1)
      bad++;
    else
      hist[job_outcome(k, &jobs[i])]++;
  }
  if (repeat <= 0 && jobs[0].calls == 1)
    print_job(k, &jobs[0]);
  if (repeat > 0) {
    printf("lookups %zu submitted %zu completed-once %zu wrong-count %zu; "
           "last callback at %.1f ms, loop ran %.1f ms\n",
           n, submitted, submitted - bad, bad, cb_ms, ms);
    for (int o = 0; o <= MS_DNS_CANCELED; o++) {
      if (hist[o])
        printf("  %-10s %zu\n", ms_dns_outcome_name((enum ms_dns_outcome)o),
               hist[o]);
    }
    printf("  stats: sent %lu answered %lu timeouts %lu queued %lu\n", st.sent,
           st.answered, st.timeouts, st.queued);
  } else {
    printf("callback at %.1f ms (loop ran %.1f ms)\n", cb_ms, ms);
  }
  if (early)
    printf("CONTRACT VIOLATION: %zu callbacks ran inside the submit call\n",
           early);
  for (size_t i = 0; i < n; i++)
    job_cleanup(k, &jobs[i]);
  free(jobs);
  int rc = uv_loop_close(&loop);
  if (rc != 0)
    fprintf(stderr, "ms_dnsq: loop not empty: %s\n", uv_strerror(rc));
  return (bad || early || rc) ? 1 : 0;
}
