/*
 * One line of the input list → a domain name the scanner can look up, or
 * a short reason why not (INPUT_INVALID_NAME's detail). The common wrong
 * inputs (pasted URLs, e-mail addresses, wildcards, IP literals) get their
 * own reasons before the generic LDH label checks. Pure ASCII: IDN is
 * converted by the caller (input.c, libidn2) before this runs.
 */
#include "core/domain.h"

#include <stdio.h>

#include "core/addr.h"

/* Input whitespace: SP, HTAB, CR, LF, VT, FF (a pasted list has them all). */
static bool is_space(int ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' ||
         ch == '\f';
}

/* RFC 1123 section 2.1 host name characters (letters, digits, hyphen). */
static bool is_ldh(int ch)
{
  return ms_ascii_is_alnum(ch) || ch == '-';
}

/* memchr over a slice (the input may hold NUL bytes). */
static bool has_byte(struct ms_slice s, char c)
{
  return s.len && memchr(s.ptr, c, s.len) != NULL;
}

/* Checks LDH labels of s (no trailing dot): NULL when valid, else why.
 * Total length is the caller's business. */
static const char *labels_problem(struct ms_slice s)
{
  size_t start = 0;
  bool numeric = true; /* the current label is all digits */

  if (s.len == 0)
    return "empty name";
  for (size_t i = 0; i <= s.len; i++) {
    if (i < s.len && s.ptr[i] != '.') {
      int ch = (unsigned char)s.ptr[i];
      if (!is_ldh(ch))
        return ch == '_' ? "underscore (not allowed in a host name)"
                         : "characters other than letters, digits, "
                           "hyphens and dots";
      if (!ms_ascii_is_digit(ch))
        numeric = false;
      continue;
    }
    /* A label ends here (a dot or the end of the name). */
    size_t len = i - start;
    if (len == 0)
      return "empty label ('..' or a leading dot)";
    if (len > MS_LABEL_MAX)
      return "label longer than 63 octets";
    if (s.ptr[start] == '-' || s.ptr[i - 1] == '-')
      return "hyphen at the start or end of a label";
    /* RFC 3696 section 2: a top-level label is never all-numeric. */
    if (i == s.len && numeric)
      return "all-numeric top-level label";
    start = i + 1;
    numeric = true;
  }
  return NULL;
}

bool ms_domain_is_hostname(struct ms_slice s)
{
  return s.len <= MS_DOMAIN_MAX && labels_problem(s) == NULL;
}

/* True when s (NUL-free, short) parses as an IPv4 or IPv6 address. */
static bool is_ip(struct ms_slice s)
{
  char buf[MS_ADDR_STR_MAX + 1];
  struct ms_addr a;

  if (s.len == 0 || s.len > MS_ADDR_STR_MAX || has_byte(s, '\0'))
    return false;
  ms_slice_copy(s, buf, sizeof(buf));
  return ms_addr_parse(buf, &a);
}

/* The reasons for inputs that are something else than a name. Checked
 * before the label rules, because "characters other than letters..." is
 * true of a URL but does not tell the user what to do. */
static const char *shape_problem(struct ms_slice s)
{
  if (ms_slice_contains_nocase(s, "://") || ms_slice_starts_with(s, "http:") ||
      ms_slice_starts_with(s, "https:") || has_byte(s, '/'))
    return "looks like a URL (give the domain only)";
  if (has_byte(s, '@') || ms_slice_contains_nocase(s, "mailto:"))
    return "looks like an e-mail address (give the domain only)";
  if (has_byte(s, '*'))
    return "wildcard (give a domain name)";
  if (s.len && s.ptr[0] == '[')
    return "IP literal";
  if (is_ip(s))
    return "IP literal";
  /* "192.0.2.1." is an IP literal too. */
  if (s.len > 1 && s.ptr[s.len - 1] == '.' &&
      is_ip(ms_slice_make(s.ptr, s.len - 1)))
    return "IP literal";
  for (size_t i = 0; i < s.len; i++) {
    if (is_space((unsigned char)s.ptr[i]))
      return "whitespace inside the name";
  }
  for (size_t i = 0; i < s.len; i++) {
    if ((unsigned char)s.ptr[i] >= 0x80)
      return "non-ASCII characters";
  }
  return NULL;
}

static void set_why(char *why, size_t whylen, const char *text)
{
  if (why && whylen)
    snprintf(why, whylen, "%s", text);
}

ms_err_t ms_domain_normalize(struct ms_slice in, char *out, size_t outcap,
                             char *why, size_t whylen)
{
  const char *problem;

  /* A short out buffer is a caller bug, not bad input. */
  MS_ASSERT(out != NULL && outcap >= MS_DOMAIN_MAX + 1);
  out[0] = '\0';
  set_why(why, whylen, "");
  while (in.len && is_space((unsigned char)in.ptr[0])) {
    in.ptr++;
    in.len--;
  }
  while (in.len && is_space((unsigned char)in.ptr[in.len - 1]))
    in.len--;
  /* Shapes first, then the root dot, then labels, then the caps. */
  problem = shape_problem(in);
  if (!problem && in.len >= 2 && in.ptr[in.len - 1] == '.' &&
      in.ptr[in.len - 2] == '.')
    problem = "two trailing dots";
  if (!problem)
    in = ms_slice_drop_root_dot(in); /* example.com. is example.com */
  if (!problem)
    problem = labels_problem(in);
  if (!problem && in.len > MS_DOMAIN_MAX)
    problem = "name longer than 253 octets";
  /* The scanner looks up _mta-sts.<domain>, which must fit too. */
  if (!problem && in.len > MS_DOMAIN_SCAN_MAX)
    problem = "name too long to prefix with _mta-sts.";
  if (problem) {
    set_why(why, whylen, problem);
    return MS_ESYNTAX;
  }
  /* Valid: ASCII only, so lowering byte by byte is exact. */
  for (size_t i = 0; i < in.len; i++)
    out[i] = (char)ms_ascii_lower((unsigned char)in.ptr[i]);
  out[in.len] = '\0';
  return MS_OK;
}
