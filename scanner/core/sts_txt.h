/*
 * Evaluates the TXT RRset at _mta-sts.<domain> (RFC 8461 section 3.1):
 * prefix filtering, the multiple-record rule and the full record grammar.
 * Does not do DNS: it gets the records as already-joined strings (the
 * character-strings of one record concatenated without spaces).
 * Tests: tests/unit/test_sts_txt.c.
 */
#ifndef MS_CORE_STS_TXT_H
#define MS_CORE_STS_TXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/findings.h"
#include "util/slice.h"

#define MS_STS_ID_MAX 32 /* sts-id-value = 1*32(ALPHA / DIGIT) */

enum ms_sts_state {
  MS_STS_MISSING,   /* no record mentions v=STS: STS_RECORD_MISSING */
  MS_STS_MALFORMED, /* some record mentions v=STS, none has the prefix */
  MS_STS_MULTIPLE,  /* more than one record has the v=STSv1 prefix */
  MS_STS_INVALID,   /* exactly one, but it violates the grammar */
  MS_STS_OK         /* exactly one, grammatical (maybe with PREFIX_SPACE) */
};

struct ms_sts_txt {
  enum ms_sts_state state;
  size_t index;       /* which input record is the STSv1 one (when one) */
  struct ms_slice id; /* into that record; empty when missing */
  bool id_valid;      /* id is 1*32(ALPHA / DIGIT) */
  bool usable;        /* senders would use it: state OK (see catalogue) */
};

/* Evaluates n records (each a slice; the bytes as served, joined).
 * Fills *out (slices point into records[]) and appends findings to *f:
 * STS_RECORD_MISSING, _MALFORMED_PREFIX, _PREFIX_SPACE, _MULTIPLE, _SYNTAX,
 * STS_ID_MISSING, STS_ID_INVALID, STS_EXTENSION_FIELD. Never fails. */
void ms_sts_txt_eval(const struct ms_slice *records, size_t n,
                     struct ms_sts_txt *out, struct ms_findings *f);

#endif
