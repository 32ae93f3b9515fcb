/*
 * Fuzz target for core/tlsrpt: the first byte's low bit says whether the
 * policy mode is testing, the rest is 1 to 3 TXT records split at '\n'.
 * Properties: caps hold, rua slices point into the chosen record, and a
 * record called valid has only valid rua URIs.
 */
#include "core/tlsrpt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  bool testing = size > 0 && (data[0] & 1);
  if (size > 0) {
    data++;
    size--;
  }
  char *part[3];
  size_t len[3];
  size_t n = ms_fuzz_split(data, size, 3, part, len);
  struct ms_slice rec[3];
  for (size_t i = 0; i < n; i++)
    rec[i] = ms_slice_make(part[i], len[i]);
  struct ms_findings *f = calloc(1, sizeof(*f));
  MS_FUZZ_CHECK(f != NULL);
  struct ms_tlsrpt out;
  ms_findings_init(f);
  ms_tlsrpt_eval(rec, n, testing, &out, f);
  MS_FUZZ_CHECK(f->n <= MS_FINDINGS_MAX);
  MS_FUZZ_CHECK(out.n_rua <= MS_TLSRPT_RUA_MAX);
  if (out.present) {
    MS_FUZZ_CHECK(out.index < n);
    const char *lo = rec[out.index].ptr, *hi = lo + rec[out.index].len;
    for (size_t i = 0; i < out.n_rua; i++) {
      MS_FUZZ_CHECK(out.rua[i].ptr >= lo &&
                    out.rua[i].ptr + out.rua[i].len <= hi);
      MS_FUZZ_CHECK(!out.valid || ms_tlsrpt_uri_valid(out.rua[i]));
    }
  }
  /* The URI checker on its own, over each whole record. */
  for (size_t i = 0; i < n; i++)
    (void)ms_tlsrpt_uri_valid(rec[i]);
  free(f);
  ms_fuzz_split_free(part, n);
  return 0;
}
