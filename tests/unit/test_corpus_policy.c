/*
 * The shared corpus (../shared/corpus, when it exists): every published
 * policy parsed against an expectation worked out by hand from the rules in
 * data/verdict.md (exact code multiset and the usable flag), and the MX
 * coverage of mx-cases.tsv. Files not in the tables must at least parse.
 * Skipped entirely when the corpus is absent.
 */
#include <dirent.h>

#include "core/mx_match.h"
#include "core/policy.h"

#include "unit.h"

#define WORDS_MAX 128
#define HOSTS_MAX 16

struct cexp {
  const char *id;    /* file name without .txt */
  const char *codes; /* "POLICY_" left out; order free */
  bool usable;
};

/* Reasoned from each file's bytes (cat -A) and data/verdict.md. */
static const struct cexp expect[] = {
    {"001", "", true},
    {"002", "", true},                              /* CRLF */
    {"003", "MAX_AGE_INVALID MODE_TESTING", false}, /* max_age: enforce */
    {"005", "MODE_TESTING", true},                  /* no final EOL */
    {"006", "", true},
    {"007", "ENCODING", true},                       /* BOM */
    {"008", "ENCODING TRAILING_BLANK_LINE", true},   /* BOM, CRLF blank */
    {"013", "FIELD_UNKNOWN VERSION_MISSING", false}, /* eversion */
    /* template: mode and max_age with comments, mx with comments (whitespace
     * inside, so invalid; the trailing '.' is not a TRAILING_DOT then), two
     * indented comment lines */
    {"014", "MODE_INVALID MX_INVALID MX_INVALID SYNTAX MAX_AGE_INVALID", false},
    {"015", "MODE_INVALID MX_INVALID MAX_AGE_INVALID", false},
    {"017", "MODE_TESTING", true},
    {"018", "MODE_INVALID MAX_AGE_INVALID", false}, /* mx WSP is trimmed */
    {"019", "", true},                              /* "STSv1 " trimmed */
    {"020", "SPACING MODE_TESTING", true},          /* dup mx is fine */
    {"021", "SPACING MODE_TESTING", true},
    {"022", "MAX_AGE_SHORT MODE_TESTING", true}, /* max_age 60 */
    {"023", "SPACING MODE_TESTING MX_TRAILING_DOT MX_TRAILING_DOT", true},
    {"024", "MX_TRAILING_DOT MX_TRAILING_DOT", true},
    {"025", "SPACING MODE_NONE MAX_AGE_SHORT", true},
    /* empty extension values and "  - ..." list lines: not fields */
    {"026", "SYNTAX", true},
    {"029", "MODE_INVALID", false}, /* enforced */
    {"030", "MODE_INVALID", false}, /* test */
    /* the blank line precedes only a comment, no further field */
    {"031", "MODE_INVALID SYNTAX TRAILING_BLANK_LINE", false},
    {"032", "MODE_NONE MAX_AGE_SHORT", true},
    {"033", "MODE_NONE MAX_AGE_SHORT", true},
    {"034", "MODE_NONE", true}, /* none needs no mx */
    {"036", "", true},          /* 31557600, upper-case mx */
    {"038", "MODE_TESTING TRAILING_BLANK_LINE", true},
    {"039", "MODE_TESTING", true},
    {"041", "", true},
    {"042", "MODE_TESTING MX_INVALID SYNTAX", false}, /* "mx:" + YAML list */
    {"043", "MX_INVALID", false},                     /* ://google.com */
    {"044", "", true},
    {"048", "MODE_TESTING", true},
    {"049", "SYNTAX VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", false},
    {"050", "VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", false},
    {"051", "", true},
    {"052", "MODE_TESTING TRAILING_BLANK_LINE", true},
    {"053", "TRAILING_BLANK_LINE", true}, /* two CRLF empty lines: one */
    {"054", "MX_TRAILING_DOT", true},
    {"055", "", true},
    {"056", "MODE_TESTING", true},
    {"057", "MODE_TESTING", true},
    {"058", "", true},
    {"059", "", true},
    {"060", "BLANK_LINE SYNTAX MODE_TESTING", true},
    {"061", "MODE_TESTING", true}, /* 52-octet label is fine */
    {"062", "SYNTAX BLANK_LINE", true},
    {"064", "", true},
    {"065", "MODE_TESTING", true},
    {"066", "", true},
    {"067", "", true},
    {"068", "", true},
    {"069", "MODE_TESTING", true},
    {"070", "SPACING MODE_TESTING", true},
    {"071", "", true},
    {"072", "", true},
    {"073", "MODE_TESTING", true},
    {"074", "MODE_NONE", true},
    {"R01", "", true},
    {"R02", "", true},
    {"R03", "MX_INVALID", true}, /* IP literal, other names valid */
    {"R04", "FIELD_UNKNOWN MX_MISSING", false}, /* nmx: */
    {"R05", "", true},
    {"R06", "", true},
};

