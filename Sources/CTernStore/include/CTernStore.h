#ifndef C_TERN_STORE_H
#define C_TERN_STORE_H

#include <stddef.h>
#include <stdint.h>

/// C helpers for TernStore: what Swift cannot call or express itself.

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for the
/// connection `db` (a `sqlite3 *` of SQLiteNIO's SQLite build). `sqlite3_db_config` is variadic,
/// which Swift cannot call. Returns 0 when the guarantee is on, else SQLite's result code (or 1).
int tern_sqlite_enable_query_planner_stability(void *db);

/// The Hamming distance of each of `rows` codes (`words` 64-bit words each, one after another in
/// `codes`) to `query`, written to `distances`, and counted in `histogram` (which must have
/// `words * 64 + 1` entries): `histogram[d]` grows by the rows at distance d. Uses the CPU's
/// POPCNT instruction where it has one (the x86-64 baseline Swift compiles for does not assume
/// it, and counts bits with a dozen instructions instead).
void tern_hamming_distances(const uint64_t *codes, size_t rows, size_t words, const uint64_t *query,
                            uint16_t *distances, intptr_t *histogram);

/// The dot product of `count` floats at `a` and `b`, with AVX2 and FMA where the CPU has them
/// (the baseline has SSE2 only). While it runs, the `count` floats at `next` (may be NULL) are
/// fetched into the cache: a rerank visits scattered stored vectors, and waiting for each one's
/// memory was most of its time.
float tern_dot_prefetching(const float *a, const float *b, size_t count, const float *next);

/// Which kernels this CPU runs: bit 0 POPCNT, bit 1 AVX2 with FMA (for benchmarks and tests).
int tern_vector_kernels(void);

#endif
