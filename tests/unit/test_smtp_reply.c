/*
 * core/smtp_reply: every row is fed all at once, one byte at a time and in
 * pseudo-random chunkings, and each way must give the expected result and
 * exactly the same result fields as the others.
 */
#include "core/smtp_reply.h"

#include <stdint.h>

#include "unit.h"

#define IN(s) s, sizeof(s) - 1
#define ALL   SIZE_MAX /* expected consumed: the whole input */

/* Inputs too big for a literal, built at run time. */
enum gen {
  GEN_NONE,
  GEN_LONG_LINE,    /* "250 " + 1 MiB of 'a', no line end */
  GEN_ENDLESS,      /* 100000 x "250-x\r\n", never a final line */
  GEN_BIG_REPLY,    /* "250-" lines of 2002 octets: the reply cap */
  GEN_LINE_AT_CAP,  /* one final line of exactly MS_SMTP_LINE_MAX octets */
  GEN_LINE_OVER,    /* the same plus one octet */
  GEN_LF_AT_CAP,    /* bare-LF line of exactly MS_SMTP_LINE_MAX octets */
  GEN_LINES_AT_CAP, /* MS_SMTP_LINES_MAX lines: still fine */
  GEN_TEXT_CAP      /* 10 lines of 100 octets of text: text is capped */
};

struct row {
  const char *name;
  const char *in;
  size_t len;
  enum gen gen;
  enum ms_smtp_reply_state st;
  int code;     /* expected when COMPLETE */
  size_t lines; /* expected n_lines */
  bool starttls;
  size_t consumed;  /* ALL = the whole input */
  const char *text; /* NULL: not checked */
  const char *err;  /* substring of error when ERROR */
  int next_code;    /* code of the reply after this one (0: none) */
};

#define C MS_SMTP_REPLY_COMPLETE
#define E MS_SMTP_REPLY_ERROR
#define P MS_SMTP_REPLY_PARTIAL