/* Per case of mx-cases.tsv: Y/N per listed MX host, in order, from the
 * row's note. */
struct mexp {
  const char *id;
  const char *covered;
};

static const struct mexp mexpect[] = {
    {"M01", "YY"},    {"M02", "YY"},    {"M03", "YYY"},   {"M04", "Y"},
    {"M05", "Y"},     {"M06", "N"},     {"M07", "Y"},     {"M08", "N"},
    {"M09", "N"},     {"M10", "Y"},     {"M11", "YYYYY"}, {"M12", "NNNNN"},
    {"M13", "YYYYY"}, {"M15", "NNNNN"}, {"M16", "YYYYY"}, {"M17", "Y"},
    {"M19", "NN"},    {"M20", "YY"},    {"M21", "YN"},    {"M22", "NNNNN"},
};

/* Shared with the other suites (tests/unit/main.c). */
#define sort_words(src, dst, cap) ms_test_sort_words(src, dst, cap)
#define codes_of(f, dst, cap)     ms_test_codes(f, "POLICY_", dst, cap)

/* Path of a policy id: NNN under policies/, RNN under
 * policies-reconstructed/. */
static void policy_path(const char *corpus, const char *id, char *dst,
                        size_t cap)
{
  snprintf(dst, cap, "%s/%s/%s.txt", corpus,
           id[0] == 'R' ? "policies-reconstructed" : "policies", id);
}

/* Reads and parses one policy file; the body stays for the slices (caller
 * frees *body). False when the file cannot be read. */
static bool parse_file(const char *path, char **body, struct ms_policy *p,
                       struct ms_findings *f)
{
  size_t len = 0;
  *body = ms_test_read_file(path, &len);
  if (!*body)
    return false;
  ms_findings_init(f);
  ms_policy_parse(*body, len, p, f);
  return true;
}

static void test_corpus_expectations(void)
{
  const char *corpus = ms_test_corpus_dir();
  char path[4096], want[1024], got[1024];
  if (!corpus)
    return; /* no shared corpus next to this checkout */
  struct ms_policy *p = malloc(sizeof(*p));
  struct ms_findings *f = malloc(sizeof(*f));
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
    const struct cexp *e = &expect[i];
    char *body = NULL;
    policy_path(corpus, e->id, path, sizeof(path));
    bool ok = parse_file(path, &body, p, f);
    MS_CHECK_ROW(ok, "%s: cannot read %s", e->id, path);
    if (!ok)
      continue;
    sort_words(e->codes, want, sizeof(want));
    codes_of(f, got, sizeof(got));
    MS_CHECK_ROW(strcmp(want, got) == 0, "%s: codes want [%s] got [%s]", e->id,
                 want, got);
    MS_CHECK_ROW(p->usable == e->usable, "%s: usable want %d got %d", e->id,
                 e->usable, p->usable);
    free(body);
  }
  free(f);
  free(p);
}

/* True when id has a row in expect[]. */
static bool known_id(const char *id)
{
  for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
    if (strcmp(expect[i].id, id) == 0)
      return true;
  }
  return false;
}

/* Files added to the corpus later: parsing must not crash or overflow. */
static void test_corpus_all_files_parse(void)
{
  static const char *const dirs[] = {"policies", "policies-reconstructed"};
  const char *corpus = ms_test_corpus_dir();
  char path[4096];
  if (!corpus)
    return;
  struct ms_policy *p = malloc(sizeof(*p));
  struct ms_findings *f = malloc(sizeof(*f));
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  size_t seen = 0;
  for (size_t d = 0; d < 2; d++) {
    snprintf(path, sizeof(path), "%s/%s", corpus, dirs[d]);
    DIR *dir = opendir(path);
    MS_CHECK_ROW(dir != NULL, "cannot open %s", path);
    if (!dir)
      continue;
    for (struct dirent *de = readdir(dir); de; de = readdir(dir)) {
      size_t n = strlen(de->d_name);
      if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0)
        continue;
      char id[256];
      snprintf(id, sizeof(id), "%.*s", (int)(n - 4), de->d_name);
      snprintf(path, sizeof(path), "%s/%s/%s", corpus, dirs[d], de->d_name);
      char *body = NULL;
      bool ok = parse_file(path, &body, p, f);
      MS_CHECK_ROW(ok, "cannot read %s", path);
      if (!ok)
        continue;
      seen++;
      /* Invariants that hold for any input. */
      MS_CHECK_ROW(p->n_mx <= MS_POLICY_MX_MAX && f->dropped == 0, "%s: caps",
                   id);
      MS_CHECK_ROW(!p->usable || p->version_ok, "%s: usable without version",
                   id);
      if (!known_id(id))
        fprintf(stderr, "\n  note: corpus file %s has no expectation row", id);
      free(body);
    }
    closedir(dir);
  }
  CU_ASSERT(seen > 0);
  free(f);
  free(p);
}

