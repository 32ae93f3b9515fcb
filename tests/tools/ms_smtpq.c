/*
 * ms_smtpq: STARTTLS probes through net/smtp.c on a libuv loop, printing
 * the filled struct ms_obs_smtp and the engine's counters. For the lab
 * (tests/tools/smtp_lab.sh) and for measuring sharing and memory.
 *   ms_smtpq [--ca-file F] [--timeout MS] [--deadline MS] [--port P]
 *            [--ehlo NAME] [--repeat N] [--distinct] [--concurrency N]
 *            [--interval MS] [--free-in-cb] [--cancel-after MS]
 *            [--cache-max N] HOST ADDR[,ADDR...]
 * --repeat N makes N requests per address: half at start, the rest from
 * the first completion callback (so both "join a probe under way" and
 * "copy a finished result" are exercised). --distinct gives request i the
 * host name "r<i>.HOST", so each one is a probe of its own (memory tests).
 * --free-in-cb frees the engine inside the first callback; --cancel-after
 * frees it from a timer with probes running (callbacks then say CANCELED).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "net/smtp.h"
#include "net/tls.h"
#include "util/slice.h"

struct run;

/* One request and the result it receives. */
struct slot {
  struct run *r;
  size_t addr_i;
  size_t req_i;
  struct ms_obs_smtp res; /* kept for request 0 of each address only */
  bool started, done;
};

struct run {
  uv_loop_t *loop;
  struct ms_smtp *smtp; /* NULL once freed */
  struct ms_addr addrs[MS_ADDRS_MAX];
  size_t n_addrs;
  struct slot *slot;
  size_t n_slots, repeat;
  const char *host;
  bool distinct;
  int64_t max_dur;
  bool second_batch;
  bool free_in_cb;
  uv_timer_t cancel_timer;
  uint64_t cancel_after;
  unsigned long started, done, shared, mismatched, canceled;
  int failed;
};

static void print_str(const char *key, const char *v)
{
  printf("%-18s %s\n", key, v ? v : "(null)");
}

/* Every field of struct ms_obs_smtp, one "key value" line each. */
static void print_result(const struct ms_obs_smtp *s)
{
  const struct ms_cert_info *c = &s->cert;
  print_str("address", s->address);
  print_str("outcome", ms_smtp_outcome_name(s->outcome));
  print_str("error", s->error);
  printf("%-18s %s\n", "shared", s->shared ? "yes" : "no");
  printf("%-18s %d\n", "banner_code", s->banner_code);
  print_str("banner", s->banner);
  printf("%-18s %d\n", "ehlo_code", s->ehlo_code);
  printf("%-18s %s\n", "starttls_offered", s->starttls_offered ? "yes" : "no");
  printf("%-18s %d\n", "starttls_code", s->starttls_code);
  printf("%-18s %d\n", "ehlo_tls_code", s->ehlo_tls_code);
  print_str("tls_protocol", s->tls_protocol);
  print_str("tls_cipher", s->tls_cipher);
  printf("%-18s 0x%04x\n", "tls_version", (unsigned)s->tls_version);
  printf("%-18s %s\n", "cert.present", c->present ? "yes" : "no");
  print_str("cert.subject", c->subject);
  print_str("cert.issuer", c->issuer);
  printf("%-18s", "cert.san");
  for (size_t i = 0; i < c->n_san; i++)
    printf(" %s", c->san[i]);
  printf("\n%-18s %" PRId64 "\n", "cert.not_before", c->not_before);
  printf("%-18s %" PRId64 "\n", "cert.not_after", c->not_after);
  printf("%-18s %s\n", "cert.verified", c->chain_verified ? "yes" : "no");
  printf("%-18s 0x%02x%s%s%s%s%s\n", "cert.errors", c->errors,
         c->errors & MS_CERT_EXPIRED ? " expired" : "",
         c->errors & MS_CERT_NOT_YET_VALID ? " not_yet_valid" : "",
         c->errors & MS_CERT_NAME_MISMATCH ? " name_mismatch" : "",
         c->errors & MS_CERT_UNTRUSTED ? " untrusted" : "",
         c->errors & MS_CERT_OTHER ? " other" : "");
  printf("%-18s %d\n", "cert.verify_code", c->verify_code);
  print_str("cert.verify_error", c->verify_error);
  print_str("cert.untrusted", c->untrusted_reason);
  printf("%-18s %" PRId64 "\n", "duration_ms", s->duration_ms);
}

static void free_engine(struct run *r)
{
  ms_smtp_free(r->smtp);
  r->smtp = NULL;
  uv_close((uv_handle_t *)&r->cancel_timer, NULL);
}

static void start(struct slot *sl);

static void start_batch(struct run *r, size_t from, size_t to)
{
  for (size_t a = 0; a < r->n_addrs; a++) {
    for (size_t i = from; i < to; i++)
      start(&r->slot[a * r->repeat + i]);
  }
}

