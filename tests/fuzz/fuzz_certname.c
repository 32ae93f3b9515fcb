/*
 * Fuzz target for core/certname: "san\nhost" (without '\n' the input is
 * both). Properties: the result does not change with the letter case of
 * either side, nor with a trailing dot added to either side; a SAN that
 * matches contains no NUL; a non-wildcard match is an equal name; the
 * list form agrees with the single form.
 */
#include "core/certname.h"

#include "fuzz.h"

/* A new exact-size copy of s in upper case, with a '.' appended when
 * add_dot (then one byte longer). */
static char *variant(struct ms_slice s, bool add_dot)
{
  char *b = ms_fuzz_dup(s.ptr, s.len);
  if (add_dot) {
    char *longer = realloc(b, s.len + 1);
    MS_FUZZ_CHECK(longer != NULL);
    b = longer;
  }
  for (size_t i = 0; i < s.len; i++) {
    if (b[i] >= 'a' && b[i] <= 'z')
      b[i] = (char)(b[i] - 'a' + 'A');
  }
  if (add_dot)
    b[s.len] = '.';
  return b;
}

static bool ends_dot(struct ms_slice s)
{
  return s.len && s.ptr[s.len - 1] == '.';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *part[2];
  size_t len[2];
  size_t n = ms_fuzz_split(data, size, 2, part, len);
  struct ms_slice san = ms_slice_make(part[0], len[0]);
  struct ms_slice host = ms_slice_make(part[n - 1], len[n - 1]);
  bool m = ms_certname_match(san, host);

  char *su = variant(san, false), *hu = variant(host, false);
  MS_FUZZ_CHECK(ms_certname_match(ms_slice_make(su, san.len), host) == m);
  MS_FUZZ_CHECK(ms_certname_match(san, ms_slice_make(hu, host.len)) == m);
  free(su);
  free(hu);
  if (!ends_dot(san)) {
    char *sd = variant(san, true);
    MS_FUZZ_CHECK(ms_certname_match(ms_slice_make(sd, san.len + 1), host) == m);
    free(sd);
  }
  if (!ends_dot(host)) {
    char *hd = variant(host, true);
    MS_FUZZ_CHECK(ms_certname_match(san, ms_slice_make(hd, host.len + 1)) == m);
    free(hd);
  }
  if (m) {
    MS_FUZZ_CHECK(memchr(san.ptr, '\0', san.len) == NULL);
    MS_FUZZ_CHECK(memchr(host.ptr, '\0', host.len) == NULL);
    if (san.len == 0 || san.ptr[0] != '*') {
      struct ms_slice a = san, b = host;
      if (ends_dot(a))
        a.len--;
      if (ends_dot(b))
        b.len--;
      MS_FUZZ_CHECK(ms_slice_eq_nocase(a, b));
    }
  }
  MS_FUZZ_CHECK(ms_certname_match_any_slices(&san, 1, host) == m);
  ms_fuzz_split_free(part, n);
  return 0;
}
