/* The report tool's renderers (see report_out.h). */
#include "report/report_out.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_fmt.h"
#include "util/xalloc.h"

/*
 * Layout of this file: one section per output. Each renderer only reads
 * the context (counts, diff, sorted entries) and writes to the FILE * it
 * is given; file handling (FILE.tmp + rename) is main_report.c's. Every
 * string that came from a record goes through an escaper of report_fmt.h
 * chosen for the output: HTML entities, exposition-format escapes, or the
 * one-line text escape. Names from the catalogue and the fixed vocabularies
 * (status, mode, severity) are trusted and written as they are.
 */

/* "error", "warning", "info" for a finding severity. */
static const char *sev_word(uint8_t sev)
{
  return ms_sev_name((enum ms_sev)sev);
}

/* The statuses the HTML lists in "Domains with problems": the domain
 * publishes something broken (invalid, warning) or could not be checked
 * (error). "none" (no MTA-STS at all) is not a problem of the deployment. */
static bool is_problem_status(uint8_t st)
{
  return st == MS_RSTATUS_INVALID || st == MS_RSTATUS_WARNING ||
         st == MS_RSTATUS_ERROR;
}

/* Number of domains in those three statuses. */
static uint64_t problem_domains(const struct ms_ragg *agg)
{
  return agg->by_status[MS_RSTATUS_INVALID] +
         agg->by_status[MS_RSTATUS_WARNING] + agg->by_status[MS_RSTATUS_ERROR];
}

/* ---- summary JSON ---- */

/* A JSON array of {domain, code, severity} for a problem list. The
 * strings come from valid JSON input, so json_pack cannot fail on them. */
static json_t *prob_list(const struct ms_rctx *ctx, const struct ms_rprob *p,
                         size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "domain", p[i].domain,
                                       "code",
                                       ms_rcodes_name(ctx->codes, p[i].code),
                                       "severity", sev_word(p[i].sev)));
  return a;
}

/* The summary document. Keys are in a fixed order (jansson keeps insertion
 * order) so diffs of two nights' summaries stay readable. Codes that no
 * record carries are left out of "findings"; the diff members are null
 * (not empty) without --previous, so a consumer can tell "no change"
 * from "not compared". */
void ms_rout_summary_json(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  char ts[MS_REPORT_TIME_LEN];
  json_t *o = json_object();
  json_object_set_new(o, "generated_at",
                      json_string(ms_report_time_format(ctx->now, ts)));
  json_t *in = json_array();
  for (size_t i = 0; i < ctx->n_inputs; i++)
    json_array_append_new(in, json_string(ctx->inputs[i]));
  json_object_set_new(o, "inputs", in);
  json_object_set_new(o, "domains", json_integer((json_int_t)agg->domains));
  json_object_set_new(o, "bad_lines", json_integer((json_int_t)ctx->bad_lines));
  json_object_set_new(o, "duplicates",
                      json_integer((json_int_t)ctx->duplicates));
  json_t *st = json_object();
  for (int i = 0; i < MS_RSTATUS_COUNT; i++)
    json_object_set_new(st, ms_rstatus_name((enum ms_rstatus)i),
                        json_integer((json_int_t)agg->by_status[i]));
  json_object_set_new(o, "by_status", st);
  json_t *mo = json_object();
  for (int i = 0; i < MS_RMODE_COUNT; i++)
    json_object_set_new(mo, ms_rmode_name((enum ms_rmode)i),
                        json_integer((json_int_t)agg->by_mode[i]));
  json_object_set_new(o, "by_mode", mo);
  json_t *sv = json_object();
  for (int s = MS_SEV_ERROR; s >= MS_SEV_INFO; s--)
    json_object_set_new(sv, sev_word((uint8_t)s),
                        json_integer((json_int_t)agg->by_sev[s]));
  json_object_set_new(o, "by_severity", sv);
  json_t *codes = json_object();
  for (size_t c = 0; c < agg->n_codes; c++) {
    const struct ms_rcount *k = &agg->codes[c];
    if (!k->findings)
      continue;
    json_t *bs = json_object();
    for (int s = MS_SEV_ERROR; s >= MS_SEV_INFO; s--) {
      if (k->by_sev[s])
        json_object_set_new(bs, sev_word((uint8_t)s),
                            json_integer((json_int_t)k->by_sev[s]));
    }
    json_object_set_new(codes, ms_rcodes_name(ctx->codes, (uint16_t)c),
                        json_pack("{s:I, s:I, s:o}", "domains",
                                  (json_int_t)k->domains, "findings",
                                  (json_int_t)k->findings, "by_severity", bs));
  }
  json_object_set_new(o, "findings", codes);
  json_object_set_new(o, "expiring_days", json_integer(ctx->expiring_days));
  json_t *ex = json_array();
  for (size_t i = 0; i < agg->n_exp; i++) {
    const struct ms_rexp *e = &agg->exp[i];
    json_array_append_new(
        ex,
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "domain", e->dom->domain, "host",
                  e->cert->host, "kind",
                  e->cert->kind == MS_RCERT_MX ? "mx" : "policy", "not_after",
                  ms_report_time_format(e->cert->not_after, ts), "days_left",
                  (json_int_t)e->days_left));
  }
  json_object_set_new(o, "certificates_expiring", ex);
  json_object_set_new(o, "duration_ms",
                      json_pack("{s:I, s:I}", "sum",
                                (json_int_t)agg->duration_ms_sum, "max",
                                (json_int_t)agg->duration_ms_max));
  if (ctx->scan_seconds_known)
    json_object_set_new(o, "scan_seconds", json_real(ctx->scan_seconds));
  const struct ms_rdiff *d = ctx->diff;
  if (d) {
    json_object_set_new(o, "previous",
                        json_pack("{s:I, s:I, s:I}", "domains",
                                  (json_int_t)d->prev_domains, "added_domains",
                                  (json_int_t)d->added, "removed_domains",
                                  (json_int_t)d->removed));
    json_object_set_new(o, "new_problems", prob_list(ctx, d->new_p, d->n_new));
    json_object_set_new(o, "fixed_problems",
                        prob_list(ctx, d->fixed, d->n_fixed));
    json_t *ch = json_array();
    for (size_t i = 0; i < d->n_chg; i++)
      json_array_append_new(
          ch, json_pack("{s:s, s:s, s:s}", "domain", d->chg[i].domain, "from",
                        ms_rstatus_name((enum ms_rstatus)d->chg[i].from), "to",
                        ms_rstatus_name((enum ms_rstatus)d->chg[i].to)));
    json_object_set_new(o, "status_changes", ch);
  } else {
    json_object_set_new(o, "previous", json_null());
    json_object_set_new(o, "new_problems", json_null());
    json_object_set_new(o, "fixed_problems", json_null());
    json_object_set_new(o, "status_changes", json_null());
  }
  json_dumpf(o, fp, JSON_INDENT(2) | JSON_ENSURE_ASCII);
  fputc('\n', fp);
  json_decref(o);
}

