/* Aborting allocators (see xalloc.h). */
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ms_fatal(const char *msg)
{
  fprintf(stderr, "mtasts-scan: fatal: %s\n", msg);
  exit(3);
}

void *ms_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    ms_fatal("out of memory");
  return p;
}

void *ms_xcalloc(size_t nmemb, size_t size)
{
  void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
  if (!p)
    ms_fatal("out of memory");
  return p;
}

void *ms_xrealloc(void *p, size_t n)
{
  void *q = realloc(p, n ? n : 1);
  if (!q)
    ms_fatal("out of memory");
  return q;
}

char *ms_xstrndup(const char *p, size_t n)
{
  char *s = ms_xmalloc(n + 1);
  if (n)
    memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

char *ms_xstrdup(const char *s)
{
  if (!s)
    return NULL;
  return ms_xstrndup(s, strlen(s));
}
