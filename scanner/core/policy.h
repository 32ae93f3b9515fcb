/*
 * Parses the body of an MTA-STS policy (RFC 8461 section 3.2): LF and CRLF
 * alike, a final line without terminator is fine. Tolerant parser, strict
 * report: fields with stray spacing, wrong key case or a BOM are still read
 * (so the record shows what was meant) and the deviation becomes a finding.
 * Does not fetch, and does not match MX hosts (mx_match.h).
 * Tests: tests/unit/test_policy.c (+ the corpus when ../shared/corpus exists).
 */
#ifndef MS_CORE_POLICY_H
#define MS_CORE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/findings.h"
#include "util/slice.h"

#define MS_POLICY_MAX_BYTES   65536 /* RFC 8461 section 3.3 suggests 64 KiB */
#define MS_POLICY_MX_MAX      256   /* mx patterns kept; more: POLICY_SYNTAX */
#define MS_POLICY_MAX_AGE_MAX 31557600u
/* Per-key and per-value findings (FIELD_UNKNOWN, FIELD_CASE, MX_INVALID,
 * MX_TRAILING_DOT) kept per code; further ones are summed up in one more
 * finding of that code without subject, so one hostile body cannot fill
 * the domain's finding list. */
#define MS_POLICY_REPORT_MAX 8
/* Lines named in the detail of a line-level finding (SYNTAX, SPACING,
 * BLANK_LINE, TRAILING_BLANK_LINE, ENCODING); the rest are counted. */
#define MS_POLICY_LINES_SHOWN 4

enum ms_mode {
  MS_MODE_UNSET = 0, /* no mode field */
  MS_MODE_ENFORCE,
  MS_MODE_TESTING,
  MS_MODE_NONE,
  MS_MODE_INVALID /* a mode field with another value */
};

/* "enforce", "testing", "none", or NULL for UNSET/INVALID. */
const char *ms_mode_name(enum ms_mode m);

struct ms_policy_mx {
  struct ms_slice pattern; /* as written (trimmed), into the body */
  bool valid;              /* [*.]Domain (a trailing dot is tolerated) */
  bool wildcard;           /* starts with "*." */
};

struct ms_policy {
  bool has_version;
  struct ms_slice version; /* the (first) value */
  bool version_ok;         /* == "STSv1" */
  enum ms_mode mode;
  struct ms_slice mode_raw;
  bool has_max_age;
  bool max_age_ok; /* 1*10 DIGIT and <= 31557600 */
  uint64_t max_age;
  struct ms_policy_mx mx[MS_POLICY_MX_MAX];
  size_t n_mx;
  bool usable; /* version ok, mode valid, max_age ok, mx when required */
};

/* Parses len bytes of buf. Slices in *out point into buf, which the caller
 * keeps alive. Appends POLICY_ENCODING, _SYNTAX, _SPACING, _BLANK_LINE,
 * _TRAILING_BLANK_LINE, _FIELD_CASE, _FIELD_DUPLICATE, _FIELD_UNKNOWN,
 * _VERSION_*, _MODE_MISSING/_INVALID, _MAX_AGE_*, _MX_MISSING, _MX_INVALID,
 * _MX_TRAILING_DOT, and POLICY_MODE_TESTING/_NONE to *f. Never fails;
 * len above MS_POLICY_MAX_BYTES is the caller's POLICY_TOO_LARGE. */
void ms_policy_parse(const char *buf, size_t len, struct ms_policy *out,
                     struct ms_findings *f);

#endif
