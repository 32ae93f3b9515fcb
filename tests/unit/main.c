/* CUnit runner: every suite, or only the one named in argv[1]. */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit.h"

#include "core/findings.h"

#include "suites.inc"

const char *ms_test_corpus_dir(void)
{
  static char path[4096];
  struct stat st;
  const char *env = getenv("MS_CORPUS_DIR");
  if (env && *env)
    snprintf(path, sizeof(path), "%s", env);
  else
    snprintf(path, sizeof(path), "%s/../shared/corpus", MS_SOURCE_DIR);
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return NULL;
  return path;
}

char *ms_test_read_file(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += got;
    if (n == cap) {
      cap *= 2;
      char *nb = realloc(buf, cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
      } else {
        buf = nb;
      }
    }
  }
  fclose(fp);
  if (!buf)
    return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ms_test_sort_words(const char *src, char *dst, size_t cap)
{
  char tmp[1024];
  const char *w[128];
  size_t n = 0, o = 0;
  snprintf(tmp, sizeof(tmp), "%s", src);
  for (char *p = tmp; *p && n < 128;) {
    while (*p == ' ')
      *p++ = '\0';
    if (!*p)
      break;
    w[n++] = p;
    while (*p && *p != ' ')
      p++;
  }
  qsort(w, n, sizeof(w[0]), cmp_str);
  dst[0] = '\0';
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    int k = snprintf(dst + o, cap - o, "%s%s", i ? " " : "", w[i]);
    if (k < 0)
      break;
    o += (size_t)k;
  }
}

void ms_test_codes(const struct ms_findings *f, const char *strip, char *dst,
                   size_t cap)
{
  char all[1024];
  size_t o = 0, sl = strip ? strlen(strip) : 0;
  all[0] = '\0';
  for (size_t i = 0; i < f->n && o + 1 < sizeof(all); i++) {
    const char *c = ms_finding_info(f->item[i].code)->code;
    if (sl && strncmp(c, strip, sl) == 0)
      c += sl;
    int k = snprintf(all + o, sizeof(all) - o, "%s ", c);
    if (k < 0)
      break;
    o += (size_t)k;
  }
  ms_test_sort_words(all, dst, cap);
}

int main(int argc, char **argv)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  CU_SuiteInfo *table = suites;
  CU_SuiteInfo one[2] = {CU_SUITE_INFO_NULL, CU_SUITE_INFO_NULL};
  if (argc > 1) {
    for (CU_SuiteInfo *s = suites; s->pName; s++) {
      if (strcmp(s->pName, argv[1]) == 0)
        one[0] = *s;
    }
    if (!one[0].pName) {
      fprintf(stderr, "ms_unit: no suite named %s\n", argv[1]);
      CU_cleanup_registry();
      return 2;
    }
    table = one;
  }
  if (CU_register_suites(table) != CUE_SUCCESS) {
    fprintf(stderr, "ms_unit: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures();
  int err = CU_get_error();
  CU_cleanup_registry();
  return (failures != 0 || err != CUE_SUCCESS) ? 1 : 0;
}
