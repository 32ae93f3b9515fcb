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

/* Assert with the failing table row printed. */
#define MS_CHECK_ROW(cond, row_fmt, ...)                                     \
  do {                                                                       \
    if (!(cond))                                                             \
      fprintf(stderr, "\n  row failed: " row_fmt "\n", __VA_ARGS__);         \
    CU_ASSERT(cond);                                                         \
  } while (0)

#endif
