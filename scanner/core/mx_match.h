/*
 * RFC 8461 section 4.1 MX host matching, in the style of curl's
 * hostcheck.c: pure (ptr, len), ASCII case-insensitive, trailing dots
 * ignored on both sides, "*." covers exactly one whole leftmost label.
 * Tests: tests/unit/test_mx_match.c.
 */
#ifndef MS_CORE_MX_MATCH_H
#define MS_CORE_MX_MATCH_H

#include <stdbool.h>

#include "util/slice.h"

/* True when policy pattern covers the MX host name. A pattern that is not
 * a valid [*.]domain matches nothing; "*." alone matches nothing;
 * "*.example.com" matches "a.example.com" but not "example.com" nor
 * "a.b.example.com". */
bool ms_mx_match(struct ms_slice pattern, struct ms_slice host);

#endif
