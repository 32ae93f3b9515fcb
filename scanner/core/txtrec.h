/*
 * Pieces shared by the two TXT-record grammars (RFC 8461 section 3.1 for
 * _mta-sts, RFC 8460 section 3 for _smtp._tls): both are a version, then
 * fields separated by field-delim = *WSP ";" *WSP, with extension fields
 * whose name and value use the same character sets. Internal to core/:
 * used by sts_txt.c and tlsrpt.c. Pure. Tests: tests/unit/test_sts_txt.c
 * and tests/unit/test_tlsrpt.c (through the two evaluators).
 */
#ifndef MS_CORE_TXTREC_H
#define MS_CORE_TXTREC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/findings.h"
#include "util/slice.h"

/* How much of an offending text a finding's detail quotes. */
#define MS_TXTREC_QUOTE_MAX 48

/* A cursor over the part of a record after "version *WSP ;". */
struct ms_txtrec_cursor {
  struct ms_slice rest;
};

struct ms_txtrec_problems;

/* Fetches the next field (leading and trailing WSP removed) into *field;
 * false at the end of the record. The two delimiter mistakes both grammars
 * share are noted in *p on the way: an empty field (";;", skipped) and WSP
 * after the last field with no ';'. A final delimiter with trailing WSP
 * ("id=1; ") is the grammar's optional [field-delim] and yields no field. */
bool ms_txtrec_next(struct ms_txtrec_cursor *c, struct ms_slice *field,
                    struct ms_txtrec_problems *p);

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). */
bool ms_txtrec_ext_name_ok(struct ms_slice name);
/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible, no ';' and no '='. */
bool ms_txtrec_ext_value_ok(struct ms_slice value);
/* Index of the first WSP byte in s, or s.len when none. */
size_t ms_txtrec_find_wsp(struct ms_slice s);

/* Writes s into buf (cap bytes incl. NUL) for a finding's detail: bytes
 * outside %x20-7E as \xHH, cut after max source bytes with "...". */
void ms_txtrec_quote(struct ms_slice s, size_t max, char *buf, size_t cap);

/* Collects the grammar problems of one record so that it gives a single
 * *_SYNTAX finding whose detail lists them ("; "-separated, truncated). */
struct ms_txtrec_problems {
  char text[MS_FINDING_DET_MAX];
  size_t n; /* problems noted (also those cut from text) */
};

void ms_txtrec_problems_init(struct ms_txtrec_problems *p);
void ms_txtrec_problem(struct ms_txtrec_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Length of the version prefix (through its ';') when r is a candidate,
 * else 0; *space tells whether WSP came before the ';'. */
typedef size_t (*ms_txtrec_candidate_fn)(struct ms_slice r, bool *space);

/* What one pass over an RRset found (RFC 8461 3.1 / RFC 8460 3: records
 * that are not candidates are discarded; exactly one must remain). */
struct ms_txtrec_pick {
  size_t n_cand;     /* candidates */
  size_t first;      /* index of the first candidate (n_cand >= 1) */
  size_t second;     /* index of the second one (n_cand >= 2) */
  size_t prefix_len; /* the first candidate's prefix length */
  bool space;        /* WSP before the first candidate's ';' */
  size_t mention;    /* first non-candidate containing the needle (any
                        case), or n when none */
};

/* Scans n records once with the grammar's candidate test. */
void ms_txtrec_pick(const struct ms_slice *records, size_t n,
                    ms_txtrec_candidate_fn candidate, const char *needle,
                    struct ms_txtrec_pick *out);

#endif
