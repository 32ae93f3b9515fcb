/*
 * struct ms_slice: a (ptr, len) view that is never assumed NUL-terminated,
 * and ASCII-only helpers (no locale-dependent <ctype.h>, the c-ares rule).
 * Parsers in core/ are cursors over slices built from these helpers.
 * Tests: tests/unit/test_util.c.
 */
#ifndef MS_UTIL_SLICE_H
#define MS_UTIL_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ms_slice {
  const char *ptr;
  size_t len;
};

static inline struct ms_slice ms_slice_make(const char *p, size_t n)
{
  struct ms_slice s = {p, n};
  return s;
}

/* A slice over a NUL-terminated string (NULL gives the empty slice). */
static inline struct ms_slice ms_slice_cstr(const char *s)
{
  struct ms_slice r = {s, s ? strlen(s) : 0};
  return r;
}

static inline bool ms_ascii_is_alpha(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool ms_ascii_is_digit(int c)
{
  return c >= '0' && c <= '9';
}
static inline bool ms_ascii_is_alnum(int c)
{
  return ms_ascii_is_alpha(c) || ms_ascii_is_digit(c);
}
/* WSP = SP / HTAB (RFC 5234). */
static inline bool ms_ascii_is_wsp(int c)
{
  return c == ' ' || c == '\t';
}
static inline int ms_ascii_lower(int c)
{
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* True when a and b hold the same bytes. */
bool ms_slice_eq(struct ms_slice a, struct ms_slice b);
/* Drops one trailing dot: a fully qualified name written with its root
 * dot ("mail.example.com.") names the same host. A second dot stays (an
 * empty label, for the caller's checks to refuse). */
static inline struct ms_slice ms_slice_drop_root_dot(struct ms_slice s)
{
  if (s.len && s.ptr[s.len - 1] == '.')
    s.len--;
  return s;
}

/* True when a and b are equal ignoring ASCII letter case. */
bool ms_slice_eq_nocase(struct ms_slice a, struct ms_slice b);
/* True when s equals the NUL-terminated lit exactly. */
bool ms_slice_eq_cstr(struct ms_slice s, const char *lit);
/* True when s starts with the NUL-terminated lit (exact bytes). */
bool ms_slice_starts_with(struct ms_slice s, const char *lit);
/* True when s contains needle, ignoring ASCII case. */
bool ms_slice_contains_nocase(struct ms_slice s, const char *needle);
/* Removes leading and trailing SP/HTAB. */
struct ms_slice ms_slice_trim_wsp(struct ms_slice s);
/* Splits at the first byte c: *head gets the part before it, the return
 * value is the rest after it; *found tells whether c occurred (when not,
 * *head is all of s and the rest is empty). */
struct ms_slice ms_slice_split(struct ms_slice s, char c,
                               struct ms_slice *head, bool *found);
/* Parses 1 to max_digits (at most 19, so it cannot overflow) ASCII
 * digits, the whole slice, into *out.
 * Returns false on anything else (sign, space, empty, too many digits). */
bool ms_slice_parse_u64(struct ms_slice s, size_t max_digits, uint64_t *out);
/* Copies s into dst (cap bytes incl. NUL), truncating; returns dst. */
char *ms_slice_copy(struct ms_slice s, char *dst, size_t cap);

#endif
