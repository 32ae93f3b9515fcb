/*
 * RFC 8461 section 4.1 MX host matching and the section 3.2 mx pattern
 * grammar, in the style of curl's lib/vtls/hostcheck.c: pure (ptr, len),
 * ASCII only, no allocation. Used by core/policy.c (pattern validity) and
 * by the verdict (coverage). Tests: tests/unit/test_mx_match.c.
 */
#include "core/mx_match.h"

#include <stddef.h>

#include "core/domain.h"


/* True when s contains the byte c. */
static bool has_byte(struct ms_slice s, char c)
{
  for (size_t i = 0; i < s.len; i++) {
    if (s.ptr[i] == c)
      return true;
  }
  return false;
}

/* True when s contains the NUL-terminated needle (exact bytes). */
static bool has_str(struct ms_slice s, const char *needle)
{
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= s.len; i++) {
    if (memcmp(s.ptr + i, needle, n) == 0)
      return true;
  }
  return false;
}

/* RFC 5321 sub-domain = Let-dig [Ldh-str]: letters, digits and inner
 * hyphens, 1 to 63 octets. Returns NULL or the reason it is not one. */
static const char *label_problem(struct ms_slice l)
{
  if (l.len == 0)
    return "empty label";
  if (l.len > MS_LABEL_MAX)
    return "label longer than 63 octets";
  for (size_t i = 0; i < l.len; i++) {
    int c = (unsigned char)l.ptr[i];
    if (c == '*')
      return "'*' is allowed only as the whole leftmost label";
    if (c >= 0x80)
      return "non-ASCII characters (write the A-label, xn--...)";
    if (!ms_ascii_is_alnum(c) && c != '-')
      return "character outside letters, digits, '-' and '.'";
  }
  if (l.ptr[0] == '-' || l.ptr[l.len - 1] == '-')
    return "label starts or ends with '-'";
  return NULL;
}

/* True when every byte of s is a digit (s non-empty). */
static bool all_digits(struct ms_slice s)
{
  if (s.len == 0)
    return false;
  for (size_t i = 0; i < s.len; i++) {
    if (!ms_ascii_is_digit((unsigned char)s.ptr[i]))
      return false;
  }
  return true;
}

const char *ms_mx_pattern_problem(struct ms_slice p)
{
  /* The cheap, telling shapes first so the detail names the real mistake
   * (a comment after the name, a URL, an IP literal) rather than "bad
   * character". */
  if (p.len == 0)
    return "empty value";
  for (size_t i = 0; i < p.len; i++) {
    if (ms_ascii_is_wsp((unsigned char)p.ptr[i]))
      return "contains whitespace (a comment or several names on one line)";
  }
  if (has_str(p, "://") || has_byte(p, '/'))
    return "looks like a URL, not a host name";
  if (has_byte(p, '['))
    return "address literal or template text, not a host name";
  if (has_byte(p, ':'))
    return "contains ':' (a port, an IPv6 address or a URL)";
  if (has_byte(p, ','))
    return "contains ',' (several names on one line)";

  struct ms_slice d = p;
  if (d.len >= 2 && d.ptr[0] == '*' && d.ptr[1] == '.') {
    /* RFC 8461 section 3.2: "*." may only prefix a Domain. */
    d = ms_slice_make(d.ptr + 2, d.len - 2);
    if (d.len == 0 || (d.len == 1 && d.ptr[0] == '.'))
      return "'*.' without a domain after it";
  } else if (d.len == 1 && d.ptr[0] == '*') {
    return "'*' alone is not a pattern";
  }
  /* One trailing dot is tolerated (reported by the policy parser). */
  d = ms_slice_drop_root_dot(d);
  if (d.len == 0)
    return "empty label";
  if (d.len > MS_DOMAIN_MAX)
    return "name longer than 253 octets";

  struct ms_slice rest = d, label = {NULL, 0};
  bool found = true;
  while (found) {
    rest = ms_slice_split(rest, '.', &label, &found);
    const char *why = label_problem(label);
    if (why)
      return why;
  }
  /* The last label read is the top-level one. A numeric TLD means an
   * IPv4 literal (192.0.2.1) or a truncated one; neither names an MX. */
  if (all_digits(label))
    return "an IP address, not a host name";
  return NULL;
}

bool ms_mx_pattern_valid(struct ms_slice pattern)
{
  return ms_mx_pattern_problem(pattern) == NULL;
}

bool ms_mx_match(struct ms_slice pattern, struct ms_slice host)
{
  /* Invalid patterns match nothing, whatever a lenient sender might do. */
  if (!ms_mx_pattern_valid(pattern))
    return false;
  pattern = ms_slice_drop_root_dot(pattern);
  host = ms_slice_drop_root_dot(host);
  /* A host name never holds a '*'; refusing it keeps "*.x" from matching
   * a literal "*.x" host. */
  if (host.len == 0 || has_byte(host, '*'))
    return false;

  if (pattern.ptr[0] != '*')
    return ms_slice_eq_nocase(pattern, host);

  /* RFC 8461 section 4.1: the wildcard matches only the whole leftmost
   * label, so the host is <one non-empty label> followed by the pattern
   * without its "*" (which still starts with the dot). */
  struct ms_slice suffix = ms_slice_make(pattern.ptr + 1, pattern.len - 1);
  size_t dot = 0;
  while (dot < host.len && host.ptr[dot] != '.')
    dot++;
  if (dot == 0 || dot == host.len)
    return false;
  return ms_slice_eq_nocase(ms_slice_make(host.ptr + dot, host.len - dot),
                            suffix);
}
