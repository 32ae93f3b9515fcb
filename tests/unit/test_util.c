/*
 * util/: the slice helpers (tables of edge cases) and ms_hset, the
 * duplicate set of the input (membership exact against a reference, keys
 * 0/1, one shard and one home slot crowded, wrap-around at the end of a
 * shard, and the memory bound of 12.5 bytes a key at every size).
 */
#include "util/err.h"
#include "util/hset.h"
#include "util/slice.h"

#include "unit.h"

static const struct {
  const char *in;
  size_t max;
  bool ok;
  uint64_t val;
} u64_rows[] = {
    {"0", 10, true, 0},
    {"604800", 10, true, 604800},
    {"31557600", 8, true, 31557600},
    {"315576000", 8, false, 0}, /* more digits than allowed */
    {"9999999999999999999", 20, true, 9999999999999999999ULL},
    {"18446744073709551615", 20, false, 0}, /* 20 digits: never, so no
                                                overflow is possible */
    {"", 10, false, 0},
    {"+1", 10, false, 0},
    {"-1", 10, false, 0},
    {" 1", 10, false, 0},
    {"1 ", 10, false, 0},
    {"1e3", 10, false, 0},
    {"0x10", 10, false, 0},
};

static void test_parse_u64(void)
{
  for (size_t i = 0; i < sizeof(u64_rows) / sizeof(u64_rows[0]); i++) {
    uint64_t v = 12345;
    bool ok = ms_slice_parse_u64(ms_slice_cstr(u64_rows[i].in),
                                 u64_rows[i].max, &v);
    MS_CHECK_ROW(ok == u64_rows[i].ok, "\"%s\": ok %d", u64_rows[i].in, ok);
    if (ok && u64_rows[i].ok)
      MS_CHECK_ROW(v == u64_rows[i].val, "\"%s\": %llu", u64_rows[i].in,
                   (unsigned long long)v);
  }
}

static const struct {
  const char *in, *out;
} trim_rows[] = {
    {"", ""},
    {" \t ", ""},
    {"  enforce\t", "enforce"},
    {"a b", "a b"},
    {"\r x", "\r x"}, /* only SP and HTAB are trimmed */
    {"x\n", "x\n"},
};

static void test_trim_split_case(void)
{
  char buf[64];
  for (size_t i = 0; i < sizeof(trim_rows) / sizeof(trim_rows[0]); i++) {
    struct ms_slice t = ms_slice_trim_wsp(ms_slice_cstr(trim_rows[i].in));
    ms_slice_copy(t, buf, sizeof(buf));
    MS_CHECK_ROW(strcmp(buf, trim_rows[i].out) == 0, "\"%s\": \"%s\"",
                 trim_rows[i].in, buf);
  }
  struct ms_slice head;
  bool found;
  struct ms_slice rest =
      ms_slice_split(ms_slice_cstr("mode: testing"), ':', &head, &found);
  CU_ASSERT(found && ms_slice_eq_cstr(head, "mode") &&
            ms_slice_eq_cstr(rest, " testing"));
  rest = ms_slice_split(ms_slice_cstr("novalue"), ':', &head, &found);
  CU_ASSERT(!found && ms_slice_eq_cstr(head, "novalue") && rest.len == 0);
  CU_ASSERT(ms_slice_eq_nocase(ms_slice_cstr("STSv1"), ms_slice_cstr("stsV1")));
  CU_ASSERT(!ms_slice_eq_nocase(ms_slice_cstr("STSv1"), ms_slice_cstr("STSv")));
  /* ASCII only: bytes above 0x7f are never folded. */
  CU_ASSERT(!ms_slice_eq_nocase(ms_slice_cstr("\xc3\x84"),
                                ms_slice_cstr("\xc3\xa4")));
  CU_ASSERT(ms_slice_contains_nocase(ms_slice_cstr("Text/Plain; x"),
                                     "text/plain"));
  CU_ASSERT(ms_slice_starts_with(ms_slice_cstr("v=STSv1;"), "v=STSv1"));
  CU_ASSERT(!ms_slice_starts_with(ms_slice_cstr("v=STS"), "v=STSv1"));
  /* Truncating copy keeps the NUL. */
  ms_slice_copy(ms_slice_cstr("abcdef"), buf, 4);
  CU_ASSERT_STRING_EQUAL(buf, "abc");
  CU_ASSERT(ms_strerror(MS_ECANCELED) != NULL &&
            ms_strerror((ms_err_t)999) != NULL);
}

