/* The catalogue: codes unique, required codes present, lookup works. */
#include "core/findings.h"

#include "unit.h"

static void test_codes_unique(void)
{
  for (size_t i = 0; i < MS_F_COUNT; i++) {
    const struct ms_finding_info *a = ms_finding_info((enum ms_finding)i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT(a->message && a->message[0]);
    CU_ASSERT(a->doc && a->doc[0]);
    for (size_t j = i + 1; j < MS_F_COUNT; j++)
      CU_ASSERT(strcmp(a->code, ms_finding_info((enum ms_finding)j)->code));
  }
}

static void test_lookup(void)
{
  enum ms_finding f;
  CU_ASSERT(ms_finding_by_code("MX_NOT_COVERED", &f));
  CU_ASSERT_EQUAL(f, MS_F_MX_NOT_COVERED);
  CU_ASSERT_EQUAL(ms_finding_info(f)->sev, MS_SEV_MODE);
  CU_ASSERT_FALSE(ms_finding_by_code("NO_SUCH_CODE", &f));
  CU_ASSERT_STRING_EQUAL(ms_sev_name(MS_SEV_ERROR), "error");
}

/* Every code in ../shared/spec/findings.md is in the catalogue, with the
 * severity the contract gives it. */
static void test_contract(void)
{
  char path[4096];
  const char *corpus = ms_test_corpus_dir();
  if (!corpus)
    return; /* no shared/ next to this checkout */
  snprintf(path, sizeof(path), "%s/../spec/findings.md", corpus);
  size_t len;
  char *md = ms_test_read_file(path, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(md);
  int seen = 0;
  for (char *line = md, *next; line && *line; line = next) {
    char code[64], sev[64];
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    if (line[0] != '|' || line[1] != ' ' || line[2] < 'A' || line[2] > 'Z')
      continue;
    /* "| CODE | severity | when |" */
    char *p = line + 2, *bar = strchr(p, '|');
    if (!bar)
      continue;
    size_t n = (size_t)(bar - p);
    while (n && p[n - 1] == ' ')
      n--;
    if (n >= sizeof(code))
      continue;
    memcpy(code, p, n);
    code[n] = '\0';
    p = bar + 1;
    while (*p == ' ')
      p++;
    bar = strchr(p, '|');
    if (!bar)
      continue;
    n = (size_t)(bar - p);
    while (n && p[n - 1] == ' ')
      n--;
    if (n >= sizeof(sev))
      continue;
    memcpy(sev, p, n);
    sev[n] = '\0';
    enum ms_finding f;
    int found = ms_finding_by_code(code, &f);
    MS_CHECK_ROW(found, "%s", code);
    if (!found)
      continue;
    seen++;
    const char *ours = ms_sev_name(ms_finding_info(f)->sev);
    /* The contract words a few severities in prose ("warning if mode
     * testing, else info"); compare the leading word. */
    int ok = strncmp(sev, ours, strlen(ours)) == 0 ||
             (ms_finding_info(f)->sev == MS_SEV_INFO &&
              strncmp(sev, "warning if", 10) == 0);
    MS_CHECK_ROW(ok, "%s: contract %s, catalogue %s", code, sev, ours);
  }
  CU_ASSERT(seen >= 60);
  free(md);
}

CU_TestInfo ms_tests_findings[] = {
    {"codes unique and documented", test_codes_unique},
    {"lookup by code", test_lookup},
    {"matches the shared contract", test_contract},
    CU_TEST_INFO_NULL,
};
