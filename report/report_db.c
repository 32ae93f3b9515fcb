/* The compact per-domain store of the report tool (see report_db.h). */
#include "report/report_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_fmt.h"
#include "util/xalloc.h"

static const char *const status_names[MS_RSTATUS_COUNT] = {
    "valid", "warning", "invalid", "none", "error"};
static const char *const mode_names[MS_RMODE_COUNT] = {"enforce", "testing",
                                                       "none", "null"};

const char *ms_rstatus_name(enum ms_rstatus s)
{
  return (unsigned)s < MS_RSTATUS_COUNT ? status_names[s] : "?";
}

const char *ms_rmode_name(enum ms_rmode m)
{
  return (unsigned)m < MS_RMODE_COUNT ? mode_names[m] : "?";
}

bool ms_rstatus_parse(const char *s, enum ms_rstatus *out)
{
  for (int i = 0; i < MS_RSTATUS_COUNT; i++) {
    if (strcmp(s, status_names[i]) == 0) {
      *out = (enum ms_rstatus)i;
      return true;
    }
  }
  return false;
}

/* FNV-1a, 64 bits: good enough spread for domain names and codes. */
static uint64_t hash_bytes(const char *s, size_t len)
{
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211u;
  }
  return h;
}

/* ---- finding codes ----
 * Ids are small integers so a domain's findings cost 8 bytes each. The
 * catalogue's codes keep their enum value as id; unknown codes (from a
 * newer scanner) get the next ids. The name index is a fixed open-address
 * table twice the size of MS_RDB_CODES_MAX, so it never needs to grow. */

/* Inserts id under name in the index (the name is not there yet). */
static void index_add(struct ms_rcodes *c, const char *name, uint16_t id)
{
  size_t i = hash_bytes(name, strlen(name)) & (MS_RCODES_HASH - 1);
  while (c->index[i])
    i = (i + 1) & (MS_RCODES_HASH - 1);
  c->index[i] = (uint16_t)(id + 1);
}

void ms_rcodes_init(struct ms_rcodes *c)
{
  memset(c, 0, sizeof(*c));
  for (size_t i = 0; i < MS_F_COUNT; i++)
    index_add(c, ms_finding_info((enum ms_finding)i)->code, (uint16_t)i);
}

void ms_rcodes_cleanup(struct ms_rcodes *c)
{
  for (size_t i = 0; i < c->n_extra; i++)
    free(c->extra[i]);
  free(c->extra);
  ms_rcodes_init(c);
}

const char *ms_rcodes_name(const struct ms_rcodes *c, uint16_t id)
{
  if (id < MS_F_COUNT)
    return ms_finding_info((enum ms_finding)id)->code;
  if ((size_t)id - MS_F_COUNT < c->n_extra)
    return c->extra[id - MS_F_COUNT];
  return NULL;
}

size_t ms_rcodes_count(const struct ms_rcodes *c)
{
  return MS_F_COUNT + c->n_extra;
}

bool ms_rcodes_id(struct ms_rcodes *c, const char *code, size_t len,
                  uint16_t *id)
{
  if (len == 0 || len > MS_RDB_CODE_LEN || memchr(code, '\0', len))
    return false;
  size_t i = hash_bytes(code, len) & (MS_RCODES_HASH - 1);
  while (c->index[i]) {
    const char *name = ms_rcodes_name(c, (uint16_t)(c->index[i] - 1));
    if (strlen(name) == len && memcmp(name, code, len) == 0) {
      *id = (uint16_t)(c->index[i] - 1);
      return true;
    }
    i = (i + 1) & (MS_RCODES_HASH - 1);
  }
  if (MS_F_COUNT + c->n_extra >= MS_RDB_CODES_MAX) {
    c->dropped++;
    return false;
  }
  if (c->n_extra == c->cap_extra) {
    c->cap_extra = c->cap_extra ? c->cap_extra * 2 : 16;
    c->extra = ms_xrealloc(c->extra, c->cap_extra * sizeof(*c->extra));
  }
  uint16_t nid = (uint16_t)(MS_F_COUNT + c->n_extra);
  c->extra[c->n_extra++] = ms_xstrndup(code, len);
  c->index[i] = (uint16_t)(nid + 1);
  *id = nid;
  return true;
}

/* ---- one record -> one entry ---- */

void ms_rdb_init(struct ms_rdb *db, struct ms_rcodes *codes, bool keep_certs,
                 int64_t cert_horizon)
{
  memset(db, 0, sizeof(*db));
  db->codes = codes;
  db->keep_certs = keep_certs;
  db->cert_horizon = cert_horizon;
}

void ms_rdom_free(struct ms_rdom *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->n_cert; i++)
    free(d->cert[i].host);
  free(d->cert);
  free(d->find);
  free(d->domain);
  free(d);
}

void ms_rdb_cleanup(struct ms_rdb *db)
{
  for (size_t i = 0; i < db->cap; i++)
    ms_rdom_free(db->slot[i]);
  free(db->slot);
  struct ms_rcodes *codes = db->codes;
  bool keep = db->keep_certs;
  int64_t horizon = db->cert_horizon;
  ms_rdb_init(db, codes, keep, horizon);
}

