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

/* Checks a policy mx value (in, borrowed) against sts-policy-mx-value =
 * ["*."] Domain (RFC 5321 Domain: LDH labels of 1 to 63 octets, at most 253
 * octets, top label not all digits so IP addresses are refused). One
 * trailing dot is tolerated here (the policy parser reports it separately as
 * POLICY_MX_TRAILING_DOT). Returns NULL when valid, else a short static
 * English reason ("empty label", "looks like a URL", ...) for a finding's
 * detail. The same check ms_mx_match and ms_policy_parse use.
 * Tests: tests/unit/test_mx_match.c. */
const char *ms_mx_pattern_problem(struct ms_slice pattern);

/* ms_mx_pattern_problem(pattern) == NULL. */
bool ms_mx_pattern_valid(struct ms_slice pattern);

#endif
