/*
 * core/mx_match: RFC 8461 section 4.1 matching and the section 3.2 mx
 * pattern grammar, as tables (curl tests/unit/unit1397.c style). Every row
 * is also checked with the host in upper case and with a trailing dot.
 */
#include "core/mx_match.h"

#include "unit.h"

struct match_row {
  const char *pattern;
  const char *host;
  bool match;
};

static const struct match_row match_rows[] = {
    /* exact names, case-insensitive, trailing dots ignored on both sides */
    {"mail.example.com", "mail.example.com", true},
    {"mail.example.com", "MAIL.Example.COM", true},
    {"MAIL.EXAMPLE.COM", "mail.example.com", true},
    {"mail.example.com.", "mail.example.com", true},
    {"mail.example.com", "mail.example.com.", true},
    {"mail.example.com.", "mail.example.com.", true},
    {"mail.example.com", "mail.example.co", false},
    {"mail.example.com", "ail.example.com", false},
    {"mail.example.com", "xmail.example.com", false},
    {"mail.example.com", "mail.example.com.evil.test", false},
    {"mail.example.com", "", false},
    {"mail.example.com", ".", false},
    {"mail.example.com", "mail.example.com..", false},
    /* wildcards: exactly one whole leftmost label */
    {"*.example.com", "mx1.example.com", true},
    {"*.example.com", "MX1.EXAMPLE.COM.", true},
    {"*.example.com.", "mx1.example.com", true},
    {"*.example.com", "example.com", false},
    {"*.example.com", "a.b.example.com", false},
    {"*.example.com", ".example.com", false},
    {"*.example.com", "mx1.example.org", false},
    {"*.example.com", "mx1example.com", false},
    {"*.example.com", "*.example.com", false},
    /* the corpus' depth mistakes (bug log 13, mx-cases M06/M12/M17) */
    {"*.mx.microsoft", "tenant.h-v1.mx.microsoft", false},
    {"*.h-v1.mx.microsoft", "tenant.h-v1.mx.microsoft", true},
    {"*.google.com", "aspmx.l.google.com", false},
    {"*.google.com", "alt1.aspmx.l.google.com", false},
    {"*.google.com", "smtp.google.com", true},
    {"*.aspmx.l.google.com", "ALT3.ASPMX.L.GOOGLE.COM.", true},
    {"*.aspmx.l.google.com", "aspmx.l.google.com", false},
    /* invalid patterns match nothing, not even their own text */
    {"*", "mail.example.com", false},
    {"*.", "mail.example.com", false},
    {"alt*.google.com", "alt1.google.com", false},
    {"*mx.example.com", "mx.example.com", false},
    {"*.*.example.com", "a.b.example.com", false},
    {"mx.*.example.com", "mx.a.example.com", false},
    {"192.0.2.56", "192.0.2.56", false},
    {"://google.com", "google.com", false},
    {"https://mx.example.com", "mx.example.com", false},
    {"mx.example.com:25", "mx.example.com", false},
    {"mx1.your_domain.tld", "mx1.your_domain.tld", false},
    {"mail.example.com # primary", "mail.example.com", false},
    {"", "", false},
    {"[mx]", "mx", false},
    {"mail..example.com", "mail..example.com", false},
    {"-mail.example.com", "-mail.example.com", false},
};

/* Upper-cases ASCII letters of s into dst. */
static void upper(const char *s, char *dst, size_t cap)
{
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++)
    dst[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
  dst[i] = '\0';
}

static void test_match_table(void)
{
  char up[256], dot[256];
  for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
    const struct match_row *r = &match_rows[i];
    bool got = ms_mx_match(ms_slice_cstr(r->pattern), ms_slice_cstr(r->host));
    MS_CHECK_ROW(got == r->match, "%zu: '%s' vs '%s' want %d", i, r->pattern,
                 r->host, r->match);
    /* Property: letter case of the host never matters. */
    upper(r->host, up, sizeof(up));
    got = ms_mx_match(ms_slice_cstr(r->pattern), ms_slice_cstr(up));
    MS_CHECK_ROW(got == r->match, "%zu upper: '%s' vs '%s'", i, r->pattern, up);
    /* Property: one trailing dot on a host without one never matters. */
    size_t n = strlen(r->host);
    if (n && r->host[n - 1] != '.') {
      snprintf(dot, sizeof(dot), "%s.", r->host);
      got = ms_mx_match(ms_slice_cstr(r->pattern), ms_slice_cstr(dot));
      MS_CHECK_ROW(got == r->match, "%zu dot: '%s' vs '%s'", i, r->pattern,
                   dot);
    }
  }
}

