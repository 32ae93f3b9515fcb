/*
 * Allocation that aborts on out-of-memory (style 3.6): input can never
 * cause OOM because every parser has a cap, so callers need no OOM path.
 */
#ifndef MS_UTIL_XALLOC_H
#define MS_UTIL_XALLOC_H

#include <stddef.h>

void *ms_xmalloc(size_t n);
void *ms_xcalloc(size_t nmemb, size_t size);
void *ms_xrealloc(void *p, size_t n);
/* Returns a new NUL-terminated copy of s (NULL gives NULL). */
char *ms_xstrdup(const char *s);
/* Returns a new NUL-terminated copy of the first n bytes of p. */
char *ms_xstrndup(const char *p, size_t n);
/* Prints "mtasts-scan: fatal: <msg>" to stderr and exits with status 3. */
_Noreturn void ms_fatal(const char *msg);

#endif
