/*
 * ms_fetch: one MTA-STS policy fetch through net/https.c on a libuv loop,
 * printing every field of the filled struct ms_obs_fetch. For the lab and
 * for measuring: --repeat N runs N fetches back to back (each started from
 * the previous one's callback) and reports the CPU time per fetch.
 *   ms_fetch [--ca-file F] [--timeout S] [--port P] [--repeat N]
 *            [--parallel P] [--cancel-after MS] HOST ADDR[,ADDR...]
 * --parallel keeps P fetches in flight on one fetcher; --cancel-after
 * calls ms_https_free with the fetches still running (each is canceled,
 * no callback runs); --free-in-cb does the same from inside the first
 * completion callback. The last result to complete is printed.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "net/https.h"
#include "net/tls.h"
#include "util/slice.h"

#define SLOTS_MAX 1024

struct run;

/* One fetch in flight and the result it fills. A slot is reused: its
 * result moves to r->last before the next fetch starts in it. */
struct slot {
  struct run *r;
  struct ms_obs_fetch res;
  struct ms_https_req *req; /* NULL when idle */
};

struct run {
  uv_loop_t *loop;
  struct ms_https *https; /* NULL once freed */
  const char *host;
  struct ms_addr addrs[MS_ADDRS_MAX];
  size_t n_addrs;
  struct slot slot[SLOTS_MAX];
  size_t n_slots;
  struct ms_obs_fetch last; /* the result printed */
  uv_timer_t cancel_timer;
  uint64_t cancel_after;
  unsigned long todo, started, done, ok, canceled;
  bool free_in_cb; /* free the fetcher from inside the first callback */
  int failed;      /* a local error stopped the run */
};

/* Output: one "key value" line per field, so the lab script can grep it;
 * "(null)" stands for a NULL pointer. */
static void print_str(const char *key, const char *v)
{
  printf("%-16s %s\n", key, v ? v : "(null)");
}

/* Body preview: printable ASCII as is, the rest as \xNN, at most max. */
static void print_body(const char *p, size_t n, size_t max)
{
  printf("%-16s \"", "body");
  for (size_t i = 0; i < n && i < max; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\n')
      fputs("\\n", stdout);
    else if (c == '\r')
      fputs("\\r", stdout);
    else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      putchar(c);
    else
      printf("\\x%02x", c);
  }
  printf("\"%s\n", n > max ? "..." : "");
}

/* Every field of struct ms_obs_fetch that net/https.c fills. */
static void print_result(const struct ms_obs_fetch *f)
{
  const struct ms_cert_info *c = &f->cert;
  print_str("url", f->url);
  print_str("outcome", ms_fetch_outcome_name(f->outcome));
  printf("%-16s %d\n", "lib_code", f->lib_code);
  print_str("error", f->error);
  print_str("connected_to", f->connected_to);
  printf("%-16s %ld\n", "http_status", f->http_status);
  print_str("content_type", f->content_type);
  print_str("location", f->location);
  printf("%-16s %zu\n", "body_len", f->body_len);
  printf("%-16s %s\n", "body_truncated", f->body_truncated ? "yes" : "no");
  print_str("body_sha256", f->body_sha256);
  if (f->body)
    print_body(f->body, f->body_len, 96);
  print_str("tls_protocol", f->tls_protocol);
  print_str("tls_cipher", f->tls_cipher);
  printf("%-16s %s\n", "cert.present", c->present ? "yes" : "no");
  print_str("cert.subject", c->subject);
  print_str("cert.issuer", c->issuer);
  printf("%-16s", "cert.san");
  for (size_t i = 0; i < c->n_san; i++)
    printf(" %s", c->san[i]);
  printf("\n%-16s %" PRId64 "\n", "cert.not_before", c->not_before);
  printf("%-16s %" PRId64 "\n", "cert.not_after", c->not_after);
  printf("%-16s %s\n", "cert.verified", c->chain_verified ? "yes" : "no");
  printf("%-16s 0x%02x%s%s%s%s%s\n", "cert.errors", c->errors,
         c->errors & MS_CERT_EXPIRED ? " expired" : "",
         c->errors & MS_CERT_NOT_YET_VALID ? " not_yet_valid" : "",
         c->errors & MS_CERT_NAME_MISMATCH ? " name_mismatch" : "",
         c->errors & MS_CERT_UNTRUSTED ? " untrusted" : "",
         c->errors & MS_CERT_OTHER ? " other" : "");
  printf("%-16s %d\n", "cert.verify_code", c->verify_code);
  print_str("cert.verify_error", c->verify_error);
  print_str("cert.untrusted", c->untrusted_reason);
}