/* The slices are (ptr, len): bytes past len must not be read. */
static void test_match_not_nul_terminated(void)
{
  static const char pat[] = "*.example.comXX";
  static const char host[] = "mx.example.comYY";
  CU_ASSERT_TRUE(ms_mx_match(ms_slice_make(pat, 13), ms_slice_make(host, 14)));
  CU_ASSERT_FALSE(ms_mx_match(ms_slice_make(pat, 15), ms_slice_make(host, 14)));
  CU_ASSERT_FALSE(ms_mx_match(ms_slice_make(pat, 13), ms_slice_make(host, 0)));
}

struct valid_row {
  const char *pattern;
  bool valid;
  const char *why; /* substring of the reason when invalid */
};

static const struct valid_row valid_rows[] = {
    {"mail.example.com", true, NULL},
    {"MAIL.EXAMPLE.COM", true, NULL},
    {"mail.example.com.", true, NULL}, /* tolerated; the parser reports it */
    {"*.example.com", true, NULL},
    {"*.com", true, NULL},
    {"localhost", true, NULL},
    {"xn--bcher-kva.example", true, NULL},
    {"a-b.c-d.example", true, NULL},
    {"1mail.example.com", true, NULL},
    {"mx.123.example", true, NULL},
    {"", false, "empty"},
    {".", false, "empty label"},
    {"..", false, "empty label"},
    {"mail..example.com", false, "empty label"},
    {".example.com", false, "empty label"},
    {"mail.example.com..", false, "empty label"},
    {"*", false, "alone"},
    {"*.", false, "without a domain"},
    {"*..", false, "without a domain"},
    {"alt*.google.com", false, "leftmost label"},
    {"*.*.example.com", false, "leftmost label"},
    {"**.example.com", false, "leftmost label"},
    {"192.0.2.56", false, "IP address"},
    {"10.0.0.1.", false, "IP address"},
    {"[192.0.2.1]", false, "address literal"},
    {"2001:db8::25", false, "':'"},
    {"mx.example.com:25", false, "':'"},
    {"://google.com", false, "URL"},
    {"https://mx.example.com/", false, "URL"},
    {"mx.example.com/", false, "URL"},
    {"mx1.your_domain.tld", false, "character"},
    {"mx1.example.com      # 2. primary", false, "whitespace"},
    {"a.example.com b.example.com", false, "whitespace"},
    {"a.example.com,b.example.com", false, "','"},
    {"-mx.example.com", false, "'-'"},
    {"mx-.example.com", false, "'-'"},
    {"m\xc3\xa4il.example.com", false, "non-ASCII"},
    {"mx.example.com\x01", false, "character"},
    {"[mx]", false, "template"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     false, "63"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     true, NULL},
};

static void test_pattern_validity(void)
{
  for (size_t i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
    const struct valid_row *r = &valid_rows[i];
    const char *why = ms_mx_pattern_problem(ms_slice_cstr(r->pattern));
    MS_CHECK_ROW((why == NULL) == r->valid, "%zu: '%s' got %s", i, r->pattern,
                 why ? why : "valid");
    MS_CHECK_ROW(ms_mx_pattern_valid(ms_slice_cstr(r->pattern)) == r->valid,
                 "%zu: '%s'", i, r->pattern);
    if (!r->valid && why)
      MS_CHECK_ROW(strstr(why, r->why) != NULL, "%zu: '%s' reason '%s'", i,
                   r->pattern, why);
  }
}

/* 253 octets is the longest name; 254 is refused. */
static void test_pattern_name_length(void)
{
  char name[300];
  size_t n = 0;
  while (n + 64 <= 253) { /* three labels of 63 octets, each with a dot */
    memset(name + n, 'a', 63);
    name[n + 63] = '.';
    n += 64;
  }
  memset(name + n, 'b', 253 - n); /* a last label of 61: 253 in all */
  n = 253;
  CU_ASSERT_TRUE(ms_mx_pattern_valid(ms_slice_make(name, n)));
  name[n] = 'c';
  CU_ASSERT_FALSE(ms_mx_pattern_valid(ms_slice_make(name, n + 1)));
}

CU_TestInfo ms_tests_mx_match[] = {
    {"match table", test_match_table},
    {"slices are not NUL-terminated", test_match_not_nul_terminated},
    {"pattern validity", test_pattern_validity},
    {"pattern name length", test_pattern_name_length},
    CU_TEST_INFO_NULL,
};
