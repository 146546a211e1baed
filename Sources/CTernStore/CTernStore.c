#include "CTernStore.h"

// SQLiteNIO's build of SQLite prefixes every symbol with `sqlite_nio_`. Declared here rather than
// included: that header belongs to a target of SQLiteNIO's package, which only its product
// exposes, and only to Swift.
extern int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

// From sqlite3.h.
#define TERN_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int tern_sqlite_enable_query_planner_stability(void *db) {
    int enabled = 0;
    int result = sqlite_nio_sqlite3_db_config(db, TERN_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
    if (result != 0) return result;
    return enabled == 1 ? 0 : 1;
}
