/*
 * The report tool's compact per-domain store: one small struct ms_rdom per
 * domain (status, mode, finding codes with severity and count, the
 * certificates that expire soon, where its record line is), built from one
 * parsed JSON record (../shared/spec/output.md) and kept in a hash table,
 * so a million records cost a few hundred bytes each, not their JSON.
 * Pure (jansson values in, no I/O). Tests: tests/unit/test_report_db.c.
 */
#ifndef MS_REPORT_REPORT_DB_H
#define MS_REPORT_REPORT_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/findings.h"

/* Caps (style 3.6): a record beyond them is kept, the excess counted. */
#define MS_RDB_FIND_MAX  256  /* distinct (code, severity) pairs per domain */
#define MS_RDB_CERT_MAX  64   /* expiring certificates kept per domain */
#define MS_RDB_CODES_MAX 4096 /* distinct finding codes (catalogue + unknown)  \
                               */
#define MS_RDB_CODE_LEN 64    /* longest finding code accepted */

enum ms_rstatus {
  MS_RSTATUS_VALID,
  MS_RSTATUS_WARNING,
  MS_RSTATUS_INVALID,
  MS_RSTATUS_NONE,
  MS_RSTATUS_ERROR,
  MS_RSTATUS_COUNT
};

enum ms_rmode {
  MS_RMODE_ENFORCE,
  MS_RMODE_TESTING,
  MS_RMODE_NONE,
  MS_RMODE_ABSENT, /* "mode": null (no usable policy) */
  MS_RMODE_COUNT
};

enum ms_rcert_kind {
  MS_RCERT_POLICY,
  MS_RCERT_MX
};

/* Finding codes seen in any input: the catalogue's first (id == enum
 * ms_finding), then codes this build does not know, in order of arrival.
 * One table is shared by the current and the previous night's store so
 * ids compare across them. */
#define MS_RCODES_HASH 8192 /* slots of the name index (> 2 x CODES_MAX) */
struct ms_rcodes {
  uint16_t index[MS_RCODES_HASH]; /* id + 1 by name hash; 0 = empty */
  char **extra;                   /* names of unknown codes (owned) */
  size_t n_extra;
  size_t cap_extra;
  size_t dropped; /* findings whose code did not fit MS_RDB_CODES_MAX */
};

struct ms_rfind {
  uint16_t code;  /* id in struct ms_rcodes */
  uint8_t sev;    /* enum ms_sev: INFO, WARNING or ERROR */
  uint32_t count; /* findings with this code and severity */
};

struct ms_rcert {
  char *host;        /* policy host or MX host (owned) */
  int64_t not_after; /* Unix seconds */
  uint8_t kind;      /* enum ms_rcert_kind */
};

struct ms_rdom {
  char *domain;          /* owned */
  uint8_t status;        /* enum ms_rstatus */
  uint8_t mode;          /* enum ms_rmode */
  uint16_t n_find;       /* entries of find[] */
  uint16_t n_cert;       /* entries of cert[] */
  struct ms_rfind *find; /* sorted by (code, sev); owned */
  struct ms_rcert *cert; /* owned */
  int64_t duration_ms;   /* 0 when absent */
  uint32_t src;          /* index of the input it came from */
  int64_t offset;        /* byte offset of its line in that input */
  uint32_t len;          /* length of that line, newline excluded */
};

struct ms_rdb {
  struct ms_rdom **slot;   /* open addressing; NULL = empty */
  size_t cap;              /* power of two */
  size_t n;                /* domains held */
  struct ms_rcodes *codes; /* borrowed */
  int64_t cert_horizon;    /* keep certificates with not_after <= this */
  bool keep_certs;
};

void ms_rcodes_init(struct ms_rcodes *c);
void ms_rcodes_cleanup(struct ms_rcodes *c);
/* Returns the id of code (len bytes), adding unknown codes; false when
 * the code is empty, longer than MS_RDB_CODE_LEN or the table is full. */
bool ms_rcodes_id(struct ms_rcodes *c, const char *code, size_t len,
                  uint16_t *id);
/* The name of an id (borrowed), or NULL when out of range. */
const char *ms_rcodes_name(const struct ms_rcodes *c, uint16_t id);
/* Number of ids in use (catalogue + unknown). */
size_t ms_rcodes_count(const struct ms_rcodes *c);

/* codes is borrowed for the store's life. When keep_certs, certificates
 * whose not_after is at most cert_horizon (Unix seconds) are kept. */
void ms_rdb_init(struct ms_rdb *db, struct ms_rcodes *codes, bool keep_certs,
                 int64_t cert_horizon);
/* Frees every entry; NULL-safe, leaves db empty and reusable. */
void ms_rdb_cleanup(struct ms_rdb *db);

/* Builds a new entry from one record (borrowed). Returns NULL and a static
 * reason in *why when rec is not a record: not an object, no non-empty
 * "domain" string, unknown "status", "mode" neither null nor a mode,
 * "findings" not an array of {code, severity} objects. The caller sets
 * src/offset/len and passes the entry to ms_rdb_put or ms_rdom_free. */
struct ms_rdom *ms_rdb_parse(struct ms_rdb *db, const json_t *rec,
                             const char **why);
/* Frees one entry (NULL-safe). */
void ms_rdom_free(struct ms_rdom *d);

/* Inserts d (taken). When its domain is already present the old entry is
 * freed and replaced (the later record wins) and true is returned. */
bool ms_rdb_put(struct ms_rdb *db, struct ms_rdom *d);
/* The entry of domain (borrowed), or NULL. */
const struct ms_rdom *ms_rdb_get(const struct ms_rdb *db, const char *domain);
/* A new array (caller free()s it, entries borrowed) of every entry sorted
 * by domain (byte order); *n gets its length. */
struct ms_rdom **ms_rdb_sorted(const struct ms_rdb *db, size_t *n);

/* The finding of d with this code and the highest severity, or NULL. */
const struct ms_rfind *ms_rdom_worst(const struct ms_rdom *d, uint16_t code);
/* True when d has a warning or error finding with this code: a "problem"
 * for the diff between two runs (info findings are facts, not problems). */
bool ms_rdom_has_problem(const struct ms_rdom *d, uint16_t code);

/* Names: "valid".."error"; "enforce", "testing", "none", "null". */
const char *ms_rstatus_name(enum ms_rstatus s);
const char *ms_rmode_name(enum ms_rmode m);
/* Parses a status name; false when unknown. */
bool ms_rstatus_parse(const char *s, enum ms_rstatus *out);

#endif
