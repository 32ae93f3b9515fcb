/*
 * ms_domain_normalize and ms_domain_is_hostname: trimming, lower-casing,
 * the trailing dot, LDH labels, length caps, and a specific reason for
 * each common wrong input (URL, e-mail address, wildcard, IP literal...).
 */
#include "core/domain.h"

#include "unit.h"

/* 63, 64 octet labels and names at the caps, built once. */
static char l63[64], l64[65], n244[300], n245[300], n253[300], n254[300];

static void fill_label(char *dst, size_t n, char c)
{
  memset(dst, c, n);
  dst[n] = '\0';
}

/* A name of exactly len octets: labels of 49 'a' + dots, then filler. */
static void fill_name(char *dst, size_t len)
{
  size_t o = 0;
  while (o < len) {
    size_t left = len - o;
    size_t lab = left > 50 ? 49 : left;
    memset(dst + o, 'a', lab);
    o += lab;
    if (o < len)
      dst[o++] = '.';
  }
  dst[o] = '\0';
  if (o && dst[o - 1] == '.')
    dst[o - 1] = 'b'; /* never end on a dot */
}

static void build(void)
{
  fill_label(l63, 63, 'x');
  fill_label(l64, 64, 'x');
  fill_name(n244, MS_DOMAIN_SCAN_MAX);
  fill_name(n245, MS_DOMAIN_SCAN_MAX + 1);
  fill_name(n253, MS_DOMAIN_MAX);
  fill_name(n254, MS_DOMAIN_MAX + 1);
}

struct dom_row {
  const char *in;
  size_t len;      /* 0: strlen(in) */
  const char *out; /* normalised name, or NULL when MS_ESYNTAX */
  const char *why; /* substring of the reason when rejected */
};

static void check(const struct dom_row *r)
{
  char out[MS_DOMAIN_MAX + 1], why[128];
  struct ms_slice in = ms_slice_make(r->in, r->len ? r->len : strlen(r->in));
  ms_err_t e = ms_domain_normalize(in, out, sizeof(out), why, sizeof(why));
  if (r->out) {
    MS_CHECK_ROW(e == MS_OK && strcmp(out, r->out) == 0,
                 "\"%s\": err %d out \"%s\" why \"%s\"", r->in, (int)e, out,
                 why);
  } else {
    MS_CHECK_ROW(e == MS_ESYNTAX && out[0] == '\0' &&
                     strstr(why, r->why) != NULL,
                 "\"%.40s\": err %d why \"%s\", want \"%s\"", r->in, (int)e,
                 why, r->why);
  }
}

static const struct dom_row rows[] = {
    {"example.com", 0, "example.com", NULL},
    {"Example.COM", 0, "example.com", NULL},
    {"example.com.", 0, "example.com", NULL},
    {"  example.com\t", 0, "example.com", NULL},
    {"\r\n\v\fexample.com\r\n", 0, "example.com", NULL},
    {"xn--bcher-kva.example", 0, "xn--bcher-kva.example", NULL},
    {"a-b.c-d.example", 0, "a-b.c-d.example", NULL},
    {"123.example.com", 0, "123.example.com", NULL},
    {"localhost", 0, "localhost", NULL},
    {"a.b", 0, "a.b", NULL},
    {"example.c0m", 0, "example.c0m", NULL},
    {"https://example.com/", 0, NULL, "looks like a URL"},
    {"http://example.com", 0, NULL, "looks like a URL"},
    {"HTTPS://example.com", 0, NULL, "looks like a URL"},
    {"example.com/.well-known/mta-sts.txt", 0, NULL, "looks like a URL"},
    {"postmaster@example.com", 0, NULL, "looks like an e-mail address"},
    {"mailto:a@example.com", 0, NULL, "e-mail address"},
    {"*.example.com", 0, NULL, "wildcard"},
    {"mx*.example.com", 0, NULL, "wildcard"},
    {"192.0.2.1", 0, NULL, "IP literal"},
    {"192.0.2.1.", 0, NULL, "IP literal"},
    {"2001:db8::1", 0, NULL, "IP literal"},
    {"::1", 0, NULL, "IP literal"},
    {"[2001:db8::1]", 0, NULL, "IP literal"},
    {"[192.0.2.1]", 0, NULL, "IP literal"},
    {"1.2.3", 0, NULL, "all-numeric"},
    {"example.123", 0, NULL, "all-numeric"},
    {"_mta-sts.example.com", 0, NULL, "underscore"},
    {"exa_mple.com", 0, NULL, "underscore"},
    {"example .com", 0, NULL, "whitespace inside"},
    {"example\t.com", 0, NULL, "whitespace inside"},
    {"ex\xc3\xa4mple.com", 0, NULL, "non-ASCII"},
    {"b\xfc"
     "cher.de",
     0, NULL, "non-ASCII"},
    {"example..com", 0, NULL, "empty label"},
    {".example.com", 0, NULL, "empty label"},
    {"example.com..", 0, NULL, "two trailing dots"},
    {".", 0, NULL, "empty"},
    {"", 0, NULL, "empty"},
    {"   ", 0, NULL, "empty"},
    {"-example.com", 0, NULL, "hyphen"},
    {"example-.com", 0, NULL, "hyphen"},
    {"example.-com", 0, NULL, "hyphen"},
    {"example.com:443", 0, NULL, "characters other than"},
    {"exa!mple.com", 0, NULL, "characters other than"},
    {"exa\0mple.com", 12, NULL, "characters other than"},
    {"example.com;", 0, NULL, "characters other than"},
};

