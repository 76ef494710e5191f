#include "fused_kernel.h"

#include <string.h>

enum { MR = KINDRED_FUSED_MR, NR = KINDRED_FUSED_NR };

// Element by element. An AVX2 version with 8 x 8 transposes (8x fewer loads
// and stores) measured the same share of the tile loop, about 4%: the cost is
// B's rows coming in from memory, not the stores. O(count * k).
void kindred_fused_pack_b(const float *rows, long count, long k, float *out) {
    const long strips = (count + NR - 1) / NR;
    for (long s = 0; s < strips; s++) {
        float *dst = out + s * k * NR;
        for (long j = 0; j < NR; j++) {
            const long r = s * NR + j;
            if (r < count) {
                const float *src = rows + r * k;
                for (long p = 0; p < k; p++) dst[p * NR + j] = src[p];
            } else {
                for (long p = 0; p < k; p++) dst[p * NR + j] = 0.0f;
            }
        }
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int kindred_fused_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((c & (fma | osxsave | avx)) != (fma | osxsave | avx)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // the OS saves the XMM and YMM registers
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;  // AVX2
}

// One MR x NR micro-tile: 12 accumulators of 8 floats, 12 FMAs per k step
// (two 8-wide B loads, six broadcasts of A), then the threshold test in
// registers. The loop over k is FMA-bound on Zen 3 (2 FMAs per cycle).
__attribute__((target("avx2,fma")))
long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words) {
    const long row_strips = (m + MR - 1) / MR, column_strips = (n + NR - 1) / NR;
    memset(group_mask, 0, sizeof(uint64_t) * (size_t)(row_strips * MR * mask_words));
    long reached = 0;
    for (long s = 0; s < row_strips; s++) {
        // A is read in place, six rows at a time (six sequential streams the
        // prefetchers follow); a strip's missing rows repeat its last row,
        // whose scores there are never reported (+inf thresholds).
        const float *ar[MR];
        for (int i = 0; i < MR; i++) ar[i] = rows + (s * MR + i < m ? s * MR + i : m - 1) * k;
        for (long cs = 0; cs < column_strips; cs++) {
            const float *bp = packed_b + cs * k * NR;
            __m256 c0[MR], c1[MR];
            for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm256_setzero_ps();
            for (long p = 0; p < k; p++) {
                const __m256 b0 = _mm256_load_ps(bp + p * NR), b1 = _mm256_load_ps(bp + p * NR + 8);
                for (int i = 0; i < MR; i++) {
                    const __m256 a = _mm256_broadcast_ss(ar[i] + p);
                    c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
                    c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
                }
            }
            // score >= min(row threshold, column threshold) is the same test
            // as "reaches either", one compare per 8 scores.
            const __m256 t0 = _mm256_loadu_ps(column_threshold + cs * NR);
            const __m256 t1 = _mm256_loadu_ps(column_threshold + cs * NR + 8);
            __m256 h0[MR], h1[MR], any = _mm256_setzero_ps();
            for (int i = 0; i < MR; i++) {
                const __m256 rt = _mm256_broadcast_ss(row_threshold + s * MR + i);
                h0[i] = _mm256_cmp_ps(c0[i], _mm256_min_ps(rt, t0), _CMP_GE_OQ);
                h1[i] = _mm256_cmp_ps(c1[i], _mm256_min_ps(rt, t1), _CMP_GE_OQ);
                any = _mm256_or_ps(any, _mm256_or_ps(h0[i], h1[i]));
            }
            if (_mm256_testz_ps(any, any)) continue;
            reached++;
            const long g0 = cs * 2, g1 = cs * 2 + 1;
            for (int i = 0; i < MR; i++) {
                const long r = s * MR + i;
                if (r >= m) break;
                _mm256_storeu_ps(out + r * stride + cs * NR, c0[i]);
                _mm256_storeu_ps(out + r * stride + cs * NR + 8, c1[i]);
                uint64_t *mask = group_mask + r * mask_words;
                if (_mm256_movemask_ps(h0[i])) mask[g0 >> 6] |= (uint64_t)1 << (g0 & 63);
                if (_mm256_movemask_ps(h1[i])) mask[g1 >> 6] |= (uint64_t)1 << (g1 & 63);
            }
        }
    }
    return reached;
}
#else
int kindred_fused_supported(void) { return 0; }

long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words) {
    (void)rows; (void)m; (void)packed_b; (void)n; (void)k; (void)row_threshold;
    (void)column_threshold; (void)out; (void)stride; (void)group_mask; (void)mask_words;
    return 0;  // never called: kindred_fused_supported() is 0
}
#endif
