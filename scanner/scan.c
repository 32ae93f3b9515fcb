/*
 * The scanner's engine (see scan.h). Jobs are admitted from the input as
 * slots free up, so memory is bounded by -j, not by the length of the
 * list. Each finished domain goes through the pure verdict and record
 * builder and is written at once, whole, in completion order.
 */
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/verdict.h"
#include "input.h"
#include "job.h"
#include "previous.h"
#include "net/dns.h"
#include "net/https.h"
#include "net/smtp.h"
#include "net/tls.h"
#include "report/record.h"
#include "util/container.h"
#include "util/xalloc.h"

struct scan {
  const struct ms_config *cfg;
  uv_loop_t *loop;
  struct ms_input *input;
  struct ms_dns *dns;
  struct ms_https *https;
  struct ms_smtp *smtp;
  struct ms_tls_store *store;
  struct ms_previous *previous; /* --previous index, or NULL */
  struct ms_job_env env;
  int out_fd;
  bool own_out;
  bool input_done;
  bool stopping;      /* SIGINT/SIGTERM: admit nothing new */
  bool shut;          /* engines freed */
  bool fatal;         /* output failed: stop */
  int concurrency;    /* -j, capped by the descriptors (size_concurrency) */
  int active;         /* jobs admitted and not yet reported */
  int alive;          /* jobs not yet freed */
  uint64_t done;
  uint64_t by_status[5];
  bool fail_met;
  uint64_t started_ms;
  int64_t started_wall_ms;
  /* Counters read when the engines shut down (for --summary). */
  struct ms_dns_stats dns_stats;
  struct ms_smtp_stats smtp_stats;
  bool smtp_was_blocked;
  bool progress;
  uv_timer_t progress_timer; /* status line and --status-file, 1 s */
  uv_timer_t grace_timer;    /* after a signal: abandon in-flight work */
  uv_timer_t trim_timer;     /* hands free heap pages back, 1 s */
  uint64_t resumed;          /* records kept from the output (--resume) */
  uv_signal_t sigint, sigterm;
};

static void pump(struct scan *s);
static void maybe_shutdown(struct scan *s);

/* Writes the whole buffer or fails (a closed pipe, a full disk). */
static bool write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

static bool fails(const struct scan *s, const struct ms_verdict *v)
{
  if (s->cfg->fail_on == MS_FAIL_NEVER)
    return false;
  for (size_t i = 0; i < v->findings.n; i++) {
    enum ms_sev sev = v->findings.item[i].sev;
    if (sev == MS_SEV_ERROR)
      return true;
    if (sev == MS_SEV_WARNING && s->cfg->fail_on == MS_FAIL_WARNING)
      return true;
  }
  return false;
}

/* --previous: compare with the previous run's entry for this domain and
 * add the HISTORY_* findings (core/history.c decides). */
static void apply_history(const struct scan *s, const struct ms_obs *obs,
                          struct ms_verdict *v)
{
  const struct ms_history_entry *prev =
      ms_previous_find(s->previous, obs->domain);
  if (!prev || obs->input_invalid)
    return;
  char id[MS_STS_ID_MAX + 1] = "";
  struct ms_history_now now = {
      .status = v->status,
      .mode = v->mode,
      .record_missing = ms_findings_has(&v->findings, MS_F_STS_RECORD_MISSING),
  };
  if (v->has_sts && v->sts.id.len > 0) {
    now.has_record = true;
    now.id_hash = ms_history_hash(v->sts.id.ptr, v->sts.id.len);
    ms_slice_copy(v->sts.id, id, sizeof(id));
    now.id = id;
  }
  if (obs->policy.http_status == 200 &&
      ms_history_sha_parse(obs->policy.body_sha256, &now.policy_hash))
    now.has_policy = true;
  struct ms_findings extra;
  ms_findings_init(&extra);
  ms_history_eval(prev, &now, &extra);
  if (extra.n)
    ms_verdict_extend(v, &extra);
}

