#include "fused_kernel.h"

#include <string.h>

enum { MR = KINDRED_FUSED_MR, NR = KINDRED_FUSED_NR };

// One strip of NR rows starting at row `first` (rows past `count` are zeros),
// one element at a time.
static void pack_strip(const float *rows, long count, long k, long first, float *dst) {
    for (long j = 0; j < NR; j++) {
        const long r = first + j;
        if (r < count) {
            const float *src = rows + r * k;
            for (long p = 0; p < k; p++) dst[p * NR + j] = src[p];
        } else {
            for (long p = 0; p < k; p++) dst[p * NR + j] = 0.0f;
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

// Whole strips go through 8 x 8 transposes (8 rows, 8 elements at a time),
// about 8x fewer loads and stores than one element at a time: packing was 3%
// of the dense tile loop at 124 columns. The last, partial strip and the
// elements past the last multiple of 8 go one at a time.
__attribute__((target("avx2,fma")))
void kindred_fused_pack_b(const float *rows, long count, long k, float *out) {
    const long strips = (count + NR - 1) / NR;
    for (long s = 0; s < strips; s++) {
        float *dst = out + s * k * NR;
        if ((s + 1) * NR > count) {
            pack_strip(rows, count, k, s * NR, dst);
            continue;
        }
        for (long half = 0; half < NR; half += 8) {
            const float *r = rows + (s * NR + half) * k;
            long p = 0;
            for (; p + 8 <= k; p += 8) {
                const __m256 r0 = _mm256_loadu_ps(r + p), r1 = _mm256_loadu_ps(r + k + p);
                const __m256 r2 = _mm256_loadu_ps(r + 2 * k + p), r3 = _mm256_loadu_ps(r + 3 * k + p);
                const __m256 r4 = _mm256_loadu_ps(r + 4 * k + p), r5 = _mm256_loadu_ps(r + 5 * k + p);
                const __m256 r6 = _mm256_loadu_ps(r + 6 * k + p), r7 = _mm256_loadu_ps(r + 7 * k + p);
                const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
                const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
                const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
                const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
                const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
                const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
                const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
                const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
                float *d = dst + p * NR + half;
                _mm256_storeu_ps(d + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
                _mm256_storeu_ps(d + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
                _mm256_storeu_ps(d + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
                _mm256_storeu_ps(d + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
                _mm256_storeu_ps(d + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
                _mm256_storeu_ps(d + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
                _mm256_storeu_ps(d + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
                _mm256_storeu_ps(d + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
            }
            for (; p < k; p++)
                for (long j = 0; j < 8; j++) dst[p * NR + half + j] = r[j * k + p];
        }
    }
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

void kindred_fused_pack_b(const float *rows, long count, long k, float *out) {
    for (long s = 0; s < (count + NR - 1) / NR; s++) pack_strip(rows, count, k, s * NR, out + s * k * NR);
}

long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words) {
    (void)rows; (void)m; (void)packed_b; (void)n; (void)k; (void)row_threshold;
    (void)column_threshold; (void)out; (void)stride; (void)group_mask; (void)mask_words;
    return 0;  // never called: kindred_fused_supported() is 0
}
#endif
