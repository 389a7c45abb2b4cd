#ifndef SMOKEFLOW_SYSTEM_CLOCK_H
#define SMOKEFLOW_SYSTEM_CLOCK_H

/// The kernel clock's NTP status word (adjtimex with no modes: reads only), or -1 with errno
/// set. Bit STA_UNSYNC (0x40) set means not synchronised; `*maxerror_us` gets the error bound.
int smokeflow_clock_status(long *maxerror_us);

#endif
