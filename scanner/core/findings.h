/*
 * The finding catalogue (generated from data/findings.def) and the bounded
 * per-domain list of findings that parsers and the verdict append to.
 * Pure: no I/O. Tests: tests/unit/test_findings.c.
 */
#ifndef MS_CORE_FINDINGS_H
#define MS_CORE_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

enum ms_sev {
  MS_SEV_DEFAULT = 0, /* "use the catalogue's severity" (list items only) */
  MS_SEV_INFO,
  MS_SEV_WARNING,
  MS_SEV_ERROR,
  MS_SEV_MODE /* catalogue only: resolved from the mode by the verdict */
};

/* Internal aliases so the .def file can say ERROR, WARNING, INFO, MODE. */
#define MS_SEV_CAT_ERROR   MS_SEV_ERROR
#define MS_SEV_CAT_WARNING MS_SEV_WARNING
#define MS_SEV_CAT_INFO    MS_SEV_INFO
#define MS_SEV_CAT_MODE    MS_SEV_MODE

enum ms_finding {
#define MS_FINDING(id, sev, rfc, msg, doc) MS_F_##id,
#include "findings.def"
#undef MS_FINDING
  MS_F_COUNT
};

struct ms_finding_info {
  const char *code;    /* stable JSON code, e.g. "MX_NOT_COVERED" */
  enum ms_sev sev;     /* catalogue severity (MS_SEV_MODE possible) */
  const char *rfc;     /* RFC 8461 section, "RFC 8460 3", or "-" */
  const char *message; /* one sentence put in every record */
  const char *doc;     /* explanation for docs and the HTML report */
};

/* Returns the catalogue entry of f (borrowed, static); f < MS_F_COUNT. */
const struct ms_finding_info *ms_finding_info(enum ms_finding f);
/* Looks a code up by name; returns false when unknown. */
bool ms_finding_by_code(const char *code, enum ms_finding *out);
/* "error", "warning", "info" ("mode-dependent" for MS_SEV_MODE). */
const char *ms_sev_name(enum ms_sev sev);

/* Caps of one domain's finding list (style 3.6: every input has a cap). */
#define MS_FINDINGS_MAX     96
#define MS_FINDING_SUBJ_MAX 256
#define MS_FINDING_DET_MAX  200

struct ms_finding_item {
  enum ms_finding code;
  enum ms_sev sev;                   /* MS_SEV_DEFAULT: catalogue's */
  char subject[MS_FINDING_SUBJ_MAX]; /* "" when none */
  char detail[MS_FINDING_DET_MAX];   /* "" when none */
};

struct ms_findings {
  struct ms_finding_item item[MS_FINDINGS_MAX];
  size_t n;
  size_t dropped; /* items beyond MS_FINDINGS_MAX (counted, not kept) */
};

void ms_findings_init(struct ms_findings *f);
/* Appends a finding. subject may be NULL; fmt may be NULL (no detail) and
 * is printf-style otherwise; over-long text is truncated. */
void ms_findings_add(struct ms_findings *f, enum ms_finding code,
                     enum ms_sev sev, const char *subject, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
/* True when the list holds at least one item with this code. */
bool ms_findings_has(const struct ms_findings *f, enum ms_finding code);
/* Number of items with this code. */
size_t ms_findings_count(const struct ms_findings *f, enum ms_finding code);

#endif