/* A record's severity word; only the three a record may carry (the
 * catalogue's "mode-dependent" is resolved by the scanner). */
static bool sev_parse(const char *s, uint8_t *out)
{
  if (strcmp(s, "error") == 0)
    *out = MS_SEV_ERROR;
  else if (strcmp(s, "warning") == 0)
    *out = MS_SEV_WARNING;
  else if (strcmp(s, "info") == 0)
    *out = MS_SEV_INFO;
  else
    return false;
  return true;
}

/* Orders findings by code id, then severity (the worst last). */
static int find_cmp(const void *a, const void *b)
{
  const struct ms_rfind *x = a, *y = b;
  if (x->code != y->code)
    return x->code < y->code ? -1 : 1;
  return (x->sev > y->sev) - (x->sev < y->sev);
}

/* Reads rec.findings into d->find (sorted, merged by (code, severity)). */
/* The findings array becomes a short sorted list of (code, severity,
 * count): records repeat a code once per MX host or per line, and the
 * report only needs how many. A finding that is not an object with a code
 * and a severity rejects the whole record: a half-read record would make
 * the diff report problems as fixed that are not. */
static const char *parse_findings(struct ms_rdb *db, const json_t *arr,
                                  struct ms_rdom *d)
{
  if (!json_is_array(arr))
    return "\"findings\" is not an array";
  size_t n = json_array_size(arr);
  struct ms_rfind *tmp = n ? ms_xcalloc(n, sizeof(*tmp)) : NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const json_t *f = json_array_get(arr, i);
    const json_t *code = json_object_get(f, "code");
    const json_t *sev = json_object_get(f, "severity");
    if (!json_is_object(f) || !json_is_string(code) || !json_is_string(sev) ||
        !sev_parse(json_string_value(sev), &tmp[k].sev)) {
      free(tmp);
      return "a finding without a code string and a severity of "
             "error/warning/info";
    }
    if (!ms_rcodes_id(db->codes, json_string_value(code),
                      json_string_length(code), &tmp[k].code))
      continue; /* over a cap: counted in codes->dropped */
    tmp[k++].count = 1;
  }
  if (k > 1)
    qsort(tmp, k, sizeof(*tmp), find_cmp);
  size_t m = 0;
  for (size_t i = 0; i < k; i++) {
    if (m && tmp[m - 1].code == tmp[i].code && tmp[m - 1].sev == tmp[i].sev)
      tmp[m - 1].count++;
    else if (m < MS_RDB_FIND_MAX)
      tmp[m++] = tmp[i];
  }
  d->n_find = (uint16_t)m;
  d->find = m ? ms_xrealloc(tmp, m * sizeof(*tmp)) : NULL;
  if (!m)
    free(tmp);
  return NULL;
}

/* Keeps cert (a record's certificate object) when it expires soon. */
/* Certificates are the only evidence the store keeps, and only those
 * expiring within the window: the HTML re-reads the rest from the file. */
static void add_cert(struct ms_rdb *db, struct ms_rdom *d, const json_t *cert,
                     const char *host, enum ms_rcert_kind kind)
{
  const json_t *na = json_object_get(cert, "not_after");
  int64_t t;
  if (!db->keep_certs || !json_is_string(na) || !host || !*host ||
      d->n_cert >= MS_RDB_CERT_MAX ||
      !ms_report_time_parse(json_string_value(na), json_string_length(na),
                            &t) ||
      t > db->cert_horizon)
    return;
  for (size_t i = 0; i < d->n_cert; i++) {
    if (d->cert[i].kind == kind && strcmp(d->cert[i].host, host) == 0)
      return; /* one entry per (host, kind), e.g. MX on two addresses */
  }
  d->cert = ms_xrealloc(d->cert, (d->n_cert + 1u) * sizeof(*d->cert));
  d->cert[d->n_cert].host = ms_xstrdup(host);
  d->cert[d->n_cert].not_after = t;
  d->cert[d->n_cert].kind = (uint8_t)kind;
  d->n_cert++;
}

/* The policy host's certificate (policy_tls.certificate) and each probed
 * MX host's (mx[].smtp.certificate). The policy host name falls back to
 * mta-sts.<domain> when the record does not name it. */
static void parse_certs(struct ms_rdb *db, const json_t *rec, struct ms_rdom *d)
{
  const json_t *tls = json_object_get(rec, "policy_tls");
  const json_t *cert = json_object_get(tls, "certificate");
  if (json_is_object(cert)) {
    const json_t *h = json_object_get(json_object_get(rec, "policy"), "host");
    char fallback[300];
    const char *host = json_string_value(h);
    if (!host) {
      snprintf(fallback, sizeof(fallback), "mta-sts.%s", d->domain);
      host = fallback;
    }
    add_cert(db, d, cert, host, MS_RCERT_POLICY);
  }
  const json_t *mx = json_object_get(rec, "mx");
  size_t i;
  const json_t *m;
  json_array_foreach(mx, i, m)
  {
    const json_t *smtp = json_object_get(m, "smtp");
    cert = json_object_get(smtp, "certificate");
    if (json_is_object(cert))
      add_cert(db, d, cert, json_string_value(json_object_get(m, "host")),
               MS_RCERT_MX);
  }
}

