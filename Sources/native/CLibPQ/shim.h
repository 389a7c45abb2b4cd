#include <libpq-fe.h>

// PG_DIAG_* are character macros, which Swift does not import.
static inline char *smokeflow_pq_sqlstate(const PGresult *result) { return PQresultErrorField(result, 'C'); }
static inline char *smokeflow_pq_primary_message(const PGresult *result) { return PQresultErrorField(result, 'M'); }
static inline char *smokeflow_pq_detail(const PGresult *result) { return PQresultErrorField(result, 'D'); }
