/*
 * One domain's observations and verdict -> the JSON record of
 * ../shared/spec/output.md (jansson; pure, no I/O). Evidence members are
 * null or absent when the step did not run. Network bytes that are not
 * UTF-8 are escaped as \u00XX code points, never dropped.
 * Tests: tests/unit/test_record.c; the lab validates every record against
 * data/schema/record.schema.json.
 */
#ifndef MS_REPORT_RECORD_H
#define MS_REPORT_RECORD_H

#include <jansson.h>

#include "core/obs.h"
#include "core/verdict.h"

/* Returns a new reference (caller json_decref's it). */
json_t *ms_record_build(const struct ms_obs *obs, const struct ms_verdict *v);

/* Returns a new JSON string for len bytes of p: valid UTF-8 is kept, any
 * other byte b becomes the code point U+00b (so nothing is lost). */
json_t *ms_record_string(const char *p, size_t len);

/* Serialises a record as one line (sorted keys, compact) with a trailing
 * '\n'. Returns a malloc'ed string; *len gets its length. */
char *ms_record_dump(const json_t *rec, size_t *len);

#endif