static const struct row rows[] = {
    {"single line", IN("220 mx.example.com ESMTP\r\n"), GEN_NONE, C, 220, 1,
     false, ALL, "mx.example.com ESMTP", NULL, 0},
    {"EHLO, STARTTLS in the middle",
     IN("250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
        "250 8BITMIME\r\n"),
     GEN_NONE, C, 250, 4, true, ALL,
     "mx.example.com\nPIPELINING\nSTARTTLS\n8BITMIME", NULL, 0},
    {"EHLO, STARTTLS last",
     IN("250-mx.example.com\r\n250-SIZE 52428800\r\n250 STARTTLS\r\n"),
     GEN_NONE, C, 250, 3, true, ALL, NULL, NULL, 0},
    {"EHLO, STARTTLS absent",
     IN("250-mx.example.com\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"), GEN_NONE, C,
     250, 3, false, ALL, NULL, NULL, 0},
    {"250 starttls lowercase", IN("250 starttls\r\n"), GEN_NONE, C, 250, 1,
     true, ALL, "starttls", NULL, 0},
    {"StartTls mixed case, leading blanks, with a parameter",
     IN("250-mx\r\n250-  StartTls now\r\n250 OK\r\n"), GEN_NONE, C, 250, 3,
     true, ALL, NULL, NULL, 0},
    {"STARTTLS only as a prefix or a later word",
     IN("250-mx\r\n250-XSTARTTLS\r\n250-STARTTLSX\r\n250 AUTH STARTTLS\r\n"),
     GEN_NONE, C, 250, 4, false, ALL, NULL, NULL, 0},
    {"LF-only endings", IN("250-mx\n250-STARTTLS\n250 OK\n"), GEN_NONE, C, 250,
     3, true, ALL, "mx\nSTARTTLS\nOK", NULL, 0},
    {"mixed CRLF and LF", IN("250-mx\r\n250 OK\n"), GEN_NONE, C, 250, 2, false,
     ALL, "mx\nOK", NULL, 0},
    {"code mismatch", IN("250-mx\r\n251 OK\r\n"), GEN_NONE, E, 0, 1, false, ALL,
     NULL, "251 after 250", 0},
    {"code mismatch in a continuation", IN("250-mx\r\n250-a\r\n550-b\r\n"),
     GEN_NONE, E, 0, 2, false, ALL, NULL, "line 3", 0},
    {"first digit 6", IN("650 no\r\n"), GEN_NONE, E, 0, 0, false, 1, NULL,
     "valid reply code", 0},
    {"first digit 1", IN("199 no\r\n"), GEN_NONE, E, 0, 0, false, 1, NULL,
     "garbage", 0},
    {"second digit 6", IN("260 no\r\n"), GEN_NONE, E, 0, 0, false, 2, NULL,
     "garbage", 0},
    {"letter in the code", IN("2a0 no\r\n"), GEN_NONE, E, 0, 0, false, 2, NULL,
     "garbage", 0},
    {"two-digit code", IN("25\r\n"), GEN_NONE, E, 0, 0, false, 3, NULL,
     "garbage", 0},
    {"garbage: HTTP", IN("HTTP/1.1 400 Bad Request\r\n"), GEN_NONE, E, 0, 0,
     false, 1, NULL, "garbage", 0},
    {"garbage: TLS record", IN("\x16\x03\x01\x00\x05"), GEN_NONE, E, 0, 0,
     false, 1, NULL, "garbage", 0},
    {"empty line", IN("\r\n"), GEN_NONE, E, 0, 0, false, 1, NULL, "garbage", 0},
    {"code glued to text", IN("250OK\r\n"), GEN_NONE, E, 0, 0, false, 4, NULL,
     "' ' or '-'", 0},
    {"CR inside the separator", IN("220\rX\r\n"), GEN_NONE, E, 0, 0, false, ALL,
     NULL, "' ' or '-'", 0},
    {"NUL byte", IN("250 a\0b\r\n"), GEN_NONE, E, 0, 0, false, 6, NULL, "NUL",
     0},
    {"NUL in a continuation", IN("250-a\r\n250-\0\r\n"), GEN_NONE, E, 0, 1,
     false, 12, NULL, "line 2: NUL", 0},
    {"two replies in one buffer", IN("220 hi\r\n250 next\r\n"), GEN_NONE, C,
     220, 1, false, 8, "hi", NULL, 250},
    {"greeting then EHLO reply",
     IN("220-a\r\n220 b\r\n250-mx\r\n250 STARTTLS\r\n"), GEN_NONE, C, 220, 2,
     false, 14, "a\nb", NULL, 250},
    {"554 greeting", IN("554 5.7.1 no SMTP service here\r\n"), GEN_NONE, C, 554,
     1, false, ALL, "5.7.1 no SMTP service here", NULL, 0},
    {"421", IN("421 4.3.2 Service shutting down\r\n"), GEN_NONE, C, 421, 1,
     false, ALL, NULL, NULL, 0},
    {"220 alone", IN("220\r\n"), GEN_NONE, C, 220, 1, false, ALL, "", NULL, 0},
    {"220 alone, LF", IN("220\n"), GEN_NONE, C, 220, 1, false, ALL, "", NULL,
     0},
    {"220- continuation then 220 ", IN("220-\r\n220 \r\n"), GEN_NONE, C, 220, 2,
     false, ALL, "\n", NULL, 0},
    {"unfinished multi-line", IN("250-mx\r\n250 OK"), GEN_NONE, P, 0, 1, false,
     ALL, NULL, NULL, 0},
    {"bare CR does not end a line", IN("250 OK\r"), GEN_NONE, P, 0, 0, false,
     ALL, NULL, NULL, 0},
    {"nothing yet", IN(""), GEN_NONE, P, 0, 0, false, ALL, NULL, NULL, 0},
    {"1 MiB line", NULL, 0, GEN_LONG_LINE, E, 0, 0, false, MS_SMTP_LINE_MAX,
     NULL, "line longer than 2048", 0},
    {"endless continuation", NULL, 0, GEN_ENDLESS, E, 0, MS_SMTP_LINES_MAX,
     false, (MS_SMTP_LINES_MAX + 1) * 7, NULL, "more than 64 lines", 0},
    {"reply over the byte cap", NULL, 0, GEN_BIG_REPLY, E, 0, 8, false,
     MS_SMTP_REPLY_MAX + 1, NULL, "reply longer than 16384", 0},
    {"line of exactly the cap", NULL, 0, GEN_LINE_AT_CAP, C, 250, 1, false, ALL,
     NULL, NULL, 0},
    {"line one over the cap", NULL, 0, GEN_LINE_OVER, E, 0, 0, false,
     MS_SMTP_LINE_MAX, NULL, "line longer", 0},
    {"bare-LF line of exactly the cap", NULL, 0, GEN_LF_AT_CAP, C, 250, 1,
     false, ALL, NULL, NULL, 0},
    {"64 lines", NULL, 0, GEN_LINES_AT_CAP, C, 250, MS_SMTP_LINES_MAX, false,
     ALL, NULL, NULL, 0},
    {"text kept is capped", NULL, 0, GEN_TEXT_CAP, C, 250, 10, false, ALL, NULL,
     NULL, 0},
};

