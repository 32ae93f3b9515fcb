/*
 * Reads result files (JSON Lines, ../shared/spec/output.md) as streams,
 * one line at a time, into a compact store (report_db.h): the JSON of a
 * record lives only while its line is parsed. Remembers where each kept
 * record's line is, so --merge and the HTML details can re-read just the
 * lines they need. Bad lines are warned about (file:line) and counted.
 * I/O module. Tests: tests/report/run_report_tests.py.
 */
#ifndef MS_REPORT_REPORT_READ_H
#define MS_REPORT_REPORT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/report_db.h"
#include "util/err.h"

#define MS_RREAD_LINE_MAX (16u << 20) /* longest record line accepted */
#define MS_RREAD_WARN_MAX 20          /* warnings of each kind per file */

struct ms_rinput {
  char *path; /* as given (owned); "-" is stdin */
  FILE *fp;   /* kept open for re-reading; a temporary copy for stdin */
};

struct ms_rreader {
  struct ms_rinput *in; /* every file read, in order */
  size_t n_in;
  bool keep;           /* keep files open for ms_rreader_line */
  const char *prog;    /* prefix of warnings ("mtasts-report") */
  uint64_t records;    /* good records read */
  uint64_t bad_lines;  /* lines that were not records */
  uint64_t duplicates; /* records whose domain was already held */
};

/* keep: keep inputs open (and copy stdin to a temporary file) so that
 * ms_rreader_line works. prog is borrowed. */
void ms_rreader_init(struct ms_rreader *r, bool keep, const char *prog);
/* Closes every input; NULL-safe on a zeroed reader. */
void ms_rreader_cleanup(struct ms_rreader *r);

/* Reads every line of path ("-": stdin) into db; a later record of a
 * domain replaces the earlier one (warning on stderr). Returns MS_EIO when
 * the file cannot be opened or read (message on stderr), MS_OK otherwise:
 * bad lines never fail the read. */
ms_err_t ms_rreader_read(struct ms_rreader *r, struct ms_rdb *db,
                         const char *path);

/* Returns a new NUL-terminated copy of d's record line (caller free()s
 * it; *len gets its length), or NULL when it cannot be re-read (inputs not
 * kept, file changed). d must come from a db filled through r. */
char *ms_rreader_line(struct ms_rreader *r, const struct ms_rdom *d,
                      size_t *len);

#endif