static void on_done(void *arg)
{
  struct slot *sl = arg;
  struct run *r = sl->r;
  sl->done = true;
  r->done++;
  if (sl->res.shared)
    r->shared++;
  if (sl->res.outcome == MS_SMTP_CANCELED)
    r->canceled++;
  /* Every request for one key must see the same outcome. */
  const struct slot *first = &r->slot[sl->addr_i * r->repeat];
  if (first->done && first->res.outcome != sl->res.outcome && !r->distinct)
    r->mismatched++;
  if (sl->res.duration_ms > r->max_dur)
    r->max_dur = sl->res.duration_ms;
  /* Only the first result per address is printed: the others go now, so
   * that maxrss measures the engine, not this tool's copies. */
  if (sl->req_i != 0)
    ms_obs_smtp_cleanup(&sl->res);
  if (r->free_in_cb && r->smtp) {
    free_engine(r); /* the rest of the callbacks still run: CANCELED */
    return;
  }
  if (!r->second_batch && r->smtp) {
    r->second_batch = true;
    start_batch(r, (r->repeat + 1) / 2, r->repeat);
  }
}

static void start(struct slot *sl)
{
  struct run *r = sl->r;
  if (!r->smtp)
    return;
  char host[300];
  if (r->distinct)
    snprintf(host, sizeof(host), "r%zu.%s", sl->req_i, r->host);
  else
    snprintf(host, sizeof(host), "%s", r->host);
  ms_err_t err = ms_smtp_probe(r->smtp, host, &r->addrs[sl->addr_i], &sl->res,
                               on_done, sl);
  if (err != MS_OK) {
    fprintf(stderr, "ms_smtpq: probe: %s\n", ms_strerror(err));
    r->failed = 1;
    return;
  }
  sl->started = true;
  r->started++;
}

static void on_cancel_timer(uv_timer_t *t)
{
  struct run *r = t->data;
  if (r->smtp)
    free_engine(r);
}

static bool parse_addrs(const char *list, struct run *r)
{
  struct ms_slice rest = ms_slice_cstr(list);
  bool more = true;
  while (more) {
    struct ms_slice item;
    char tok[MS_ADDR_STR_MAX];
    rest = ms_slice_split(rest, ',', &item, &more);
    if (r->n_addrs >= MS_ADDRS_MAX || item.len == 0 || item.len >= sizeof(tok))
      return false;
    ms_slice_copy(item, tok, sizeof(tok));
    if (!ms_addr_parse(tok, &r->addrs[r->n_addrs]))
      return false;
    r->n_addrs++;
  }
  return r->n_addrs > 0;
}

/* A non-negative decimal option value, or exit with usage. */
static int num_arg(const char *opt, const char *s)
{
  uint64_t v = 0;
  if (!ms_slice_parse_u64(ms_slice_cstr(s), 9, &v)) {
    fprintf(stderr, "ms_smtpq: %s wants a number\n", opt);
    exit(2);
  }
  return (int)v;
}

