/* Streaming reader of result files (see report_read.h). */
#include "report/report_read.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void ms_rreader_init(struct ms_rreader *r, bool keep, const char *prog)
{
  memset(r, 0, sizeof(*r));
  r->keep = keep;
  r->prog = prog;
}

void ms_rreader_cleanup(struct ms_rreader *r)
{
  for (size_t i = 0; i < r->n_in; i++) {
    if (r->in[i].fp)
      fclose(r->in[i].fp);
    free(r->in[i].path);
  }
  free(r->in);
  r->in = NULL;
  r->n_in = 0;
}

/* Warns about one line, up to MS_RREAD_WARN_MAX times per file and kind. */
static void warn_line(const struct ms_rreader *r, const char *path,
                      uint64_t lineno, unsigned *count, const char *what,
                      const char *detail)
{
  (*count)++;
  if (*count <= MS_RREAD_WARN_MAX)
    fprintf(stderr, "%s: %s:%llu: %s%s%s\n", r->prog, path,
            (unsigned long long)lineno, what, detail ? ": " : "",
            detail ? detail : "");
  else if (*count == MS_RREAD_WARN_MAX + 1)
    fprintf(stderr, "%s: %s: more lines like this; not shown\n", r->prog, path);
}

/* Parses one line; stores the entry or counts a bad line. */
/* One non-blank line: JSON first (JSON_ALLOW_NUL: network bytes may hold
 * \u0000), then the record check of report_db. The parsed JSON is dropped
 * at once; only the compact entry and the line's position are kept. */
static void take_line(struct ms_rreader *r, struct ms_rdb *db, const char *path,
                      uint32_t src, uint64_t lineno, const char *line,
                      size_t len, int64_t off, unsigned warned[2])
{
  json_error_t jerr;
  const char *why = NULL;
  json_t *rec = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
  if (!rec) {
    r->bad_lines++;
    warn_line(r, path, lineno, &warned[0], "not JSON", jerr.text);
    return;
  }
  struct ms_rdom *d = ms_rdb_parse(db, rec, &why);
  json_decref(rec);
  if (!d) {
    r->bad_lines++;
    warn_line(r, path, lineno, &warned[0], "not a record", why);
    return;
  }
  d->src = src;
  d->offset = off;
  d->len = (uint32_t)len;
  char name[300];
  snprintf(name, sizeof(name), "%s", d->domain);
  r->records++;
  if (ms_rdb_put(db, d)) {
    r->duplicates++;
    warn_line(r, path, lineno, &warned[1],
              "domain seen before; this later record wins", name);
  }
}

/* getline() reads any line length; the offset of each line is counted
 * here (not with ftello) so it also works for the stdin copy, which gets
 * the same bytes at the same offsets. A missing final newline is fine. */
ms_err_t ms_rreader_read(struct ms_rreader *r, struct ms_rdb *db,
                         const char *path)
{
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *fp = is_stdin ? stdin : fopen(path, "rb");
  FILE *copy = NULL;
  char *line = NULL;
  size_t cap = 0;
  ms_err_t rc = MS_OK;
  if (!fp) {
    fprintf(stderr, "%s: cannot open %s: %s\n", r->prog, path, strerror(errno));
    return MS_EIO;
  }
  if (is_stdin && r->keep) {
    copy = tmpfile();
    if (!copy) {
      fprintf(stderr, "%s: cannot make a temporary file: %s\n", r->prog,
              strerror(errno));
      return MS_EIO;
    }
  }
  uint32_t src = (uint32_t)r->n_in;
  r->in = ms_xrealloc(r->in, (r->n_in + 1) * sizeof(*r->in));
  r->in[r->n_in].path = ms_xstrdup(path);
  r->in[r->n_in].fp = NULL;
  r->n_in++;

  unsigned warned[2] = {0, 0};
  uint64_t lineno = 0;
  int64_t off = 0;
  ssize_t got;
  errno = 0;
  while ((got = getline(&line, &cap, fp)) > 0) {
    size_t n = (size_t)got;
    int64_t here = off;
    lineno++;
    off += got;
    if (copy && fwrite(line, 1, n, copy) != n) {
      fprintf(stderr, "%s: cannot copy stdin: %s\n", r->prog, strerror(errno));
      rc = MS_EIO;
      break;
    }
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      n--;
    if (n == 0)
      continue; /* blank lines carry nothing */
    if (n > MS_RREAD_LINE_MAX) {
      r->bad_lines++;
      warn_line(r, path, lineno, &warned[0], "line too long", NULL);
      continue;
    }
    take_line(r, db, path, src, lineno, line, n, here, warned);
  }
  if (rc == MS_OK && ferror(fp)) {
    fprintf(stderr, "%s: cannot read %s: %s\n", r->prog, path, strerror(errno));
    rc = MS_EIO;
  }
  if (warned[0] > MS_RREAD_WARN_MAX || warned[1] > MS_RREAD_WARN_MAX)
    fprintf(stderr, "%s: %s: %u bad lines, %u repeated domains\n", r->prog,
            path, warned[0], warned[1]);
  free(line);
  if (copy) {
    r->in[src].fp = copy;
  } else if (r->keep && !is_stdin) {
    r->in[src].fp = fp;
    fp = NULL;
  }
  if (fp && !is_stdin)
    fclose(fp);
  return rc;
}

/* Seeks to the remembered offset and reads the line back. The inputs stay
 * open from the first read, so a file replaced meanwhile is still the one
 * that was read (its descriptor), not the new one. */
char *ms_rreader_line(struct ms_rreader *r, const struct ms_rdom *d,
                      size_t *len)
{
  if (d->src >= r->n_in || !r->in[d->src].fp)
    return NULL;
  FILE *fp = r->in[d->src].fp;
  char *buf = ms_xmalloc((size_t)d->len + 1);
  if (fseeko(fp, (off_t)d->offset, SEEK_SET) != 0 ||
      fread(buf, 1, d->len, fp) != d->len) {
    free(buf);
    return NULL;
  }
  buf[d->len] = '\0';
  *len = d->len;
  return buf;
}
