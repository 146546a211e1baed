#include "CTernStore.h"

#include <stdatomic.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

// SQLiteNIO's build of SQLite (its target VaporCSQLite, which comes with the SQLiteNIO product
// this target depends on), every symbol prefixed with `sqlite_nio_`.
#include "sqlite_nio_sqlite3.h"

int tern_sqlite_enable_query_planner_stability(void *db) {
    int enabled = 0;
    int result = sqlite_nio_sqlite3_db_config((sqlite3 *)db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
    if (result != 0) return result;
    return enabled == 1 ? 0 : 1;
}

// MARK: Vector kernels

enum { KERNEL_POPCNT = 1, KERNEL_AVX2_FMA = 2 };

#if defined(__x86_64__)
/// What CPUID says, with the OS's consent to the YMM registers for AVX (XGETBV).
static int detect_kernels(void) {
    unsigned int eax, ebx, ecx, edx;
    int kernels = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (ecx & (1u << 23)) kernels |= KERNEL_POPCNT;
    int fma = (ecx & (1u << 12)) != 0;
    int osxsave = (ecx & (1u << 27)) != 0;
    int avx = (ecx & (1u << 28)) != 0;
    if (fma && osxsave && avx) {
        unsigned int xcr0_low, xcr0_high;
        __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
        if ((xcr0_low & 6u) == 6u && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & (1u << 5))) {
            kernels |= KERNEL_AVX2_FMA;
        }
    }
    return kernels;
}
#else
static int detect_kernels(void) { return 0; }
#endif

int tern_vector_kernels(void) {
    // Concurrent first calls all compute the same value.
    static _Atomic int kernels = -1;
    int known = atomic_load_explicit(&kernels, memory_order_relaxed);
    if (known < 0) {
        known = detect_kernels();
        atomic_store_explicit(&kernels, known, memory_order_relaxed);
    }
    return known;
}

/// The loop of both Hamming kernels: inlined into each, so `__builtin_popcountll` becomes the
/// POPCNT instruction in the one compiled for it and a portable bit count in the other.
static inline __attribute__((always_inline)) void hamming(const uint64_t *codes, size_t rows, size_t words,
                                                          const uint64_t *query, uint16_t *distances,
                                                          intptr_t *histogram) {
    for (size_t row = 0; row < rows; row++) {
        const uint64_t *code = codes + row * words;
        unsigned distance = 0;
        for (size_t word = 0; word < words; word++) distance += (unsigned)__builtin_popcountll(code[word] ^ query[word]);
        distances[row] = (uint16_t)distance;
        histogram[distance] += 1;
    }
}

#if defined(__x86_64__)
__attribute__((target("popcnt")))
static void hamming_popcnt(const uint64_t *codes, size_t rows, size_t words, const uint64_t *query,
                           uint16_t *distances, intptr_t *histogram) {
    hamming(codes, rows, words, query, distances, histogram);
}
#endif

static void hamming_portable(const uint64_t *codes, size_t rows, size_t words, const uint64_t *query,
                             uint16_t *distances, intptr_t *histogram) {
    hamming(codes, rows, words, query, distances, histogram);
}

void tern_hamming_distances(const uint64_t *codes, size_t rows, size_t words, const uint64_t *query,
                            uint16_t *distances, intptr_t *histogram) {
#if defined(__x86_64__)
    if (tern_vector_kernels() & KERNEL_POPCNT) {
        hamming_popcnt(codes, rows, words, query, distances, histogram);
        return;
    }
#endif
    hamming_portable(codes, rows, words, query, distances, histogram);
}

static inline void prefetch(const float *next, size_t count) {
    if (!next) return;
    const char *bytes = (const char *)next;
    for (size_t offset = 0; offset < count * sizeof(float); offset += 64) __builtin_prefetch(bytes + offset, 0, 3);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, size_t count) {
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    size_t index = 0;
    for (; index + 16 <= count; index += 16) {
        sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + index), _mm256_loadu_ps(b + index), sum0);
        sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + index + 8), _mm256_loadu_ps(b + index + 8), sum1);
    }
    __m256 sum = _mm256_add_ps(sum0, sum1);
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
    float total = _mm_cvtss_f32(half);
    for (; index < count; index++) total += a[index] * b[index];
    return total;
}
#endif

static float dot_portable(const float *a, const float *b, size_t count) {
    // Sixteen partial sums, which the compiler keeps in vector registers.
    float sums[16] = {0};
    size_t index = 0;
    for (; index + 16 <= count; index += 16) {
        for (size_t lane = 0; lane < 16; lane++) sums[lane] += a[index + lane] * b[index + lane];
    }
    float total = 0;
    for (size_t lane = 0; lane < 16; lane++) total += sums[lane];
    for (; index < count; index++) total += a[index] * b[index];
    return total;
}

float tern_dot_prefetching(const float *a, const float *b, size_t count, const float *next) {
    prefetch(next, count);
#if defined(__x86_64__)
    if (tern_vector_kernels() & KERNEL_AVX2_FMA) return dot_avx2(a, b, count);
#endif
    return dot_portable(a, b, count);
}
