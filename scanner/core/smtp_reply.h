/*
 * Incremental SMTP reply parser (RFC 5321 section 4.2): takes bytes in any
 * chunking (one at a time or all at once gives the same result), assembles
 * multi-line replies ("250-..." continuation lines, "250 ..." last line),
 * checks that every line carries the same code, and enforces caps on line
 * length, lines per reply and bytes per reply so a hostile server cannot
 * make the probe grow. Also extracts EHLO keywords (STARTTLS).
 * Pure. Tests: tests/unit/test_smtp_reply.c (byte-at-a-time and whole).
 */
#ifndef MS_CORE_SMTP_REPLY_H
#define MS_CORE_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/slice.h"

#define MS_SMTP_LINE_MAX    2048  /* octets of one reply line, CRLF incl. */
#define MS_SMTP_LINES_MAX   64    /* lines in one reply */
#define MS_SMTP_REPLY_MAX   16384 /* octets of one whole reply */
#define MS_SMTP_TEXT_KEEP   512   /* octets of reply text kept */

enum ms_smtp_reply_state {
  MS_SMTP_REPLY_PARTIAL,  /* more bytes needed */
  MS_SMTP_REPLY_COMPLETE, /* a whole reply is ready in the struct */
  MS_SMTP_REPLY_ERROR     /* protocol violation or cap exceeded */
};

struct ms_smtp_reply {
  /* Result of the last complete reply. */
  int code;                      /* 3-digit reply code */
  size_t n_lines;
  char text[MS_SMTP_TEXT_KEEP];  /* the lines' text after the code, joined
                                    with '\n', NUL-terminated, capped */
  size_t text_len;
  bool starttls;                 /* an EHLO line is the STARTTLS keyword */
  char error[128];               /* why, when state is ERROR */
  /* Parser state (private). */
  char line[MS_SMTP_LINE_MAX];
  size_t line_len;
  size_t reply_bytes;
  int pending_code;              /* code of the lines so far, 0 = none */
  bool in_reply;
  enum ms_smtp_reply_state state; /* sticky once COMPLETE or ERROR */
};

/* Resets r for a new reply (keeps nothing of the previous one). */
void ms_smtp_reply_init(struct ms_smtp_reply *r);

/* Feeds up to len bytes. Stops after the first complete reply or at an
 * error; *consumed says how many bytes were used (the rest belongs to the
 * next reply: feed it again after ms_smtp_reply_init). CRLF ends a line;
 * a bare LF is accepted too (lenient, many servers). On ERROR, *consumed
 * includes the offending byte and r->error says why. Once COMPLETE or
 * ERROR, further calls return that state again and consume nothing until
 * ms_smtp_reply_init. The outcome never depends on the chunking. */
enum ms_smtp_reply_state ms_smtp_reply_feed(struct ms_smtp_reply *r,
                                            const char *buf, size_t len,
                                            size_t *consumed);

#endif