/* splitmix64: a reproducible stream of well-mixed keys. */
static uint64_t next_key(uint64_t *st)
{
  uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void test_hset_basic(void)
{
  struct ms_hset hs = {0};
  CU_ASSERT_FALSE(ms_hset_has(&hs, 42));
  CU_ASSERT(ms_hset_add(&hs, 42));
  CU_ASSERT_FALSE(ms_hset_add(&hs, 42));
  CU_ASSERT(ms_hset_has(&hs, 42));
  CU_ASSERT_FALSE(ms_hset_has(&hs, 43));
  /* 0 marks an empty slot, so it is stored as 1: the same key. */
  CU_ASSERT(ms_hset_add(&hs, 0));
  CU_ASSERT(ms_hset_has(&hs, 1));
  CU_ASSERT_FALSE(ms_hset_add(&hs, 1));
  CU_ASSERT(ms_hset_count(&hs) == 2);
  ms_hset_free(&hs);
  CU_ASSERT(ms_hset_count(&hs) == 0 && !ms_hset_has(&hs, 42));
}

/* Every key in one shard (top byte 0x5a) and many on one home slot (the
 * same low 32 bits): linear probing has to walk and wrap, and the shard's
 * table passes from the heap to a mapping on the way. */
static void test_hset_crowded(void)
{
  struct ms_hset hs = {0};
  enum { N = 3000 };
  for (uint64_t i = 0; i < N; i++) {
    uint64_t k = (0x5aULL << 56) | (i << 32) |
                 (i % 3 ? 0xffffffffu : (uint32_t)i);
    bool fresh = ms_hset_add(&hs, k);
    MS_CHECK_ROW(fresh, "key %llu", (unsigned long long)i);
  }
  for (uint64_t i = 0; i < N; i++) {
    uint64_t k = (0x5aULL << 56) | (i << 32) |
                 (i % 3 ? 0xffffffffu : (uint32_t)i);
    bool again = ms_hset_add(&hs, k), has = ms_hset_has(&hs, k);
    MS_CHECK_ROW(!again, "again %llu", (unsigned long long)i);
    MS_CHECK_ROW(has, "has %llu", (unsigned long long)i);
    /* Same home slot, another shard: absent. */
    CU_ASSERT_FALSE(ms_hset_has(&hs, k ^ (1ULL << 56)));
  }
  CU_ASSERT(ms_hset_count(&hs) == N);
  CU_ASSERT(hs.shard[MS_HSET_SHARD_OF(0x5aULL << 56)].n == N);
  ms_hset_free(&hs);
}

/* Random keys against a sorted reference; memory per key checked at
 * sizes on both sides of every growth step. */
static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void test_hset_random(void)
{
  enum { N = 200000 };
  uint64_t *ref = malloc(N * sizeof(uint64_t));
  CU_ASSERT_FATAL(ref != NULL);
  uint64_t st = 7;
  struct ms_hset hs = {0};
  double worst = 0; /* bytes beyond the bound, at the worst moment */
  for (size_t i = 0; i < N; i++) {
    ref[i] = next_key(&st);
    /* Every 7th key is a repeat of an earlier one. */
    if (i > 0 && i % 7 == 0)
      ref[i] = ref[i / 2];
    bool fresh = ms_hset_add(&hs, ref[i]);
    MS_CHECK_ROW(fresh == (i == 0 || i % 7 != 0), "add %zu", i);
    /* 8 bytes a slot at a load of at least 0.64 (0.8 / 1.25), plus at
     * most a page per shard where a table is a mapping. */
    if (ms_hset_count(&hs) >= 1000) {
      double over = (double)ms_hset_bytes(&hs) -
                    (12.5 * (double)ms_hset_count(&hs) + MS_HSET_SHARDS * 4096.0);
      if (over > worst)
        worst = over;
    }
  }
  qsort(ref, N, sizeof(uint64_t), cmp_u64);
  size_t distinct = 0;
  for (size_t i = 0; i < N; i++)
    distinct += i == 0 || ref[i] != ref[i - 1];
  CU_ASSERT(ms_hset_count(&hs) == distinct);
  for (size_t i = 0; i < N; i++)
    CU_ASSERT(ms_hset_has(&hs, ref[i]));
  /* Keys not added: the stream continued past N. */
  size_t false_pos = 0;
  for (size_t i = 0; i < 10000; i++) {
    uint64_t k = next_key(&st);
    false_pos += ms_hset_has(&hs, k) &&
                 !bsearch(&k, ref, N, sizeof(uint64_t), cmp_u64);
  }
  CU_ASSERT(false_pos == 0);
  if (worst > 0)
    fprintf(stderr, "\n  hset: %.0f bytes over the bound\n", worst);
  CU_ASSERT(worst <= 0);
  /* And never less than the keys themselves. */
  CU_ASSERT(ms_hset_bytes(&hs) >= ms_hset_count(&hs) * sizeof(uint64_t));
  ms_hset_free(&hs);
  free(ref);
}

CU_TestInfo ms_tests_util[] = {
    {"slice parse_u64", test_parse_u64},
    {"slice trim, split, case", test_trim_split_case},
    {"hset basic", test_hset_basic},
    {"hset crowded shard", test_hset_crowded},
    {"hset random vs reference", test_hset_random},
    CU_TEST_INFO_NULL,
};
