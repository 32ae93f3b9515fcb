/*
 * Error codes for local failures (never for remote misbehaviour, which is
 * recorded as an outcome in the observations: see core/obs.h).
 * Tests: tests/unit/test_util.c.
 */
#ifndef MS_UTIL_ERR_H
#define MS_UTIL_ERR_H

enum ms_err {
  MS_OK = 0,
  MS_EINVAL,    /* bad argument or config value (e.g. --resolver) */
  MS_ESYNTAX,   /* input could not be parsed at all; details in the diag */
  MS_ELIMIT,    /* input exceeded a documented cap */
  MS_EIO,       /* local file/stdout failure; errno goes in the log */
  MS_ESYS,      /* local resource failure: fds, uv/curl/ares init */
  MS_ECANCELED, /* operation stopped because the run is shutting down */
};
typedef enum ms_err ms_err_t;

/* Returns a static description of err (never NULL). */
const char *ms_strerror(ms_err_t err);

/* A broken invariant is a bug: abort in every build, with file:line. */
#define MS_ASSERT(cond)                                                      \
  do {                                                                       \
    if (!(cond))                                                             \
      ms_assert_fail(#cond, __FILE__, __LINE__);                             \
  } while (0)

_Noreturn void ms_assert_fail(const char *expr, const char *file, int line);

#endif