/* Only the members the report needs are looked at; everything else in
 * the record (a newer scanner may add members) is ignored. */
struct ms_rdom *ms_rdb_parse(struct ms_rdb *db, const json_t *rec,
                             const char **why)
{
  if (!json_is_object(rec)) {
    *why = "not a JSON object";
    return NULL;
  }
  const json_t *dom = json_object_get(rec, "domain");
  const json_t *st = json_object_get(rec, "status");
  const json_t *mode = json_object_get(rec, "mode");
  enum ms_rstatus status;
  if (!json_is_string(dom) || json_string_length(dom) == 0 ||
      memchr(json_string_value(dom), '\0', json_string_length(dom))) {
    *why = "no \"domain\" string";
    return NULL;
  }
  if (!json_is_string(st) ||
      !ms_rstatus_parse(json_string_value(st), &status)) {
    *why = "\"status\" is not valid/warning/invalid/none/error";
    return NULL;
  }
  uint8_t m = MS_RMODE_ABSENT;
  if (mode && !json_is_null(mode)) {
    const char *ms = json_string_value(mode);
    for (uint8_t i = 0; ms && i < MS_RMODE_ABSENT; i++) {
      if (strcmp(ms, mode_names[i]) == 0)
        m = i;
    }
    if (m == MS_RMODE_ABSENT) {
      *why = "\"mode\" is not enforce/testing/none/null";
      return NULL;
    }
  }
  struct ms_rdom *d = ms_xcalloc(1, sizeof(*d));
  d->domain = ms_xstrdup(json_string_value(dom));
  d->status = (uint8_t)status;
  d->mode = m;
  const char *err = parse_findings(db, json_object_get(rec, "findings"), d);
  if (err) {
    ms_rdom_free(d);
    *why = err;
    return NULL;
  }
  const json_t *dur = json_object_get(rec, "duration_ms");
  if (json_is_integer(dur) && json_integer_value(dur) > 0)
    d->duration_ms = json_integer_value(dur);
  parse_certs(db, rec, d);
  return d;
}

/* ---- the table ---- */

/* Linear probing: the slot holding domain, or the empty slot where it
 * belongs. The table is kept at most 70% full, so probes stay short. */
static size_t slot_of(const struct ms_rdb *db, const char *domain)
{
  size_t i = hash_bytes(domain, strlen(domain)) & (db->cap - 1);
  while (db->slot[i] && strcmp(db->slot[i]->domain, domain) != 0)
    i = (i + 1) & (db->cap - 1);
  return i;
}

/* Doubles the table and re-inserts every entry (pointers move, entries do not).
 */
static void grow(struct ms_rdb *db)
{
  size_t old_cap = db->cap;
  struct ms_rdom **old = db->slot;
  db->cap = old_cap ? old_cap * 2 : 1024;
  db->slot = ms_xcalloc(db->cap, sizeof(*db->slot));
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i])
      db->slot[slot_of(db, old[i]->domain)] = old[i];
  }
  free(old);
}

bool ms_rdb_put(struct ms_rdb *db, struct ms_rdom *d)
{
  if ((db->n + 1) * 10 > db->cap * 7)
    grow(db);
  size_t i = slot_of(db, d->domain);
  if (db->slot[i]) {
    ms_rdom_free(db->slot[i]);
    db->slot[i] = d;
    return true;
  }
  db->slot[i] = d;
  db->n++;
  return false;
}

const struct ms_rdom *ms_rdb_get(const struct ms_rdb *db, const char *domain)
{
  if (!db->cap)
    return NULL;
  return db->slot[slot_of(db, domain)];
}

/* Byte order of domain names: stable across locales and runs. */
static int dom_cmp(const void *a, const void *b)
{
  const struct ms_rdom *const *x = a, *const *y = b;
  return strcmp((*x)->domain, (*y)->domain);
}

struct ms_rdom **ms_rdb_sorted(const struct ms_rdb *db, size_t *n)
{
  struct ms_rdom **v = ms_xmalloc((db->n ? db->n : 1) * sizeof(*v));
  size_t k = 0;
  for (size_t i = 0; i < db->cap; i++) {
    if (db->slot[i])
      v[k++] = db->slot[i];
  }
  qsort(v, k, sizeof(*v), dom_cmp);
  *n = k;
  return v;
}

const struct ms_rfind *ms_rdom_worst(const struct ms_rdom *d, uint16_t code)
{
  const struct ms_rfind *best = NULL;
  for (size_t i = 0; i < d->n_find; i++) {
    if (d->find[i].code == code && (!best || d->find[i].sev > best->sev))
      best = &d->find[i];
  }
  return best;
}

bool ms_rdom_has_problem(const struct ms_rdom *d, uint16_t code)
{
  const struct ms_rfind *f = ms_rdom_worst(d, code);
  return f && f->sev >= MS_SEV_WARNING;
}
