/*
 * Fuzz target for core/mx_match: "pattern\nhost" (without '\n' the input
 * is both). Properties: ms_mx_match(p, h) == ms_mx_match(p, upper(h)) ==
 * ms_mx_match(p, h + ".") (when h has no trailing dot yet), and a pattern
 * that ms_mx_pattern_valid refuses matches nothing.
 */
#include "core/mx_match.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *part[2];
  size_t len[2];
  size_t n = ms_fuzz_split(data, size, 2, part, len);
  struct ms_slice p = ms_slice_make(part[0], len[0]);
  struct ms_slice h = ms_slice_make(part[n - 1], len[n - 1]);
  bool m = ms_mx_match(p, h);

  char *up = ms_fuzz_dup(h.ptr, h.len);
  for (size_t i = 0; i < h.len; i++) {
    if (up[i] >= 'a' && up[i] <= 'z')
      up[i] = (char)(up[i] - 'a' + 'A');
  }
  MS_FUZZ_CHECK(ms_mx_match(p, ms_slice_make(up, h.len)) == m);
  if (h.len == 0 || h.ptr[h.len - 1] != '.') {
    char *dot = malloc(h.len + 1);
    MS_FUZZ_CHECK(dot != NULL);
    if (h.len)
      memcpy(dot, h.ptr, h.len);
    dot[h.len] = '.';
    MS_FUZZ_CHECK(ms_mx_match(p, ms_slice_make(dot, h.len + 1)) == m);
    free(dot);
  }
  MS_FUZZ_CHECK(!m || ms_mx_pattern_valid(p));
  /* The reason string, when any, is a non-empty static text. */
  const char *why = ms_mx_pattern_problem(p);
  MS_FUZZ_CHECK(!why || why[0] != '\0');
  free(up);
  ms_fuzz_split_free(part, n);
  return 0;
}
