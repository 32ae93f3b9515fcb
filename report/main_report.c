/*
 * mtasts-report: reads the scanner's JSON Lines results (one night, maybe
 * in shards) and optionally the previous night's, and writes the summary
 * JSON, the HTML page, the Prometheus textfile, the text summary and the
 * merged records. Startup and file handling only: the work is in
 * report_read/db/agg/out. ONE option table drives getopt_long, --help
 * and the man page's OPTIONS section (--help-man).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/optable.h"
#include "report/report_agg.h"
#include "report/report_db.h"
#include "report/report_fmt.h"
#include "report/report_out.h"
#include "report/report_read.h"
#include "util/xalloc.h"

#define PROG "mtasts-report"

enum {
  OPT_SUMMARY_JSON = 256,
  OPT_HTML,
  OPT_PROM,
  OPT_TEXT,
  OPT_MERGE,
  OPT_SCAN_SUMMARY,
  OPT_EXPIRING,
  OPT_NOW,
  OPT_FAIL_ON_NEW,
  OPT_HELP_MAN,
};


static const struct ms_opt opts[] = {
    {"previous", 'p', required_argument, "FILE",
     "results of the previous run (repeatable: its shards); enables new and "
     "fixed problems and status changes"},
    {"summary-json", OPT_SUMMARY_JSON, required_argument, "FILE",
     "write the summary as JSON: counts per status, mode, severity and "
     "finding code, expiring certificates, new and fixed problems, status "
     "changes ('-': stdout)"},
    {"html", OPT_HTML, required_argument, "FILE",
     "write a self-contained HTML page (no scripts, no external assets)"},
    {"prom", OPT_PROM, required_argument, "FILE",
     "write metrics in the Prometheus text format for node_exporter's "
     "textfile collector (written to FILE.tmp, then renamed)"},
    {"text", OPT_TEXT, required_argument, "FILE",
     "write a short plain-text summary, e.g. for a cron mail ('-': stdout; "
     "the default when no other output is asked for)"},
    {"merge", OPT_MERGE, required_argument, "FILE",
     "write the merged records, one line per domain, sorted by domain "
     "('-': stdout); used to join the shards of one run"},
    {"scan-summary", OPT_SCAN_SUMMARY, required_argument, "FILE",
     "the scanner's --summary file (repeatable: one per shard); its "
     "duration is the scan time in the metrics (the longest shard)"},
    {"expiring-days", OPT_EXPIRING, required_argument, "N",
     "list certificates expiring within N days (default 14)"},
    {"now", OPT_NOW, required_argument, "TIME",
     "the report time as RFC 3339 (default: the current time; for "
     "reproducible reports and tests)"},
    {"fail-on-new", OPT_FAIL_ON_NEW, no_argument, NULL,
     "exit 1 when there are new problems since the --previous run"},
    {"help-man", OPT_HELP_MAN, no_argument, NULL,
     "print the OPTIONS section of the man page (troff)"},
    {"version", 'V', no_argument, NULL, "print the version and exit"},
    {"help", 'h', no_argument, NULL, "print this help and exit"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

struct cfg {
  const char **inputs; /* positional RESULTS files (borrowed argv) */
  size_t n_inputs;
  const char **previous; /* --previous FILE... */
  size_t n_previous;
  const char **scan_sum; /* --scan-summary FILE... */
  size_t n_scan_sum;
  const char *summary_json, *html, *prom, *text, *merge; /* NULL: not asked */
  int expiring_days;                                     /* default 14 */
  int64_t now;                                           /* Unix seconds */
  bool fail_on_new;
};

/* --help: the table, wrapped to 80 columns (the same layout as
 * mtasts-scan --help, so both tools read alike). */
static void usage(FILE *fp)
{
  fprintf(fp, "Usage: " PROG " [OPTIONS] RESULTS.jsonl...\n"
              "Summarises mtasts-scan results (several files: shards of one "
              "run, merged;\na domain seen twice keeps its later record).\n\n"
              "Options:\n");
  ms_optable_help(fp, opts, N_OPTS);
  fprintf(fp, "\nExit status: 0 done; 1 --fail-on-new was met; 2 usage "
              "error; 3 an input could\nnot be read or an output not "
              "written.\n");
}

/* --help-man: the OPTIONS section in troff, for scripts/gen-man.sh;
 * '-' and '\\' are escaped so man renders them literally. */
static void man_options(void)
{
  ms_optable_man(stdout, opts, N_OPTS);
}

/* Appends s to a growable array of borrowed strings. */
static void push(const char ***v, size_t *n, const char *s)
{
  *v = ms_xrealloc(*v, (*n + 1) * sizeof(**v));
  (*v)[(*n)++] = s;
}

/* 0: run; 1: exit 0 (help printed); 2: usage error (reported). */
/* The command line into *c. Outputs default to the text summary on stdout
 * when none is asked for; at most one output may be stdout. */
