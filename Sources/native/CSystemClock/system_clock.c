#include <string.h>
#include <sys/timex.h>
#include "system_clock.h"

int smokeflow_clock_status(long *maxerror_us) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    if (adjtimex(&tx) < 0) return -1;
    if (maxerror_us) *maxerror_us = tx.maxerror;
    return tx.status;
}
