/*
 * Index of the previous run's records (see previous.h). Each line is
 * parsed with jansson and reduced at once to a struct ms_history_entry, so
 * memory is proportional to the number of domains, not to the file size.
 */
#include "previous.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct slot {
  uint64_t key; /* 0 = empty */
  struct ms_history_entry e;
};

struct ms_previous {
  struct slot *slots;
  size_t cap, n;
  uint64_t records, bad;
};

static uint64_t key_of(const char *domain)
{
  uint64_t h = ms_history_hash(domain, strlen(domain));
  return h ? h : 1;
}

static struct slot *lookup(const struct ms_previous *p, uint64_t key)
{
  if (p->cap == 0)
    return NULL;
  size_t j = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (p->cap - 1);
  while (p->slots[j].key && p->slots[j].key != key)
    j = (j + 1) & (p->cap - 1);
  return &p->slots[j];
}

static void grow(struct ms_previous *p)
{
  size_t ncap = p->cap ? p->cap * 2 : 1024;
  struct ms_previous np = {ms_xcalloc(ncap, sizeof(struct slot)), ncap, 0, 0,
                           0};
  for (size_t i = 0; i < p->cap; i++) {
    if (p->slots[i].key) {
      *lookup(&np, p->slots[i].key) = p->slots[i];
      np.n++;
    }
  }
  free(p->slots);
  p->slots = np.slots;
  p->cap = ncap;
}

static bool parse_status(const char *s, enum ms_status *out)
{
  static const char *const names[] = {"valid", "warning", "invalid", "none",
                                      "error"};
  for (int i = 0; i < 5; i++) {
    if (s && strcmp(s, names[i]) == 0) {
      *out = (enum ms_status)i;
      return true;
    }
  }
  return false;
}

static enum ms_mode parse_mode(const char *s)
{
  if (!s)
    return MS_MODE_UNSET;
  if (strcmp(s, "enforce") == 0)
    return MS_MODE_ENFORCE;
  if (strcmp(s, "testing") == 0)
    return MS_MODE_TESTING;
  if (strcmp(s, "none") == 0)
    return MS_MODE_NONE;
  return MS_MODE_UNSET;
}

/* Reduces one record to an entry; false when it is not a record. */
static bool reduce(json_t *rec, const char **domain,
                   struct ms_history_entry *e)
{
  memset(e, 0, sizeof(*e));
  *domain = json_string_value(json_object_get(rec, "domain"));
  if (!*domain ||
      !parse_status(json_string_value(json_object_get(rec, "status")),
                    &e->status))
    return false;
  e->mode = parse_mode(json_string_value(json_object_get(rec, "mode")));
  const char *id =
      json_string_value(json_object_get(json_object_get(rec, "sts_record"),
                                        "id"));
  if (id && *id) {
    e->has_record = true;
    e->id_hash = ms_history_hash(id, strlen(id));
  }
  json_t *pol = json_object_get(rec, "policy");
  const char *sha = json_string_value(json_object_get(pol, "sha256"));
  if (json_integer_value(json_object_get(pol, "http_status")) == 200 &&
      ms_history_sha_parse(sha, &e->policy_hash))
    e->has_policy = true;
  return true;
}

ms_err_t ms_previous_load(const char *path, struct ms_previous **out,
                          char *errbuf, size_t errlen)
{
  FILE *fp = fopen(path, "r");
  if (!fp) {
    snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
    return MS_EIO;
  }
  struct ms_previous *p = ms_xcalloc(1, sizeof(*p));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, fp)) >= 0) {
    if (n <= 1)
      continue;
    json_error_t jerr;
    json_t *rec = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &jerr);
    const char *domain = NULL;
    struct ms_history_entry e;
    if (!rec || !json_is_object(rec) || !reduce(rec, &domain, &e)) {
      p->bad++;
      json_decref(rec);
      continue;
    }
    if ((p->n + 1) * 4 >= p->cap * 3)
      grow(p);
    struct slot *s = lookup(p, key_of(domain));
    if (!s->key)
      p->n++;
    s->key = key_of(domain);
    s->e = e; /* a later record of the same domain wins */
    p->records++;
    json_decref(rec);
  }
  bool failed = ferror(fp) != 0;
  free(line);
  fclose(fp);
  if (failed) {
    snprintf(errbuf, errlen, "reading %s failed", path);
    ms_previous_free(p);
    return MS_EIO;
  }
  *out = p;
  return MS_OK;
}

const struct ms_history_entry *ms_previous_find(const struct ms_previous *p,
                                                const char *domain)
{
  if (!p || !domain || !*domain)
    return NULL;
  struct slot *s = lookup(p, key_of(domain));
  return (s && s->key) ? &s->e : NULL;
}

void ms_previous_counts(const struct ms_previous *p, uint64_t *records,
                        uint64_t *bad_lines)
{
  *records = p ? p->records : 0;
  *bad_lines = p ? p->bad : 0;
}

void ms_previous_free(struct ms_previous *p)
{
  if (!p)
    return;
  free(p->slots);
  free(p);
}
