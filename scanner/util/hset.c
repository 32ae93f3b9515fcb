/* The sharded open addressing set of util/hset.h. */
#include "util/hset.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "util/xalloc.h"

#define MIN_CAP 8
#define MAP_MIN (16 * 1024) /* bytes from which a table is a mapping */

static struct ms_hset_shard *shard_of(const struct ms_hset *hs, uint64_t k)
{
  return (struct ms_hset_shard *)&hs->shard[MS_HSET_SHARD_OF(k)];
}

/* Home slot: the low 32 bits scaled to cap (no power-of-two capacity
 * needed, and independent of the top byte that chose the shard). */
static uint32_t home(const struct ms_hset_shard *s, uint64_t k)
{
  return (uint32_t)(((k & 0xffffffffu) * (uint64_t)s->cap) >> 32);
}

static uint32_t find(const struct ms_hset_shard *s, uint64_t k)
{
  uint32_t j = home(s, k);
  while (s->slot[j] && s->slot[j] != k)
    j = j + 1 == s->cap ? 0 : j + 1;
  return j;
}

static uint64_t norm(uint64_t k)
{
  return k ? k : 1;
}

bool ms_hset_has(const struct ms_hset *hs, uint64_t key)
{
  key = norm(key);
  const struct ms_hset_shard *s = shard_of(hs, key);
  return s->cap && s->slot[find(s, key)] == key;
}

/* Zeroed room for cap slots: heap when small, else a mapping (whole
 * pages: the slots fill the rounding up too). */
static uint64_t *table_new(uint32_t *cap)
{
  size_t bytes = (size_t)*cap * sizeof(uint64_t);
  if (bytes < MAP_MIN)
    return ms_xcalloc(*cap, sizeof(uint64_t));
  size_t page = 4096;
  bytes = (bytes + page - 1) / page * page;
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    ms_fatal("out of memory");
  *cap = (uint32_t)(bytes / sizeof(uint64_t));
  return p;
}

static void table_free(uint64_t *slot, uint32_t cap)
{
  size_t bytes = (size_t)cap * sizeof(uint64_t);
  if (!slot)
    return;
  if (bytes < MAP_MIN)
    free(slot);
  else
    munmap(slot, bytes);
}

static void grow(struct ms_hset_shard *s)
{
  uint32_t cap = s->cap ? s->cap + s->cap / 4 : MIN_CAP;
  if (cap < s->cap || cap > UINT32_MAX / 2)
    ms_fatal("duplicate set too large");
  struct ms_hset_shard big = {NULL, cap, s->n};
  big.slot = table_new(&big.cap);
  for (uint32_t i = 0; i < s->cap; i++) {
    if (s->slot[i])
      big.slot[find(&big, s->slot[i])] = s->slot[i];
  }
  table_free(s->slot, s->cap);
  *s = big;
}

bool ms_hset_add(struct ms_hset *hs, uint64_t key)
{
  key = norm(key);
  struct ms_hset_shard *s = shard_of(hs, key);
  /* Load at most 4/5 after the insert (the probe needs an empty slot). */
  if ((uint64_t)(s->n + 1) * 5 > (uint64_t)s->cap * 4)
    grow(s);
  uint32_t j = find(s, key);
  if (s->slot[j] == key)
    return false;
  s->slot[j] = key;
  s->n++;
  return true;
}

size_t ms_hset_count(const struct ms_hset *hs)
{
  size_t n = 0;
  for (int i = 0; i < MS_HSET_SHARDS; i++)
    n += hs->shard[i].n;
  return n;
}

size_t ms_hset_bytes(const struct ms_hset *hs)
{
  size_t b = 0;
  for (int i = 0; i < MS_HSET_SHARDS; i++)
    b += (size_t)hs->shard[i].cap * sizeof(uint64_t);
  return b;
}

void ms_hset_free(struct ms_hset *hs)
{
  for (int i = 0; i < MS_HSET_SHARDS; i++)
    table_free(hs->shard[i].slot, hs->shard[i].cap);
  *hs = (struct ms_hset){0};
}
