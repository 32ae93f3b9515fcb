/*
 * The input list as a stream: reads the -f file (or stdin) in chunks on the
 * loop's thread pool, splits lines (LF or CRLF, a BOM skipped, over-long
 * lines cut and reported), skips blank and '#' lines, converts IDN U-labels
 * with libidn2, normalises (core/domain.c), drops duplicates and domains
 * already in the output (--resume) and applies --shard. Memory: one chunk buffer plus 16 bytes per distinct domain for
 * duplicate detection. Tests: tests/lab (input cases).
 */
#ifndef MS_INPUT_H
#define MS_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "util/err.h"

#define MS_INPUT_LINE_MAX 1024 /* bytes of a line kept; longer is invalid */

struct ms_input;

struct ms_input_item {
  bool valid;         /* domain holds a normalised name */
  char domain[254];   /* normalised (valid) or "" */
  char *line;         /* the line as given (new; caller frees) */
  size_t line_len;    /* may contain NUL bytes */
  char why[128];      /* reason when !valid */
};

/* Called when ms_input_next may have more to give after returning 0. */
typedef void (*ms_input_ready_cb)(void *arg);

/* Opens the input named by cfg (file, stdin, positional domains). On
 * MS_EIO the message is in errbuf. */
ms_err_t ms_input_new(uv_loop_t *loop, const struct ms_config *cfg,
                      ms_input_ready_cb cb, void *arg, struct ms_input **out,
                      char *errbuf, size_t errlen);
/* 1: *item filled; 0: nothing buffered, a read is under way and cb runs
 * when it completes; -1: end of input (or a read error: see
 * ms_input_error). */
int ms_input_next(struct ms_input *in, struct ms_input_item *item);
/* NULL, or a message when reading failed. */
const char *ms_input_error(const struct ms_input *in);
/* Counters: lines read, duplicates skipped, lines outside the shard. */
void ms_input_counts(const struct ms_input *in, uint64_t *lines,
                     uint64_t *dups, uint64_t *other_shard);
/* --resume: marks a record already in the output (valid: its domain;
 * else the rejected line as given) so the matching input is skipped. */
void ms_input_mark_done(struct ms_input *in, bool valid, const char *p,
                        size_t n);
/* Bytes of the input file consumed so far, and its size (0 when it is not
 * a regular file): for the ETA of the status line. */
void ms_input_progress(const struct ms_input *in, uint64_t *consumed,
                       uint64_t *total);
/* Frees; a read in flight is let finish first (freed in its callback). */
void ms_input_free(struct ms_input *in);

/* FNV-1a 64 of s; the --shard hash (stable across runs and machines). */
uint64_t ms_input_hash(const char *s, size_t len);

#endif
