/*
 * Normalises one line of the input list into a domain name: trims
 * surrounding whitespace, lowercases ASCII, drops one trailing dot, and
 * validates LDH labels (1..63 octets, no hyphen at a label's edge), total
 * length (<= 253, and short enough for "_mta-sts." in front), and rejects
 * IP literals. Pure ASCII: IDN U-labels are converted before (input.c).
 * Tests: tests/unit/test_domain.c.
 */
#ifndef MS_CORE_DOMAIN_H
#define MS_CORE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/slice.h"

#define MS_DOMAIN_MAX 253 /* octets, without the trailing dot */
#define MS_LABEL_MAX  63  /* octets a label (RFC 1035 section 2.3.4) */
/* "_mta-sts." (9 octets) + domain must fit in MS_DOMAIN_MAX. */
#define MS_DOMAIN_SCAN_MAX (MS_DOMAIN_MAX - 9)

/* Normalises in. On MS_OK, out (cap >= MS_DOMAIN_MAX + 1) holds the
 * NUL-terminated name. On MS_ESYNTAX, why (cap whylen) says in a short
 * phrase what is wrong ("label longer than 63 octets", "IP literal", ...).
 * An empty or comment line is not this function's business: callers skip
 * them before. */
ms_err_t ms_domain_normalize(struct ms_slice in, char *out, size_t outcap,
                             char *why, size_t whylen);

/* True when s (no trailing dot) is a syntactically valid host name:
 * LDH labels of 1..63 octets, total <= 253, not all-numeric top label. */
bool ms_domain_is_hostname(struct ms_slice s);

#endif