static void test_rows(void)
{
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    check(&rows[i]);
}

/* Caps: labels of 63/64 octets, names of 244/245 (the _mta-sts. prefix)
 * and 253/254 octets. */
static void test_caps(void)
{
  char buf[400];
  build();
  snprintf(buf, sizeof(buf), "%s.example", l63);
  struct dom_row ok63 = {buf, 0, buf, NULL};
  check(&ok63);
  snprintf(buf, sizeof(buf), "%s.example", l64);
  struct dom_row bad64 = {buf, 0, NULL, "label longer than 63"};
  check(&bad64);
  struct dom_row ok244 = {n244, 0, n244, NULL};
  check(&ok244);
  struct dom_row bad245 = {n245, 0, NULL, "_mta-sts."};
  check(&bad245);
  struct dom_row bad253 = {n253, 0, NULL, "_mta-sts."};
  check(&bad253);
  struct dom_row bad254 = {n254, 0, NULL, "longer than 253"};
  check(&bad254);
  /* A trailing dot does not count against the cap. */
  snprintf(buf, sizeof(buf), "%s.", n244);
  struct dom_row ok244dot = {buf, 0, n244, NULL};
  check(&ok244dot);
  CU_ASSERT_EQUAL(strlen(n244), MS_DOMAIN_SCAN_MAX);
  CU_ASSERT_EQUAL(strlen(n254), MS_DOMAIN_MAX + 1);
}

/* why may be NULL or tiny; the result is still right. */
static void test_why_buffer(void)
{
  char out[MS_DOMAIN_MAX + 1], why[4];
  CU_ASSERT_EQUAL(
      ms_domain_normalize(ms_slice_cstr("a..b"), out, sizeof(out), NULL, 0),
      MS_ESYNTAX);
  CU_ASSERT_EQUAL(ms_domain_normalize(ms_slice_cstr("a..b"), out, sizeof(out),
                                      why, sizeof(why)),
                  MS_ESYNTAX);
  CU_ASSERT_EQUAL(strlen(why), 3);
  CU_ASSERT_EQUAL(ms_domain_normalize(ms_slice_cstr("A.b"), out, sizeof(out),
                                      why, sizeof(why)),
                  MS_OK);
  CU_ASSERT_STRING_EQUAL(out, "a.b");
  CU_ASSERT_STRING_EQUAL(why, "");
}

static void test_is_hostname(void)
{
  static const struct {
    const char *s;
    bool ok;
  } h[] = {
      {"example.com", true},
      {"EXAMPLE.com", true},
      {"y", true},
      {"mx1.mail.example", true},
      {"1.example", true},
      {"xn--p1ai", true},
      {"", false},
      {"example.com.", false},
      {".example.com", false},
      {"a..b", false},
      {"-a.com", false},
      {"a-.com", false},
      {"a_b.com", false},
      {"a b.com", false},
      {"192.0.2.1", false},
      {"example.123", false},
      {"*.example.com", false},
      {"ex\xc3\xa4mple.com", false},
  };
  for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
    bool got = ms_domain_is_hostname(ms_slice_cstr(h[i].s));
    MS_CHECK_ROW(got == h[i].ok, "\"%s\": got %d", h[i].s, (int)got);
  }
  build();
  CU_ASSERT(ms_domain_is_hostname(ms_slice_cstr(l63)));
  CU_ASSERT_FALSE(ms_domain_is_hostname(ms_slice_cstr(l64)));
  CU_ASSERT(ms_domain_is_hostname(ms_slice_cstr(n253)));
  CU_ASSERT_FALSE(ms_domain_is_hostname(ms_slice_cstr(n254)));
}

CU_TestInfo ms_tests_domain[] = {
    {"normalise table", test_rows},
    {"length caps", test_caps},
    {"why buffer", test_why_buffer},
    {"is_hostname table", test_is_hostname},
    CU_TEST_INFO_NULL,
};
