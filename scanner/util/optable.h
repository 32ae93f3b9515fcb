/*
 * One option table per program, from which getopt_long's array, the
 * --help text and the man page's OPTIONS section are all generated, so they
 * cannot drift apart (zmap's .ggo idea without the generator). Used by
 * scanner/cli.c and report/main_report.c. Tests: docs.man (the man pages
 * are checked against --help-man), and the tools' --help.
 */
#ifndef MS_UTIL_OPTABLE_H
#define MS_UTIL_OPTABLE_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct ms_opt {
  const char *name; /* long name */
  int val;          /* short letter (< 256) or a program's OPT_* value */
  int has_arg;      /* no_argument / required_argument */
  const char *arg;  /* metavariable for help, or NULL */
  const char *help; /* one paragraph */
};

/* Fills longopts (n + 1 entries, the last zeroed) and shortopts (cap
 * bytes, NUL-terminated) from the table. */
void ms_optable_getopt(const struct ms_opt *opts, size_t n,
                       struct option *longopts, char *shortopts, size_t cap);
/* Prints the option list of --help, the help text wrapped to 80 columns. */
void ms_optable_help(FILE *fp, const struct ms_opt *opts, size_t n);
/* Prints ".SH OPTIONS" and one .TP entry per option (troff, with '-' and
 * '\' escaped so man renders them literally). */
void ms_optable_man(FILE *fp, const struct ms_opt *opts, size_t n);

#endif
