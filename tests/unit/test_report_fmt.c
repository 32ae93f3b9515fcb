/* report/report_fmt.c: RFC 3339 parsing, day counts and the escapers of
 * the HTML page, the Prometheus file and the text summary. */
#include "report/report_fmt.h"

#include <stdint.h>

#include "unit.h"

/* Runs fn over len bytes of in and returns what it wrote (caller frees). */
static char *capture(void (*fn)(FILE *, const char *, size_t), const char *in,
                     size_t len)
{
  char *out = NULL;
  size_t n = 0;
  FILE *fp = open_memstream(&out, &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
  fn(fp, in, len);
  fclose(fp);
  return out;
}

static void test_time_parse(void)
{
  static const struct {
    const char *in;
    bool ok;
    int64_t t;
  } rows[] = {
      {"1970-01-01T00:00:00Z", true, 0},
      {"2026-12-03T02:00:01Z", true, 1796263201},
      {"2026-12-03t02:00:01z", true, 1796263201},
      {"2026-12-03T02:00:01.123Z", true, 1796263201},
      {"2026-12-03T03:00:01+01:00", true, 1796263201},
      {"2026-12-03T01:30:01-00:30", true, 1796263201},
      {"2024-02-29T00:00:00Z", true, 1709164800},
      {"1969-12-31T23:59:59Z", true, -1},
      {"2023-02-29T00:00:00Z", false, 0}, /* not a leap year */
      {"2026-13-01T00:00:00Z", false, 0},
      {"2026-12-32T00:00:00Z", false, 0},
      {"2026-12-03T24:00:00Z", false, 0},
      {"2026-12-03 02:00:01Z", false, 0},
      {"2026-12-03T02:00:01", false, 0}, /* no zone */
      {"2026-12-03T02:00:01.Z", false, 0},
      {"2026-12-03T02:00:01Z ", false, 0},
      {"+026-12-03T02:00:01Z", false, 0},
      {"", false, 0},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    int64_t t = 42;
    bool ok = ms_report_time_parse(rows[i].in, strlen(rows[i].in), &t);
    MS_CHECK_ROW(ok == rows[i].ok, "%s: ok=%d", rows[i].in, ok);
    if (ok && rows[i].ok)
      MS_CHECK_ROW(t == rows[i].t, "%s: got %lld", rows[i].in, (long long)t);
    if (!ok)
      MS_CHECK_ROW(t == 42, "%s: *out touched", rows[i].in);
  }
}

static void test_time_format(void)
{
  static const struct {
    int64_t t;
    const char *out;
  } rows[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1796263201, "2026-12-03T02:00:01Z"},
      {1709164800, "2024-02-29T00:00:00Z"},
      {-1, "1969-12-31T23:59:59Z"},
      {INT64_MAX, "9999-12-31T23:59:59Z"},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    char buf[MS_REPORT_TIME_LEN];
    ms_report_time_format(rows[i].t, buf);
    MS_CHECK_ROW(strcmp(buf, rows[i].out) == 0, "%lld: got %s",
                 (long long)rows[i].t, buf);
  }
}

static void test_days_left(void)
{
  static const struct {
    int64_t t, now, days;
  } rows[] = {
      {86400, 0, 1},       {86399, 0, 0},
      {0, 0, 0},           {-1, 0, -1},
      {-86400, 0, -1},     {-86401, 0, -2},
      {14 * 86400, 0, 14}, {1000, 1000 - 3 * 86400 - 5, 3},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    int64_t d = ms_report_days_left(rows[i].t, rows[i].now);
    MS_CHECK_ROW(d == rows[i].days, "t=%lld now=%lld: got %lld",
                 (long long)rows[i].t, (long long)rows[i].now, (long long)d);
  }
}

struct esc_row {
  const char *in;
  size_t len; /* 0: strlen(in) */
  const char *out;
};

static void run_esc(void (*fn)(FILE *, const char *, size_t),
                    const struct esc_row *rows, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
    char *got = capture(fn, rows[i].in, len);
    MS_CHECK_ROW(strcmp(got, rows[i].out) == 0, "[%zu] %s -> %s (want %s)", i,
                 rows[i].in, got, rows[i].out);
    free(got);
  }
}

static void test_html_escape(void)
{
  static const struct esc_row rows[] = {
      {"plain.example", 0, "plain.example"},
      {"<script>alert(1)</script>", 0, "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"a & b", 0, "a &amp; b"},
      {"\"quoted\" 'single'", 0, "&quot;quoted&quot; &#39;single&#39;"},
      {"&lt;", 0, "&amp;lt;"}, /* already-escaped text is escaped again */
      {"x\0y", 3, "x\\x00y"},  /* a NUL is shown, never swallowed */
      {"\x1b[31mred", 0, "\\x1B[31mred"},
      {"tab\tnl\ncr\r", 0, "tab\tnl\ncr\r"},
      {"del\x7f", 0, "del\\x7F"},
      {"caf\xc3\xa9", 0, "caf\xc3\xa9"},
      {"", 0, ""},
  };
  run_esc(ms_report_html_escape, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_html_escape_md(void)
{
  static const struct esc_row rows[] = {
      {"keeps `input` as code", 0, "keeps <code>input</code> as code"},
      {"`<b>`", 0, "<code>&lt;b&gt;</code>"},
      {"one ` alone <", 0, "one ` alone &lt;"},
      {"`a` and `b`", 0, "<code>a</code> and <code>b</code>"},
  };
  run_esc(ms_report_html_escape_md, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_prom_escape(void)
{
  static const struct esc_row rows[] = {
      {"mx1.example.org", 0, "mx1.example.org"},
      {"a\"b", 0, "a\\\"b"},
      {"back\\slash", 0, "back\\\\slash"},
      {"line\nbreak", 0, "line\\nbreak"},
      {"mx.\"evil\\\nhost", 0, "mx.\\\"evil\\\\\\nhost"},
      {"nul\0x", 5, "nul\xEF\xBF\xBDx"},
      {"cr\r", 0, "cr\xEF\xBF\xBD"},
      {"<script>", 0, "<script>"}, /* no HTML meaning in this format */
  };
  run_esc(ms_report_prom_escape, rows, sizeof(rows) / sizeof(rows[0]));
}

static void help_esc(FILE *fp, const char *s, size_t len)
{
  ms_report_prom_help_escape(fp, s, len);
}

static void text_esc(FILE *fp, const char *s, size_t len)
{
  ms_report_text_escape(fp, s, len, 6);
}

static void test_help_and_text_escape(void)
{
  static const struct esc_row help[] = {
      {"a\\b\nc\"d", 0, "a\\\\b\\nc\"d"},
  };
  run_esc(help_esc, help, 1);
  static const struct esc_row text[] = {
      {"ab", 0, "ab    "},
      {"a\nb", 0, "a\\nb  "},
      {"\x01\\", 0, "\\x01\\\\"},
      {"longer than six", 0, "longer than six"},
  };
  run_esc(text_esc, text, sizeof(text) / sizeof(text[0]));
}

CU_TestInfo ms_tests_report_fmt[] = {
    {"time_parse", test_time_parse},
    {"time_format", test_time_format},
    {"days_left", test_days_left},
    {"html_escape", test_html_escape},
    {"html_escape_md", test_html_escape_md},
    {"prom_escape", test_prom_escape},
    {"help_and_text_escape", test_help_and_text_escape},
    CU_TEST_INFO_NULL,
};
