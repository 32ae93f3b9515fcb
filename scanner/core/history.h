/*
 * History rules (RFC 8461 section 8.1 and the nightly-diff findings):
 * compares one domain's current result with the compact entry kept from the
 * previous run and appends HISTORY_* findings. Pure.
 * Tests: tests/unit/test_history.c.
 */
#ifndef MS_CORE_HISTORY_H
#define MS_CORE_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/findings.h"
#include "core/policy.h"
#include "core/verdict.h"

/* What is kept of a domain from the previous run (compact: no strings). */
struct ms_history_entry {
  enum ms_status status;
  enum ms_mode mode;     /* MS_MODE_UNSET when the record had mode null */
  bool has_record;       /* sts_record.id was present (a record existed) */
  uint64_t id_hash;      /* FNV-1a 64 of the TXT id; 0 when none */
  bool has_policy;       /* a policy body with a sha256 was fetched */
  uint64_t policy_hash;  /* first 8 bytes of the body's SHA-256 */
};

/* The current run's view of the same facts. */
struct ms_history_now {
  enum ms_status status;  /* before the history findings */
  enum ms_mode mode;
  bool has_record;
  bool record_missing;    /* STS_RECORD_MISSING (the record disappeared) */
  uint64_t id_hash;
  const char *id;         /* for details; may be NULL */
  bool has_policy;
  uint64_t policy_hash;
};

/* Ordering used for HISTORY_STATUS_REGRESSED: valid < warning < none <
 * invalid < error (a larger rank is worse). */
int ms_history_status_rank(enum ms_status s);

/* Appends HISTORY_POLICY_CHANGED_SAME_ID, HISTORY_STATUS_REGRESSED,
 * HISTORY_ID_CHANGED and HISTORY_MODE_DOWNGRADED to *f as they apply.
 * Never fails. */
void ms_history_eval(const struct ms_history_entry *prev,
                     const struct ms_history_now *now, struct ms_findings *f);

/* FNV-1a 64 of len bytes (0 is never returned for non-empty input). */
uint64_t ms_history_hash(const char *p, size_t len);

/* Parses a 64-hex-digit SHA-256 into its first 8 bytes (big-endian);
 * false on anything else. */
bool ms_history_sha_parse(const char *hex, uint64_t *out);

#endif