/* ---- plain text ---- */

/* One input string on a text line, escaped, padded to width. */
static void tx(FILE *fp, const char *s, int width)
{
  ms_report_text_escape(fp, s, strlen(s), width);
}

/* One list of the text summary: a count line, then at most
 * MS_RTEXT_LIST_MAX entries (a cron mail must stay readable when a
 * resolver outage turns ten thousand domains red at once). */
static void text_probs(FILE *fp, const struct ms_rctx *ctx, const char *title,
                       const struct ms_rprob *p, size_t n)
{
  fprintf(fp, "\n%s: %zu\n", title, n);
  for (size_t i = 0; i < n && i < MS_RTEXT_LIST_MAX; i++) {
    fputs("  ", fp);
    tx(fp, p[i].domain, 40);
    fputc(' ', fp);
    tx(fp, ms_rcodes_name(ctx->codes, p[i].code), 0);
    fprintf(fp, " (%s)\n", sev_word(p[i].sev));
  }
  if (n > MS_RTEXT_LIST_MAX)
    fprintf(fp, "  ... and %zu more\n", n - MS_RTEXT_LIST_MAX);
}

/* The cron mail: counts first, then what changed, then what will break
 * soon. Strings from records are escaped so a name with a newline cannot
 * forge a line of the mail. */
