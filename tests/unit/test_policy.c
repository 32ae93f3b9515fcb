/*
 * core/policy: the RFC 8461 section 3.2 body parser, as tables. Each row
 * gives the body bytes, the exact multiset of finding codes (compared
 * sorted, "POLICY_" left out) and the parsed fields. Bodies are copied into
 * exactly-sized heap buffers so ASan catches any read past the end.
 */
#include "core/policy.h"

#include "unit.h"

/* A body literal with its exact length (NUL bytes included). */
#define B(s)      s, sizeof(s) - 1
#define WORDS_MAX 128

/* Shared with the other suites (tests/unit/main.c). */
#define sort_words(src, dst, cap) ms_test_sort_words(src, dst, cap)
#define codes_of(f, dst, cap)     ms_test_codes(f, "POLICY_", dst, cap)

/* Parses len bytes from an exactly-sized heap copy (no NUL after it). */
static void parse_exact(const char *body, size_t len, struct ms_policy *p,
                        struct ms_findings *f)
{
  char *copy = malloc(len ? len : 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
  if (len)
    memcpy(copy, body, len);
  ms_findings_init(f);
  memset(p, 0xab, sizeof(*p)); /* the parser must reset *out */
  ms_policy_parse(copy, len, p, f);
  /* The slices in *p dangle from here on; rows only check scalars. */
  free(copy);
}

struct prow {
  const char *name;
  const char *body;
  size_t len;
  const char *codes; /* sorted or not, "POLICY_" left out */
  enum ms_mode mode;
  uint64_t max_age;
  size_t n_mx;
  bool usable;
};

#define ENF MS_MODE_ENFORCE
#define TST MS_MODE_TESTING
#define NON MS_MODE_NONE
#define INV MS_MODE_INVALID
#define UNS MS_MODE_UNSET

/* Fields shared by many rows. */
#define V  "version: STSv1\n"
#define ME "mode: enforce\n"
#define MT "mode: testing\n"
#define MX "mx: mail.example.test\n"
#define MA "max_age: 604800\n"

static const struct prow rows[] = {
    /* Line endings (bug log 1-3): LF, CRLF, mixed, no final EOL are fine. */
    {"LF", B(V ME MX MA), "", ENF, 604800, 1, true},
    {"CRLF",
     B("version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\n"
       "max_age: 604800\r\n"),
     "", ENF, 604800, 1, true},
    {"mixed LF and CRLF",
     B("version: STSv1\r\nmode: enforce\nmx: mail.example.test\r\n"
       "max_age: 86400\n"),
     "", ENF, 86400, 1, true},
    {"no final EOL", B(V ME MX "max_age: 86400"), "", ENF, 86400, 1, true},
    {"CRLF no final EOL",
     B("version: STSv1\r\nmode: testing\r\nmx: a.example.test\r\n"
       "max_age: 604800"),
     "MODE_TESTING", TST, 604800, 1, true},
    {"fields in any order", B("mx: a.example.test\n" MA ME V), "", ENF, 604800,
     1, true},
    {"aligned values, no space",
     B("version:STSv1\nmode:\t\ttesting\nmx:      a.example.test\n" MA),
     "MODE_TESTING", TST, 604800, 1, true},
    {"trailing WSP after values",
     B("version: STSv1 \nmode: enforce\t\nmx: a.example.test   \n"
       "max_age: 604800 \n"),
     "", ENF, 604800, 1, true},
    {"mode none without mx", B(V "mode: none\nmax_age: 86400"), "MODE_NONE",
     NON, 86400, 0, true},
    {"max_age maximum", B(V ME MX "max_age: 31557600\n"), "", ENF, 31557600, 1,
     true},
    {"max_age leading zeros", B(V ME MX "max_age: 0000086400\n"), "", ENF,
     86400, 1, true},
    {"wildcard and exact",
     B(V ME "mx: *.aspmx.l.example.test\nmx: aspmx.l.example.test\n" MA), "",
     ENF, 604800, 2, true},
    {"upper-case mx", B(V ME "mx: MX1.EXAMPLE.TEST\n" MA), "", ENF, 604800, 1,
     true},
    {"duplicate identical mx", B(V MT MX MX MA), "MODE_TESTING", TST, 604800, 2,
     true},
    {"*.mx.microsoft is a valid pattern", B(V ME "mx: *.mx.microsoft\n" MA), "",
     ENF, 604800, 1, true},
    {"long label ok (mx-verification)",
     B(V MT "mx: aaaabbbbccccddddeeeeffffgggghhhhiiiijjjjkkkkllllmmmm."
            "mx-verification.EXAMPLE.TEST\n" MA),
     "MODE_TESTING", TST, 604800, 1, true},

    /* Extension fields: ignored, reported once per key. */
    {"extension field", B(V ME MX MA "x-note: hello world # fine\n"),
     "FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"extension with UTF-8 value", B(V ME MX MA "owner: caf\xc3\xa9\n"),
     "FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"same extension key twice", B(V ME MX MA "x: 1\nx: 2\n"), "FIELD_UNKNOWN",
     ENF, 604800, 1, true},
    {"two extension keys", B(V ME MX MA "x: 1\ny: 2\n"),
     "FIELD_UNKNOWN FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"Jekyll front matter", B("---\nlayout: null\n---\n" V ME MX MA),
     "SYNTAX FIELD_UNKNOWN", ENF, 604800, 1, true},

    /* Encoding. */
    {"UTF-8 BOM", B("\xef\xbb\xbfversion: STSv1\r\n" ME MX MA), "ENCODING", ENF,
     604800, 1, true},
    {"BOM and trailing blank line",
     B("\xef\xbb\xbfversion: STSv1\r\nmode: enforce\r\nmx: a.example.test\r\n"
       "max_age: 604800\r\n\r\n"),
     "ENCODING TRAILING_BLANK_LINE", ENF, 604800, 1, true},
    {"NUL in mode", B(V "mode: enforce\0\n" MX MA), "ENCODING MODE_INVALID",
     INV, 604800, 1, false},
    {"control byte in extension", B(V ME MX MA "note: a\x01z\n"),
     "ENCODING FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"DEL byte", B(V ME MX MA "note: a\x7fz\n"), "ENCODING FIELD_UNKNOWN", ENF,
     604800, 1, true},
    {"Latin-1 byte", B(V ME MX MA "owner: caf\xe9\n"), "ENCODING FIELD_UNKNOWN",
     ENF, 604800, 1, true},
    {"overlong UTF-8", B(V ME MX MA "note: \xc0\xaf\n"),
     "ENCODING FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"UTF-8 surrogate", B(V ME MX MA "note: \xed\xa0\x80\n"),
     "ENCODING FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"truncated UTF-8 at end", B(V ME MX MA "note: a\xe2\x80"),
     "ENCODING FIELD_UNKNOWN", ENF, 604800, 1, true},
    {"UTF-16 BOM", B("\xff\xfeversion: STSv1\n" ME MX MA),
     "ENCODING SYNTAX VERSION_MISSING", ENF, 604800, 1, false},

    /* Lines that are not key: value. */
    {"comment line #", B(V ME "# primary\n" MX MA), "SYNTAX", ENF, 604800, 1,
     true},
    {"comment line ;;", B(V MT MA ";; Google MX\n" MX), "SYNTAX MODE_TESTING",
     TST, 604800, 1, true},
    {"indented comment", B(V ME MX MA "      # remove this\n"), "SYNTAX", ENF,
     604800, 1, true},
    {"no colon", B(V ME "mx mail.example.test\n" MA), "SYNTAX MX_MISSING", ENF,
     604800, 0, false},
    {"empty key", B(V ME MX MA ": stray\n"), "SYNTAX", ENF, 604800, 1, true},
    {"key with a space", B(V ME MX "max age: 604800\n"),
     "SYNTAX MAX_AGE_MISSING", ENF, 0, 1, false},
    {"key starting with _", B(V ME MX MA "_x: y\n"), "SYNTAX", ENF, 604800, 1,
     true},
    {"key of 33 characters",
     B(V ME MX MA "abcdefghijabcdefghijabcdefghijabc: y\n"), "SYNTAX", ENF,
     604800, 1, true},
    {"key of 32 characters",
     B(V ME MX MA "abcdefghijabcdefghijabcdefghijab: y\n"), "FIELD_UNKNOWN",
     ENF, 604800, 1, true},
    {"YAML mx list",
     B(V MT "mx:\n  - mx1.example.test\n  - mx2.example.test\n" MA),
     "SYNTAX MODE_TESTING MX_INVALID", TST, 604800, 1, false},
    {"empty extension value and YAML list",
     B(V ME MX MA "sha256_fingerprints:\n  - BASE64\n"), "SYNTAX", ENF, 604800,
     1, true},
    {"template placeholders",
     B(V "mode: [mode:testing]\nmx: [mx]\nmax_age: [max_age:1209601]\n"),
     "MODE_INVALID MX_INVALID MAX_AGE_INVALID", INV, 0, 1, false},
    {"bare CR separators",
     B("version: STSv1\rmode: enforce\rmx: a.example.test\rmax_age: 86400\r"),
     "SYNTAX", ENF, 86400, 1, true},
    {"one bare CR among CRLF",
     B("version: STSv1\r\nmode: enforce\rmx: a.example.test\r\n"
       "max_age: 86400\r\n"),
     "SYNTAX", ENF, 86400, 1, true},
    {"prose, not a policy",
     B("Example \xe2\x80\x93 no mail here\n\nThis site sends no mail.\n"),
     "SYNTAX VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", UNS, 0, 0, false},
    {"HTML error page", B("<html><body>Not Found</body></html>\n"),
     "SYNTAX VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", UNS, 0, 0, false},
    {"empty body", B(""), "VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", UNS,
     0, 0, false},
    {"single LF", B("\n"), "VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", UNS,
     0, 0, false},
    {"whitespace only", B("  \n\t\r\n"),
     "VERSION_MISSING MODE_MISSING MAX_AGE_MISSING", UNS, 0, 0, false},

    /* Whitespace strict parsers do not trim. */
    {"every line indented",
     B("  version: STSv1\n  mode: testing\n  mx: a.example.test\n"
       "  max_age: 604800\n"),
     "SPACING MODE_TESTING", TST, 604800, 1, true},
    {"some lines indented",
     B(V "      mode: testing\n      mx: a.example.test\n" MA),
     "SPACING MODE_TESTING", TST, 604800, 1, true},
    {"tab indented", B(V "\tmode: enforce\n" MX MA), "SPACING", ENF, 604800, 1,
     true},
    {"space before colon", B(V "mode : enforce\n" MX MA), "SPACING", ENF,
     604800, 1, true},
    {"tab before colon and indented", B(V ME " mx\t: a.example.test\n" MA),
     "SPACING", ENF, 604800, 1, true},
    {"indented extension", B(V ME MX MA "  x: y\n"), "SPACING FIELD_UNKNOWN",
     ENF, 604800, 1, true},

    /* Empty lines. */
    {"blank line between fields", B(V "\n" ME MX MA), "BLANK_LINE", ENF, 604800,
     1, true},
    {"whitespace-only line between fields", B(V ME " \t \n" MX MA),
     "BLANK_LINE", ENF, 604800, 1, true},
    {"leading blank line", B("\n" V ME MX MA), "BLANK_LINE", ENF, 604800, 1,
     true},
    {"blank line, comment, fields", B(V MT MA "\n;; Google MX servers\n" MX),
     "BLANK_LINE SYNTAX MODE_TESTING", TST, 604800, 1, true},
    {"comments and blank lines interleaved",
     B("# header\n\n" V "# note\n\n" ME "\n" MX "\n" MA "# tail"),
     "SYNTAX BLANK_LINE", ENF, 604800, 1, true},
    {"one trailing empty line", B(V ME MX MA "\n"), "TRAILING_BLANK_LINE", ENF,
     604800, 1, true},
    {"two trailing CRLF empty lines",
     B("version: STSv1\r\nmode: enforce\r\nmx: a.example.test\r\n"
       "max_age: 604800\r\n\r\n\r\n"),
     "TRAILING_BLANK_LINE", ENF, 604800, 1, true},
    {"trailing whitespace line without EOL", B(V ME MX MA "   "),
     "TRAILING_BLANK_LINE", ENF, 604800, 1, true},
    {"blank line then comment at end", B(V ME MX MA "\n#Test\n"),
     "SYNTAX TRAILING_BLANK_LINE", ENF, 604800, 1, true},
    {"inner and trailing blank lines", B(V "\n" ME MX MA "\n\n"),
     "BLANK_LINE TRAILING_BLANK_LINE", ENF, 604800, 1, true},

    /* Key case. */
    {"Mode:", B(V "Mode: enforce\n" MX MA), "FIELD_CASE", ENF, 604800, 1, true},
    {"MX: twice", B(V ME "MX: a.example.test\nMX: b.example.test\n" MA),
     "FIELD_CASE", ENF, 604800, 2, true},
    {"VERSION: and Max_Age:", B("VERSION: STSv1\n" ME MX "Max_Age: 86400\n"),
     "FIELD_CASE FIELD_CASE", ENF, 86400, 1, true},
    {"MX: and Mx:", B(V ME "MX: a.example.test\nMx: b.example.test\n" MA),
     "FIELD_CASE FIELD_CASE", ENF, 604800, 2, true},
    {"value case stsv1", B("version: stsv1\n" ME MX MA), "VERSION_INVALID", ENF,
     604800, 1, false},
    {"value case Enforce", B(V "mode: Enforce\n" MX MA), "MODE_INVALID", INV,
     604800, 1, false},

    /* Repeated single-valued fields: the first value counts. */
    {"mode twice, same", B(V ME MX ME MA), "FIELD_DUPLICATE", ENF, 604800, 1,
     true},
    {"mode twice, different", B(V ME MX MT MA), "FIELD_DUPLICATE", ENF, 604800,
     1, true},
    {"mode three times", B(V ME MX ME MT MA), "FIELD_DUPLICATE", ENF, 604800, 1,
     true},
    {"max_age twice, different", B(V ME MX MA "max_age: 60\n"),
     "FIELD_DUPLICATE", ENF, 604800, 1, true},
    {"version twice, different", B(V "version: STSv2\n" ME MX MA),
     "FIELD_DUPLICATE", ENF, 604800, 1, true},
    {"invalid first version counts", B("version: STSv2\n" V ME MX MA),
     "FIELD_DUPLICATE VERSION_INVALID", ENF, 604800, 1, false},
    {"duplicate in other case", B(V ME "Mode: enforce\n" MX MA),
     "FIELD_CASE FIELD_DUPLICATE", ENF, 604800, 1, true},

    /* version */
    {"version missing", B(ME MX MA), "VERSION_MISSING", ENF, 604800, 1, false},
    {"eversion typo", B("eversion: STSv1\n" ME MX MA),
     "FIELD_UNKNOWN VERSION_MISSING", ENF, 604800, 1, false},
    {"STSv2", B("version: STSv2\n" ME MX MA), "VERSION_INVALID", ENF, 604800, 1,
     false},
    {"version empty", B("version:\n" ME MX MA), "VERSION_INVALID", ENF, 604800,
     1, false},
    {"version with comment", B("version: STSv1 # v1\n" ME MX MA),
     "VERSION_INVALID", ENF, 604800, 1, false},

    /* mode */
    {"enforced", B(V "mode: enforced\n" MX MA), "MODE_INVALID", INV, 604800, 1,
     false},
    {"test", B(V "mode: test\n" MX MA), "MODE_INVALID", INV, 604800, 1, false},
    {"[testing]", B(V "mode: [testing]\n" MX MA), "MODE_INVALID", INV, 604800,
     1, false},
    {"template mode with comment",
     B(V "mode: [enforce|testing|none] # 1. Decide your mode.\n" MX MA),
     "MODE_INVALID", INV, 604800, 1, false},
    {"mode with comment", B(V "mode: enforce # yes\n" MX MA), "MODE_INVALID",
     INV, 604800, 1, false},
    {"mode empty", B(V "mode:\n" MX MA), "MODE_INVALID", INV, 604800, 1, false},
    {"mode missing", B(V MX MA), "MODE_MISSING", UNS, 604800, 1, false},
    {"mode missing, no mx", B(V MA), "MODE_MISSING", UNS, 604800, 0, false},
    {"mode invalid, no mx", B(V "mode: on\n" MA), "MODE_INVALID", INV, 604800,
     0, false},

    /* max_age */
    {"max_age word", B(V MT MX "max_age: enforce\n"),
     "MAX_AGE_INVALID MODE_TESTING", TST, 0, 1, false},
    {"max_age with comment", B(V ME MX "max_age: 604800   # one week\n"),
     "MAX_AGE_INVALID", ENF, 0, 1, false},
    {"max_age above one year", B(V ME MX "max_age: 31557601\n"),
     "MAX_AGE_INVALID", ENF, 31557601, 1, false},
    {"max_age 11 digits", B(V ME MX "max_age: 00000086400\n"),
     "MAX_AGE_INVALID", ENF, 0, 1, false},
    {"max_age negative", B(V ME MX "max_age: -1\n"), "MAX_AGE_INVALID", ENF, 0,
     1, false},
    {"max_age plus sign", B(V ME MX "max_age: +86400\n"), "MAX_AGE_INVALID",
     ENF, 0, 1, false},
    {"max_age unit", B(V ME MX "max_age: 86400s\n"), "MAX_AGE_INVALID", ENF, 0,
     1, false},
    {"max_age hex", B(V ME MX "max_age: 0x15180\n"), "MAX_AGE_INVALID", ENF, 0,
     1, false},
    {"max_age inner space", B(V ME MX "max_age: 86 400\n"), "MAX_AGE_INVALID",
     ENF, 0, 1, false},
    {"max_age empty", B(V ME MX "max_age:\n"), "MAX_AGE_INVALID", ENF, 0, 1,
     false},
    {"max_age missing", B(V ME MX), "MAX_AGE_MISSING", ENF, 0, 1, false},
    {"max_age 60", B(V MT MX "max_age: 60\n"), "MAX_AGE_SHORT MODE_TESTING",
     TST, 60, 1, true},
    {"max_age 86399", B(V ME MX "max_age: 86399\n"), "MAX_AGE_SHORT", ENF,
     86399, 1, true},
    {"max_age 86400", B(V ME MX "max_age: 86400\n"), "", ENF, 86400, 1, true},
    {"max_age 0", B(V ME MX "max_age: 0\n"), "MAX_AGE_SHORT", ENF, 0, 1, true},
    {"mode none, max_age 300",
     B("  version: STSv1\n  mode: none\n  mx: a.example.test\n"
       "  max_age: 300\n"),
     "SPACING MODE_NONE MAX_AGE_SHORT", NON, 300, 1, true},

    /* mx */
    {"mx trailing dot", B(V ME "mx: mail.example.test.\n" MA),
     "MX_TRAILING_DOT", ENF, 604800, 1, true},
    {"two mx with trailing dots",
     B(V ME "mx: a.example.test.\nmx: b.example.test.\n" MA),
     "MX_TRAILING_DOT MX_TRAILING_DOT", ENF, 604800, 2, true},
    {"same trailing-dot mx twice",
     B(V ME "mx: a.example.test.\nmx: a.example.test.\n" MA), "MX_TRAILING_DOT",
     ENF, 604800, 2, true},
    {"wildcard with trailing dot", B(V ME "mx: *.example.test.\n" MA),
     "MX_TRAILING_DOT", ENF, 604800, 1, true},
    {"IP literal only", B(V ME "mx: 192.0.2.56\n" MA), "MX_INVALID", ENF,
     604800, 1, false},
    {"IP literal among names",
     B(V ME MA "mx: mail.example.test\nmx: *.example.test\nmx: 192.0.2.56\n"),
     "MX_INVALID", ENF, 604800, 3, true},
    {"IPv6 literal", B(V ME "mx: 2001:db8::25\n" MA), "MX_INVALID", ENF, 604800,
     1, false},
    {"host and port", B(V ME "mx: mail.example.test:25\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"URL without scheme", B(V ME "mx: ://google.example\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"https URL", B(V ME "mx: https://mail.example.test/\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"partial wildcard", B(V ME "mx: alt*.example.test\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"wildcard alone", B(V ME "mx: *\n" MA), "MX_INVALID", ENF, 604800, 1,
     false},
    {"double wildcard", B(V ME "mx: *.*.example.test\n" MA), "MX_INVALID", ENF,
     604800, 1, false},
    {"mx with inline comment",
     B(V ME "mx: mx1.example.test      # 2. primary\n" MA), "MX_INVALID", ENF,
     604800, 1, false},
    {"template mx ending in a dot",
     B(V ME "mx: mx2.your_domain.tld   # 3. add one line for each.\n" MA),
     "MX_INVALID", ENF, 604800, 1, false},
    {"two names on one line", B(V ME "mx: a.example.test, b.example.test\n" MA),
     "MX_INVALID", ENF, 604800, 1, false},
    {"underscore in name", B(V ME "mx: mx1.your_domain.tld\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"empty label", B(V ME "mx: mail..example.test\n" MA), "MX_INVALID", ENF,
     604800, 1, false},
    {"two trailing dots", B(V ME "mx: mail.example.test..\n" MA), "MX_INVALID",
     ENF, 604800, 1, false},
    {"empty mx value", B(V ME "mx:\n" MA), "MX_INVALID", ENF, 604800, 1, false},
    {"same invalid mx twice", B(V ME "mx: 192.0.2.1\nmx: 192.0.2.1\n" MA),
     "MX_INVALID", ENF, 604800, 2, false},
    {"nmx typo", B(V ME "nmx: mx0.example.test\n" MA),
     "FIELD_UNKNOWN MX_MISSING", ENF, 604800, 0, false},
    {"testing without mx", B(V MT MA), "MX_MISSING MODE_TESTING", TST, 604800,
     0, false},
    {"none with invalid mx", B(V "mode: none\nmx: 192.0.2.1\n" MA),
     "MX_INVALID MODE_NONE", NON, 604800, 1, true},

    /* An unedited template: most mistakes at once. */
    {"unedited template",
     B(V "mode: [enforce|testing|none] # 1. Decide your mode.\n"
         "mx: mx1.your_domain.tld      # 2. primary\n"
         "mx: mx2.your_domain.tld      # 3. secondary.\n"
         "                             #    wildcards like *.example.test\n"
         "max_age: 1209600             # 4. two weeks\n"
         "                             # 5. Remove all the comments.\n"),
     "MODE_INVALID MX_INVALID MX_INVALID SYNTAX MAX_AGE_INVALID", INV, 0, 2,
     false},
};

static void test_policy_table(void)
{
  char want[1024], got[1024];
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct prow *r = &rows[i];
    struct ms_policy p;
    struct ms_findings f;
    parse_exact(r->body, r->len, &p, &f);
    sort_words(r->codes, want, sizeof(want));
    codes_of(&f, got, sizeof(got));
    MS_CHECK_ROW(strcmp(want, got) == 0, "'%s': codes want [%s] got [%s]",
                 r->name, want, got);
    MS_CHECK_ROW(p.mode == r->mode, "'%s': mode want %d got %d", r->name,
                 (int)r->mode, (int)p.mode);
    MS_CHECK_ROW(p.max_age == r->max_age, "'%s': max_age want %llu got %llu",
                 r->name, (unsigned long long)r->max_age,
                 (unsigned long long)p.max_age);
    MS_CHECK_ROW(p.n_mx == r->n_mx, "'%s': n_mx want %zu got %zu", r->name,
                 r->n_mx, p.n_mx);
    MS_CHECK_ROW(p.usable == r->usable, "'%s': usable want %d got %d", r->name,
                 r->usable, p.usable);
    MS_CHECK_ROW(f.dropped == 0, "'%s': findings dropped", r->name);
  }
}

/* Severity, subject and detail of single findings. */
struct drow {
  const char *name;
  const char *body;
  size_t len;
  enum ms_finding code;
  enum ms_sev sev;
  const char *subject; /* exact; NULL: do not check */
  const char *detail;  /* substring */
};

static const struct drow drows[] = {
    {"duplicate, different values: error", B(V ME MX MA "mode: testing\n"),
     MS_F_POLICY_FIELD_DUPLICATE, MS_SEV_ERROR, "mode",
     "'enforce' (line 2), 'testing' (line 5)"},
    {"duplicate, same values: catalogue", B(V ME MX MA ME),
     MS_F_POLICY_FIELD_DUPLICATE, MS_SEV_DEFAULT, "mode", "2 times"},
    {"duplicate, the differing value is shown", B(V ME ME MX MA MT),
     MS_F_POLICY_FIELD_DUPLICATE, MS_SEV_ERROR, "mode", "'testing' (line 6)"},
    {"max_age 0: error", B(V ME MX "max_age: 0\n"), MS_F_POLICY_MAX_AGE_SHORT,
     MS_SEV_ERROR, "", "0 seconds on line 4"},
    {"max_age 60: catalogue", B(V ME MX "max_age: 60\n"),
     MS_F_POLICY_MAX_AGE_SHORT, MS_SEV_DEFAULT, "", "60 seconds"},
    {"syntax lists lines",
     B(V "# c\n" ME "mx a\n"
         "  - b\n" MX MA),
     MS_F_POLICY_SYNTAX, MS_SEV_DEFAULT, "",
     "line 2: comment line; line 4: no colon; line 5: list item, no colon"},
    {"syntax caps the list", B("#1\n#2\n#3\n#4\n#5\n#6\n" V ME MX MA),
     MS_F_POLICY_SYNTAX, MS_SEV_DEFAULT, "", "line 4: comment line; +2 more"},
    {"syntax bare CR", B(V "mode: enforce\r" MX MA), MS_F_POLICY_SYNTAX,
     MS_SEV_DEFAULT, "", "line 2: bare CR"},
    {"syntax invalid key", B(V ME MX MA "max age: 1\n"), MS_F_POLICY_SYNTAX,
     MS_SEV_DEFAULT, "", "line 5: invalid key 'max age'"},
    {"spacing",
     B(V "  mode: enforce\n"
         "mx : a.example.test\n" MA),
     MS_F_POLICY_SPACING, MS_SEV_DEFAULT, "",
     "line 2: indented; line 3: whitespace before ':'"},
    {"blank line", B(V "\n" ME MX MA), MS_F_POLICY_BLANK_LINE, MS_SEV_DEFAULT,
     "", "line 2: empty line"},
    {"trailing blank line", B(V ME MX MA "\n\n"),
     MS_F_POLICY_TRAILING_BLANK_LINE, MS_SEV_DEFAULT, "",
     "line 5: empty line; line 6: empty line"},
    {"BOM", B("\xef\xbb\xbf" V ME MX MA), MS_F_POLICY_ENCODING, MS_SEV_DEFAULT,
     "", "line 1: byte order mark"},
    {"control byte", B(V ME MX MA "x: a\x02\n"), MS_F_POLICY_ENCODING,
     MS_SEV_DEFAULT, "", "line 5: control character 0x02"},
    {"invalid UTF-8", B(V ME MX MA "x: \xff\n"), MS_F_POLICY_ENCODING,
     MS_SEV_DEFAULT, "", "line 5: invalid UTF-8"},
    {"unknown key", B(V ME "nmx: mx0.example.test\n" MA),
     MS_F_POLICY_FIELD_UNKNOWN, MS_SEV_DEFAULT, "nmx",
     "key 'nmx' on line 3, value 'mx0.example.test'"},
    {"unknown key repeated", B(V ME MX MA "x: 1\nx: 2\n"),
     MS_F_POLICY_FIELD_UNKNOWN, MS_SEV_DEFAULT, "x", "(2 lines)"},
    {"key case", B(V "Mode: enforce\n" MX MA), MS_F_POLICY_FIELD_CASE,
     MS_SEV_DEFAULT, "Mode", "should be 'mode'"},
    {"mx invalid subject", B(V ME "mx: alt*.example.test\n" MA),
     MS_F_POLICY_MX_INVALID, MS_SEV_DEFAULT, "alt*.example.test",
     "line 3: '*'"},
    {"mx invalid IP", B(V ME MX "mx: 192.0.2.56\n" MA), MS_F_POLICY_MX_INVALID,
     MS_SEV_DEFAULT, "192.0.2.56", "IP address"},
    {"mx invalid, bytes escaped", B(V ME "mx: a\x01.example\xc3\xa4\n" MA),
     MS_F_POLICY_MX_INVALID, MS_SEV_DEFAULT, "a\\x01.example\\xc3\\xa4",
     "line 3"},
    {"mx empty", B(V ME "mx:\n" MA), MS_F_POLICY_MX_INVALID, MS_SEV_DEFAULT, "",
     "empty value"},
    {"mx trailing dot", B(V ME "mx: mail.example.test.\n" MA),
     MS_F_POLICY_MX_TRAILING_DOT, MS_SEV_DEFAULT, "mail.example.test.",
     "line 3"},
    {"mode invalid shows value", B(V "mode: enforced\n" MX MA),
     MS_F_POLICY_MODE_INVALID, MS_SEV_DEFAULT, "", "'enforced' on line 2"},
    {"mode invalid escapes bytes", B(V "mode: enf\x01\n" MX MA),
     MS_F_POLICY_MODE_INVALID, MS_SEV_DEFAULT, "", "'enf\\x01'"},
    {"max_age invalid shows value", B(V ME MX "max_age: 1 week\n"),
     MS_F_POLICY_MAX_AGE_INVALID, MS_SEV_DEFAULT, "", "'1 week' on line 4"},
    {"max_age above the maximum", B(V ME MX "max_age: 99999999\n"),
     MS_F_POLICY_MAX_AGE_INVALID, MS_SEV_DEFAULT, "", "above 31557600"},
    {"version invalid truncated",
     B("version: STSv1-and-a-very-long-tail-that-goes-on-and-on-and-on-"
       "forever-and-ever\n" ME MX MA),
     MS_F_POLICY_VERSION_INVALID, MS_SEV_DEFAULT, "", "...' on line 1"},
};

static void test_policy_details(void)
{
  for (size_t i = 0; i < sizeof(drows) / sizeof(drows[0]); i++) {
    const struct drow *r = &drows[i];
    struct ms_policy p;
    struct ms_findings f;
    parse_exact(r->body, r->len, &p, &f);
    const struct ms_finding_item *it = NULL;
    for (size_t j = 0; j < f.n && !it; j++) {
      if (f.item[j].code == r->code)
        it = &f.item[j];
    }
    MS_CHECK_ROW(it != NULL, "'%s': finding missing", r->name);
    if (!it)
      continue;
    MS_CHECK_ROW(it->sev == r->sev, "'%s': sev want %d got %d", r->name,
                 (int)r->sev, (int)it->sev);
    if (r->subject)
      MS_CHECK_ROW(strcmp(it->subject, r->subject) == 0,
                   "'%s': subject want '%s' got '%s'", r->name, r->subject,
                   it->subject);
    MS_CHECK_ROW(strstr(it->detail, r->detail) != NULL,
                 "'%s': detail '%s' lacks '%s'", r->name, it->detail,
                 r->detail);
  }
}

/* Slices point into the caller's buffer and hold the trimmed values. */
static void test_policy_slices(void)
{
  static const char body[] =
      "version: STSv1 \r\nmode:  testing\nmx: *.example.test \nmx: b.test.\n"
      "max_age: 86400";
  struct ms_policy p;
  struct ms_findings f;
  ms_findings_init(&f);
  ms_policy_parse(body, sizeof(body) - 1, &p, &f);
  CU_ASSERT_TRUE(p.has_version && p.version_ok && p.has_max_age);
  CU_ASSERT_TRUE(ms_slice_eq_cstr(p.version, "STSv1"));
  CU_ASSERT_TRUE(ms_slice_eq_cstr(p.mode_raw, "testing"));
  CU_ASSERT_EQUAL_FATAL(p.n_mx, 2);
  CU_ASSERT_TRUE(ms_slice_eq_cstr(p.mx[0].pattern, "*.example.test"));
  CU_ASSERT_TRUE(p.mx[0].valid && p.mx[0].wildcard);
  CU_ASSERT_TRUE(ms_slice_eq_cstr(p.mx[1].pattern, "b.test."));
  CU_ASSERT_TRUE(p.mx[1].valid && !p.mx[1].wildcard);
  CU_ASSERT_TRUE(p.mx[0].pattern.ptr >= body &&
                 p.mx[1].pattern.ptr < body + sizeof(body));
  CU_ASSERT_STRING_EQUAL(ms_mode_name(p.mode), "testing");
  CU_ASSERT_STRING_EQUAL(ms_mode_name(MS_MODE_ENFORCE), "enforce");
  CU_ASSERT_STRING_EQUAL(ms_mode_name(MS_MODE_NONE), "none");
  CU_ASSERT_PTR_NULL(ms_mode_name(MS_MODE_INVALID));
  CU_ASSERT_PTR_NULL(ms_mode_name(MS_MODE_UNSET));
  /* NULL with length 0 is an empty body, not a crash. */
  ms_findings_init(&f);
  ms_policy_parse(NULL, 0, &p, &f);
  CU_ASSERT_TRUE(ms_findings_has(&f, MS_F_POLICY_VERSION_MISSING));
  CU_ASSERT_FALSE(p.usable);
}

/* Caps: mx lines, per-key/per-value findings, body size. */
static void test_policy_caps(void)
{
  size_t cap = MS_POLICY_MAX_BYTES + 4096, n = 0;
  char *buf = malloc(cap);
  CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
  struct ms_policy *p = malloc(sizeof(*p));
  struct ms_findings *f = malloc(sizeof(*f));
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);

  /* 300 mx lines: 256 kept, the rest is POLICY_SYNTAX. */
  n = (size_t)snprintf(buf, cap, V ME MA);
  for (int i = 0; i < 300; i++)
    n += (size_t)snprintf(buf + n, cap - n, "mx: mx%d.example.test\n", i);
  ms_findings_init(f);
  ms_policy_parse(buf, n, p, f);
  CU_ASSERT_EQUAL(p->n_mx, MS_POLICY_MX_MAX);
  CU_ASSERT_TRUE(ms_findings_has(f, MS_F_POLICY_SYNTAX));
  CU_ASSERT_TRUE(p->usable);

  /* 20 unknown keys and 20 invalid mx values: capped, plus one summary. */
  n = (size_t)snprintf(buf, cap, V ME MA MX);
  for (int i = 0; i < 20; i++)
    n += (size_t)snprintf(buf + n, cap - n, "k%d: v\nmx: 10.0.0.%d\n", i, i);
  ms_findings_init(f);
  ms_policy_parse(buf, n, p, f);
  CU_ASSERT_EQUAL(ms_findings_count(f, MS_F_POLICY_FIELD_UNKNOWN),
                  MS_POLICY_REPORT_MAX + 1);
  CU_ASSERT_EQUAL(ms_findings_count(f, MS_F_POLICY_MX_INVALID),
                  MS_POLICY_REPORT_MAX + 1);
  CU_ASSERT_EQUAL(f->dropped, 0);

  /* A body over 64 KiB is read up to the cap only (exactly-sized copy). */
  n = (size_t)snprintf(buf, cap, V ME MX MA);
  while (n < cap)
    buf[n++] = '#';
  char *exact = malloc(n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
  memcpy(exact, buf, n);
  ms_findings_init(f);
  ms_policy_parse(exact, n, p, f);
  CU_ASSERT_TRUE(p->usable);
  CU_ASSERT_TRUE(ms_findings_has(f, MS_F_POLICY_SYNTAX));
  free(exact);
  free(f);
  free(p);
  free(buf);
}

CU_TestInfo ms_tests_policy[] = {
    {"codes and fields table", test_policy_table},
    {"severity, subject and detail", test_policy_details},
    {"slices into the body", test_policy_slices},
    {"caps", test_policy_caps},
    CU_TEST_INFO_NULL,
};
