/*
 * RFC 6125 section 6.4 DNS-ID matching of an MX host name against the
 * subjectAltName dNSName entries net/tls.c extracted (RFC 8461 section 4.2
 * requires it for MX certificates). Pure (ptr, len), ASCII only, in the
 * shape of curl's lib/vtls/hostcheck.c. Tests: tests/unit/test_certname.c,
 * tests/fuzz/fuzz_certname.c.
 */
#include "core/certname.h"

#include <stddef.h>

#include "core/domain.h"


/* True when s is a plain DNS name: letters, digits, '-' and '.', labels of
 * 1 to 63 octets, at most 253 octets. Anything else (NUL, '*', '_', bytes
 * >= 0x80 such as U-labels, spaces) makes a SAN match nothing, so a
 * certificate cannot smuggle a name past the comparison (RFC 6125 section
 * 6.4.2: IDNs are compared as A-labels). Hyphen placement is not policed:
 * it cannot make two different names compare equal. */
static bool plain_name(struct ms_slice s)
{
  if (s.len == 0 || s.len > MS_DOMAIN_MAX)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < s.len; i++) {
    int c = (unsigned char)s.ptr[i];
    if (c == '.') {
      if (label == 0)
        return false; /* leading dot or ".." */
      label = 0;
      continue;
    }
    if (!ms_ascii_is_alnum(c) && c != '-')
      return false;
    if (++label > MS_LABEL_MAX)
      return false;
  }
  return label > 0; /* no empty last label (".." before the stripped dot) */
}

/* Offset of the first '.' in s, or s.len when there is none. */
static size_t first_dot(struct ms_slice s)
{
  size_t i = 0;
  while (i < s.len && s.ptr[i] != '.')
    i++;
  return i;
}

/* True when the top (rightmost) label of s is all digits: then s looks
 * like an IPv4 address, which a wildcard must never cover. */
static bool numeric_top(struct ms_slice s)
{
  size_t i = s.len;
  while (i > 0 && s.ptr[i - 1] != '.')
    i--;
  if (i == s.len)
    return false;
  for (size_t j = i; j < s.len; j++) {
    if (!ms_ascii_is_digit((unsigned char)s.ptr[j]))
      return false;
  }
  return true;
}

bool ms_certname_match(struct ms_slice san, struct ms_slice host)
{
  san = ms_slice_drop_root_dot(san);
  host = ms_slice_drop_root_dot(host);
  if (!plain_name(host))
    return false;
  if (san.len >= 2 && san.ptr[0] == '*' && san.ptr[1] == '.') {
    /* RFC 6125 section 6.4.3: '*' as the complete leftmost label stands
     * for exactly one label, never an empty one and never several. */
    struct ms_slice rest = ms_slice_make(san.ptr + 2, san.len - 2);
    if (!plain_name(rest))
      return false; /* also refuses "*.*.example.com" and "*." */
    /* "*.com" would cover every name in a top-level domain: refused, the
     * way browsers refuse wildcards over a single label (no public-suffix
     * list here, so "*.co.uk" is still honoured). */
    if (first_dot(rest) == rest.len)
      return false;
    if (numeric_top(host))
      return false;
    size_t d = first_dot(host);
    if (d == host.len)
      return false; /* a one-label host has no parent to match */
    struct ms_slice parent = ms_slice_make(host.ptr + d + 1, host.len - d - 1);
    return ms_slice_eq_nocase(parent, rest);
  }
  /* Not a wildcard: any '*' left ("m*.example.com", "*", "a.*.com") is a
   * partial or misplaced wildcard, which plain_name refuses. */
  if (!plain_name(san))
    return false;
  return ms_slice_eq_nocase(san, host);
}

bool ms_certname_match_any(const char *const *sans, size_t n,
                           struct ms_slice host)
{
  for (size_t i = 0; i < n; i++) {
    if (sans[i] && ms_certname_match(ms_slice_cstr(sans[i]), host))
      return true;
  }
  return false;
}

bool ms_certname_match_any_slices(const struct ms_slice *sans, size_t n,
                                  struct ms_slice host)
{
  for (size_t i = 0; i < n; i++) {
    if (ms_certname_match(sans[i], host))
      return true;
  }
  return false;
}
