/*
 * IP addresses as values, and the SSRF guard's list of non-public ranges
 * (IANA IPv4/IPv6 special-purpose registries, RFC 6890 and updates). IPv6
 * forms that carry an IPv4 address (mapped, NAT64 well-known prefix, 6to4)
 * are judged by that address, so ::ffff:127.0.0.1 is as private as
 * 127.0.0.1. Parsing and formatting use libc's inet_pton/inet_ntop.
 */
#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* True when the first bits of a (big-endian bytes) equal those of p. */
static bool prefix_eq(const uint8_t *a, const uint8_t *p, unsigned bits)
{
  unsigned full = bits / 8, rest = bits % 8;

  if (memcmp(a, p, full) != 0)
    return false;
  if (rest == 0)
    return true;
  uint8_t mask = (uint8_t)(0xffu << (8 - rest));
  return (a[full] & mask) == (p[full] & mask);
}

struct range {
  uint8_t p[16];
  unsigned bits;
};

/* IPv4 special-purpose blocks that are not publicly reachable. */
static const struct range v4_private[] = {
    {{0}, 8},             /* "this network" (RFC 791) */
    {{10}, 8},            /* RFC 1918 */
    {{100, 64}, 10},      /* CGNAT shared space (RFC 6598) */
    {{127}, 8},           /* loopback */
    {{169, 254}, 16},     /* link-local (RFC 3927) */
    {{172, 16}, 12},      /* RFC 1918 */
    {{192, 0, 0}, 24},    /* IETF protocol assignments (RFC 6890) */
    {{192, 0, 2}, 24},    /* TEST-NET-1 (RFC 5737) */
    {{192, 88, 99}, 24},  /* 6to4 relay anycast (RFC 7526) */
    {{192, 168}, 16},     /* RFC 1918 */
    {{198, 18}, 15},      /* benchmarking (RFC 2544) */
    {{198, 51, 100}, 24}, /* TEST-NET-2 */
    {{203, 0, 113}, 24},  /* TEST-NET-3 */
    {{224}, 4},           /* multicast */
    {{240}, 4},           /* reserved, and 255.255.255.255 broadcast */
};

/* IPv6 blocks that are non-public outright. The IPv4-carrying forms are
 * handled in v6_private() before this table. */
static const struct range v6_private[] = {
    {{0}, 96},                         /* ::/96: ::, ::1, IPv4-compatible */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48}, /* local-use NAT64 (RFC 8215) */
    {{0x01, 0x00}, 64},                /* discard-only (RFC 6666) */
    {{0x20, 0x01, 0x00, 0x00}, 23},    /* IETF protocol assignments: teredo,
                                          ORCHID 2001:10::/28, 2001:20::/28 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},    /* documentation (RFC 3849) */
    {{0xfc}, 7},                       /* unique-local (RFC 4193) */
    {{0xfe, 0x80}, 10},                /* link-local */
    {{0xfe, 0xc0}, 10},                /* site-local (deprecated) */
    {{0xff}, 8},                       /* multicast */
};

static bool in_table(const uint8_t *a, const struct range *t, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (prefix_eq(a, t[i].p, t[i].bits))
      return true;
  }
  return false;
}

static bool v4_is_private(const uint8_t *b)
{
  return in_table(b, v4_private, sizeof(v4_private) / sizeof(v4_private[0]));
}

static bool v6_is_private(const uint8_t *b)
{
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
  static const uint8_t six2four[2] = {0x20, 0x02};

  /* ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach a.b.c.d: judge that. */
  if (prefix_eq(b, mapped, 96) || prefix_eq(b, nat64, 96))
    return v4_is_private(b + 12);
  /* 6to4 (RFC 3056): 2002:AABB:CCDD::/48 relays to AA.BB.CC.DD. */
  if (prefix_eq(b, six2four, 16))
    return v4_is_private(b + 2);
  return in_table(b, v6_private, sizeof(v6_private) / sizeof(v6_private[0]));
}

bool ms_addr_is_private(const struct ms_addr *a)
{
  if (a->family == 4)
    return v4_is_private(a->bytes);
  if (a->family == 6)
    return v6_is_private(a->bytes);
  return true; /* not an address we know: never contact it */
}

void ms_addr_format(const struct ms_addr *a, char *buf, size_t cap)
{
  int af = a->family == 4 ? AF_INET : a->family == 6 ? AF_INET6 : -1;

  if (cap == 0)
    return;
  if (af < 0 || !inet_ntop(af, a->bytes, buf, (socklen_t)cap))
    snprintf(buf, cap, "?");
}

bool ms_addr_parse(const char *s, struct ms_addr *out)
{
  memset(out, 0, sizeof(*out));
  if (!s)
    return false;
  if (inet_pton(AF_INET, s, out->bytes) == 1) {
    out->family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s, out->bytes) == 1) {
    out->family = 6;
    return true;
  }
  memset(out, 0, sizeof(*out));
  return false;
}
