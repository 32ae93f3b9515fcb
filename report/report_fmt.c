/* Timestamps and escapers of the report tool (see report_fmt.h). */
#include "report/report_fmt.h"

#include <string.h>

#include "util/slice.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil; exact for every year we can parse). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The inverse: a day number to year, month, day. */
static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s[at..] into *v; false when any is not a digit. */
static bool digits(const char *s, size_t len, size_t at, size_t n, int64_t *v)
{
  uint64_t u;
  if (at + n > len || !ms_slice_parse_u64(ms_slice_make(s + at, n), n, &u))
    return false;
  *v = (int64_t)u;
  return true;
}

bool ms_report_time_parse(const char *s, size_t len, int64_t *out)
{
  int64_t y, mo, d, h, mi, sec, oh = 0, om = 0;
  if (!s || len < 20 || !digits(s, len, 0, 4, &y) || s[4] != '-' ||
      !digits(s, len, 5, 2, &mo) || s[7] != '-' || !digits(s, len, 8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, len, 11, 2, &h) ||
      s[13] != ':' || !digits(s, len, 14, 2, &mi) || s[16] != ':' ||
      !digits(s, len, 17, 2, &sec))
    return false;
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
      (mo == 2 && d == 29 && !is_leap(y)) || h > 23 || mi > 59 || sec > 60)
    return false;
  size_t i = 19;
  if (i < len && s[i] == '.') {
    i++;
    size_t start = i;
    while (i < len && ms_ascii_is_digit(s[i]))
      i++;
    if (i == start)
      return false;
  }
  if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
    /* UTC */
  } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
             digits(s, len, i + 1, 2, &oh) && s[i + 3] == ':' &&
             digits(s, len, i + 4, 2, &om) && oh <= 23 && om <= 59) {
    if (s[i] == '-') {
      oh = -oh;
      om = -om;
    }
  } else {
    return false;
  }
  if (sec == 60)
    sec = 59; /* a leap second: close enough for day counts */
  *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
         (oh * 3600 + om * 60);
  return true;
}

char *ms_report_time_format(int64_t t, char buf[MS_REPORT_TIME_LEN])
{
  /* Clamp to 0000-01-01 .. 9999-12-31 so the fields keep their width. */
  const int64_t lo = days_from_civil(0, 1, 1) * 86400;
  const int64_t hi = days_from_civil(9999, 12, 31) * 86400 + 86399;
  if (t < lo)
    t = lo;
  if (t > hi)
    t = hi;
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t rem = t - days * 86400;
  int64_t y, m, d;
  civil_from_days(days, &y, &m, &d);
  char tmp[64]; /* the fields are in range; gcc cannot prove it */
  snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m,
           (int)d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
  memcpy(buf, tmp, MS_REPORT_TIME_LEN - 1);
  buf[MS_REPORT_TIME_LEN - 1] = '\0';
  return buf;
}

int64_t ms_report_days_left(int64_t t, int64_t now)
{
  int64_t diff = t - now;
  /* Floor division: C rounds towards zero. */
  return diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
}

/* One byte for HTML text or a quoted attribute value. The five
 * characters with a meaning in markup become entities, so the same
 * escaper is safe in both places; the single quote too, because an
 * attribute may be single-quoted by whoever edits the page later. */
static void html_byte(FILE *fp, unsigned char c)
{
  switch (c) {
    case '&':
      fputs("&amp;", fp);
      return;
    case '<':
      fputs("&lt;", fp);
      return;
    case '>':
      fputs("&gt;", fp);
      return;
    case '"':
      fputs("&quot;", fp);
      return;
    case '\'':
      fputs("&#39;", fp);
      return;
    default:
      break;
  }
  if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
    fprintf(fp, "\\x%02X", (unsigned)c);
  else
    fputc(c, fp);
}

void ms_report_html_escape(FILE *fp, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    html_byte(fp, (unsigned char)s[i]);
}

/* The catalogue's texts mark code with backticks (they also feed the
 * markdown of data/findings.md); an unpaired backtick stays literal. */
void ms_report_html_escape_md(FILE *fp, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '`') {
      const char *end = memchr(s + i + 1, '`', len - i - 1);
      if (end) {
        fputs("<code>", fp);
        ms_report_html_escape(fp, s + i + 1, (size_t)(end - s - i - 1));
        fputs("</code>", fp);
        i = (size_t)(end - s);
        continue;
      }
    }
    html_byte(fp, (unsigned char)s[i]);
  }
}

/* Exposition format 0.0.4 knows only three escapes in label values. A CR
 * or other control byte is valid there in theory but breaks parsers and
 * dashboards, so it becomes U+FFFD: the value stays readable and unique
 * enough, and the file always parses. */
void ms_report_prom_escape(FILE *fp, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\')
      fputs("\\\\", fp);
    else if (c == '"')
      fputs("\\\"", fp);
    else if (c == '\n')
      fputs("\\n", fp);
    else if (c < 0x20 || c == 0x7f)
      fputs("\xEF\xBF\xBD", fp); /* U+FFFD */
    else
      fputc(c, fp);
  }
}

void ms_report_prom_help_escape(FILE *fp, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\')
      fputs("\\\\", fp);
    else if (s[i] == '\n')
      fputs("\\n", fp);
    else
      fputc(s[i], fp);
  }
}

/* For the text summary: keeps one value on one line (a newline in an MX
 * host name from DNS must not start a forged line in the cron mail). */
void ms_report_text_escape(FILE *fp, const char *s, size_t len, int width)
{
  int col = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\') {
      fputs("\\\\", fp);
      col += 2;
    } else if (c == '\n') {
      fputs("\\n", fp);
      col += 2;
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(fp, "\\x%02X", (unsigned)c);
      col += 4;
    } else {
      fputc(c, fp);
      col++;
    }
  }
  for (; col < width; col++)
    fputc(' ', fp);
}