static void start(struct slot *sl);
static void on_cancel_timer(uv_timer_t *t);

/* Keeps a copy of the latest result to print at the end. */
static void keep_last(struct run *r, struct ms_obs_fetch *res)
{
  ms_obs_fetch_cleanup(&r->last);
  r->last = *res;
  memset(res, 0, sizeof(*res));
}

static void on_done(void *arg)
{
  struct slot *sl = arg;
  struct run *r = sl->r;
  sl->req = NULL;
  r->done++;
  if (sl->res.outcome == MS_FETCH_OK)
    r->ok++;
  keep_last(r, &sl->res);
  if (r->free_in_cb) {
    r->free_in_cb = false;
    on_cancel_timer(&r->cancel_timer); /* frees h while it dispatches */
    return;
  }
  if (r->started < r->todo) {
    start(sl); /* from inside the callback: exercises re-entry */
    return;
  }
  if (r->done == r->todo)
    uv_timer_stop(&r->cancel_timer);
}

/* Frees the fetcher with requests in flight: none of their callbacks may
 * run, and what they filled so far stays readable. */
static void on_cancel_timer(uv_timer_t *t)
{
  struct run *r = t->data;
  for (size_t i = 0; i < r->n_slots; i++) {
    if (r->slot[i].req) {
      r->canceled++;
      r->slot[i].req = NULL;
    }
  }
  ms_https_free(r->https);
  r->https = NULL;
  for (size_t i = 0; i < r->n_slots; i++) {
    if (r->slot[i].res.url)
      keep_last(r, &r->slot[i].res);
  }
}

static void start(struct slot *sl)
{
  struct run *r = sl->r;
  ms_err_t err = ms_https_fetch(r->https, r->host, r->addrs, r->n_addrs,
                                &sl->res, on_done, sl, &sl->req);
  if (err != MS_OK) {
    fprintf(stderr, "ms_fetch: fetch: %s\n", ms_strerror(err));
    r->failed = 1;
    return;
  }
  r->started++;
}

/* "A,B,..." of IPv4/IPv6 literals into r->addrs (no names: ms_fetch
 * never resolves, exactly like the fetcher it drives). */
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
    struct ms_addr *a = &r->addrs[r->n_addrs];
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, tok, a->bytes) == 1)
      a->family = 4;
    else if (inet_pton(AF_INET6, tok, a->bytes) == 1)
      a->family = 6;
    else
      return false;
    r->n_addrs++;
  }
  return r->n_addrs > 0;
}

/* A decimal option value in 0..max (no sign, at most 9 digits). */
static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
  return ms_slice_parse_u64(ms_slice_cstr(s), 9, out) && *out <= max;
}

/* User + system CPU of this process: the cost of the fetches, the
 * handshakes included, without the server's share. */
