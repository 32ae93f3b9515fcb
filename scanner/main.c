/* mtasts-scan: start-up and teardown only: cli -> config -> run -> exit. */
#include "cli.h"
#include "scan.h"

int main(int argc, char **argv)
{
  struct ms_config cfg;
  switch (ms_cli_parse(argc, argv, &cfg)) {
    case MS_CLI_EXIT:
      return 0;
    case MS_CLI_USAGE:
      return 2;
    case MS_CLI_RUN:
      break;
  }
  return ms_scan_run(&cfg);
}
