/* History rules (core/history.c): one row per situation, exact codes. */
#include "core/history.h"

#include "unit.h"

#define V   MS_STATUS_VALID
#define W   MS_STATUS_WARNING
#define I   MS_STATUS_INVALID
#define N   MS_STATUS_NONE
#define E   MS_STATUS_ERROR
#define ENF MS_MODE_ENFORCE
#define TST MS_MODE_TESTING
#define NON MS_MODE_NONE
#define UNS MS_MODE_UNSET

struct row {
  const char *name;
  struct ms_history_entry prev;
  struct ms_history_now now;
  const char *codes; /* expected codes, in emission order, comma-joined */
};

#define PREV(st, md, rec, id, pol, ph) {st, md, rec, id, pol, ph}
#define NOW(st, md, rec, miss, id, pol, ph) {st, md, rec, miss, id, "x", pol, ph}

static const struct row rows[] = {
    {"unchanged", PREV(V, ENF, true, 7, true, 1),
     NOW(V, ENF, true, false, 7, true, 1), ""},
    {"policy changed, id kept (RFC 8461 8.1)", PREV(V, ENF, true, 7, true, 1),
     NOW(V, ENF, true, false, 7, true, 2), "HISTORY_POLICY_CHANGED_SAME_ID"},
    {"policy changed with a new id", PREV(V, ENF, true, 7, true, 1),
     NOW(V, ENF, true, false, 8, true, 2), "HISTORY_ID_CHANGED"},
    {"id changed, policy the same", PREV(V, ENF, true, 7, true, 1),
     NOW(V, ENF, true, false, 8, true, 1), "HISTORY_ID_CHANGED"},
    {"policy not fetched now: no comparison", PREV(V, ENF, true, 7, true, 1),
     NOW(I, UNS, true, false, 7, false, 0), "HISTORY_STATUS_REGRESSED"},
    {"valid -> warning", PREV(V, ENF, true, 7, true, 1),
     NOW(W, ENF, true, false, 7, true, 1), "HISTORY_STATUS_REGRESSED"},
    {"warning -> valid is not a regression", PREV(W, ENF, true, 7, true, 1),
     NOW(V, ENF, true, false, 7, true, 1), ""},
    {"none -> valid is not a regression", PREV(N, UNS, false, 0, false, 0),
     NOW(V, ENF, true, false, 7, true, 1), ""},
    {"none -> invalid", PREV(N, UNS, false, 0, false, 0),
     NOW(I, UNS, true, false, 7, true, 1), "HISTORY_STATUS_REGRESSED"},
    {"invalid -> error", PREV(I, UNS, true, 7, true, 1),
     NOW(E, UNS, false, false, 0, false, 0), "HISTORY_STATUS_REGRESSED"},
    {"enforce -> testing", PREV(V, ENF, true, 7, true, 1),
     NOW(V, TST, true, false, 8, true, 2),
     "HISTORY_ID_CHANGED,HISTORY_MODE_DOWNGRADED"},
    {"enforce -> none", PREV(V, ENF, true, 7, true, 1),
     NOW(V, NON, true, false, 8, true, 2),
     "HISTORY_ID_CHANGED,HISTORY_MODE_DOWNGRADED"},
    {"testing -> enforce is an upgrade", PREV(V, TST, true, 7, true, 1),
     NOW(V, ENF, true, false, 8, true, 2), "HISTORY_ID_CHANGED"},
    {"record disappeared", PREV(V, ENF, true, 7, true, 1),
     NOW(N, UNS, false, true, 0, false, 0),
     "HISTORY_STATUS_REGRESSED,HISTORY_MODE_DOWNGRADED"},
    {"record gone from a testing domain", PREV(W, TST, true, 7, true, 1),
     NOW(N, UNS, false, true, 0, false, 0),
     "HISTORY_STATUS_REGRESSED,HISTORY_MODE_DOWNGRADED"},
    {"never had a record", PREV(N, UNS, false, 0, false, 0),
     NOW(N, UNS, false, true, 0, false, 0), ""},
    {"same id, policy changed, mode downgraded",
     PREV(V, ENF, true, 7, true, 1), NOW(W, TST, true, false, 7, true, 2),
     "HISTORY_POLICY_CHANGED_SAME_ID,HISTORY_STATUS_REGRESSED,"
     "HISTORY_MODE_DOWNGRADED"},
};

static void test_rows(void)
{
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    struct ms_findings f;
    char got[512] = "";
    ms_findings_init(&f);
    ms_history_eval(&rows[i].prev, &rows[i].now, &f);
    for (size_t j = 0; j < f.n; j++) {
      if (j)
        strncat(got, ",", sizeof(got) - strlen(got) - 1);
      strncat(got, ms_finding_info(f.item[j].code)->code,
              sizeof(got) - strlen(got) - 1);
    }
    MS_CHECK_ROW(strcmp(got, rows[i].codes) == 0, "%s: got [%s] want [%s]",
                 rows[i].name, got, rows[i].codes);
  }
}

static void test_helpers(void)
{
  uint64_t h = 0;
  CU_ASSERT(ms_history_sha_parse(
      "00000000000000ff0000000000000000000000000000000000000000000000aa", &h));
  CU_ASSERT_EQUAL(h, 0xffu);
  CU_ASSERT_FALSE(ms_history_sha_parse("abc", &h));
  CU_ASSERT_FALSE(ms_history_sha_parse(
      "zz000000000000ff0000000000000000000000000000000000000000000000aa", &h));
  CU_ASSERT_FALSE(ms_history_sha_parse(NULL, &h));
  CU_ASSERT(ms_history_hash("a", 1) != ms_history_hash("b", 1));
  CU_ASSERT(ms_history_status_rank(MS_STATUS_VALID) <
            ms_history_status_rank(MS_STATUS_WARNING));
  CU_ASSERT(ms_history_status_rank(MS_STATUS_WARNING) <
            ms_history_status_rank(MS_STATUS_NONE));
  CU_ASSERT(ms_history_status_rank(MS_STATUS_NONE) <
            ms_history_status_rank(MS_STATUS_INVALID));
  CU_ASSERT(ms_history_status_rank(MS_STATUS_INVALID) <
            ms_history_status_rank(MS_STATUS_ERROR));
  /* NULL arguments add nothing. */
  struct ms_findings f;
  ms_findings_init(&f);
  ms_history_eval(NULL, NULL, &f);
  CU_ASSERT_EQUAL(f.n, 0);
}

CU_TestInfo ms_tests_history[] = {
    {"rules table", test_rows},
    {"hash, sha and rank helpers", test_helpers},
    CU_TEST_INFO_NULL,
};
