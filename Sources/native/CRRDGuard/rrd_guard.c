#include "rrd_guard.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

/* The jump of the guarded call running on this thread, if any. */
static __thread sigjmp_buf *guarded_call;
static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int signal_number, siginfo_t *info, void *context) {
    sigjmp_buf *jump = guarded_call;
    if (jump != NULL) {
        guarded_call = NULL;
        siglongjmp(*jump, 1);
    }
    /* Not a guarded read: put back what was there; the faulting access runs again and meets it. */
    (void)signal_number;
    (void)info;
    (void)context;
    sigaction(SIGBUS, &previous_action, NULL);
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

/* Each guarded call: volatile result, the jump set, the call, the jump cleared. */
#define GUARDED(result_type, failure, call)          \
    pthread_once(&install_once, install);           \
    *faulted = 0;                                   \
    sigjmp_buf jump;                                \
    if (sigsetjmp(jump, 1) != 0) {                  \
        *faulted = 1;                               \
        return failure;                             \
    }                                               \
    guarded_call = &jump;                           \
    result_type volatile result = call;             \
    guarded_call = NULL;                            \
    return result;

int smokeflow_rrd_fetch_r(const char *filename, const char *cf, time_t *start, time_t *end, unsigned long *step,
                          unsigned long *ds_cnt, char ***ds_namv, rrd_value_t **data, int *faulted) {
    GUARDED(int, -1, rrd_fetch_r(filename, cf, start, end, step, ds_cnt, ds_namv, data))
}

rrd_info_t *smokeflow_rrd_info_r(const char *filename, int *faulted) {
    GUARDED(rrd_info_t *, NULL, rrd_info_r(filename))
}

time_t smokeflow_rrd_first_r(const char *filename, int rraindex, int *faulted) {
    GUARDED(time_t, -1, rrd_first_r(filename, rraindex))
}

int smokeflow_rrd_lastupdate_r(const char *filename, time_t *ret_last_update, unsigned long *ret_ds_count,
                               char ***ret_ds_names, char ***ret_last_ds, int *faulted) {
    GUARDED(int, -1, rrd_lastupdate_r(filename, ret_last_update, ret_ds_count, ret_ds_names, ret_last_ds))
}
