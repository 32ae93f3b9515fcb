/*
 * Certificate name checks on already-extracted subjectAltName DNS-IDs
 * (RFC 6125 section 6.4, as RFC 8461 section 4.2 requires for MX hosts):
 * ASCII case-insensitive, trailing dots ignored, a wildcard only as the
 * whole leftmost label ("*.example.com" covers "mx.example.com", not
 * "a.b.example.com", not "example.com"; "m*.example.com" matches nothing),
 * never on a public-suffix-like single label ("*.com" matches nothing).
 * Pure. Tests: tests/unit/test_certname.c.
 */
#ifndef MS_CORE_CERTNAME_H
#define MS_CORE_CERTNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "util/slice.h"

/* True when the DNS-ID san covers host. */
bool ms_certname_match(struct ms_slice san, struct ms_slice host);

/* True when any of the n SAN strings covers host (NULL entries are
 * skipped). A C string cannot show an embedded NUL: exporters that read
 * ASN.1 strings should pass (ptr, len) to ms_certname_match_any_slices. */
bool ms_certname_match_any(const char *const *sans, size_t n,
                           struct ms_slice host);

/* Same over slices, so a SAN with an embedded NUL ("good.com\0.evil")
 * reaches the matcher whole and matches nothing. */
bool ms_certname_match_any_slices(const struct ms_slice *sans, size_t n,
                                  struct ms_slice host);

#endif
