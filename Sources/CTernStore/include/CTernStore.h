#ifndef C_TERN_STORE_H
#define C_TERN_STORE_H

/// C helpers for TernStore: what Swift cannot call or express itself.

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for the
/// connection `db` (a `sqlite3 *` of SQLiteNIO's SQLite build). `sqlite3_db_config` is variadic,
/// which Swift cannot call. Returns 0 when the guarantee is on, else SQLite's result code (or 1).
int tern_sqlite_enable_query_planner_stability(void *db);

#endif