void ms_rout_text(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  char ts[MS_REPORT_TIME_LEN];
  fprintf(fp, "MTA-STS report %s: %llu domains, %llu with problems\n",
          ms_report_time_format(ctx->now, ts), (unsigned long long)agg->domains,
          (unsigned long long)problem_domains(agg));
  fprintf(fp, "  status:");
  for (int i = 0; i < MS_RSTATUS_COUNT; i++)
    fprintf(fp, " %s %llu%s", ms_rstatus_name((enum ms_rstatus)i),
            (unsigned long long)agg->by_status[i],
            i + 1 < MS_RSTATUS_COUNT ? "," : "\n");
  fprintf(fp, "  mode:");
  for (int i = 0; i < MS_RMODE_ABSENT; i++)
    fprintf(fp, " %s %llu%s", ms_rmode_name((enum ms_rmode)i),
            (unsigned long long)agg->by_mode[i],
            i + 1 < MS_RMODE_ABSENT ? "," : "");
  fprintf(fp, ", no usable policy %llu\n",
          (unsigned long long)agg->by_mode[MS_RMODE_ABSENT]);
  if (ctx->bad_lines || ctx->duplicates)
    fprintf(fp, "  input: %llu bad lines, %llu repeated domains\n",
            (unsigned long long)ctx->bad_lines,
            (unsigned long long)ctx->duplicates);
  const struct ms_rdiff *d = ctx->diff;
  if (d) {
    text_probs(fp, ctx, "New problems since the previous run", d->new_p,
               d->n_new);
    text_probs(fp, ctx, "Fixed problems", d->fixed, d->n_fixed);
    fprintf(fp, "\nStatus changes: %zu\n", d->n_chg);
    for (size_t i = 0; i < d->n_chg && i < MS_RTEXT_LIST_MAX; i++) {
      fputs("  ", fp);
      tx(fp, d->chg[i].domain, 40);
      fprintf(fp, " %s -> %s\n",
              ms_rstatus_name((enum ms_rstatus)d->chg[i].from),
              ms_rstatus_name((enum ms_rstatus)d->chg[i].to));
    }
    if (d->n_chg > MS_RTEXT_LIST_MAX)
      fprintf(fp, "  ... and %zu more\n", d->n_chg - MS_RTEXT_LIST_MAX);
    if (d->added || d->removed)
      fprintf(fp, "  domains added %zu, removed %zu\n", d->added, d->removed);
  } else {
    fprintf(fp, "\n(no previous run given: no new/fixed problems)\n");
  }
  fprintf(fp, "\nCertificates expired or expiring within %d days: %zu\n",
          ctx->expiring_days, agg->n_exp);
  for (size_t i = 0; i < agg->n_exp && i < MS_RTEXT_LIST_MAX; i++) {
    const struct ms_rexp *e = &agg->exp[i];
    fputs("  ", fp);
    tx(fp, e->dom->domain, 40);
    fprintf(fp, " %s ", e->cert->kind == MS_RCERT_MX ? "mx" : "policy");
    tx(fp, e->cert->host, 0);
    fprintf(fp, " %lld days (%s)\n", (long long)e->days_left,
            ms_report_time_format(e->cert->not_after, ts));
  }
  if (agg->n_exp > MS_RTEXT_LIST_MAX)
    fprintf(fp, "  ... and %zu more\n", agg->n_exp - MS_RTEXT_LIST_MAX);
}

/* ---- Prometheus ---- */

/* HELP and TYPE lines of a family. Every metric here is a gauge: the file
 * describes the latest night, it does not count events across nights. */
static void prom_head(FILE *fp, const char *name, const char *help)
{
  fprintf(fp, "# HELP %s ", name);
  ms_report_prom_help_escape(fp, help, strlen(help));
  fprintf(fp, "\n# TYPE %s gauge\n", name);
}

/* Writes name="value" with the value escaped. */
static void prom_label(FILE *fp, const char *name, const char *value, bool more)
{
  fprintf(fp, "%s=\"", name);
  ms_report_prom_escape(fp, value, strlen(value));
  fputs(more ? "\"," : "\"", fp);
}

/* One sample of a per-certificate metric. */
static void prom_cert(FILE *fp, const char *name, const struct ms_rexp *e,
                      int64_t value)
{
  fprintf(fp, "%s{", name);
  prom_label(fp, "domain", e->dom->domain, true);
  prom_label(fp, "host", e->cert->host, true);
  prom_label(fp, "kind", e->cert->kind == MS_RCERT_MX ? "mx" : "policy", false);
  fprintf(fp, "} %lld\n", (long long)value);
}

/* The exposition file. Families are written whole, one after the other
 * (the format requires a family's samples to be contiguous); a family
 * with no samples keeps its HELP/TYPE lines so dashboards see the metric
 * exists. Label values from records are escaped (\\ \" \n) and other
 * control bytes replaced, which promtool and the Python parser accept. */
