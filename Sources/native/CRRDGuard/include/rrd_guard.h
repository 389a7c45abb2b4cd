#ifndef SMOKEFLOW_RRD_GUARD_H
#define SMOKEFLOW_RRD_GUARD_H
#include <rrd.h>

/* librrd's reading calls, each guarded against SIGBUS. librrd maps RRD files with mmap; a file
 * truncated in place while it is read (cp over it, rrdtool restore, rsync --inplace) makes the
 * read fault. Here the fault ends the call instead of the process: *faulted is set to 1 and the
 * call returns failure. What librrd had allocated or opened for that call (its mapping, its
 * descriptor, a partial result) is leaked, once per such event. A SIGBUS anywhere else gets the
 * disposition that was there before (the Swift runtime's backtracer, or death). */
int smokeflow_rrd_fetch_r(const char *filename, const char *cf, time_t *start, time_t *end, unsigned long *step,
                          unsigned long *ds_cnt, char ***ds_namv, rrd_value_t **data, int *faulted);
rrd_info_t *smokeflow_rrd_info_r(const char *filename, int *faulted);
time_t smokeflow_rrd_first_r(const char *filename, int rraindex, int *faulted);
int smokeflow_rrd_lastupdate_r(const char *filename, time_t *ret_last_update, unsigned long *ret_ds_count,
                               char ***ret_ds_names, char ***ret_last_ds, int *faulted);

#endif
