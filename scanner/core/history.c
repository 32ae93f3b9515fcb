/*
 * History findings (see history.h). The reasoning: RFC 8461 section 8.1
 * says a policy update must come with a new TXT id, or senders keep their
 * cached copy until max_age expires; that is the one history finding that
 * is an error. The others are facts for the nightly diff.
 */
#include "core/history.h"

#include <string.h>

static const char *const status_words[] = {"valid", "warning", "invalid",
                                           "none", "error"};

int ms_history_status_rank(enum ms_status s)
{
  switch (s) {
    case MS_STATUS_VALID:
      return 0;
    case MS_STATUS_WARNING:
      return 1;
    case MS_STATUS_NONE:
      return 2;
    case MS_STATUS_INVALID:
      return 3;
    case MS_STATUS_ERROR:
      return 4;
  }
  return 4;
}

uint64_t ms_history_hash(const char *p, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ULL;
  }
  return (len && h == 0) ? 1 : h;
}

static int hexval(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool ms_history_sha_parse(const char *hex, uint64_t *out)
{
  uint64_t v = 0;
  if (!hex || strlen(hex) != 64)
    return false;
  for (size_t i = 0; i < 64; i++) {
    int d = hexval((unsigned char)hex[i]);
    if (d < 0)
      return false;
    if (i < 16)
      v = (v << 4) | (uint64_t)d;
  }
  *out = v;
  return true;
}

static const char *mode_word(enum ms_mode m)
{
  const char *w = ms_mode_name(m);
  return w ? w : "null";
}

void ms_history_eval(const struct ms_history_entry *prev,
                     const struct ms_history_now *now, struct ms_findings *f)
{
  if (!prev || !now)
    return;
  bool same_id = prev->has_record && now->has_record && prev->id_hash &&
                 prev->id_hash == now->id_hash;
  /* RFC 8461 section 8.1: a changed policy needs a changed id. */
  if (same_id && prev->has_policy && now->has_policy &&
      prev->policy_hash != now->policy_hash)
    ms_findings_add(f, MS_F_HISTORY_POLICY_CHANGED_SAME_ID, MS_SEV_DEFAULT,
                    NULL, "policy body changed, id still %s",
                    now->id ? now->id : "the same");
  if (prev->has_record && now->has_record && prev->id_hash &&
      now->id_hash && prev->id_hash != now->id_hash)
    ms_findings_add(f, MS_F_HISTORY_ID_CHANGED, MS_SEV_DEFAULT, NULL,
                    "new id %s", now->id ? now->id : "(unknown)");
  if (ms_history_status_rank(now->status) >
      ms_history_status_rank(prev->status))
    ms_findings_add(f, MS_F_HISTORY_STATUS_REGRESSED, MS_SEV_DEFAULT, NULL,
                    "%s -> %s", status_words[prev->status],
                    status_words[now->status]);
  if (prev->mode == MS_MODE_ENFORCE &&
      (now->mode == MS_MODE_TESTING || now->mode == MS_MODE_NONE))
    ms_findings_add(f, MS_F_HISTORY_MODE_DOWNGRADED, MS_SEV_DEFAULT, NULL,
                    "enforce -> %s", mode_word(now->mode));
  else if (prev->has_record && now->record_missing)
    ms_findings_add(f, MS_F_HISTORY_MODE_DOWNGRADED, MS_SEV_DEFAULT, NULL,
                    "the _mta-sts record disappeared (mode was %s)",
                    mode_word(prev->mode));
}
