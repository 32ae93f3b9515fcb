/*
 * The previous run's results (--previous FILE), read once at start-up as a
 * stream (one JSON line at a time, never the whole file) into a compact
 * index: 64-bit hash of the domain -> struct ms_history_entry (about 64
 * bytes a domain). Malformed lines are counted and skipped.
 * Tests: tests/lab (history runs), core/history.c in unit tests.
 */
#ifndef MS_PREVIOUS_H
#define MS_PREVIOUS_H

#include <stddef.h>
#include <stdint.h>

#include "core/history.h"
#include "util/err.h"

struct ms_previous;

/* Loads path. MS_EIO with a message in errbuf when it cannot be read. */
ms_err_t ms_previous_load(const char *path, struct ms_previous **out,
                          char *errbuf, size_t errlen);
/* The entry for domain (normalised), or NULL. Borrowed. */
const struct ms_history_entry *ms_previous_find(const struct ms_previous *p,
                                                const char *domain);
/* Records read and lines skipped as malformed. */
void ms_previous_counts(const struct ms_previous *p, uint64_t *records,
                        uint64_t *bad_lines);
void ms_previous_free(struct ms_previous *p);

#endif
