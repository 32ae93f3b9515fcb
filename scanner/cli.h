/*
 * The command line: ONE option table drives getopt_long, --help and the
 * man page's OPTIONS section (--help-man prints it as troff).
 * Contract: ../shared/spec/cli.md. Tests: tests/lab (exit codes, errors).
 */
#ifndef MS_CLI_H
#define MS_CLI_H

#include <stdio.h>

#include "config.h"

enum ms_cli_result {
  MS_CLI_RUN,  /* scan with *cfg */
  MS_CLI_EXIT, /* --help, --version, --list-findings printed: exit 0 */
  MS_CLI_USAGE /* usage error already reported on stderr: exit 2 */
};

/* Parses argv into *cfg (defaults first). Messages go to stderr. */
enum ms_cli_result ms_cli_parse(int argc, char **argv, struct ms_config *cfg);

#endif
