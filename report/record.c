/* Placeholder until the record builder lands. */
#include "report/record.h"
