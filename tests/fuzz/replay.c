/*
 * main() for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput on every file of the target's seed corpus
 * (MS_FUZZ_CORPUS, compiled in) and of every extra directory or file on
 * the command line, so ctest replays the corpora under ASan/UBSan
 * (c-ares test/ares-fuzz.c does the same). "--tsv KIND FILE" runs the
 * second column of each line of FILE whose first column is KIND, the
 * layout of ../shared/corpus/txt.tsv. Exit status 0 when every input ran
 * (a failing property aborts), 1 on a usage or I/O problem.
 */
#include "fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

static size_t n_run;

/* Reads a whole file into a new buffer; NULL on error. */
static char *slurp(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
    n += got;
    if (n == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb)
        free(buf);
      buf = nb;
      cap *= 2;
    }
  }
  int bad = ferror(fp);
  fclose(fp);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Runs one input through the target from an exact-size copy. */
static void run(const char *p, size_t n)
{
  char *copy = ms_fuzz_dup(p, n);
  LLVMFuzzerTestOneInput((const uint8_t *)copy, n);
  free(copy);
  n_run++;
}

static int run_file(const char *path)
{
  size_t len = 0;
  char *buf = slurp(path, &len);
  if (!buf) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    return 1;
  }
  run(buf, len);
  free(buf);
  return 0;
}

/* Every regular file of dir, in name order so runs are reproducible. */
static int run_dir(const char *dir)
{
  struct dirent **ents = NULL;
  int n = scandir(dir, &ents, NULL, alphasort);
  if (n < 0) {
    fprintf(stderr, "replay: cannot list %s\n", dir);
    return 1;
  }
  int status = 0;
  for (int i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
    if (ents[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
        S_ISREG(st.st_mode))
      status |= run_file(path);
    free(ents[i]);
  }
  free(ents);
  return status;
}

/* One input per TSV line of the given kind: its second column. */
static int run_tsv(const char *kind, const char *path)
{
  size_t len = 0;
  char *buf = slurp(path, &len);
  if (!buf) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    return 1;
  }
  size_t klen = strlen(kind);
  for (size_t off = 0; off < len;) {
    char *line = buf + off;
    char *nl = memchr(line, '\n', len - off);
    size_t ll = nl ? (size_t)(nl - line) : len - off;
    off += ll + 1;
    if (ll <= klen || memcmp(line, kind, klen) != 0 || line[klen] != '\t')
      continue;
    char *val = line + klen + 1;
    char *tab = memchr(val, '\t', ll - klen - 1);
    run(val, tab ? (size_t)(tab - val) : ll - klen - 1);
  }
  free(buf);
  return 0;
}

static int run_path(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: not found\n", path);
    return 1;
  }
  return S_ISDIR(st.st_mode) ? run_dir(path) : run_file(path);
}

int main(int argc, char **argv)
{
  int status = run_dir(MS_FUZZ_CORPUS);
  if (n_run == 0) {
    fprintf(stderr, "replay: empty seed corpus %s\n", MS_FUZZ_CORPUS);
    status = 1;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--tsv") == 0 && i + 2 < argc) {
      status |= run_tsv(argv[i + 1], argv[i + 2]);
      i += 2;
    } else {
      status |= run_path(argv[i]);
    }
  }
  printf("replay: %zu inputs\n", n_run);
  return status;
}
