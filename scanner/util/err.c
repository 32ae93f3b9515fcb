/* Error strings and the assertion handler. */
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>

const char *ms_strerror(ms_err_t err)
{
  switch (err) {
    case MS_OK:
      return "success";
    case MS_EINVAL:
      return "invalid argument";
    case MS_ESYNTAX:
      return "syntax error";
    case MS_ELIMIT:
      return "limit exceeded";
    case MS_EIO:
      return "input/output error";
    case MS_ESYS:
      return "system resource failure";
    case MS_ECANCELED:
      return "canceled";
  }
  return "unknown error";
}

void ms_assert_fail(const char *expr, const char *file, int line)
{
  fprintf(stderr, "mtasts-scan: assertion failed: %s (%s:%d)\n", expr, file,
          line);
  abort();
}
