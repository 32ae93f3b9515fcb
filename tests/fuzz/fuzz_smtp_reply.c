/*
 * Fuzz target for core/smtp_reply: the input is a server's byte stream.
 * It is parsed reply after reply three ways in lock step: all at once,
 * one byte at a time, and in chunks whose sizes come from the data.
 * Property: all three give the same result fields, and the caps hold.
 */
#include "core/smtp_reply.h"

#include "fuzz.h"

/* Feeds in[0..len) to r in chunks of at most step bytes (0: all), from a
 * fresh init, until the reply completes or fails. Returns the state and
 * the bytes used in *used. */
static enum ms_smtp_reply_state feed(struct ms_smtp_reply *r, const char *in,
                                     size_t len, size_t step, size_t *used)
{
  enum ms_smtp_reply_state st = MS_SMTP_REPLY_PARTIAL;
  size_t off = 0;
  ms_smtp_reply_init(r);
  while (st == MS_SMTP_REPLY_PARTIAL && off < len) {
    size_t n = len - off;
    if (step && n > step)
      n = step;
    size_t got = 0;
    st = ms_smtp_reply_feed(r, in + off, n, &got);
    MS_FUZZ_CHECK(got <= n);
    MS_FUZZ_CHECK(st != MS_SMTP_REPLY_PARTIAL || got == n);
    off += got;
  }
  *used = off;
  return st;
}

static void same(const struct ms_smtp_reply *a, const struct ms_smtp_reply *b)
{
  MS_FUZZ_CHECK(a->code == b->code && a->n_lines == b->n_lines &&
                a->starttls == b->starttls && a->text_len == b->text_len);
  MS_FUZZ_CHECK(memcmp(a->text, b->text, a->text_len + 1) == 0);
  MS_FUZZ_CHECK(strcmp(a->error, b->error) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = ms_fuzz_dup(data, size);
  struct ms_smtp_reply *r = calloc(3, sizeof(*r));
  MS_FUZZ_CHECK(r != NULL);
  size_t step = size ? 1 + data[0] % 97 : 1;
  size_t off = 0;
  for (;;) {
    size_t u0, u1, u2;
    enum ms_smtp_reply_state s0 = feed(&r[0], in + off, size - off, 0, &u0);
    enum ms_smtp_reply_state s1 = feed(&r[1], in + off, size - off, 1, &u1);
    enum ms_smtp_reply_state s2 = feed(&r[2], in + off, size - off, step, &u2);
    MS_FUZZ_CHECK(s0 == s1 && s0 == s2 && u0 == u1 && u0 == u2);
    same(&r[0], &r[1]);
    same(&r[0], &r[2]);
    MS_FUZZ_CHECK(r[0].n_lines <= MS_SMTP_LINES_MAX);
    MS_FUZZ_CHECK(r[0].text_len < MS_SMTP_TEXT_KEEP &&
                  r[0].text[r[0].text_len] == '\0');
    MS_FUZZ_CHECK(u0 <= MS_SMTP_REPLY_MAX + 1);
    if (s0 == MS_SMTP_REPLY_ERROR)
      MS_FUZZ_CHECK(r[0].error[0] != '\0');
    if (s0 != MS_SMTP_REPLY_COMPLETE)
      break;
    MS_FUZZ_CHECK(r[0].code >= 200 && r[0].code <= 559 && u0 > 0);
    off += u0;
  }
  free(r);
  free(in);
  return 0;
}
