/* container_of: the struct that embeds a member (uv handles in jobs). */
#ifndef MS_UTIL_CONTAINER_H
#define MS_UTIL_CONTAINER_H

#include <stddef.h>

#define ms_container_of(ptr, type, member)                                   \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