static int parse_args(int argc, char **argv, struct cfg *c)
{
  struct option longopts[N_OPTS + 1];
  char shortopts[32];
  memset(c, 0, sizeof(*c));
  c->expiring_days = 14;
  c->now = (int64_t)time(NULL);
  ms_optable_getopt(opts, N_OPTS, longopts, shortopts, sizeof(shortopts));
  argv[0] = (char *)PROG; /* getopt's messages name the program */
  int ch;
  char *end;
  long v;
  while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    switch (ch) {
      case 'p':
        push(&c->previous, &c->n_previous, optarg);
        break;
      case OPT_SUMMARY_JSON:
        c->summary_json = optarg;
        break;
      case OPT_HTML:
        c->html = optarg;
        break;
      case OPT_PROM:
        c->prom = optarg;
        break;
      case OPT_TEXT:
        c->text = optarg;
        break;
      case OPT_MERGE:
        c->merge = optarg;
        break;
      case OPT_SCAN_SUMMARY:
        push(&c->scan_sum, &c->n_scan_sum, optarg);
        break;
      case OPT_EXPIRING:
        errno = 0;
        v = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || v < 0 || v > 36500) {
          fprintf(stderr,
                  PROG ": invalid value '%s' for --expiring-days: "
                       "want 0 to 36500\n",
                  optarg);
          return 2;
        }
        c->expiring_days = (int)v;
        break;
      case OPT_NOW:
        if (!ms_report_time_parse(optarg, strlen(optarg), &c->now)) {
          fprintf(stderr,
                  PROG ": invalid value '%s' for --now: want RFC "
                       "3339, e.g. 2026-12-04T02:00:00Z\n",
                  optarg);
          return 2;
        }
        break;
      case OPT_FAIL_ON_NEW:
        c->fail_on_new = true;
        break;
      case OPT_HELP_MAN:
        man_options();
        return 1;
      case 'V':
        printf(PROG " %s\n", MS_VERSION);
        return 1;
      case 'h':
        usage(stdout);
        return 1;
      default:
        fprintf(stderr, "Try '" PROG " --help'.\n");
        return 2;
    }
  }
  for (int i = optind; i < argc; i++)
    push(&c->inputs, &c->n_inputs, argv[i]);
  if (!c->n_inputs) {
    fprintf(stderr, PROG ": no results file given\nTry '" PROG " --help'.\n");
    return 2;
  }
  if (!c->summary_json && !c->html && !c->prom && !c->text && !c->merge)
    c->text = "-";
  const char *outs[5] = {c->summary_json, c->html, c->prom, c->text, c->merge};
  int to_stdout = 0;
  for (int i = 0; i < 5; i++)
    to_stdout += outs[i] && strcmp(outs[i], "-") == 0;
  if (to_stdout > 1) {
    fprintf(stderr, PROG ": only one output can go to stdout ('-')\n");
    return 2;
  }
  return 0;
}

/* The longest duration_ms of the scanner's --summary files, in seconds. */
/* Shards run in parallel, so the scan took as long as its longest shard:
 * the maximum of the summaries' duration_ms, not the sum. */
static bool read_scan_summaries(const struct cfg *c, double *secs)
{
  *secs = 0;
  for (size_t i = 0; i < c->n_scan_sum; i++) {
    json_error_t err;
    json_t *o = json_load_file(c->scan_sum[i], 0, &err);
    const json_t *d = json_object_get(o, "duration_ms");
    if (!json_is_integer(d)) {
      fprintf(stderr, PROG ": %s: not a scanner summary (%s)\n", c->scan_sum[i],
              o ? "no duration_ms" : err.text);
      json_decref(o);
      return false;
    }
    double s = (double)json_integer_value(d) / 1000.0;
    if (s > *secs)
      *secs = s;
    json_decref(o);
  }
  return true;
}

typedef void (*render_fn)(FILE *fp, const void *arg);

/* Writes path through fn: stdout for "-", else path.tmp renamed to path
 * once complete, so readers (the textfile collector) never see half. */
static bool write_output(const char *path, render_fn fn, const void *arg)
{
  if (strcmp(path, "-") == 0) {
    fn(stdout, arg);
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, PROG ": cannot write to stdout: %s\n", strerror(errno));
      return false;
    }
    return true;
  }
  size_t n = strlen(path) + 5;
  char *tmp = ms_xmalloc(n);
  snprintf(tmp, n, "%s.tmp", path);
  FILE *fp = fopen(tmp, "w");
  bool ok = fp != NULL;
  if (fp) {
    fn(fp, arg);
    ok = fflush(fp) == 0 && !ferror(fp);
    ok = (fclose(fp) == 0) && ok;
    ok = ok && rename(tmp, path) == 0;
  }
  if (!ok) {
    fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  return ok;
}

/* Adapters from the renderers' signatures to render_fn. */
static void r_summary(FILE *fp, const void *a)
{
  ms_rout_summary_json(fp, a);
}
static void r_text(FILE *fp, const void *a)
{
  ms_rout_text(fp, a);
}
static void r_prom(FILE *fp, const void *a)
{
  ms_rout_prom(fp, a);
}
static void r_html(FILE *fp, const void *a)
{
  ms_rout_html(fp, a);
}

