/*
 * Incremental SMTP reply parser (RFC 5321 section 4.2). Every byte goes
 * through one function (take_byte), so the outcome cannot depend on how
 * the network chunked the reply. Used by net/smtp_probe.c for the greeting
 * and every reply; tests: tests/unit/test_smtp_reply.c and
 * tests/fuzz/fuzz_smtp_reply.c.
 */
#include "core/smtp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ms_smtp_reply_init(struct ms_smtp_reply *r)
{
  memset(r, 0, sizeof(*r));
  r->state = MS_SMTP_REPLY_PARTIAL;
}

/* Records why the reply is unusable ("line N: ..."); the parser stays in
 * ERROR until the next ms_smtp_reply_init. */
__attribute__((format(printf, 2, 3))) static enum ms_smtp_reply_state
fail(struct ms_smtp_reply *r, const char *fmt, ...)
{
  int n = snprintf(r->error, sizeof(r->error), "line %zu: ", r->n_lines + 1);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof(r->error))
    vsnprintf(r->error + n, sizeof(r->error) - (size_t)n, fmt, ap);
  va_end(ap);
  r->state = MS_SMTP_REPLY_ERROR;
  return r->state;
}

/* RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39. The range
 * check runs on each of the first three bytes as it arrives, so a peer
 * that talks HTTP or TLS at us is refused at its first byte, not after a
 * whole line. Returns false when byte i of a line cannot start a reply. */
static bool code_byte_ok(size_t i, int c)
{
  switch (i) {
    case 0:
      return c >= '2' && c <= '5';
    case 1:
      return c >= '0' && c <= '5';
    default:
      return ms_ascii_is_digit(c);
  }
}

/* Appends one line's text (after "ddd-" / "ddd ") to r->text, joined with
 * '\n'. Text beyond MS_SMTP_TEXT_KEEP - 1 octets is dropped on purpose:
 * it is evidence for the record, not protocol. */
static void keep_text(struct ms_smtp_reply *r, const char *p, size_t n)
{
  size_t room = sizeof(r->text) - 1 - r->text_len;
  if (r->n_lines > 1 && room > 0) {
    r->text[r->text_len++] = '\n';
    room--;
  }
  if (n > room)
    n = room;
  memcpy(r->text + r->text_len, p, n);
  r->text_len += n;
  r->text[r->text_len] = '\0';
}

/* EHLO keyword detection (RFC 3207 section 4): the keyword is the line's
 * first word, compared without regard to case. Leading blanks are
 * skipped, as client implementations split keyword lines on white space. */
static bool is_starttls(const char *p, size_t n)
{
  struct ms_slice s = ms_slice_make(p, n);
  size_t i = 0;
  while (i < s.len && ms_ascii_is_wsp((unsigned char)s.ptr[i]))
    i++;
  size_t start = i;
  while (i < s.len && !ms_ascii_is_wsp((unsigned char)s.ptr[i]))
    i++;
  return ms_slice_eq_nocase(ms_slice_make(s.ptr + start, i - start),
                            ms_slice_cstr("STARTTLS"));
}

/* A whole line is in r->line (LF not stored, one final CR removed here).
 * Checks its shape and code, folds it into the reply, and says whether
 * the reply is now complete. */
static enum ms_smtp_reply_state end_line(struct ms_smtp_reply *r)
{
  size_t n = r->line_len;
  if (n && r->line[n - 1] == '\r')
    n--; /* CRLF; a bare LF is tolerated (see the header) */
  if (n < 3)
    return fail(r, "garbage: line too short for a reply code");
  bool last;
  if (n == 3 || r->line[3] == ' ')
    last = true; /* "250" alone is a final line (Reply-line ABNF) */
  else if (r->line[3] == '-')
    last = false;
  else
    return fail(r, "reply code not followed by ' ' or '-'");
  int code =
      (r->line[0] - '0') * 100 + (r->line[1] - '0') * 10 + (r->line[2] - '0');
  /* Section 4.2.1: every line of a multi-line reply carries the same
   * code. A change means the peer is confused or hostile. */
  if (r->pending_code && code != r->pending_code)
    return fail(r, "reply code %d after %d in one reply", code,
                r->pending_code);
  if (r->n_lines >= MS_SMTP_LINES_MAX)
    return fail(r, "more than %d lines in one reply", MS_SMTP_LINES_MAX);
  r->pending_code = code;
  r->in_reply = true;
  r->n_lines++;
  const char *text = r->line + (n > 3 ? 4 : 3);
  size_t tlen = n > 3 ? n - 4 : 0;
  keep_text(r, text, tlen);
  if (is_starttls(text, tlen))
    r->starttls = true;
  r->line_len = 0;
  if (!last)
    return MS_SMTP_REPLY_PARTIAL;
  r->code = code;
  r->state = MS_SMTP_REPLY_COMPLETE;
  return r->state;
}

/* The one place a byte enters the parser: caps first (so nothing beyond a
 * cap is ever stored), then the line structure. */
static enum ms_smtp_reply_state take_byte(struct ms_smtp_reply *r, char ch)
{
  int c = (unsigned char)ch;
  if (r->reply_bytes >= MS_SMTP_REPLY_MAX)
    return fail(r, "reply longer than %d octets", MS_SMTP_REPLY_MAX);
  r->reply_bytes++;
  if (c == '\n')
    return end_line(r);
  if (c == '\0')
    return fail(r, "NUL byte in reply line");
  /* Keep room for the LF: a line is at most MS_SMTP_LINE_MAX octets with
   * its terminator, so this fires at the first octet over the cap. */
  if (r->line_len >= MS_SMTP_LINE_MAX - 1)
    return fail(r, "line longer than %d octets", MS_SMTP_LINE_MAX);
  if (r->line_len < 3 && !code_byte_ok(r->line_len, c))
    return fail(r, "garbage: line without a valid reply code");
  if (r->line_len == 3 && c != ' ' && c != '-' && c != '\r')
    return fail(r, "reply code not followed by ' ' or '-'");
  r->line[r->line_len++] = ch;
  return MS_SMTP_REPLY_PARTIAL;
}

enum ms_smtp_reply_state ms_smtp_reply_feed(struct ms_smtp_reply *r,
                                            const char *buf, size_t len,
                                            size_t *consumed)
{
  size_t i = 0;
  enum ms_smtp_reply_state st = r->state;
  while (st == MS_SMTP_REPLY_PARTIAL && i < len)
    st = take_byte(r, buf[i++]);
  *consumed = i;
  return st;
}
