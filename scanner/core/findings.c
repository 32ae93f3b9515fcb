/* The catalogue table, built from data/findings.def, and the finding list. */
#include "core/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct ms_finding_info table[MS_F_COUNT] = {
#define MS_FINDING(id, sev, rfc, msg, doc)                                   \
  [MS_F_##id] = {#id, MS_SEV_CAT_##sev, rfc, msg, doc},
#include "findings.def"
#undef MS_FINDING
};

const struct ms_finding_info *ms_finding_info(enum ms_finding f)
{
  if ((unsigned)f >= MS_F_COUNT)
    return NULL;
  return &table[f];
}

bool ms_finding_by_code(const char *code, enum ms_finding *out)
{
  for (size_t i = 0; i < MS_F_COUNT; i++) {
    if (strcmp(table[i].code, code) == 0) {
      *out = (enum ms_finding)i;
      return true;
    }
  }
  return false;
}

const char *ms_sev_name(enum ms_sev sev)
{
  switch (sev) {
    case MS_SEV_INFO:
      return "info";
    case MS_SEV_WARNING:
      return "warning";
    case MS_SEV_ERROR:
      return "error";
    case MS_SEV_MODE:
      return "mode-dependent";
    case MS_SEV_DEFAULT:
      break;
  }
  return "default";
}

void ms_findings_init(struct ms_findings *f)
{
  f->n = 0;
  f->dropped = 0;
}

void ms_findings_add(struct ms_findings *f, enum ms_finding code,
                     enum ms_sev sev, const char *subject, const char *fmt,
                     ...)
{
  if (f->n >= MS_FINDINGS_MAX) {
    f->dropped++;
    return;
  }
  struct ms_finding_item *it = &f->item[f->n++];
  it->code = code;
  it->sev = sev;
  it->subject[0] = '\0';
  it->detail[0] = '\0';
  if (subject)
    snprintf(it->subject, sizeof(it->subject), "%s", subject);
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
    va_end(ap);
  }
}

bool ms_findings_has(const struct ms_findings *f, enum ms_finding code)
{
  return ms_findings_count(f, code) > 0;
}

size_t ms_findings_count(const struct ms_findings *f, enum ms_finding code)
{
  size_t n = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (f->item[i].code == code)
      n++;
  }
  return n;
}
