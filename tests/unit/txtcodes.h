/*
 * Test helpers shared by test_sts_txt.c and test_tlsrpt.c: the exact,
 * sorted list of finding codes, and a reader for the shared corpus file
 * txt.tsv (kind, value, note, zone) that turns the zone column into
 * records. Header-only (static inline) so no suite owns it.
 */
#ifndef MS_TESTS_TXTCODES_H
#define MS_TESTS_TXTCODES_H

#include <stdlib.h>
#include <string.h>

#include "core/findings.h"
#include "unit.h"

#define MS_TC_MAX 24

static inline int ms_tc_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the comma-separated codes of in into out: "B,A" -> "A,B". */
static inline void ms_tc_sort(const char *in, char *out, size_t cap)
{
  char tmp[1024];
  const char *tok[MS_TC_MAX];
  size_t n = 0, o = 0;

  snprintf(tmp, sizeof(tmp), "%s", in);
  for (char *p = tmp; *p && n < MS_TC_MAX;) {
    tok[n++] = p;
    char *c = strchr(p, ',');
    if (!c)
      break;
    *c = '\0';
    p = c + 1;
  }
  qsort(tok, n, sizeof(tok[0]), ms_tc_cmp);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++)
    o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", i ? "," : "",
                          tok[i]);
}

/* The codes of f, sorted, duplicates kept: "STS_ID_MISSING,..." */
static inline void ms_tc_codes(const struct ms_findings *f, char *out,
                               size_t cap)
{
  char joined[1024];
  size_t o = 0;

  joined[0] = '\0';
  for (size_t i = 0; i < f->n; i++)
    o += (size_t)snprintf(joined + o,
                          o < sizeof(joined) ? sizeof(joined) - o : 0, "%s%s",
                          i ? "," : "", ms_finding_info(f->item[i].code)->code);
  ms_tc_sort(joined, out, cap);
}

/* True when f holds exactly the codes of want (any order). */
static inline int ms_tc_same(const struct ms_findings *f, const char *want,
                             char *got, size_t cap)
{
  char w[1024];
  ms_tc_sort(want, w, sizeof(w));
  ms_tc_codes(f, got, cap);
  return strcmp(w, got) == 0;
}

/* One txt.tsv row turned into records. Record bytes live in buf. */
#define MS_TC_RECS 8
struct ms_tc_row {
  char kind[16];
  size_t nrec;
  struct ms_slice rec[MS_TC_RECS];
  char buf[2048];
};

/* Parses the zone column: records separated by the two characters "\n",
 * each one or more "quoted" character-strings joined without spaces
 * (RFC 8461 section 3.1), with zone-file escapes \" \\ \DDD. Returns 0
 * on a malformed column. */
static inline int ms_tc_zone(const char *z, size_t zlen, struct ms_tc_row *r)
{
  size_t o = 0, start = 0, i = 0;
  int open = 0;

  r->nrec = 0;
  while (i < zlen) {
    char c = z[i];
    if (!open && c == '"') {
      open = 1;
      i++;
    } else if (open && c == '"') {
      open = 0;
      i++;
    } else if (open && c == '\\' && i + 1 < zlen) {
      if (i + 3 < zlen && z[i + 1] >= '0' && z[i + 1] <= '9') {
        int v =
            (z[i + 1] - '0') * 100 + (z[i + 2] - '0') * 10 + (z[i + 3] - '0');
        if (o < sizeof(r->buf))
          r->buf[o++] = (char)v;
        i += 4;
      } else {
        if (o < sizeof(r->buf))
          r->buf[o++] = z[i + 1];
        i += 2;
      }
    } else if (open) {
      if (o < sizeof(r->buf))
        r->buf[o++] = c;
      i++;
    } else if (c == '\\' && i + 1 < zlen && z[i + 1] == 'n') {
      if (r->nrec >= MS_TC_RECS)
        return 0;
      r->rec[r->nrec++] = ms_slice_make(r->buf + start, o - start);
      start = o;
      i += 2;
    } else if (c == ' ' || c == '\t') {
      i++;
    } else {
      return 0;
    }
  }
  if (open || r->nrec >= MS_TC_RECS || o >= sizeof(r->buf))
    return 0;
  r->rec[r->nrec++] = ms_slice_make(r->buf + start, o - start);
  return 1;
}

/* Calls fn(row_number, row, arg) for every data row of txt.tsv whose kind
 * is kind (row numbers count all data rows, 1-based). Returns the number
 * of rows seen of that kind, or -1 when the corpus is absent. */
static inline int
ms_tc_corpus(const char *kind,
             void (*fn)(int, const struct ms_tc_row *, void *), void *arg)
{
  char path[4096];
  const char *dir = ms_test_corpus_dir();
  size_t len;
  int rowno = 0, seen = 0;

  if (!dir)
    return -1;
  snprintf(path, sizeof(path), "%s/txt.tsv", dir);
  char *tsv = ms_test_read_file(path, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tsv);
  struct ms_tc_row *row = malloc(sizeof(*row));
  CU_ASSERT_PTR_NOT_NULL_FATAL(row);
  char *line = strchr(tsv, '\n'); /* skip the header */
  while (line && *++line) {
    char *end = strchr(line, '\n');
    size_t ll = end ? (size_t)(end - line) : strlen(line);
    if (ll && line[ll - 1] == '\r')
      ll--;
    rowno++;
    /* kind \t value \t note \t zone */
    const char *tab[3];
    size_t nt = 0;
    for (size_t i = 0; i < ll && nt < 3; i++) {
      if (line[i] == '\t')
        tab[nt++] = line + i;
    }
    MS_CHECK_ROW(nt == 3, "txt.tsv data row %d: not 4 columns", rowno);
    if (nt == 3) {
      size_t kl = (size_t)(tab[0] - line);
      snprintf(row->kind, sizeof(row->kind), "%.*s", (int)kl, line);
      const char *z = tab[2] + 1;
      int ok = ms_tc_zone(z, (size_t)(line + ll - z), row);
      MS_CHECK_ROW(ok, "txt.tsv data row %d: bad zone column", rowno);
      if (ok && strcmp(row->kind, kind) == 0) {
        seen++;
        fn(rowno, row, arg);
      }
    }
    line = end;
  }
  free(row);
  free(tsv);
  return seen;
}

#endif