void ms_rout_prom(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  prom_head(fp, "mtasts_domains", "Domains by MTA-STS status in the results.");
  for (int i = 0; i < MS_RSTATUS_COUNT; i++)
    fprintf(fp, "mtasts_domains{status=\"%s\"} %llu\n",
            ms_rstatus_name((enum ms_rstatus)i),
            (unsigned long long)agg->by_status[i]);
  prom_head(fp, "mtasts_domains_by_mode",
            "Domains by the mode of their usable policy (null: none).");
  for (int i = 0; i < MS_RMODE_COUNT; i++)
    fprintf(fp, "mtasts_domains_by_mode{mode=\"%s\"} %llu\n",
            ms_rmode_name((enum ms_rmode)i),
            (unsigned long long)agg->by_mode[i]);
  prom_head(fp, "mtasts_findings", "Findings by code and severity.");
  for (size_t c = 0; c < agg->n_codes; c++) {
    for (int s = MS_SEV_ERROR; s >= MS_SEV_INFO; s--) {
      if (!agg->codes[c].by_sev[s])
        continue;
      fputs("mtasts_findings{", fp);
      prom_label(fp, "code", ms_rcodes_name(ctx->codes, (uint16_t)c), true);
      prom_label(fp, "severity", sev_word((uint8_t)s), false);
      fprintf(fp, "} %llu\n", (unsigned long long)agg->codes[c].by_sev[s]);
    }
  }
  prom_head(fp, "mtasts_domains_with_finding",
            "Domains with at least one finding of the code.");
  for (size_t c = 0; c < agg->n_codes; c++) {
    if (!agg->codes[c].domains)
      continue;
    fputs("mtasts_domains_with_finding{", fp);
    prom_label(fp, "code", ms_rcodes_name(ctx->codes, (uint16_t)c), false);
    fprintf(fp, "} %llu\n", (unsigned long long)agg->codes[c].domains);
  }
  size_t by_kind[2] = {0, 0};
  for (size_t i = 0; i < agg->n_exp; i++)
    by_kind[agg->exp[i].cert->kind == MS_RCERT_MX]++;
  char help[128];
  snprintf(help, sizeof(help),
           "Certificates expiring within %d days (or expired), by kind.",
           ctx->expiring_days);
  prom_head(fp, "mtasts_cert_expiring", help);
  fprintf(fp, "mtasts_cert_expiring{kind=\"policy\"} %zu\n", by_kind[0]);
  fprintf(fp, "mtasts_cert_expiring{kind=\"mx\"} %zu\n", by_kind[1]);
  /* Per certificate: its notAfter and the time left, both in seconds
   * (promtool's lint wants base units; days = seconds left / 86400). */
  prom_head(fp, "mtasts_cert_expiry_timestamp_seconds",
            "notAfter of an expiring certificate (Unix time).");
  for (size_t i = 0; i < agg->n_exp; i++)
    prom_cert(fp, "mtasts_cert_expiry_timestamp_seconds", &agg->exp[i],
              agg->exp[i].cert->not_after);
  prom_head(fp, "mtasts_cert_remaining_seconds",
            "Seconds until an expiring certificate's notAfter (negative: "
            "expired).");
  for (size_t i = 0; i < agg->n_exp; i++)
    prom_cert(fp, "mtasts_cert_remaining_seconds", &agg->exp[i],
              agg->exp[i].cert->not_after - ctx->now);
  if (ctx->diff) {
    prom_head(fp, "mtasts_problems_new",
              "Domain/code problems present now, absent in the previous run.");
    fprintf(fp, "mtasts_problems_new %zu\n", ctx->diff->n_new);
    prom_head(fp, "mtasts_problems_fixed",
              "Domain/code problems of the previous run gone now.");
    fprintf(fp, "mtasts_problems_fixed %zu\n", ctx->diff->n_fixed);
    prom_head(fp, "mtasts_status_changes",
              "Domains whose status differs from the previous run.");
    fprintf(fp, "mtasts_status_changes %zu\n", ctx->diff->n_chg);
  }
  prom_head(fp, "mtasts_input_bad_lines",
            "Lines of the result files that were not records.");
  fprintf(fp, "mtasts_input_bad_lines %llu\n",
          (unsigned long long)ctx->bad_lines);
  prom_head(fp, "mtasts_scan_duration_seconds",
            "Wall time of the scan (the scanner's --summary; else the "
            "slowest domain).");
  fprintf(fp, "mtasts_scan_duration_seconds %.3f\n",
          ctx->scan_seconds_known ? ctx->scan_seconds
                                  : (double)agg->duration_ms_max / 1000.0);
  prom_head(fp, "mtasts_scan_domain_time_seconds",
            "Sum of the per-domain scan times (duration_ms).");
  fprintf(fp, "mtasts_scan_domain_time_seconds %.3f\n",
          (double)agg->duration_ms_sum / 1000.0);
  prom_head(fp, "mtasts_report_timestamp_seconds",
            "When this report was made (Unix time).");
  fprintf(fp, "mtasts_report_timestamp_seconds %lld\n", (long long)ctx->now);
}

/* ---- HTML ---- */

/* HTML-escapes a NUL-terminated string (from a record or the store). */
static void h(FILE *fp, const char *s)
{
  ms_report_html_escape(fp, s, strlen(s));
}

/* Writes a JSON string value escaped (NUL bytes included); "" for others. */
static void hj(FILE *fp, const json_t *v)
{
  if (json_is_string(v))
    ms_report_html_escape(fp, json_string_value(v), json_string_length(v));
  else if (json_is_integer(v))
    fprintf(fp, "%lld", (long long)json_integer_value(v));
}

/* The anchor of a code in the catalogue section. */
static void code_anchor(FILE *fp, const struct ms_rctx *ctx, uint16_t code)
{
  if (code < MS_F_COUNT)
    fputs(ms_rcodes_name(ctx->codes, code), fp);
  else
    fprintf(fp, "code-unknown-%u", (unsigned)code);
}

/* A finding code as a link to its catalogue entry, coloured by the worst
 * severity it has for this domain. */