/* Appends n copies of c to b at *len. */
static void fill(char *b, size_t *len, char c, size_t n)
{
  memset(b + *len, c, n);
  *len += n;
}

static void put(char *b, size_t *len, const char *s)
{
  size_t n = strlen(s);
  memcpy(b + *len, s, n);
  *len += n;
}

/* Builds a generated input (new buffer, caller frees). */
static char *generate(enum gen g, size_t *len)
{
  char *b = malloc(1100000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  *len = 0;
  switch (g) {
    case GEN_LONG_LINE:
      put(b, len, "250 ");
      fill(b, len, 'a', 1u << 20);
      break;
    case GEN_ENDLESS:
      for (size_t i = 0; i < 100000; i++)
        put(b, len, "250-x\r\n");
      break;
    case GEN_BIG_REPLY:
      for (size_t i = 0; i < 20; i++) {
        put(b, len, "250-");
        fill(b, len, 'b', 1996);
        put(b, len, "\r\n");
      }
      put(b, len, "250 end\r\n");
      break;
    case GEN_LINE_AT_CAP:
    case GEN_LINE_OVER:
      put(b, len, "250 ");
      fill(b, len, 'c', MS_SMTP_LINE_MAX - 6 + (g == GEN_LINE_OVER));
      put(b, len, "\r\n");
      break;
    case GEN_LF_AT_CAP:
      put(b, len, "250 ");
      fill(b, len, 'd', MS_SMTP_LINE_MAX - 5);
      put(b, len, "\n");
      break;
    case GEN_LINES_AT_CAP:
      for (size_t i = 0; i + 1 < MS_SMTP_LINES_MAX; i++)
        put(b, len, "250-x\r\n");
      put(b, len, "250 y\r\n");
      break;
    case GEN_TEXT_CAP:
      for (size_t i = 0; i < 10; i++) {
        put(b, len, i < 9 ? "250-" : "250 ");
        fill(b, len, (char)('0' + i), 100);
        put(b, len, "\r\n");
      }
      break;
    case GEN_NONE:
      break;
  }
  return b;
}

/* The result fields of one feeding. */
struct outcome {
  enum ms_smtp_reply_state st;
  size_t consumed;
  int code;
  size_t n_lines;
  bool starttls;
  size_t text_len;
  char text[MS_SMTP_TEXT_KEEP];
  char error[128];
};

/* Small deterministic PRNG (xorshift32) for the chunkings. */
static uint32_t next_rand(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* Feeds in[0..len) in chunks: mode 0 all at once, 1 byte at a time,
 * otherwise random sizes from seed mode. Stops at the first non-PARTIAL
 * state, as the probe does. */
static void feed(const char *in, size_t len, uint32_t mode,
                 struct ms_smtp_reply *r, struct outcome *o)
{
  uint32_t seed = mode * 2654435761u + 1;
  size_t off = 0;
  enum ms_smtp_reply_state st = MS_SMTP_REPLY_PARTIAL;
  ms_smtp_reply_init(r);
  memset(o, 0, sizeof(*o));
  do {
    size_t n = len - off;
    if (mode == 1 && n > 1)
      n = 1;
    else if (mode > 1 && n > 0)
      n = 1 + next_rand(&seed) % (n < 300 ? n : 300);
    size_t used = 0;
    st = ms_smtp_reply_feed(r, in + off, n, &used);
    CU_ASSERT(used <= n);
    if (st == MS_SMTP_REPLY_PARTIAL)
      CU_ASSERT(used == n); /* PARTIAL always takes everything */
    off += used;
  } while (st == MS_SMTP_REPLY_PARTIAL && off < len);
  o->st = st;
  o->consumed = off;
  o->code = r->code;
  o->n_lines = r->n_lines;
  o->starttls = r->starttls;
  o->text_len = r->text_len;
  memcpy(o->text, r->text, sizeof(o->text));
  memcpy(o->error, r->error, sizeof(o->error));
}

static bool same(const struct outcome *a, const struct outcome *b)
{
  return a->st == b->st && a->consumed == b->consumed && a->code == b->code &&
         a->n_lines == b->n_lines && a->starttls == b->starttls &&
         a->text_len == b->text_len && strcmp(a->text, b->text) == 0 &&
         strcmp(a->error, b->error) == 0;
}

static void check_row(const struct row *w, const char *in, size_t len,
                      struct ms_smtp_reply *r)
{
  struct outcome whole, other;
  feed(in, len, 0, r, &whole);
  size_t want_used = w->consumed == ALL ? len : w->consumed;
  MS_CHECK_ROW(whole.st == w->st, "%s: state %d", w->name, (int)whole.st);
  MS_CHECK_ROW(whole.consumed == want_used, "%s: consumed %zu", w->name,
               whole.consumed);
  MS_CHECK_ROW(whole.n_lines == w->lines, "%s: n_lines %zu", w->name,
               whole.n_lines);
  MS_CHECK_ROW(whole.starttls == w->starttls, "%s: starttls", w->name);
  if (w->st == MS_SMTP_REPLY_COMPLETE)
    MS_CHECK_ROW(whole.code == w->code, "%s: code %d", w->name, whole.code);
  if (w->text)
    MS_CHECK_ROW(strcmp(whole.text, w->text) == 0, "%s: text '%s'", w->name,
                 whole.text);
  MS_CHECK_ROW(whole.text_len == strlen(whole.text) &&
                   whole.text_len < MS_SMTP_TEXT_KEEP,
               "%s: text_len %zu", w->name, whole.text_len);
  if (w->st == MS_SMTP_REPLY_ERROR)
    MS_CHECK_ROW(w->err && strstr(whole.error, w->err), "%s: error '%s'",
                 w->name, whole.error);
  else
    MS_CHECK_ROW(whole.error[0] == '\0', "%s: error '%s'", w->name,
                 whole.error);
  /* Byte-at-a-time and 8 random chunkings give the very same fields. */
  for (uint32_t mode = 1; mode < 10; mode++) {
    feed(in, len, mode, r, &other);
    MS_CHECK_ROW(same(&whole, &other), "%s: chunking %u differs (%s)", w->name,
                 (unsigned)mode, other.error);
  }
  /* The parser is sticky: more bytes change nothing until init. */
  if (w->st != MS_SMTP_REPLY_PARTIAL) {
    size_t used = 99;
    ms_smtp_reply_init(r);
    ms_smtp_reply_feed(r, in, len, &used);
    MS_CHECK_ROW(ms_smtp_reply_feed(r, "250 x\r\n", 7, &used) == w->st &&
                     used == 0,
                 "%s: not sticky", w->name);
  }
  /* What follows a complete reply is the next reply. */
  if (w->next_code) {
    feed(in + whole.consumed, len - whole.consumed, 0, r, &other);
    MS_CHECK_ROW(other.st == MS_SMTP_REPLY_COMPLETE &&
                     other.code == w->next_code,
                 "%s: next reply %d", w->name, other.code);
  }
}

static void test_rows(void)
{
  struct ms_smtp_reply *r = malloc(sizeof(*r));
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const struct row *w = &rows[i];
    if (w->gen == GEN_NONE) {
      check_row(w, w->in, w->len, r);
      continue;
    }
    size_t len;
    char *buf = generate(w->gen, &len);
    check_row(w, buf, len, r);
    if (w->gen == GEN_TEXT_CAP)
      MS_CHECK_ROW(r->text_len == MS_SMTP_TEXT_KEEP - 1, "%s: %zu", w->name,
                   r->text_len);
    free(buf);
  }
  free(r);
}

/* A struct reused after init carries nothing of the previous reply. */
static void test_reuse(void)
{
  static const struct {
    const char *first;
    const char *second;
    int code;
    bool starttls;
    size_t lines;
  } seq[] = {
      {"250-mx\r\n250 STARTTLS\r\n", "250 OK\r\n", 250, false, 1},
      {"500 x\r\n", "220-a\r\n220-b\r\n220 c\r\n", 220, false, 3},
      {"HTTP", "354 go\r\n", 354, false, 1},
  };
  struct ms_smtp_reply r;
  for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
    size_t used;
    ms_smtp_reply_init(&r);
    ms_smtp_reply_feed(&r, seq[i].first, strlen(seq[i].first), &used);
    ms_smtp_reply_init(&r);
    enum ms_smtp_reply_state st =
        ms_smtp_reply_feed(&r, seq[i].second, strlen(seq[i].second), &used);
    MS_CHECK_ROW(st == MS_SMTP_REPLY_COMPLETE && r.code == seq[i].code &&
                     r.starttls == seq[i].starttls &&
                     r.n_lines == seq[i].lines && r.error[0] == '\0',
                 "reuse row %zu", i);
  }
}

CU_TestInfo ms_tests_smtp_reply[] = {
    {"rows, every chunking", test_rows},
    {"reuse after init", test_reuse},
    CU_TEST_INFO_NULL,
};