static void on_report(void *arg, const struct ms_obs *obs)
{
  struct scan *s = arg;
  struct ms_verdict_cfg vc = {
      .now = obs->started_ms / 1000,
      .cert_warn_days = s->cfg->cert_warn_days,
      .allow_private = s->cfg->allow_private,
  };
  struct ms_verdict *v = ms_xmalloc(sizeof(*v));
  ms_verdict(obs, &vc, v);
  if (s->previous)
    apply_history(s, obs, v);
  json_t *rec = ms_record_build(obs, v);
  size_t len = 0;
  char *line = ms_record_dump(rec, &len);
  json_decref(rec);
  if (!s->fatal && !write_all(s->out_fd, line, len)) {
    fprintf(stderr,
            "mtasts-scan: cannot write the output (%s) after %llu records; "
            "stopping (no record is lost silently: rerun, with --resume "
            "when writing to a file)\n",
            strerror(errno), (unsigned long long)s->done);
    s->fatal = true;
    s->stopping = true;
  }
  free(line);
  s->done++;
  if ((unsigned)v->status < 5)
    s->by_status[v->status]++;
  if (fails(s, v))
    s->fail_met = true;
  free(v);
  s->active--;
  /* Admit the next domain from the loop, not from inside this callback. */
  pump(s);
}

static void on_gone(void *arg)
{
  struct scan *s = arg;
  s->alive--;
  maybe_shutdown(s);
}

static void on_input_ready(void *arg)
{
  pump(arg);
}

