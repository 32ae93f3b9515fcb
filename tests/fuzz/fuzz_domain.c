/*
 * Fuzz target for core/domain. Property: a name that normalises is a
 * valid host name and normalises to itself again (idempotence).
 */
#include "core/domain.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = ms_fuzz_dup(data, size);
  char out[MS_DOMAIN_MAX + 1], again[MS_DOMAIN_MAX + 1], why[128];
  ms_err_t err = ms_domain_normalize(ms_slice_make(in, size), out, sizeof(out),
                                     why, sizeof(why));
  if (err == MS_OK) {
    size_t n = strnlen(out, sizeof(out));
    MS_FUZZ_CHECK(n > 0 && n <= MS_DOMAIN_MAX);
    MS_FUZZ_CHECK(ms_domain_is_hostname(ms_slice_make(out, n)));
    char *copy = ms_fuzz_dup(out, n);
    MS_FUZZ_CHECK(ms_domain_normalize(ms_slice_make(copy, n), again,
                                      sizeof(again), why,
                                      sizeof(why)) == MS_OK);
    MS_FUZZ_CHECK(strcmp(out, again) == 0);
    free(copy);
  } else {
    MS_FUZZ_CHECK(err == MS_ESYNTAX);
    MS_FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
  }
  free(in);
  return 0;
}
