/*
 * struct ms_hset: a set of 64-bit keys (already well mixed; 0 is reserved
 * and stored as 1) for the input's duplicate detection and --resume index,
 * which hold one key per distinct domain for the whole run.
 *
 * Memory is the point: 16 shards (by the key's top 4 bits), each an open
 * addressing table with linear probing that grows by a quarter at a load
 * of 4/5, so the set costs 10 to 12.5 bytes a key at any size and a resize
 * copies one shard (1/16 of the set), never the whole: no doubling step
 * that leaves a table half empty or briefly holds two copies of it. A
 * shard's table of 16 KiB or more is its own mapping (mmap), not heap: the
 * table lives all run and is replaced some 40 times on the way to a
 * million keys, and in the heap each old copy would leave a hole among the
 * short-lived blocks of the scan (fragmentation that peak RSS shows).
 * Tests: tests/unit/test_util.c.
 */
#ifndef MS_UTIL_HSET_H
#define MS_UTIL_HSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_HSET_SHARDS 16
#define MS_HSET_SHARD_OF(key) ((unsigned)((key) >> 60))

struct ms_hset_shard {
  uint64_t *slot;
  uint32_t cap, n;
};

struct ms_hset {
  struct ms_hset_shard shard[MS_HSET_SHARDS];
};

/* A zeroed struct ms_hset is an empty set. */
bool ms_hset_has(const struct ms_hset *hs, uint64_t key);
/* Adds key; returns false when it was already there. */
bool ms_hset_add(struct ms_hset *hs, uint64_t key);
/* Keys in the set. */
size_t ms_hset_count(const struct ms_hset *hs);
/* Bytes of slot memory held (for the benchmark and tests). */
size_t ms_hset_bytes(const struct ms_hset *hs);
void ms_hset_free(struct ms_hset *hs);

#endif
