/*
 * Aggregation and diff over the compact store (report_db.h): counts per
 * status, mode, severity and finding code; certificates expiring within
 * N days; and, given the previous night's store, the new and fixed
 * problems (a problem is a (domain, code) pair with a warning or error
 * finding) and the status changes. Pure. Tests: tests/unit/test_report_agg.c.
 */
#ifndef MS_REPORT_REPORT_AGG_H
#define MS_REPORT_REPORT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/report_db.h"

struct ms_rcount {
  uint64_t domains;   /* domains with at least one finding of the code */
  uint64_t findings;  /* findings of the code */
  uint64_t by_sev[4]; /* findings by enum ms_sev (INFO..ERROR) */
};

struct ms_rexp {
  const struct ms_rdom *dom;   /* borrowed from the store */
  const struct ms_rcert *cert; /* borrowed from dom */
  int64_t days_left;           /* whole days, negative once expired */
};

struct ms_ragg {
  uint64_t domains;
  uint64_t by_status[MS_RSTATUS_COUNT];
  uint64_t by_mode[MS_RMODE_COUNT];
  uint64_t by_sev[4];      /* findings by enum ms_sev */
  struct ms_rcount *codes; /* indexed by code id; n_codes entries */
  size_t n_codes;
  int64_t duration_ms_sum; /* sum of the records' duration_ms */
  int64_t duration_ms_max;
  struct ms_rexp *exp; /* sorted by days_left, domain, host */
  size_t n_exp;
};

struct ms_rprob {
  const char *domain; /* borrowed from a store */
  uint16_t code;
  uint8_t sev; /* worst severity of the code in that run */
};

struct ms_rchange {
  const char *domain; /* borrowed from the current store */
  uint8_t from, to;   /* enum ms_rstatus */
};

struct ms_rdiff {
  struct ms_rprob *new_p; /* problems now, absent in the previous run */
  size_t n_new;
  struct ms_rprob *fixed; /* problems then, absent now */
  size_t n_fixed;
  struct ms_rchange *chg; /* domains in both runs whose status changed */
  size_t n_chg;
  size_t added;   /* domains absent from the previous run */
  size_t removed; /* domains absent from this run */
  size_t prev_domains;
};

/* Computes agg from the n entries of dom (sorted by domain, borrowed),
 * now (Unix seconds) and the window in days: certificates whose not_after
 * is at most now + days * 86400 are listed (expired ones too). n_codes is
 * ms_rcodes_count() of the store's code table. Free with ms_ragg_cleanup. */
void ms_ragg_compute(struct ms_ragg *agg, struct ms_rdom *const *dom, size_t n,
                     size_t n_codes, int64_t now, int days);
void ms_ragg_cleanup(struct ms_ragg *agg);

/* Computes the diff of the current run (cur: n entries sorted by domain)
 * against prev (the same code table). A domain new in this run brings its
 * problems as new ones; a domain gone from this run is counted in
 * removed, and its problems are not "fixed". Lists are sorted by domain,
 * then code id. Free with ms_rdiff_cleanup. */
void ms_rdiff_compute(struct ms_rdiff *diff, struct ms_rdom *const *cur,
                      size_t n, const struct ms_rdb *prev);
void ms_rdiff_cleanup(struct ms_rdiff *diff);

#endif