static void dry_run_item(struct scan *s, struct ms_input_item *it)
{
  char buf[512];
  /* The line as given (control bytes shown as '?'), the domain or "-",
   * and "ok" or the reason. */
  char shown[96];
  size_t k = 0;
  for (size_t i = 0; i < it->line_len && k + 1 < sizeof(shown); i++) {
    unsigned char c = (unsigned char)it->line[i];
    shown[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  shown[k] = '\0';
  int n = snprintf(buf, sizeof(buf), "%s\t%s\t%s\n", shown,
                   it->valid ? it->domain : "-",
                   it->valid ? "ok" : it->why);
  if (n > 0)
    (void)write_all(s->out_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n
                                                            : sizeof(buf) - 1);
  free(it->line);
}

/* Admits domains while there is room. */
static void pump(struct scan *s)
{
  while (!s->stopping && !s->input_done && s->active < s->concurrency) {
    struct ms_input_item it;
    int r = ms_input_next(s->input, &it);
    if (r == 0)
      return; /* on_input_ready calls again */
    if (r < 0) {
      s->input_done = true;
      if (ms_input_error(s->input)) {
        fprintf(stderr, "mtasts-scan: reading the input failed: %s\n",
                ms_input_error(s->input));
        s->fatal = true;
      }
      break;
    }
    if (s->cfg->dry_run) {
      dry_run_item(s, &it);
      continue;
    }
    s->active++;
    s->alive++;
    ms_job_start(&s->env, &it);
  }
  maybe_shutdown(s);
}

/* The status of the run: done, rate, in flight, errors, ETA. The ETA is
 * estimated from the share of the input file consumed (none for stdin). */
struct run_status {
  double elapsed, rate, eta; /* eta < 0: unknown */
};

static struct run_status run_status(const struct scan *s)
{
  struct run_status r = {0, 0, -1};
  r.elapsed = (double)(uv_now(s->loop) - s->started_ms) / 1000.0;
  r.rate = r.elapsed > 0 ? (double)s->done / r.elapsed : 0.0;
  uint64_t consumed = 0, total = 0;
  if (s->input)
    ms_input_progress(s->input, &consumed, &total);
  if (s->input_done)
    r.eta = s->active > 0 && r.rate > 0 ? (double)s->active / r.rate : 0.0;
  else if (total > 0 && consumed > 0 && r.elapsed > 0)
    r.eta = r.elapsed * (double)(total - consumed) / (double)consumed;
  return r;
}

static void write_status_file(const struct scan *s, bool finished)
{
  struct run_status r = run_status(s);
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", s->cfg->status_file);
  json_t *o = json_pack(
      "{s:I, s:f, s:i, s:I, s:I, s:f, s:o, s:b, s:I}", "done",
      (json_int_t)s->done, "rate_per_s", r.rate, "in_flight", s->active,
      "errors", (json_int_t)s->by_status[MS_STATUS_ERROR], "resumed",
      (json_int_t)s->resumed, "elapsed_s", r.elapsed, "eta_s",
      r.eta >= 0 ? json_real(r.eta) : json_null(), "finished", finished,
      "started_ms", (json_int_t)s->started_wall_ms);
  /* Written whole to a temporary file and renamed, so a reader never sees
   * half a status. */
  if (o && json_dump_file(o, tmp, JSON_SORT_KEYS | JSON_COMPACT) == 0)
    (void)rename(tmp, s->cfg->status_file);
  json_decref(o);
}

static void on_progress(uv_timer_t *t)
{
  struct scan *s = ms_container_of(t, struct scan, progress_timer);
  if (s->cfg->status_file)
    write_status_file(s, false);
  if (!s->progress)
    return;
  struct run_status r = run_status(s);
  char eta[32] = "?";
  if (r.eta >= 0)
    snprintf(eta, sizeof(eta), "%.0f s", r.eta);
  fprintf(stderr,
          "\rmtasts-scan: %llu done, %.0f/s, %d in flight, %llu errors, "
          "ETA %s   ",
          (unsigned long long)s->done, r.rate, s->active,
          (unsigned long long)s->by_status[MS_STATUS_ERROR], eta);
}

/* Every policy fetch makes and frees thousands of small blocks (an SSL_CTX
 * per connection in curl 7.88, the certificate chain, the record's JSON)
 * among longer-lived ones, so glibc's heap slowly fragments: freed pages
 * in the middle of the heap stay resident and peak RSS creeps up with the
 * length of the run. malloc_trim(0) returns every whole free page to the
 * kernel (madvise); once a second costs well under 1 % of a core. */
static void on_trim(uv_timer_t *t)
{
  (void)t;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

static void close_cb(uv_handle_t *h)
{
  (void)h;
}

static void maybe_shutdown(struct scan *s)
{
  if (s->shut || s->alive > 0 || s->active > 0)
    return;
  if (!s->input_done && !s->stopping)
    return;
  s->shut = true;
  if (s->dns)
    ms_dns_stats(s->dns, &s->dns_stats);
  if (s->smtp) {
    ms_smtp_stats(s->smtp, &s->smtp_stats);
    s->smtp_was_blocked = ms_smtp_blocked(s->smtp);
  }
  ms_smtp_free(s->smtp);
  s->smtp = NULL;
  ms_dns_free(s->dns);
  s->dns = NULL;
  ms_https_free(s->https);
  s->https = NULL;
  uv_timer_stop(&s->progress_timer);
  on_progress(&s->progress_timer);
  if (s->progress)
    fputc('\n', stderr);
  if (s->cfg->status_file)
    write_status_file(s, true);
  uv_close((uv_handle_t *)&s->progress_timer, close_cb);
  uv_close((uv_handle_t *)&s->grace_timer, close_cb);
  uv_close((uv_handle_t *)&s->trim_timer, close_cb);
  uv_close((uv_handle_t *)&s->sigint, close_cb);
  uv_close((uv_handle_t *)&s->sigterm, close_cb);
}

/* How long in-flight domains may still finish after SIGINT/SIGTERM. */
static uint64_t grace_ms(const struct scan *s)
{
  return s->cfg->deadline_ms < 10000 ? (uint64_t)s->cfg->deadline_ms : 10000;
}

/* The grace period is over: the domains still in flight are abandoned.
 * Their records are not written (every record in the output is whole), so
 * a later --resume scans them again. */
static void on_grace(uv_timer_t *t)
{
  struct scan *s = ms_container_of(t, struct scan, grace_timer);
  fprintf(stderr,
          "mtasts-scan: stopped: %llu domains written, %d in flight "
          "abandoned (not written); run again with --resume to finish\n",
          (unsigned long long)s->done, s->active);
  _exit(3);
}

static void on_signal(uv_signal_t *h, int signum)
{
  struct scan *s = h->data;
  if (s->stopping) {
    fprintf(stderr, "\nmtasts-scan: second signal: %llu domains written, "
                    "exiting now\n",
            (unsigned long long)s->done);
    _exit(3);
  }
  fprintf(stderr,
          "\nmtasts-scan: %s: no new domains; the %d in flight get %.1f s "
          "to finish\n",
          signum == SIGINT ? "interrupted" : "terminated", s->active,
          (double)grace_ms(s) / 1000.0);
  s->stopping = true;
  uv_timer_start(&s->grace_timer, on_grace, grace_ms(s), 0);
  maybe_shutdown(s);
}

/* --resume: reads the existing output, marks its records done in the
 * input, and cuts a torn last line (a run killed in the middle of a write
 * on a full disk); returns the records kept, or -1 on error. */
static long long load_resume(struct scan *s, const char *path)
{
  FILE *fp = fopen(path, "r+");
  if (!fp)
    return errno == ENOENT ? 0 : -1;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long long kept = 0;
  off_t good_end = 0, pos = 0;
  while ((n = getline(&line, &cap, fp)) > 0) {
    pos += n;
    if (line[n - 1] != '\n')
      break; /* torn: no newline */
    json_t *rec = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, NULL);
    const char *domain = json_string_value(json_object_get(rec, "domain"));
    json_t *input = json_object_get(rec, "input");
    bool rejected = false;
    json_t *f;
    size_t i;
    json_array_foreach(json_object_get(rec, "findings"), i, f)
    {
      const char *code = json_string_value(json_object_get(f, "code"));
      if (code && strcmp(code, "INPUT_INVALID_NAME") == 0)
        rejected = true;
    }
    if (domain && rejected && json_is_string(input))
      ms_input_mark_done(s->input, false, json_string_value(input),
                         json_string_length(input));
    else if (domain)
      ms_input_mark_done(s->input, true, domain, strlen(domain));
    if (domain)
      kept++;
    json_decref(rec);
    good_end = pos;
  }
  free(line);
  bool torn = pos != good_end;
  fclose(fp);
  if (torn && truncate(path, good_end) != 0)
    return -1;
  if (torn)
    fprintf(stderr, "mtasts-scan: --resume: cut a torn last line from %s\n",
            path);
  return kept;
}

/* --summary: one JSON object with the run's counters. */
static int write_summary(const struct scan *s, const char *path)
{
  static const char *const st[5] = {"valid", "warning", "invalid", "none",
                                    "error"};
  uint64_t lines = 0, dups = 0, other = 0;
  ms_input_counts(s->input, &lines, &dups, &other);
  json_t *by = json_object();
  for (int i = 0; i < 5; i++)
    json_object_set_new(by, st[i], json_integer((json_int_t)s->by_status[i]));
  json_t *o = json_pack(
      "{s:s, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I},"
      " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}, s:b}",
      "version", MS_VERSION, "started_ms", (json_int_t)s->started_wall_ms,
      "duration_ms", (json_int_t)(uv_now(s->loop) - s->started_ms),
      "domains", (json_int_t)s->done, "by_status", by, "input", "lines",
      (json_int_t)lines, "duplicates", (json_int_t)dups, "other_shard",
      (json_int_t)other, "dns", "sent", (json_int_t)s->dns_stats.sent,
      "answered", (json_int_t)s->dns_stats.answered, "timeouts",
      (json_int_t)s->dns_stats.timeouts, "queued",
      (json_int_t)s->dns_stats.queued, "smtp", "requests",
      (json_int_t)s->smtp_stats.requests, "probes",
      (json_int_t)s->smtp_stats.probes, "shared",
      (json_int_t)s->smtp_stats.shared, "ok", (json_int_t)s->smtp_stats.ok,
      "timeouts", (json_int_t)s->smtp_stats.timeouts, "connect_failed",
      (json_int_t)s->smtp_stats.connect_failed, "other_failures",
      (json_int_t)s->smtp_stats.other_failures, "blocked",
      s->smtp_was_blocked, "interrupted", s->stopping);
  int rc = 0;
  if (!o || json_dump_file(o, path, JSON_SORT_KEYS | JSON_INDENT(2)) != 0) {
    fprintf(stderr, "mtasts-scan: cannot write the summary to %s\n", path);
    rc = -1;
  }
  json_decref(o);
  return rc;
}

/* Raises RLIMIT_NOFILE to the hard limit; returns the soft limit now in
 * force (0 when unknown). */
static uint64_t raise_nofile(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      (void)getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

/* Admission control sized from the descriptors: a domain in flight holds
 * at most one HTTPS socket and, through the shared probes, about one SMTP
 * socket; c-ares, the input, the output and libuv need a few more. So -j
 * is capped at (limit - NOFILE_SPARE) / 2, with a note when that bites. */
#define NOFILE_SPARE 64
static int size_concurrency(int wanted, uint64_t nofile)
{
  if (nofile == 0 || nofile == UINT64_MAX)
    return wanted;
  uint64_t room = nofile > 2 * NOFILE_SPARE ? (nofile - NOFILE_SPARE) / 2 : 32;
  if ((uint64_t)wanted <= room)
    return wanted;
  fprintf(stderr,
          "mtasts-scan: -j %d needs more file descriptors than the limit "
          "(%llu) allows; using -j %llu\n",
          wanted, (unsigned long long)nofile, (unsigned long long)room);
  return (int)room;
}

int ms_scan_run(const struct ms_config *cfg)
{
  struct scan s;
  char err[512] = "";
  int rc = 0;
  memset(&s, 0, sizeof(s));
  s.cfg = cfg;
  s.out_fd = STDOUT_FILENO;
  signal(SIGPIPE, SIG_IGN);
  s.concurrency = size_concurrency(cfg->concurrency, raise_nofile());

  s.loop = ms_xmalloc(sizeof(*s.loop));
  if (uv_loop_init(s.loop) != 0)
    ms_fatal("cannot initialise the event loop");

  if (ms_input_new(s.loop, cfg, on_input_ready, &s, &s.input, err,
                   sizeof(err)) != MS_OK) {
    fprintf(stderr, "mtasts-scan: %s\n", err);
    rc = 2;
    goto done;
  }
  if (cfg->resume) {
    long long kept = load_resume(&s, cfg->output_file);
    if (kept < 0) {
      fprintf(stderr, "mtasts-scan: --resume: cannot read %s: %s\n",
              cfg->output_file, strerror(errno));
      rc = 2;
      goto done;
    }
    s.resumed = (uint64_t)kept;
    fprintf(stderr, "mtasts-scan: --resume: %lld records already in %s\n",
            kept, cfg->output_file);
  }
  if (cfg->output_file && strcmp(cfg->output_file, "-") != 0) {
    s.out_fd = open(cfg->output_file,
                    O_WRONLY | O_CREAT | O_CLOEXEC |
                        (cfg->resume ? O_APPEND : O_TRUNC),
                    0644);
    if (s.out_fd < 0) {
      fprintf(stderr, "mtasts-scan: cannot open %s: %s\n", cfg->output_file,
              strerror(errno));
      rc = 2;
      goto done;
    }
    s.own_out = true;
  }
  if (cfg->previous && ms_previous_load(cfg->previous, &s.previous, err,
                                       sizeof(err)) != MS_OK) {
    fprintf(stderr, "mtasts-scan: --previous: %s\n", err);
    rc = 2;
    goto done;
  }
  if (!cfg->dry_run) {
    struct ms_dns_config dc = {
        .servers = cfg->resolver,
        .timeout_ms = cfg->timeout_ms / 2 > 0 ? cfg->timeout_ms / 2 : 1,
        .tries = 2,
        .qps = cfg->qps,
    };
    if (ms_dns_new(s.loop, &dc, &s.dns, err, sizeof(err)) != MS_OK) {
      fprintf(stderr, "mtasts-scan: --resolver: %s\n", err);
      rc = 2;
      goto done;
    }
    if (ms_tls_store_new(cfg->ca_file, &s.store, err, sizeof(err)) != MS_OK) {
      fprintf(stderr, "mtasts-scan: --ca-file: %s\n", err);
      rc = 2;
      goto done;
    }
    struct ms_https_config hc = {
        .store = s.store,
        .timeout_ms = cfg->timeout_ms,
        .connect_timeout_ms = cfg->timeout_ms,
        .max_body = 65536,
        .port = 443,
    };
    if (ms_https_new(s.loop, &hc, &s.https) != MS_OK) {
      fprintf(stderr, "mtasts-scan: cannot initialise HTTPS\n");
      rc = 3;
      goto done;
    }
    if (!cfg->no_smtp) {
      struct ms_smtp_config sc = {
          .store = s.store,
          .ehlo_name = cfg->ehlo_name,
          .port = cfg->smtp_port,
          .timeout_ms = cfg->timeout_ms,
          .probe_deadline_ms = 3 * cfg->timeout_ms,
          .per_addr_concurrency = 2,
          .per_addr_interval_ms = 100,
          .cache_max = 10000, /* ~1-10 kB each: bounded memory */
      };
      if (ms_smtp_new(s.loop, &sc, &s.smtp) != MS_OK) {
        fprintf(stderr, "mtasts-scan: cannot initialise the SMTP probes\n");
        rc = 3;
        goto done;
      }
    }
  }
  s.env = (struct ms_job_env){
      .loop = s.loop,
      .dns = s.dns,
      .https = s.https,
      .smtp = s.smtp,
      .cfg = cfg,
      .report = on_report,
      .gone = on_gone,
      .arg = &s,
      .trace = getenv("MS_TRACE") && *getenv("MS_TRACE"),
  };
  s.started_ms = uv_now(s.loop);
  {
    uv_timeval64_t tv;
    if (uv_gettimeofday(&tv) == 0)
      s.started_wall_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
  }
  s.progress = cfg->progress == 1 || (cfg->progress == -1 && isatty(2));
  uv_timer_init(s.loop, &s.progress_timer);
  uv_timer_init(s.loop, &s.grace_timer);
  uv_timer_init(s.loop, &s.trim_timer);
  uv_timer_start(&s.trim_timer, on_trim, 1000, 1000);
  uv_unref((uv_handle_t *)&s.trim_timer);
  if (s.progress || cfg->status_file)
    uv_timer_start(&s.progress_timer, on_progress, 1000, 1000);
  uv_signal_init(s.loop, &s.sigint);
  uv_signal_init(s.loop, &s.sigterm);
  s.sigint.data = &s;
  s.sigterm.data = &s;
  uv_signal_start(&s.sigint, on_signal, SIGINT);
  uv_signal_start(&s.sigterm, on_signal, SIGTERM);

  pump(&s);
  uv_run(s.loop, UV_RUN_DEFAULT);

  if (s.fatal)
    rc = 3;
  else if (s.stopping)
    rc = 3; /* interrupted: not every domain was scanned */
  else if (s.fail_met)
    rc = 1;
  if (s.stopping && !s.fatal) {
    uint64_t lines, dups, other;
    ms_input_counts(s.input, &lines, &dups, &other);
    fprintf(stderr, "mtasts-scan: stopped after %llu domains\n",
            (unsigned long long)s.done);
  }
  if (cfg->summary && write_summary(&s, cfg->summary) != 0 && rc == 0)
    rc = 3;
done:
  if (!s.shut) {
    ms_smtp_free(s.smtp);
    ms_dns_free(s.dns);
    ms_https_free(s.https);
    uv_run(s.loop, UV_RUN_DEFAULT);
  }
  ms_input_free(s.input);
  uv_run(s.loop, UV_RUN_DEFAULT);
  ms_tls_store_free(s.store);
  ms_previous_free(s.previous);
  if (uv_loop_close(s.loop) != 0 && getenv("MS_TRACE"))
    fprintf(stderr, "mtasts-scan: loop still had handles at exit\n");
  free(s.loop);
  if (s.own_out && close(s.out_fd) != 0 && rc == 0) {
    fprintf(stderr, "mtasts-scan: closing the output failed: %s\n",
            strerror(errno));
    rc = 3;
  }
  return rc;
}