struct merge_arg {
  const struct ms_rctx *ctx;
  struct ms_rreader *rd;
  bool ok;
};

/* --merge: the kept record of every domain, in domain order, as the exact
 * bytes of its input line (no re-serialisation, so a merge of a merge is
 * byte-identical and nothing a newer scanner added is lost). */
static void r_merge(FILE *fp, const void *a)
{
  struct merge_arg *m = (struct merge_arg *)a;
  for (size_t i = 0; i < m->ctx->n && m->ok; i++) {
    size_t len;
    char *line = ms_rreader_line(m->rd, m->ctx->dom[i], &len);
    if (!line) {
      fprintf(stderr, PROG ": cannot re-read the record of %s\n",
              m->ctx->dom[i]->domain);
      m->ok = false;
      break;
    }
    fwrite(line, 1, len, fp);
    fputc('\n', fp);
    free(line);
  }
}

/* Lets the HTML renderer re-read records without knowing the reader. */
static char *line_cb(void *arg, const struct ms_rdom *d, size_t *len)
{
  return ms_rreader_line(arg, d, len);
}

/* Read everything first (current run, then previous), then compute the
 * counts and the diff once, then write each asked-for output. Any input or
 * output failure is exit 3; --fail-on-new is checked last. */
int main(int argc, char **argv)
{
  struct cfg c;
  int pr = parse_args(argc, argv, &c);
  if (pr) {
    free(c.inputs);
    free(c.previous);
    free(c.scan_sum);
    return pr == 1 ? 0 : 2;
  }
  int rc = 0;
  double scan_secs = 0;
  struct ms_rcodes *codes = ms_xmalloc(sizeof(*codes));
  struct ms_rdb cur, prev;
  struct ms_rreader rd, prd;
  struct ms_ragg agg;
  struct ms_rdiff diff;
  struct ms_rdom **sorted = NULL;
  size_t n = 0;
  ms_rcodes_init(codes);
  ms_rdb_init(&cur, codes, true, c.now + (int64_t)c.expiring_days * 86400);
  ms_rdb_init(&prev, codes, false, 0);
  ms_rreader_init(&rd, c.merge || c.html, PROG);
  ms_rreader_init(&prd, false, PROG);
  memset(&agg, 0, sizeof(agg));
  memset(&diff, 0, sizeof(diff));

  if (!read_scan_summaries(&c, &scan_secs)) {
    rc = 3;
    goto done;
  }
  for (size_t i = 0; i < c.n_inputs; i++) {
    if (ms_rreader_read(&rd, &cur, c.inputs[i]) != MS_OK) {
      rc = 3;
      goto done;
    }
  }
  for (size_t i = 0; i < c.n_previous; i++) {
    if (ms_rreader_read(&prd, &prev, c.previous[i]) != MS_OK) {
      rc = 3;
      goto done;
    }
  }
  if (codes->dropped)
    fprintf(stderr,
            PROG ": %zu findings with over-long or too many distinct "
                 "codes were not counted\n",
            codes->dropped);
  sorted = ms_rdb_sorted(&cur, &n);
  ms_ragg_compute(&agg, sorted, n, ms_rcodes_count(codes), c.now,
                  c.expiring_days);
  if (c.n_previous)
    ms_rdiff_compute(&diff, sorted, n, &prev);

  struct ms_rctx ctx = {
      .codes = codes,
      .dom = sorted,
      .n = n,
      .agg = &agg,
      .diff = c.n_previous ? &diff : NULL,
      .now = c.now,
      .expiring_days = c.expiring_days,
      .scan_seconds = scan_secs,
      .scan_seconds_known = c.n_scan_sum > 0,
      .bad_lines = rd.bad_lines,
      .duplicates = rd.duplicates,
      .inputs = c.inputs,
      .n_inputs = c.n_inputs,
      .line = line_cb,
      .line_arg = &rd,
  };
  bool ok = true;
  if (c.merge) {
    struct merge_arg m = {&ctx, &rd, true};
    ok = write_output(c.merge, r_merge, &m) && m.ok;
  }
  if (c.summary_json)
    ok = write_output(c.summary_json, r_summary, &ctx) && ok;
  if (c.prom)
    ok = write_output(c.prom, r_prom, &ctx) && ok;
  if (c.html)
    ok = write_output(c.html, r_html, &ctx) && ok;
  if (c.text)
    ok = write_output(c.text, r_text, &ctx) && ok;
  if (!ok)
    rc = 3;
  else if (c.fail_on_new && c.n_previous && diff.n_new > 0)
    rc = 1;

done:
  free(sorted);
  ms_rdiff_cleanup(&diff);
  ms_ragg_cleanup(&agg);
  ms_rreader_cleanup(&rd);
  ms_rreader_cleanup(&prd);
  ms_rdb_cleanup(&cur);
  ms_rdb_cleanup(&prev);
  ms_rcodes_cleanup(codes);
  free(codes);
  free(c.inputs);
  free(c.previous);
  free(c.scan_sum);
  return rc;
}
