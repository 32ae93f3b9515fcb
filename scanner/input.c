/*
 * Streaming reader of the domain list (see input.h). Reads are
 * asynchronous (uv_fs_read on the thread pool) so a slow pipe never stalls
 * the loop; the scanner pulls one item at a time, so the buffer never holds
 * more than one chunk however long the list is.
 */
#include "input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/domain.h"
#include "util/container.h"
#include "util/hset.h"
#include "util/xalloc.h"

#define CHUNK (64 * 1024)

struct ms_input {
  uv_loop_t *loop;
  const struct ms_config *cfg;
  ms_input_ready_cb cb;
  void *cb_arg;
  int fd;         /* -1 when there is no file */
  bool own_fd;    /* close it at the end */
  uv_fs_t req;
  bool reading;   /* a uv_fs_read is in flight */
  bool eof;
  bool freed;     /* ms_input_free was called during a read */
  bool first;     /* at the start of the file (BOM check) */
  bool skipping;  /* discarding the rest of an over-long line */
  char *err;
  char *buf;      /* CHUNK bytes */
  size_t pos, len;
  int next_arg;   /* next positional domain */
  struct ms_hset seen;    /* domains admitted (duplicate detection) */
  struct ms_hset done;    /* --resume: keys already in the output file */
  uint64_t n_lines, n_dups, n_other, n_resumed;
  uint64_t read_total; /* bytes read from the file so far */
  uint64_t total;      /* size of a regular input file, 0 if unknown */
};

