/*
 * The report tool's outputs, each rendered from one struct ms_rctx: the
 * summary as JSON, the plain-text cron mail, the Prometheus text
 * exposition file (node_exporter textfile collector) and the
 * self-contained HTML page. Every string from the input is escaped for
 * its output (report_fmt.h). Does no file handling (main_report.c opens,
 * renames). Tests: tests/unit/test_report_out.c, tests/report/.
 */
#ifndef MS_REPORT_REPORT_OUT_H
#define MS_REPORT_REPORT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report_agg.h"
#include "report/report_db.h"

#define MS_RTEXT_LIST_MAX   50   /* entries per list in the text summary */
#define MS_RHTML_DETAIL_MAX 2000 /* problem domains shown with evidence */
#define MS_RHTML_BODY_MAX   8192 /* policy body bytes shown per domain */

/* Returns a new copy of d's record line (caller free()s it) or NULL. */
typedef char *(*ms_rctx_line_cb)(void *arg, const struct ms_rdom *d,
                                 size_t *len);

struct ms_rctx {
  const struct ms_rcodes *codes; /* code names */
  struct ms_rdom *const *dom;    /* current run, sorted by domain */
  size_t n;                      /* entries of dom */
  const struct ms_ragg *agg;     /* counts of dom */
  const struct ms_rdiff *diff;   /* NULL without --previous */
  int64_t now;                   /* report time, Unix seconds */
  int expiring_days;             /* certificate window; default 14 */
  double scan_seconds;           /* wall time of the scan */
  bool scan_seconds_known;       /* from --scan-summary */
  uint64_t bad_lines;            /* input lines that were not records */
  uint64_t duplicates;           /* records replaced by later ones */
  const char *const *inputs;     /* result files, for the page header */
  size_t n_inputs;
  ms_rctx_line_cb line; /* re-reads a record; may be NULL */
  void *line_arg;
};

/* Writes the summary object (one JSON document, indented) to fp. */
void ms_rout_summary_json(FILE *fp, const struct ms_rctx *ctx);
/* Writes the plain-text summary (lists capped at MS_RTEXT_LIST_MAX). */
void ms_rout_text(FILE *fp, const struct ms_rctx *ctx);
/* Writes the Prometheus text exposition format (version 0.0.4). */
void ms_rout_prom(FILE *fp, const struct ms_rctx *ctx);
/* Writes the HTML page: inline CSS and SVG, no scripts, no external
 * assets; evidence (TXT records, policy body) for up to
 * MS_RHTML_DETAIL_MAX problem domains when ctx->line is set. */
void ms_rout_html(FILE *fp, const struct ms_rctx *ctx);

#endif
