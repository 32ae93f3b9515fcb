/* Shared helpers for the CUnit suites. */
#ifndef MS_TESTS_UNIT_H
#define MS_TESTS_UNIT_H

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/slice.h"

/* Path of the shared corpus (../shared/corpus next to the checkout), or
 * NULL when it does not exist; MS_CORPUS_DIR in the environment wins. */
const char *ms_test_corpus_dir(void);
/* Reads a whole file into a new buffer (caller frees); NULL on error. */
char *ms_test_read_file(const char *path, size_t *len);

struct ms_findings;
/* Sorts the space-separated words of src into dst (cap bytes). */
void ms_test_sort_words(const char *src, char *dst, size_t cap);
/* The codes of f as sorted space-separated words, strip (e.g. "POLICY_")
 * removed from the front of each code when given. */
void ms_test_codes(const struct ms_findings *f, const char *strip, char *dst,
                   size_t cap);

/* Assert with the failing table row printed. */
#define MS_CHECK_ROW(cond, row_fmt, ...)                                     \
  do {                                                                       \
    if (!(cond))                                                             \
      fprintf(stderr, "\n  row failed: " row_fmt "\n", __VA_ARGS__);         \
    CU_ASSERT(cond);                                                         \
  } while (0)

#endif
