/*
 * Fuzz target for core/sts_txt: the input is 1 to 3 TXT records split at
 * '\n', each in its own exact-size buffer. Properties: the finding list
 * stays within its cap, the chosen record and id point into the input,
 * and evaluating twice gives the same answer.
 */
#include "core/sts_txt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *part[3];
  size_t len[3];
  size_t n = ms_fuzz_split(data, size, 3, part, len);
  struct ms_slice rec[3];
  for (size_t i = 0; i < n; i++)
    rec[i] = ms_slice_make(part[i], len[i]);
  struct ms_findings *f = calloc(2, sizeof(*f));
  MS_FUZZ_CHECK(f != NULL);
  struct ms_sts_txt a, b;
  ms_findings_init(&f[0]);
  ms_findings_init(&f[1]);
  ms_sts_txt_eval(rec, n, &a, &f[0]);
  ms_sts_txt_eval(rec, n, &b, &f[1]);
  MS_FUZZ_CHECK(f[0].n <= MS_FINDINGS_MAX);
  MS_FUZZ_CHECK(a.state == b.state && a.index == b.index &&
                a.id.ptr == b.id.ptr && a.id.len == b.id.len &&
                a.id_valid == b.id_valid && a.usable == b.usable);
  MS_FUZZ_CHECK(f[0].n == f[1].n && f[0].dropped == f[1].dropped);
  for (size_t i = 0; i < f[0].n; i++)
    MS_FUZZ_CHECK(f[0].item[i].code == f[1].item[i].code);
  if (a.state == MS_STS_OK || a.state == MS_STS_INVALID) {
    MS_FUZZ_CHECK(a.index < n);
    if (a.id.len) {
      const char *lo = rec[a.index].ptr, *hi = lo + rec[a.index].len;
      MS_FUZZ_CHECK(a.id.ptr >= lo && a.id.ptr + a.id.len <= hi);
      MS_FUZZ_CHECK(!a.id_valid || a.id.len <= MS_STS_ID_MAX);
    }
  }
  MS_FUZZ_CHECK(!a.usable || a.state == MS_STS_OK);
  free(f);
  ms_fuzz_split_free(part, n);
  return 0;
}
