/*
 * Fuzz target for core/policy. Properties: parsing is deterministic (two
 * copies of the input give the same fields, slices at the same offsets,
 * and the same findings), every slice lies inside the input, and the
 * finding list never exceeds its cap.
 */
#include "core/policy.h"

#include "fuzz.h"

/* Offset of s in base, or SIZE_MAX for an empty slice (whose ptr is not
 * specified); checks that s lies inside base[0..len). */
static size_t offset_in(struct ms_slice s, const char *base, size_t len)
{
  if (s.len == 0)
    return SIZE_MAX;
  MS_FUZZ_CHECK(s.ptr >= base && s.ptr + s.len <= base + len);
  return (size_t)(s.ptr - base);
}

static void same_slice(struct ms_slice a, const char *ba, struct ms_slice b,
                       const char *bb, size_t len)
{
  MS_FUZZ_CHECK(a.len == b.len);
  MS_FUZZ_CHECK(offset_in(a, ba, len) == offset_in(b, bb, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > MS_POLICY_MAX_BYTES)
    size = MS_POLICY_MAX_BYTES; /* the fetcher refuses bigger bodies */
  char *b1 = ms_fuzz_dup(data, size);
  char *b2 = ms_fuzz_dup(data, size);
  struct ms_policy *p = calloc(2, sizeof(*p));
  struct ms_findings *f = calloc(2, sizeof(*f));
  MS_FUZZ_CHECK(p != NULL && f != NULL);
  ms_findings_init(&f[0]);
  ms_findings_init(&f[1]);
  ms_policy_parse(b1, size, &p[0], &f[0]);
  ms_policy_parse(b2, size, &p[1], &f[1]);

  MS_FUZZ_CHECK(f[0].n <= MS_FINDINGS_MAX);
  MS_FUZZ_CHECK(p[0].n_mx <= MS_POLICY_MX_MAX);
  MS_FUZZ_CHECK(p[0].has_version == p[1].has_version &&
                p[0].version_ok == p[1].version_ok && p[0].mode == p[1].mode &&
                p[0].has_max_age == p[1].has_max_age &&
                p[0].max_age_ok == p[1].max_age_ok &&
                p[0].max_age == p[1].max_age && p[0].n_mx == p[1].n_mx &&
                p[0].usable == p[1].usable);
  same_slice(p[0].version, b1, p[1].version, b2, size);
  same_slice(p[0].mode_raw, b1, p[1].mode_raw, b2, size);
  for (size_t i = 0; i < p[0].n_mx; i++) {
    same_slice(p[0].mx[i].pattern, b1, p[1].mx[i].pattern, b2, size);
    MS_FUZZ_CHECK(p[0].mx[i].valid == p[1].mx[i].valid &&
                  p[0].mx[i].wildcard == p[1].mx[i].wildcard);
  }
  MS_FUZZ_CHECK(!p[0].max_age_ok || p[0].max_age <= MS_POLICY_MAX_AGE_MAX);
  MS_FUZZ_CHECK(f[0].n == f[1].n && f[0].dropped == f[1].dropped);
  for (size_t i = 0; i < f[0].n; i++) {
    const struct ms_finding_item *x = &f[0].item[i], *y = &f[1].item[i];
    MS_FUZZ_CHECK(x->code == y->code && x->sev == y->sev &&
                  strcmp(x->subject, y->subject) == 0 &&
                  strcmp(x->detail, y->detail) == 0);
  }
  free(p);
  free(f);
  free(b1);
  free(b2);
  return 0;
}