static void code_link(FILE *fp, const struct ms_rctx *ctx, uint16_t code,
                      uint8_t sev)
{
  fprintf(fp, "<a class=\"code sev-%s\" href=\"#", sev_word(sev));
  code_anchor(fp, ctx, code);
  fputs("\">", fp);
  h(fp, ms_rcodes_name(ctx->codes, code));
  fputs("</a>", fp);
}

/* A status as a coloured badge (fixed vocabulary: no escaping needed). */
static void status_badge(FILE *fp, uint8_t st)
{
  const char *n = ms_rstatus_name((enum ms_rstatus)st);
  fprintf(fp, "<span class=\"st st-%s\">%s</span>", n, n);
}

/* The page's only style sheet, inline so the file is self-contained and
 * can be mailed or archived as it is. No web fonts, no images. */
static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;margin:0;color:#1d2330;background:#f4f6f9}"
    "header{background:#1d2a44;color:#fff;padding:18px 28px}"
    "header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.8}"
    "nav{background:#fff;border-bottom:1px solid #dde2ea;padding:8px 28px}"
    "nav a{margin-right:18px;color:#2452a6;text-decoration:none}"
    "main{padding:8px 28px 40px;max-width:1200px}"
    "section{background:#fff;border:1px solid #dde2ea;border-radius:6px;"
    "padding:12px 18px;margin:16px 0}"
    "h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:12px}"
    ".card{border:1px solid #dde2ea;border-radius:6px;padding:8px 14px;"
    "min-width:120px}.card b{display:block;font-size:22px}"
    "table{border-collapse:collapse;width:100%;margin:4px 0 8px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8ebf0;"
    "vertical-align:top}th{background:#f0f3f7;font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".st{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;"
    "font-size:12px}.st-valid{background:#2e7d32}"
    ".st-warning{background:#b7791f}.st-invalid{background:#c62828}"
    ".st-none{background:#7b8594}.st-error{background:#6a1b9a}"
    "a.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;"
    "margin:0 6px 2px 0;display:inline-block;text-decoration:none;"
    "padding:0 4px;border-radius:3px}"
    "a.sev-error{background:#fde2e2;color:#8b1a1a}"
    "a.sev-warning{background:#fff1d6;color:#7a4a00}"
    "a.sev-info{background:#e8edf5;color:#34495e}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;"
    "border:1px solid #e1e4e8;padding:6px;margin:4px 0;max-width:760px}"
    "details summary{cursor:pointer;color:#2452a6;white-space:nowrap}"
    "td.dom{word-break:break-all;max-width:340px}"
    "dt{font-weight:600;margin-top:10px}dt code{font-size:13px}"
    "dd{margin:2px 0 0 18px}.muted{color:#6b7280}"
    "table.narrow{width:auto}table.narrow th,table.narrow td{"
    "min-width:90px}"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace}";

static const char *const status_color[MS_RSTATUS_COUNT] = {
    "#2e7d32", "#b7791f", "#c62828", "#7b8594", "#6a1b9a"};

/* Horizontal bars of the status counts as inline SVG. */
static void html_chart(FILE *fp, const struct ms_ragg *agg)
{
  uint64_t max = 1;
  for (int i = 0; i < MS_RSTATUS_COUNT; i++) {
    if (agg->by_status[i] > max)
      max = agg->by_status[i];
  }
  const int bar_h = 22, gap = 8, left = 80, width = 460;
  int total_h = MS_RSTATUS_COUNT * (bar_h + gap);
  fprintf(fp,
          "<svg role=\"img\" aria-label=\"domains by status\" width=\"%d\" "
          "height=\"%d\" viewBox=\"0 0 %d %d\" "
          "xmlns=\"http://www.w3.org/2000/svg\">\n",
          left + width + 90, total_h, left + width + 90, total_h);
  for (int i = 0; i < MS_RSTATUS_COUNT; i++) {
    int y = i * (bar_h + gap);
    double w = (double)agg->by_status[i] / (double)max * width;
    if (agg->by_status[i] && w < 2)
      w = 2;
    fprintf(fp,
            "<text x=\"0\" y=\"%d\" font-size=\"13\" fill=\"#1d2330\">%s"
            "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
            "rx=\"3\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" font-size=\"13\" "
            "fill=\"#1d2330\">%llu</text>\n",
            y + 16, ms_rstatus_name((enum ms_rstatus)i), left, y, w, bar_h,
            status_color[i], left + w + 6, y + 16,
            (unsigned long long)agg->by_status[i]);
  }
  fputs("</svg>\n", fp);
}

