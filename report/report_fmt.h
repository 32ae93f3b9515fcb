/*
 * Formatting helpers of the report tool: RFC 3339 timestamps <-> Unix
 * seconds, whole days left, and the escapers for HTML text/attributes and
 * Prometheus label values. Pure (they only write to the FILE * given).
 * Does not decide what goes into a report (report_out.h does).
 * Tests: tests/unit/test_report_fmt.c.
 */
#ifndef MS_REPORT_REPORT_FMT_H
#define MS_REPORT_REPORT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Size of a buffer for ms_report_time_format ("YYYY-MM-DDTHH:MM:SSZ"). */
#define MS_REPORT_TIME_LEN 21

/* Parses an RFC 3339 date-time of len bytes at s ("2026-12-03T02:00:01Z",
 * optional fraction, "Z" or "+hh:mm"/"-hh:mm"; 't'/'z' accepted) into
 * Unix seconds. Returns false (and leaves *out alone) on anything else,
 * including out-of-range fields (month 13, hour 24, day 32). */
bool ms_report_time_parse(const char *s, size_t len, int64_t *out);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (MS_REPORT_TIME_LEN
 * bytes); years outside 0..9999 are clamped. Returns buf. */
char *ms_report_time_format(int64_t t, char buf[MS_REPORT_TIME_LEN]);

/* Whole days from now until t, rounded down: 0 while less than a day is
 * left, -1 during the first day after t. */
int64_t ms_report_days_left(int64_t t, int64_t now);

/* Writes len bytes of s as HTML text or attribute value: & < > " ' become
 * entities; C0 controls other than TAB/LF/CR, and DEL, become the visible
 * text "\xNN" (so a NUL or an escape sequence cannot hide anything). Bytes
 * >= 0x80 pass through (records are UTF-8 JSON). */
void ms_report_html_escape(FILE *fp, const char *s, size_t len);

/* Like ms_report_html_escape, and a pair of backticks `x` (the catalogue's
 * markdown) becomes <code>x</code>. */
void ms_report_html_escape_md(FILE *fp, const char *s, size_t len);

/* Writes len bytes of s as a Prometheus label value (text exposition
 * format 0.0.4): backslash, double quote and LF become \\ \" \n; other C0
 * controls and DEL become U+FFFD (parsers reject or mangle them). */
void ms_report_prom_escape(FILE *fp, const char *s, size_t len);

/* Writes len bytes of s for a plain-text line: backslash becomes \\, LF
 * \n, other C0 controls and DEL \xNN, so one value stays on one line.
 * Pads with spaces to width columns (bytes) when shorter. */
void ms_report_text_escape(FILE *fp, const char *s, size_t len, int width);

/* Writes len bytes of s as a HELP text: backslash and LF escaped. */
void ms_report_prom_help_escape(FILE *fp, const char *s, size_t len);

#endif