static void usage(void)
{
  fputs("usage: ms_smtpq [--ca-file F] [--timeout MS] [--deadline MS] "
        "[--port P]\n"
        "                [--ehlo NAME] [--repeat N] [--distinct] "
        "[--concurrency N]\n"
        "                [--interval MS] [--free-in-cb] [--cancel-after MS]\n"
        "                [--cache-max N]\n"
        "                HOST ADDR[,ADDR...]\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
      {"ca-file", required_argument, NULL, 'c'},
      {"timeout", required_argument, NULL, 't'},
      {"deadline", required_argument, NULL, 'd'},
      {"port", required_argument, NULL, 'p'},
      {"ehlo", required_argument, NULL, 'e'},
      {"repeat", required_argument, NULL, 'n'},
      {"distinct", no_argument, NULL, 'D'},
      {"concurrency", required_argument, NULL, 'C'},
      {"interval", required_argument, NULL, 'i'},
      {"free-in-cb", no_argument, NULL, 'F'},
      {"cancel-after", required_argument, NULL, 'X'},
      {"cache-max", required_argument, NULL, 'M'},
      {NULL, 0, NULL, 0}};
  struct ms_smtp_config cfg = {0};
  const char *ca_file = NULL;
  bool distinct = false;
  struct run r;
  memset(&r, 0, sizeof(r));
  r.repeat = 1;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        ca_file = optarg;
        break;
      case 't':
        cfg.timeout_ms = num_arg("--timeout", optarg);
        break;
      case 'd':
        cfg.probe_deadline_ms = num_arg("--deadline", optarg);
        break;
      case 'p':
        cfg.port = num_arg("--port", optarg);
        break;
      case 'e':
        cfg.ehlo_name = optarg;
        break;
      case 'n':
        r.repeat = (size_t)num_arg("--repeat", optarg);
        break;
      case 'D':
        distinct = true;
        break;
      case 'C':
        cfg.per_addr_concurrency = num_arg("--concurrency", optarg);
        break;
      case 'i':
        /* 0 means "no gap" here; the engine takes a negative for that. */
        cfg.per_addr_interval_ms = num_arg("--interval", optarg);
        if (cfg.per_addr_interval_ms == 0)
          cfg.per_addr_interval_ms = -1;
        break;
      case 'F':
        r.free_in_cb = true;
        break;
      case 'M':
        cfg.cache_max = (size_t)num_arg("--cache-max", optarg);
        break;
      case 'X':
        r.cancel_after = (uint64_t)num_arg("--cancel-after", optarg);
        break;
      default:
        usage();
    }
  }
  if (argc - optind != 2 || r.repeat == 0 || !parse_addrs(argv[optind + 1], &r))
    usage();
  if (!cfg.ehlo_name)
    cfg.ehlo_name = "probe.mtasts-scan.invalid";
  const char *host = argv[optind];
  r.host = host;
  r.distinct = distinct;

  char errbuf[256];
  struct ms_tls_store *store = NULL;
  if (ms_tls_store_new(ca_file, &store, errbuf, sizeof(errbuf)) != MS_OK) {
    fprintf(stderr, "ms_smtpq: %s\n", errbuf);
    return 2;
  }
  cfg.store = store;
  r.loop = uv_default_loop();
  if (ms_smtp_new(r.loop, &cfg, &r.smtp) != MS_OK) {
    fprintf(stderr, "ms_smtpq: cannot create the engine\n");
    ms_tls_store_free(store);
    return 2;
  }
  r.n_slots = r.n_addrs * r.repeat;
  r.slot = calloc(r.n_slots, sizeof(*r.slot));
  if (!r.slot)
    return 2;
  for (size_t a = 0; a < r.n_addrs; a++) {
    for (size_t i = 0; i < r.repeat; i++) {
      struct slot *sl = &r.slot[a * r.repeat + i];
      sl->r = &r;
      sl->addr_i = a;
      sl->req_i = i;
    }
  }
  uv_timer_init(r.loop, &r.cancel_timer);
  r.cancel_timer.data = &r;
  if (r.cancel_after > 0)
    uv_timer_start(&r.cancel_timer, on_cancel_timer, r.cancel_after, 0);

  struct ms_smtp_stats st;
  uint64_t t0 = uv_hrtime();
  start_batch(&r, 0, (r.repeat + 1) / 2);
  if (r.repeat == 1)
    r.second_batch = true;
  /* Run until every callback has run (or the engine was freed), then
   * read the counters while the engine still exists. */
  bool blocked = false;
  memset(&st, 0, sizeof(st));
  while (r.smtp && r.done < r.started && !r.failed) {
    ms_smtp_stats(r.smtp, &st);
    blocked = ms_smtp_blocked(r.smtp);
    if (uv_run(r.loop, UV_RUN_ONCE) == 0 && r.done < r.started) {
      fprintf(stderr, "ms_smtpq: loop idle with requests outstanding\n");
      r.failed = 1;
    }
  }
  if (r.smtp) {
    ms_smtp_stats(r.smtp, &st);
    blocked = ms_smtp_blocked(r.smtp);
    free_engine(&r);
  }
  uv_run(r.loop, UV_RUN_DEFAULT); /* closes, late CANCELED callbacks */
  uint64_t wall_ms = (uv_hrtime() - t0) / 1000000u;

  for (size_t a = 0; a < r.n_addrs; a++) {
    printf("== %s%s [%zu requests]\n", distinct ? "r0." : "", host, r.repeat);
    print_result(&r.slot[a * r.repeat].res);
  }
  int64_t max_dur = r.max_dur;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  /* done/started: requests not started (engine freed first) are left. */
  printf("requests_done      %lu/%lu shared=%lu mismatched=%lu canceled=%lu\n",
         r.done, r.started, r.shared, r.mismatched, r.canceled);
  printf("stats              requests=%lu probes=%lu shared=%lu ok=%lu "
         "timeouts=%lu connect_failed=%lu other=%lu\n",
         st.requests, st.probes, st.shared, st.ok, st.timeouts,
         st.connect_failed, st.other_failures);
  printf("blocked            %s\n", blocked ? "yes" : "no");
  printf("max_duration_ms    %" PRId64 "\n", max_dur);
  printf("wall_ms            %" PRIu64 "\n", wall_ms);
  printf("maxrss_kb          %ld\n", ru.ru_maxrss);

  for (size_t i = 0; i < r.n_slots; i++)
    ms_obs_smtp_cleanup(&r.slot[i].res);
  free(r.slot);
  ms_tls_store_free(store);
  int rc = uv_loop_close(r.loop);
  if (rc != 0)
    fprintf(stderr, "ms_smtpq: loop not empty at exit: %s\n", uv_strerror(rc));
  return r.failed || rc != 0 || r.done != r.started ? 1 : 0;
}
