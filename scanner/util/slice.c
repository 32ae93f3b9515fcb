/* ASCII slice helpers (see slice.h). */
#include "util/slice.h"

bool ms_slice_eq(struct ms_slice a, struct ms_slice b)
{
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool ms_slice_eq_nocase(struct ms_slice a, struct ms_slice b)
{
  if (a.len != b.len)
    return false;
  for (size_t i = 0; i < a.len; i++) {
    if (ms_ascii_lower((unsigned char)a.ptr[i]) !=
        ms_ascii_lower((unsigned char)b.ptr[i]))
      return false;
  }
  return true;
}

bool ms_slice_eq_cstr(struct ms_slice s, const char *lit)
{
  return ms_slice_eq(s, ms_slice_cstr(lit));
}

bool ms_slice_starts_with(struct ms_slice s, const char *lit)
{
  size_t n = strlen(lit);
  return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

bool ms_slice_contains_nocase(struct ms_slice s, const char *needle)
{
  size_t n = strlen(needle);
  if (n == 0)
    return true;
  for (size_t i = 0; i + n <= s.len; i++) {
    if (ms_slice_eq_nocase(ms_slice_make(s.ptr + i, n),
                           ms_slice_make(needle, n)))
      return true;
  }
  return false;
}

struct ms_slice ms_slice_trim_wsp(struct ms_slice s)
{
  while (s.len && ms_ascii_is_wsp((unsigned char)s.ptr[0])) {
    s.ptr++;
    s.len--;
  }
  while (s.len && ms_ascii_is_wsp((unsigned char)s.ptr[s.len - 1]))
    s.len--;
  return s;
}

struct ms_slice ms_slice_split(struct ms_slice s, char c,
                               struct ms_slice *head, bool *found)
{
  for (size_t i = 0; i < s.len; i++) {
    if (s.ptr[i] == c) {
      *head = ms_slice_make(s.ptr, i);
      *found = true;
      return ms_slice_make(s.ptr + i + 1, s.len - i - 1);
    }
  }
  *head = s;
  *found = false;
  return ms_slice_make(s.ptr + s.len, 0);
}

bool ms_slice_parse_u64(struct ms_slice s, size_t max_digits, uint64_t *out)
{
  uint64_t v = 0;
  if (s.len == 0 || s.len > max_digits || s.len > 19)
    return false;
  for (size_t i = 0; i < s.len; i++) {
    if (!ms_ascii_is_digit((unsigned char)s.ptr[i]))
      return false;
    v = v * 10 + (uint64_t)(s.ptr[i] - '0');
  }
  *out = v;
  return true;
}

char *ms_slice_copy(struct ms_slice s, char *dst, size_t cap)
{
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n)
    memcpy(dst, s.ptr, n);
  dst[n] = '\0';
  return dst;
}