/* Splits line at tabs into at most n fields (in place). */
static size_t split_tabs(char *line, char **field, size_t n)
{
  size_t k = 0;
  field[k++] = line;
  for (char *c = line; *c && k < n; c++) {
    if (*c == '\t') {
      *c = '\0';
      field[k++] = c + 1;
    }
  }
  return k;
}

/* Coverage of each MX host of one case: 'Y' when some pattern matches. */
static void coverage(const struct ms_policy *p, char *mxlist, char *out,
                     size_t cap)
{
  size_t o = 0;
  for (char *tok = mxlist; tok && *tok && o + 1 < cap;) {
    char *comma = strchr(tok, ',');
    if (comma)
      *comma = '\0';
    /* "<preference> <host>" */
    char *host = strchr(tok, ' ');
    host = host ? host + 1 : tok;
    bool hit = false;
    for (size_t i = 0; i < p->n_mx && !hit; i++)
      hit = ms_mx_match(p->mx[i].pattern, ms_slice_cstr(host));
    out[o++] = hit ? 'Y' : 'N';
    tok = comma ? comma + 1 : NULL;
  }
  out[o] = '\0';
}

static void test_corpus_mx_cases(void)
{
  const char *corpus = ms_test_corpus_dir();
  char path[4096];
  if (!corpus)
    return;
  snprintf(path, sizeof(path), "%s/mx-cases.tsv", corpus);
  size_t len;
  char *tsv = ms_test_read_file(path, &len);
  MS_CHECK_ROW(tsv != NULL, "cannot read %s", path);
  if (!tsv)
    return;
  struct ms_policy *p = malloc(sizeof(*p));
  struct ms_findings *f = malloc(sizeof(*f));
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  bool found[sizeof(mexpect) / sizeof(mexpect[0])] = {false};
  char *next = NULL;
  for (char *line = tsv; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *fld[4];
    if (split_tabs(line, fld, 4) < 3 || strncmp(fld[0], "domain-id", 9) == 0)
      continue;
    if (strcmp(fld[2], "-") == 0)
      continue; /* no policy served in that case */
    char id[16];
    snprintf(id, sizeof(id), "%.*s", (int)strcspn(fld[0], "-"), fld[0]);
    char *body = NULL, got[HOSTS_MAX + 1];
    policy_path(corpus, fld[2], path, sizeof(path));
    bool ok = parse_file(path, &body, p, f);
    MS_CHECK_ROW(ok, "%s: cannot read policy %s", id, path);
    if (!ok)
      continue;
    coverage(p, fld[1], got, sizeof(got));
    for (size_t i = 0; i < sizeof(mexpect) / sizeof(mexpect[0]); i++) {
      if (strcmp(mexpect[i].id, id) != 0)
        continue;
      found[i] = true;
      MS_CHECK_ROW(strcmp(mexpect[i].covered, got) == 0,
                   "%s (policy %s): coverage want %s got %s", id, fld[2],
                   mexpect[i].covered, got);
    }
    free(body);
  }
  for (size_t i = 0; i < sizeof(mexpect) / sizeof(mexpect[0]); i++)
    MS_CHECK_ROW(found[i], "%s: case not in mx-cases.tsv", mexpect[i].id);
  free(f);
  free(p);
  free(tsv);
}

CU_TestInfo ms_tests_corpus_policy[] = {
    {"published policies", test_corpus_expectations},
    {"every corpus file parses", test_corpus_all_files_parse},
    {"mx-cases coverage", test_corpus_mx_cases},
    CU_TEST_INFO_NULL,
};