static double cpu_seconds(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
  fprintf(stderr,
          "usage: ms_fetch [--ca-file F] [--timeout S] [--port P] "
          "[--repeat N] [--parallel P] [--cancel-after MS] [--free-in-cb] "
          "HOST ADDR[,ADDR...]\n");
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
      {"ca-file", required_argument, NULL, 'c'},
      {"timeout", required_argument, NULL, 't'},
      {"port", required_argument, NULL, 'p'},
      {"repeat", required_argument, NULL, 'r'},
      {"cancel-after", required_argument, NULL, 'x'},
      {"parallel", required_argument, NULL, 'P'},
      {"free-in-cb", no_argument, NULL, 'F'},
      {NULL, 0, NULL, 0},
  };
  struct run r;
  struct ms_https_config cfg;
  struct ms_tls_store *store = NULL;
  const char *ca_file = NULL;
  uint64_t v = 0;
  char errbuf[256];
  int c;

  memset(&r, 0, sizeof(r));
  memset(&cfg, 0, sizeof(cfg));
  r.todo = 1;
  r.n_slots = 1;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        ca_file = optarg;
        break;
      case 't':
        if (!parse_num(optarg, 3600, &v) || v == 0)
          goto bad;
        cfg.timeout_ms = (int)(v * 1000);
        break;
      case 'p':
        if (!parse_num(optarg, 65535, &v) || v == 0)
          goto bad;
        cfg.port = (int)v;
        break;
      case 'r':
        if (!parse_num(optarg, 10000000, &v) || v == 0)
          goto bad;
        r.todo = (unsigned long)v;
        break;
      case 'F':
        r.free_in_cb = true;
        break;
      case 'P':
        if (!parse_num(optarg, SLOTS_MAX, &v) || v == 0)
          goto bad;
        r.n_slots = (size_t)v;
        break;
      case 'x':
        if (!parse_num(optarg, 3600000, &v) || v == 0)
          goto bad;
        r.cancel_after = v;
        break;
      default:
        goto bad;
    }
  }
  if (argc - optind != 2 || !parse_addrs(argv[optind + 1], &r))
    goto bad;
  r.host = argv[optind];

  if (ms_tls_store_new(ca_file, &store, errbuf, sizeof(errbuf)) != MS_OK) {
    fprintf(stderr, "ms_fetch: %s\n", errbuf);
    return 2;
  }
  cfg.store = store;
  r.loop = uv_default_loop();
  if (ms_https_new(r.loop, &cfg, &r.https) != MS_OK) {
    fprintf(stderr, "ms_fetch: cannot start the fetcher\n");
    ms_tls_store_free(store);
    return 2;
  }
  uv_timer_init(r.loop, &r.cancel_timer);
  r.cancel_timer.data = &r;

  /* Measured from the first fetch to the empty loop: start-up (store
   * load, curl_global_init) is excluded, teardown too. */
  double cpu0 = cpu_seconds();
  uint64_t t0 = uv_hrtime();
  if (r.cancel_after)
    uv_timer_start(&r.cancel_timer, on_cancel_timer, r.cancel_after, 0);
  for (size_t i = 0; i < r.n_slots && r.started < r.todo; i++) {
    r.slot[i].r = &r;
    start(&r.slot[i]);
  }
  uv_run(r.loop, UV_RUN_DEFAULT);
  double cpu = cpu_seconds() - cpu0;
  double wall = (double)(uv_hrtime() - t0) / 1e9;

  print_result(&r.last);
  if (r.todo > 1 || r.canceled)
    printf("%-16s %lu fetches, %lu ok, %lu canceled, cpu %.3f ms/fetch, "
           "wall %.3f s\n",
           "repeat", r.done, r.ok, r.canceled,
           r.done ? cpu * 1000.0 / (double)r.done : 0.0, wall);
  /* Teardown in dependency order; the second uv_run lets the fetcher's
   * handles close so LeakSanitizer sees nothing left. */
  ms_obs_fetch_cleanup(&r.last);
  for (size_t i = 0; i < r.n_slots; i++)
    ms_obs_fetch_cleanup(&r.slot[i].res);
  ms_https_free(r.https);
  uv_close((uv_handle_t *)&r.cancel_timer, NULL);
  uv_run(r.loop, UV_RUN_DEFAULT);
  uv_loop_close(r.loop);
  ms_tls_store_free(store);
  return r.failed ? 2 : 0;
bad:
  usage();
  return 2;
}
