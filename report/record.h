/*
 * One domain's observations and verdict -> the JSON record of
 * ../shared/spec/output.md (jansson; pure, no I/O). Evidence members are
 * null or absent when the step did not run. Network bytes that are not
 * UTF-8 are escaped as \u00XX code points, never dropped. mx[].smtp
 * carries the STARTTLS probe evidence of each MX host (a summary plus one
 * entry per address), null when the host was not probed.
 * Tests: tests/unit/test_record.c; the lab validates every record against
 * data/schema/record.schema.json.
 */
#ifndef MS_REPORT_RECORD_H
#define MS_REPORT_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/obs.h"
#include "core/verdict.h"

/* Builds the record of one domain. obs and v are borrowed (v's slices point
 * into obs, as ms_verdict leaves them). Every evidence member is present:
 * null when its step did not run. Never fails (OOM aborts). Returns a new
 * reference (caller json_decref's it). */
json_t *ms_record_build(const struct ms_obs *obs, const struct ms_verdict *v);

/* Returns a new JSON string for len bytes of p: valid UTF-8 is kept, any
 * other byte b becomes the code point U+00b (so nothing is lost). NUL
 * bytes are kept (jansson writes \u0000). p may be NULL when len is 0. */
json_t *ms_record_string(const char *p, size_t len);

/* True when len bytes of p are well-formed UTF-8 (RFC 3629: no overlong
 * forms, surrogates or code points above U+10FFFF). When a policy body is
 * not, the record also carries policy.body_base64 (the exact bytes). */
bool ms_record_utf8_valid(const char *p, size_t len);

/* Serialises a record as one line (sorted keys, compact) with a trailing
 * '\n'. Returns a malloc'ed string (caller free()s it); *len (may be NULL)
 * gets its length, newline included. Returns NULL only when rec is NULL. */
char *ms_record_dump(const json_t *rec, size_t *len);

#endif
