/*
 * The run: one libuv loop driving the input stream, admission control
 * (at most -j domains in flight), the shared DNS and HTTPS engines, the
 * verdict and the JSON Lines writer (one write(2) per whole record), the
 * progress line and signals. Tests: tests/lab.
 */
#ifndef MS_SCAN_H
#define MS_SCAN_H

#include "config.h"

/* Runs the scan described by cfg. Returns the process exit status
 * (0, 1 for --fail-on, 2 configuration error, 3 fatal runtime error). */
int ms_scan_run(const struct ms_config *cfg);

#endif
