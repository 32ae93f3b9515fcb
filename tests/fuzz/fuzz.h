/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_<name>.c) and replay.c:
 * the libFuzzer entry point, an exact-size copy helper (so ASan sees any
 * read past the input) and a property check that aborts, which libFuzzer
 * and the replay both report as a crash with the failing input.
 */
#ifndef MS_TESTS_FUZZ_H
#define MS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A new heap copy of exactly n bytes of p (one byte for n == 0, unread).
 * The caller frees it. */
static inline char *ms_fuzz_dup(const void *p, size_t n)
{
  char *b = malloc(n ? n : 1);
  if (!b)
    abort();
  if (n)
    memcpy(b, p, n);
  return b;
}

/* A property of the parser under test; failing it is a bug. */
#define MS_FUZZ_CHECK(cond)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,      \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Splits data at the first up to max - 1 '\n' bytes into at most max
 * parts (the last part keeps any further '\n'), each copied into its own
 * exact-size heap buffer. Returns the number of parts (>= 1); free them
 * with ms_fuzz_split_free. */
static inline size_t ms_fuzz_split(const uint8_t *data, size_t size, size_t max,
                                   char **part, size_t *len)
{
  size_t n = 0, start = 0;
  for (size_t i = 0; i < size && n + 1 < max; i++) {
    if (data[i] == '\n') {
      part[n] = ms_fuzz_dup(data + start, i - start);
      len[n++] = i - start;
      start = i + 1;
    }
  }
  part[n] = ms_fuzz_dup(data + start, size - start);
  len[n++] = size - start;
  return n;
}

static inline void ms_fuzz_split_free(char **part, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(part[i]);
}

#endif