/* A table of (domain, code) problems for the changes section. */
static void html_probs(FILE *fp, const struct ms_rctx *ctx, const char *title,
                       const struct ms_rprob *p, size_t n)
{
  fprintf(fp, "<h3>%s (%zu)</h3>\n", title, n);
  if (!n) {
    fputs("<p class=\"muted\">none</p>\n", fp);
    return;
  }
  fputs("<table><tr><th>Domain</th><th>Finding</th></tr>\n", fp);
  for (size_t i = 0; i < n; i++) {
    fputs("<tr><td>", fp);
    h(fp, p[i].domain);
    fputs("</td><td>", fp);
    code_link(fp, ctx, p[i].code, p[i].sev);
    fputs("</td></tr>\n", fp);
  }
  fputs("</table>\n", fp);
}

/* The "what changed since yesterday" section: new problems, fixed
 * problems and status changes, or a note that no previous run was given. */
static void html_changes(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_rdiff *d = ctx->diff;
  fputs("<section id=\"changes\"><h2>Changes since the previous run</h2>\n",
        fp);
  if (!d) {
    fputs("<p class=\"muted\">No previous run was given (--previous).</p>"
          "</section>\n",
          fp);
    return;
  }
  fprintf(fp,
          "<p>Previous run: %zu domains; %zu added, %zu removed since.</p>\n",
          d->prev_domains, d->added, d->removed);
  html_probs(fp, ctx, "New problems", d->new_p, d->n_new);
  html_probs(fp, ctx, "Fixed problems", d->fixed, d->n_fixed);
  fprintf(fp, "<h3>Status changes (%zu)</h3>\n", d->n_chg);
  if (!d->n_chg) {
    fputs("<p class=\"muted\">none</p>\n", fp);
  } else {
    fputs("<table><tr><th>Domain</th><th>Before</th><th>Now</th></tr>\n", fp);
    for (size_t i = 0; i < d->n_chg; i++) {
      fputs("<tr><td>", fp);
      h(fp, d->chg[i].domain);
      fputs("</td><td>", fp);
      status_badge(fp, d->chg[i].from);
      fputs("</td><td>", fp);
      status_badge(fp, d->chg[i].to);
      fputs("</td></tr>\n", fp);
    }
    fputs("</table>\n", fp);
  }
  fputs("</section>\n", fp);
}

/* Certificates expiring within the window, soonest (or expired) first. */
static void html_certs(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  char ts[MS_REPORT_TIME_LEN];
  fprintf(fp,
          "<section id=\"certs\"><h2>Certificates expiring within %d days "
          "(%zu)</h2>\n",
          ctx->expiring_days, agg->n_exp);
  if (!agg->n_exp) {
    fputs("<p class=\"muted\">none</p></section>\n", fp);
    return;
  }
  fputs("<table><tr><th>Domain</th><th>Kind</th><th>Host</th>"
        "<th>Not after</th><th class=\"n\">Days left</th></tr>\n",
        fp);
  for (size_t i = 0; i < agg->n_exp; i++) {
    const struct ms_rexp *e = &agg->exp[i];
    fputs("<tr><td>", fp);
    h(fp, e->dom->domain);
    fprintf(fp, "</td><td>%s</td><td>",
            e->cert->kind == MS_RCERT_MX ? "MX" : "policy host");
    h(fp, e->cert->host);
    fprintf(fp, "</td><td>%s</td><td class=\"n\">%lld</td></tr>\n",
            ms_report_time_format(e->cert->not_after, ts),
            (long long)e->days_left);
  }
  fputs("</table></section>\n", fp);
}

/* The evidence of one problem domain from its full record. */
/* The evidence of one problem domain, re-read from its record line: each
 * finding with subject and detail, the TXT records as served, the policy
 * body (capped at MS_RHTML_BODY_MAX) and the TLS-RPT records. This is where
 * hostile bytes from the network reach the page, so everything goes
 * through hj() / ms_report_html_escape. Inside <details>: closed by
 * default, opened without JavaScript. */