uint64_t ms_input_hash(const char *s, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* The key of an input in the duplicate and --resume sets, from its FNV
 * hash h: a domain and a rejected line live in separate key spaces (~h),
 * and the bits are mixed because FNV's low bits are weak. 0 is fine: the
 * set stores it as 1. */
static uint64_t set_key(bool valid, uint64_t h)
{
  h = valid ? h : ~h;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* The --resume key of a record: the domain, or for a rejected line the
 * line itself. */
static uint64_t resume_key(bool valid, const char *p, size_t n)
{
  return set_key(valid, ms_input_hash(p, n));
}

void ms_input_mark_done(struct ms_input *in, bool valid, const char *p,
                        size_t n)
{
  (void)ms_hset_add(&in->done, resume_key(valid, p, n));
}

ms_err_t ms_input_new(uv_loop_t *loop, const struct ms_config *cfg,
                      ms_input_ready_cb cb, void *arg, struct ms_input **out,
                      char *errbuf, size_t errlen)
{
  struct ms_input *in = ms_xcalloc(1, sizeof(*in));
  in->loop = loop;
  in->cfg = cfg;
  in->cb = cb;
  in->cb_arg = arg;
  in->fd = -1;
  in->first = true;
  if (cfg->input_file) {
    if (strcmp(cfg->input_file, "-") == 0) {
      in->fd = 0;
    } else {
      in->fd = open(cfg->input_file, O_RDONLY | O_CLOEXEC);
      if (in->fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", cfg->input_file,
                 strerror(errno));
        free(in);
        return MS_EIO;
      }
      struct stat dst;
      if (fstat(in->fd, &dst) == 0 && S_ISDIR(dst.st_mode)) {
        snprintf(errbuf, errlen, "%s is a directory, not a list of domains",
                 cfg->input_file);
        close(in->fd);
        free(in);
        return MS_EIO;
      }
      in->own_fd = true;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
      in->total = (uint64_t)st.st_size;
    in->buf = ms_xmalloc(CHUNK);
  } else {
    in->eof = true;
  }
  *out = in;
  return MS_OK;
}

static void on_read(uv_fs_t *req);

static void start_read(struct ms_input *in)
{
  if (in->reading || in->eof)
    return;
  /* Keep the unread tail at the front, read behind it. */
  if (in->pos > 0) {
    memmove(in->buf, in->buf + in->pos, in->len - in->pos);
    in->len -= in->pos;
    in->pos = 0;
  }
  uv_buf_t b = uv_buf_init(in->buf + in->len, (unsigned)(CHUNK - in->len));
  in->reading = true;
  int rc = uv_fs_read(in->loop, &in->req, in->fd, &b, 1, -1, on_read);
  if (rc < 0) {
    in->reading = false;
    in->eof = true;
    in->err = ms_xstrdup(uv_strerror(rc));
  }
}

static void on_read(uv_fs_t *req)
{
  struct ms_input *in = ms_container_of(req, struct ms_input, req);
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  in->reading = false;
  if (in->freed) {
    ms_input_free(in);
    return;
  }
  if (n < 0) {
    in->eof = true;
    in->err = ms_xstrdup(uv_strerror((int)n));
  } else if (n == 0) {
    in->eof = true;
  } else {
    in->len += (size_t)n;
    in->read_total += (uint64_t)n;
  }
  in->cb(in->cb_arg);
}

static bool is_space(int c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

/* Turns one raw line into an item. Returns false for lines that produce
 * nothing (blank, comment, duplicate, other shard). */
static bool make_item(struct ms_input *in, const char *p, size_t n,
                      bool overlong, struct ms_input_item *item)
{
  const char *s = p;
  size_t len = n;
  while (len && is_space((unsigned char)s[0])) {
    s++;
    len--;
  }
  while (len && is_space((unsigned char)s[len - 1]))
    len--;
  if (len == 0 || s[0] == '#')
    return false;
  /* A trailing comment ("example.org  # note") is a comment too. */
  for (size_t i = 1; i < len; i++) {
    if (s[i] == '#' && is_space((unsigned char)s[i - 1])) {
      len = i;
      while (len && is_space((unsigned char)s[len - 1]))
        len--;
      break;
    }
  }
  in->n_lines++;
  memset(item, 0, sizeof(*item));
  item->line = ms_xstrndup(p, n);
  item->line_len = n;
  if (overlong) {
    snprintf(item->why, sizeof(item->why),
             "line longer than %d bytes", MS_INPUT_LINE_MAX);
  } else {
    bool ascii = true;
    for (size_t i = 0; i < len; i++) {
      if ((unsigned char)s[i] >= 0x80)
        ascii = false;
    }
    char *idn = NULL;
    struct ms_slice name = ms_slice_make(s, len);
    bool idn_ok = true;
    if (!ascii && memchr(s, '\0', len) == NULL) {
      char *tmp = ms_xstrndup(s, len);
      /* UTS #46 non-transitional, as browsers and mail systems do. */
      int rc = idn2_to_ascii_8z(tmp, &idn,
                                IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
      free(tmp);
      if (rc != IDN2_OK) {
        snprintf(item->why, sizeof(item->why), "invalid IDN: %s",
                 idn2_strerror(rc));
        idn_ok = false;
        idn = NULL;
      } else {
        name = ms_slice_cstr(idn);
      }
    }
    if (idn_ok &&
        ms_domain_normalize(name, item->domain, sizeof(item->domain),
                            item->why, sizeof(item->why)) == MS_OK)
      item->valid = true;
    idn2_free(idn);
  }
  /* Shard and duplicate checks on the normalised name (the trimmed line for
   * invalid ones, so each invalid line lands in exactly one shard). */
  const char *key = item->valid ? item->domain : s;
  size_t keylen = item->valid ? strlen(item->domain) : len;
  uint64_t h = ms_input_hash(key, keylen);
  if (in->cfg->shard_n > 1 &&
      h % (uint64_t)in->cfg->shard_n != (uint64_t)(in->cfg->shard_k - 1)) {
    in->n_other++;
    free(item->line);
    item->line = NULL;
    return false;
  }
  /* A rejected line's record keeps its input only up to a NUL byte
   * (obs->input is a C string), and --resume marks that text done: key on
   * the same bytes, or a line with a NUL is scanned again on resume. */
  if (ms_hset_has(&in->done, resume_key(item->valid, item->valid ? key : p,
                                      item->valid ? keylen : strnlen(p, n)))) {
    in->n_resumed++;
    free(item->line);
    item->line = NULL;
    return false;
  }
  /* Rejected lines are deduplicated too (on the trimmed line, in their
   * own key space): one record per distinct input. */
  if (!ms_hset_add(&in->seen, set_key(item->valid, h))) {
    in->n_dups++;
    free(item->line);
    item->line = NULL;
    return false;
  }
  return true;
}

int ms_input_next(struct ms_input *in, struct ms_input_item *item)
{
  while (in->next_arg < in->cfg->n_domains) {
    const char *a = in->cfg->domains[in->next_arg++];
    if (make_item(in, a, strlen(a), false, item))
      return 1;
  }
  for (;;) {
    if (!in->buf)
      return -1;
    if (in->first && in->len - in->pos >= 3) {
      if (memcmp(in->buf + in->pos, "\xEF\xBB\xBF", 3) == 0)
        in->pos += 3;
      in->first = false;
    }
    char *start = in->buf + in->pos;
    size_t avail = in->len - in->pos;
    char *nl = memchr(start, '\n', avail);
    if (nl) {
      size_t n = (size_t)(nl - start);
      in->pos += n + 1;
      /* CRLF files: the CR belongs to the line terminator, not to the
       * line (the record's input member and the resume key). */
      if (n > 0 && start[n - 1] == '\r')
        n--;
      in->first = false;
      if (in->skipping) {
        in->skipping = false;
        continue;
      }
      bool overlong = n > MS_INPUT_LINE_MAX;
      if (make_item(in, start, overlong ? MS_INPUT_LINE_MAX : n, overlong,
                    item))
        return 1;
      continue;
    }
    if (avail >= MS_INPUT_LINE_MAX && !in->skipping) {
      /* An over-long line: report it once, discard up to its newline. */
      in->pos += avail;
      in->skipping = true;
      in->first = false;
      if (make_item(in, start, MS_INPUT_LINE_MAX, true, item))
        return 1;
      continue;
    }
    if (in->skipping && avail) {
      in->pos += avail;
      continue;
    }
    if (in->eof) {
      if (avail == 0 || in->skipping) {
        in->pos = in->len;
        return -1;
      }
      in->pos = in->len; /* a last line without newline */
      in->first = false;
      if (make_item(in, start, avail, false, item))
        return 1;
      continue;
    }
    /* Wait for the first 3 bytes before deciding about a BOM. */
    start_read(in);
    if (!in->reading && in->eof)
      continue;
    return 0;
  }
}

const char *ms_input_error(const struct ms_input *in)
{
  return in->err;
}

void ms_input_counts(const struct ms_input *in, uint64_t *lines,
                     uint64_t *dups, uint64_t *other_shard)
{
  *lines = in->n_lines;
  *dups = in->n_dups + in->n_resumed;
  *other_shard = in->n_other;
}

void ms_input_progress(const struct ms_input *in, uint64_t *consumed,
                       uint64_t *total)
{
  *consumed = in->read_total - (uint64_t)(in->len - in->pos);
  *total = in->total;
}

void ms_input_free(struct ms_input *in)
{
  if (!in)
    return;
  if (in->reading) {
    in->freed = true;
    return;
  }
  if (in->own_fd)
    close(in->fd);
  free(in->buf);
  ms_hset_free(&in->seen);
  ms_hset_free(&in->done);
  free(in->err);
  free(in);
}
