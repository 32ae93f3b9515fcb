/*
 * Evaluates the TXT RRset at _smtp._tls.<domain> (RFC 8460 section 3):
 * version prefix, multiple records, grammar, rua URIs (mailto:/https:).
 * Does not do DNS. Tests: tests/unit/test_tlsrpt.c.
 */
#ifndef MS_CORE_TLSRPT_H
#define MS_CORE_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/findings.h"
#include "util/slice.h"

#define MS_TLSRPT_RUA_MAX 16 /* rua URIs kept (more are counted as invalid) */

struct ms_tlsrpt {
  bool present;      /* exactly one v=TLSRPTv1 record */
  size_t index;      /* which input record it is */
  struct ms_slice rua[MS_TLSRPT_RUA_MAX]; /* into that record */
  size_t n_rua;
  bool valid;        /* grammatical and every rua valid */
};

/* Evaluates n records. mode_testing selects TLSRPT_MISSING's severity
 * (warning when the usable policy's mode is testing, else info). Appends
 * TLSRPT_MISSING, _MULTIPLE, _SYNTAX, _RUA_INVALID to *f. Never fails. */
void ms_tlsrpt_eval(const struct ms_slice *records, size_t n,
                    bool mode_testing, struct ms_tlsrpt *out,
                    struct ms_findings *f);

/* True when uri is a valid tlsrpt-uri: mailto:local@domain (RFC 6068
 * addr-spec, at least "x@y") or https://host[...] per RFC 3986, with no
 * unencoded ',' '!' ';' and no whitespace. */
bool ms_tlsrpt_uri_valid(struct ms_slice uri);

#endif
