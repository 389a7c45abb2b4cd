#include <rrd.h>