static void html_evidence(FILE *fp, const json_t *rec)
{
  size_t i;
  const json_t *v;
  fputs("<details><summary>evidence</summary>\n<table>", fp);
  json_array_foreach(json_object_get(rec, "findings"), i, v)
  {
    fputs("<tr><td><code>", fp);
    hj(fp, json_object_get(v, "code"));
    fputs("</code> ", fp);
    hj(fp, json_object_get(v, "severity"));
    fputs("</td><td>", fp);
    hj(fp, json_object_get(v, "message"));
    const json_t *subj = json_object_get(v, "subject");
    const json_t *det = json_object_get(v, "detail");
    if (json_is_string(subj)) {
      fputs("<br><span class=\"muted\">subject:</span> ", fp);
      hj(fp, subj);
    }
    if (json_is_string(det)) {
      fputs("<br><span class=\"muted\">detail:</span> ", fp);
      hj(fp, det);
    }
    fputs("</td></tr>\n", fp);
  }
  fputs("</table>\n", fp);
  const json_t *sts = json_object_get(rec, "sts_record");
  json_array_foreach(json_object_get(sts, "records"), i, v)
  {
    fputs("<div class=\"muted\">TXT ", fp);
    hj(fp, json_object_get(sts, "name"));
    fputs("</div><pre>", fp);
    hj(fp, v);
    fputs("</pre>\n", fp);
  }
  const json_t *pol = json_object_get(rec, "policy");
  const json_t *body = json_object_get(pol, "body");
  if (json_is_string(body)) {
    fputs("<div class=\"muted\">policy ", fp);
    hj(fp, json_object_get(pol, "url"));
    fputs(" (HTTP ", fp);
    hj(fp, json_object_get(pol, "http_status"));
    fputs(", ", fp);
    hj(fp, json_object_get(pol, "content_type"));
    fputs(")</div><pre>", fp);
    size_t n = json_string_length(body);
    ms_report_html_escape(fp, json_string_value(body),
                          n > MS_RHTML_BODY_MAX ? MS_RHTML_BODY_MAX : n);
    if (n > MS_RHTML_BODY_MAX)
      fputs("\n[... cut]", fp);
    fputs("</pre>\n", fp);
  }
  const json_t *rpt = json_object_get(rec, "tlsrpt");
  json_array_foreach(json_object_get(rpt, "records"), i, v)
  {
    fputs("<div class=\"muted\">TLS-RPT</div><pre>", fp);
    hj(fp, v);
    fputs("</pre>\n", fp);
  }
  fputs("</details>", fp);
}

/* Every domain with problems, in domain order, with links to the
 * catalogue. Evidence is shown for the first MS_RHTML_DETAIL_MAX of them
 * only, so a bad night on a big list still gives a page a browser opens. */
static void html_problems(FILE *fp, const struct ms_rctx *ctx)
{
  fprintf(fp,
          "<section id=\"problems\"><h2>Domains with problems (%llu)</h2>\n",
          (unsigned long long)problem_domains(ctx->agg));
  if (!problem_domains(ctx->agg)) {
    fputs("<p class=\"muted\">none</p></section>\n", fp);
    return;
  }
  fputs("<table><tr><th>Domain</th><th>Status</th><th>Mode</th>"
        "<th>Findings</th><th>Evidence</th></tr>\n",
        fp);
  size_t shown = 0;
  for (size_t i = 0; i < ctx->n; i++) {
    const struct ms_rdom *d = ctx->dom[i];
    if (!is_problem_status(d->status))
      continue;
    fputs("<tr><td class=\"dom\">", fp);
    h(fp, d->domain);
    fputs("</td><td>", fp);
    status_badge(fp, d->status);
    fprintf(fp, "</td><td>%s</td><td>",
            d->mode == MS_RMODE_ABSENT ? "&ndash;"
                                       : ms_rmode_name((enum ms_rmode)d->mode));
    for (size_t j = 0; j < d->n_find; j++) {
      if (j + 1 < d->n_find && d->find[j + 1].code == d->find[j].code)
        continue; /* show each code once, with its worst severity */
      code_link(fp, ctx, d->find[j].code, d->find[j].sev);
    }
    fputs("</td><td>", fp);
    char *line = NULL;
    size_t len = 0;
    if (ctx->line && shown < MS_RHTML_DETAIL_MAX)
      line = ctx->line(ctx->line_arg, d, &len);
    json_t *rec = line ? json_loadb(line, len, JSON_ALLOW_NUL, NULL) : NULL;
    if (rec) {
      html_evidence(fp, rec);
      shown++;
    } else {
      fputs("<span class=\"muted\">&ndash;</span>", fp);
    }
    json_decref(rec);
    free(line);
    fputs("</td></tr>\n", fp);
  }
  fputs("</table></section>\n", fp);
}

/* Counts per finding code, split by severity. */
static void html_codes(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  fputs("<section id=\"findings\"><h2>Findings by code</h2>\n"
        "<table><tr><th>Code</th><th class=\"n\">Domains</th>"
        "<th class=\"n\">Error</th><th class=\"n\">Warning</th>"
        "<th class=\"n\">Info</th></tr>\n",
        fp);
  for (size_t c = 0; c < agg->n_codes; c++) {
    const struct ms_rcount *k = &agg->codes[c];
    if (!k->findings)
      continue;
    uint8_t worst = k->by_sev[MS_SEV_ERROR]     ? MS_SEV_ERROR
                    : k->by_sev[MS_SEV_WARNING] ? MS_SEV_WARNING
                                                : MS_SEV_INFO;
    fputs("<tr><td>", fp);
    code_link(fp, ctx, (uint16_t)c, worst);
    fprintf(fp,
            "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
            "<td class=\"n\">%llu</td><td class=\"n\">%llu</td></tr>\n",
            (unsigned long long)k->domains,
            (unsigned long long)k->by_sev[MS_SEV_ERROR],
            (unsigned long long)k->by_sev[MS_SEV_WARNING],
            (unsigned long long)k->by_sev[MS_SEV_INFO]);
  }
  fputs("</table></section>\n", fp);
}

