/*
 * IP addresses as plain values, and the SSRF guard's classification of
 * non-public ranges (loopback, RFC 1918, CGNAT, link-local, multicast,
 * unspecified, documentation, benchmarking, reserved, unique-local,
 * IPv4-mapped/compatible/NAT64 forms of those). Pure.
 * Tests: tests/unit/test_addr.c.
 */
#ifndef MS_CORE_ADDR_H
#define MS_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_ADDR_STR_MAX 46 /* INET6_ADDRSTRLEN */

struct ms_addr {
  int family;        /* 4 or 6 */
  uint8_t bytes[16]; /* network order; IPv4 in the first 4 */
};

/* True when the address must not be contacted without --allow-private. */
bool ms_addr_is_private(const struct ms_addr *a);
/* Writes the textual form into buf (cap >= MS_ADDR_STR_MAX). */
void ms_addr_format(const struct ms_addr *a, char *buf, size_t cap);
/* Parses dotted IPv4 or IPv6 text; returns false when it is neither. */
bool ms_addr_parse(const char *s, struct ms_addr *out);

#endif
