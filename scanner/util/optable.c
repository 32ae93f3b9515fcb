/* Option tables -> getopt_long, --help and man OPTIONS (see optable.h). */
#include "util/optable.h"

#include <stdbool.h>
#include <string.h>

void ms_optable_getopt(const struct ms_opt *opts, size_t n,
                       struct option *longopts, char *shortopts, size_t cap)
{
  size_t ns = 0;
  for (size_t i = 0; i < n; i++) {
    longopts[i].name = opts[i].name;
    longopts[i].has_arg = opts[i].has_arg;
    longopts[i].flag = NULL;
    longopts[i].val = opts[i].val;
    if (opts[i].val < 256 && ns + 3 < cap) {
      shortopts[ns++] = (char)opts[i].val;
      if (opts[i].has_arg)
        shortopts[ns++] = ':';
    }
  }
  memset(&longopts[n], 0, sizeof(longopts[n]));
  shortopts[ns] = '\0';
}

void ms_optable_help(FILE *fp, const struct ms_opt *opts, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char left[64];
    const struct ms_opt *o = &opts[i];
    if (o->val < 256)
      snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name,
               o->arg ? " " : "", o->arg ? o->arg : "");
    else
      snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
               o->arg ? o->arg : "");
    fprintf(fp, "  %-26s", left);
    /* Wrap the help text at about 50 columns (80 with the left part). */
    const char *p = o->help;
    int col = 0;
    bool first = true;
    while (*p) {
      const char *sp = strchr(p, ' ');
      size_t w = sp ? (size_t)(sp - p) : strlen(p);
      if (!first && col + (int)w > 50) {
        fprintf(fp, "\n  %-26s", "");
        col = 0;
      } else if (!first) {
        fputc(' ', fp);
        col++;
      }
      fprintf(fp, "%.*s", (int)w, p);
      col += (int)w;
      first = false;
      p += w;
      while (*p == ' ')
        p++;
    }
    fputc('\n', fp);
  }
}

/* Writes s with troff's special characters escaped. */
static void man_text(FILE *fp, const char *s)
{
  for (; *s; s++) {
    if (*s == '-' || *s == '\\')
      fputc('\\', fp);
    fputc(*s, fp);
  }
}

void ms_optable_man(FILE *fp, const struct ms_opt *opts, size_t n)
{
  fprintf(fp, ".SH OPTIONS\n");
  for (size_t i = 0; i < n; i++) {
    const struct ms_opt *o = &opts[i];
    fprintf(fp, ".TP\n");
    if (o->val < 256)
      fprintf(fp, "\\fB\\-%c\\fR, ", o->val);
    fprintf(fp, "\\fB\\-\\-");
    man_text(fp, o->name);
    fprintf(fp, "\\fR");
    if (o->arg)
      fprintf(fp, " \\fI%s\\fR", o->arg);
    fprintf(fp, "\n");
    man_text(fp, o->help);
    fprintf(fp, "\n");
  }
}