/* The catalogue section: one entry per code of this build (anchor = the
 * code, which is [A-Z_] only), then the codes seen in the input that this
 * build does not know (anchor code-unknown-<id>: their names are input). */
static void html_catalogue(FILE *fp, const struct ms_rctx *ctx)
{
  fputs("<section id=\"catalogue\"><h2>Finding catalogue</h2><dl>\n", fp);
  size_t n = ms_rcodes_count(ctx->codes);
  for (size_t c = 0; c < n; c++) {
    fputs("<dt id=\"", fp);
    code_anchor(fp, ctx, (uint16_t)c);
    fputs("\"><code>", fp);
    h(fp, ms_rcodes_name(ctx->codes, (uint16_t)c));
    fputs("</code> ", fp);
    if (c < MS_F_COUNT) {
      const struct ms_finding_info *fi = ms_finding_info((enum ms_finding)c);
      fprintf(fp, "<span class=\"muted\">%s", ms_sev_name(fi->sev));
      if (strcmp(fi->rfc, "-") != 0) {
        fputs(", ", fp);
        if (strncmp(fi->rfc, "RFC", 3) != 0)
          fputs("RFC 8461 section ", fp);
        h(fp, fi->rfc);
      }
      fputs("</span></dt>\n<dd>", fp);
      ms_report_html_escape_md(fp, fi->message, strlen(fi->message));
      fputs("<br><span class=\"muted\">", fp);
      ms_report_html_escape_md(fp, fi->doc, strlen(fi->doc));
      fputs("</span></dd>\n", fp);
    } else {
      fputs("</dt>\n<dd>A code this version of mtasts-report does not know "
            "(a newer scanner?).</dd>\n",
            fp);
    }
  }
  fputs("</dl></section>\n", fp);
}

/* The page: header, summary cards, the status chart (inline SVG), modes,
 * then the sections above. It contains no <script> element and no
 * reference to any other resource. */
void ms_rout_html(FILE *fp, const struct ms_rctx *ctx)
{
  const struct ms_ragg *agg = ctx->agg;
  char ts[MS_REPORT_TIME_LEN];
  fprintf(fp,
          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\">"
          "<title>MTA-STS report</title>\n<style>%s</style></head>\n<body>\n",
          css);
  fprintf(fp, "<header><h1>MTA-STS report</h1><p>%s &middot; ",
          ms_report_time_format(ctx->now, ts));
  for (size_t i = 0; i < ctx->n_inputs; i++) {
    h(fp, ctx->inputs[i]);
    fputs(i + 1 < ctx->n_inputs ? ", " : "", fp);
  }
  fputs("</p></header>\n<nav><a href=\"#summary\">Summary</a>"
        "<a href=\"#changes\">Changes</a><a href=\"#certs\">Certificates</a>"
        "<a href=\"#problems\">Problems</a><a href=\"#findings\">Findings</a>"
        "<a href=\"#catalogue\">Catalogue</a></nav>\n<main>\n",
        fp);
  fputs("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">", fp);
  fprintf(fp, "<div class=\"card\"><b>%llu</b>domains</div>",
          (unsigned long long)agg->domains);
  fprintf(fp, "<div class=\"card\"><b>%llu</b>with problems</div>",
          (unsigned long long)problem_domains(agg));
  if (ctx->diff)
    fprintf(fp,
            "<div class=\"card\"><b>%zu</b>new problems</div>"
            "<div class=\"card\"><b>%zu</b>fixed problems</div>",
            ctx->diff->n_new, ctx->diff->n_fixed);
  fprintf(fp, "<div class=\"card\"><b>%zu</b>certificates expiring</div>",
          agg->n_exp);
  if (ctx->bad_lines)
    fprintf(fp, "<div class=\"card\"><b>%llu</b>bad input lines</div>",
            (unsigned long long)ctx->bad_lines);
  fputs("</div>\n", fp);
  html_chart(fp, agg);
  fputs("<h3>Policy modes</h3><table class=\"narrow\"><tr>", fp);
  for (int i = 0; i < MS_RMODE_COUNT; i++)
    fprintf(fp, "<th class=\"n\">%s</th>",
            i == MS_RMODE_ABSENT ? "no usable policy"
                                 : ms_rmode_name((enum ms_rmode)i));
  fputs("</tr><tr>", fp);
  for (int i = 0; i < MS_RMODE_COUNT; i++)
    fprintf(fp, "<td class=\"n\">%llu</td>",
            (unsigned long long)agg->by_mode[i]);
  fputs("</tr></table></section>\n", fp);
  html_changes(fp, ctx);
  html_certs(fp, ctx);
  html_problems(fp, ctx);
  html_codes(fp, ctx);
  html_catalogue(fp, ctx);
  fputs("</main></body></html>\n", fp);
}
