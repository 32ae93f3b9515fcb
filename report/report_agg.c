/* Aggregation and diff of the report tool (see report_agg.h). */
#include "report/report_agg.h"

#include <stdlib.h>
#include <string.h>

#include "report/report_fmt.h"
#include "util/xalloc.h"

/* Expiring certificates, most urgent first: expired ones (negative days)
 * lead, ties broken by domain, host and kind so the order is stable from
 * one night to the next (dashboards and mails diff well). */
static int exp_cmp(const void *a, const void *b)
{
  const struct ms_rexp *x = a, *y = b;
  if (x->days_left != y->days_left)
    return x->days_left < y->days_left ? -1 : 1;
  int c = strcmp(x->dom->domain, y->dom->domain);
  if (c)
    return c;
  c = strcmp(x->cert->host, y->cert->host);
  if (c)
    return c;
  return (x->cert->kind > y->cert->kind) - (x->cert->kind < y->cert->kind);
}

/* One pass over the sorted entries. Per code, "domains" counts a domain
 * once however many findings (and severities) it has for the code, and
 * "findings" counts them all. The severity index is masked to 0..3 so a
 * corrupted entry can never index past by_sev[]. */
void ms_ragg_compute(struct ms_ragg *agg, struct ms_rdom *const *dom, size_t n,
                     size_t n_codes, int64_t now, int days)
{
  memset(agg, 0, sizeof(*agg));
  agg->n_codes = n_codes;
  agg->codes = ms_xcalloc(n_codes ? n_codes : 1, sizeof(*agg->codes));
  const int64_t horizon = now + (int64_t)days * 86400;
  size_t cap_exp = 0;
  for (size_t i = 0; i < n; i++) {
    const struct ms_rdom *d = dom[i];
    agg->domains++;
    agg->by_status[d->status]++;
    agg->by_mode[d->mode]++;
    agg->duration_ms_sum += d->duration_ms;
    if (d->duration_ms > agg->duration_ms_max)
      agg->duration_ms_max = d->duration_ms;
    for (size_t j = 0; j < d->n_find; j++) {
      const struct ms_rfind *f = &d->find[j];
      if (f->code >= n_codes)
        continue;
      struct ms_rcount *c = &agg->codes[f->code];
      /* find[] is sorted by code: count the domain once per code. */
      if (j == 0 || d->find[j - 1].code != f->code)
        c->domains++;
      c->findings += f->count;
      c->by_sev[f->sev & 3] += f->count;
      agg->by_sev[f->sev & 3] += f->count;
    }
    for (size_t j = 0; j < d->n_cert; j++) {
      if (d->cert[j].not_after > horizon)
        continue;
      if (agg->n_exp == cap_exp) {
        cap_exp = cap_exp ? cap_exp * 2 : 16;
        agg->exp = ms_xrealloc(agg->exp, cap_exp * sizeof(*agg->exp));
      }
      struct ms_rexp *e = &agg->exp[agg->n_exp++];
      e->dom = d;
      e->cert = &d->cert[j];
      e->days_left = ms_report_days_left(d->cert[j].not_after, now);
    }
  }
  if (agg->n_exp > 1)
    qsort(agg->exp, agg->n_exp, sizeof(*agg->exp), exp_cmp);
}

void ms_ragg_cleanup(struct ms_ragg *agg)
{
  free(agg->codes);
  free(agg->exp);
  memset(agg, 0, sizeof(*agg));
}

/* A growable list of problems. */
/* Appends one (domain, code, severity) to a growable problem list. */
static void push_prob(struct ms_rprob **v, size_t *n, size_t *cap,
                      const char *domain, const struct ms_rfind *f)
{
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    *v = ms_xrealloc(*v, *cap * sizeof(**v));
  }
  (*v)[*n].domain = domain;
  (*v)[*n].code = f->code;
  (*v)[*n].sev = f->sev;
  (*n)++;
}

/* Appends the problems of a that b does not have (b may be NULL), one per
 * code with its worst severity. */
static void problems_missing(const struct ms_rdom *a, const struct ms_rdom *b,
                             struct ms_rprob **v, size_t *n, size_t *cap)
{
  for (size_t j = 0; j < a->n_find; j++) {
    uint16_t code = a->find[j].code;
    if (j + 1 < a->n_find && a->find[j + 1].code == code)
      continue; /* sorted by (code, sev): the last one is the worst */
    if (a->find[j].sev < MS_SEV_WARNING)
      continue;
    if (b && ms_rdom_has_problem(b, code))
      continue;
    push_prob(v, n, cap, a->domain, &a->find[j]);
  }
}

/* Walks the current run in domain order and looks each domain up in the
 * previous store: the output lists come out sorted by domain without a
 * sort. Codes compare by id, which is safe because both stores share one
 * code table. A severity change of the same code (warning in testing,
 * error once the mode is enforce) is neither new nor fixed: the pair is
 * a problem in both runs; the status change shows it. */
void ms_rdiff_compute(struct ms_rdiff *diff, struct ms_rdom *const *cur,
                      size_t n, const struct ms_rdb *prev)
{
  memset(diff, 0, sizeof(*diff));
  size_t cap_new = 0, cap_fixed = 0, cap_chg = 0, seen = 0;
  diff->prev_domains = prev->n;
  for (size_t i = 0; i < n; i++) {
    const struct ms_rdom *d = cur[i];
    const struct ms_rdom *p = ms_rdb_get(prev, d->domain);
    problems_missing(d, p, &diff->new_p, &diff->n_new, &cap_new);
    if (!p) {
      diff->added++;
      continue;
    }
    seen++;
    problems_missing(p, d, &diff->fixed, &diff->n_fixed, &cap_fixed);
    if (p->status != d->status) {
      if (diff->n_chg == cap_chg) {
        cap_chg = cap_chg ? cap_chg * 2 : 16;
        diff->chg = ms_xrealloc(diff->chg, cap_chg * sizeof(*diff->chg));
      }
      diff->chg[diff->n_chg].domain = d->domain;
      diff->chg[diff->n_chg].from = p->status;
      diff->chg[diff->n_chg].to = d->status;
      diff->n_chg++;
    }
  }
  diff->removed = prev->n - seen;
}

void ms_rdiff_cleanup(struct ms_rdiff *diff)
{
  free(diff->new_p);
  free(diff->fixed);
  free(diff->chg);
  memset(diff, 0, sizeof(*diff));
}
