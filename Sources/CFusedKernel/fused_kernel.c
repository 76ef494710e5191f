#include "fused_kernel.h"

#include <string.h>

enum { MR = KINDRED_FUSED_MR, NR = KINDRED_FUSED_NR, KC = KINDRED_FUSED_KC };

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

// One MR x NR micro-tile over the k-block [k0, k0 + kc): 12 accumulators of
// 8 floats, 12 FMAs per k step (two 8-wide B loads, six broadcasts of A).
// They start at zero on the first k-block and from the partial sums in `out`
// on later ones; on the last, the threshold test runs in registers, else the
// partial sums go back to `out`. The loop over k is FMA-bound on Zen 3 (2 FMAs
// per cycle). Returns 1 if the micro-tile holds a score that reaches.
__attribute__((target("avx2,fma"))) static inline long
tile_256(const float *const *ar, long first, long m, const float *packed_b, long cs, long k, long k0, long kc,
         const float *row_threshold, const float *column_threshold, float *out, long stride,
         uint64_t *group_mask, long mask_words) {
    __m256 c0[MR], c1[MR];
    for (int i = 0; i < MR; i++) {
        const long r = first + i;
        c0[i] = k0 > 0 && r < m ? _mm256_loadu_ps(out + r * stride + cs * NR) : _mm256_setzero_ps();
        c1[i] = k0 > 0 && r < m ? _mm256_loadu_ps(out + r * stride + cs * NR + 8) : _mm256_setzero_ps();
    }
    const float *bp = packed_b + cs * k * NR + k0 * NR;
    for (long p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(bp + p * NR), b1 = _mm256_load_ps(bp + p * NR + 8);
        for (int i = 0; i < MR; i++) {
            const __m256 a = _mm256_broadcast_ss(ar[i] + k0 + p);
            c0[i] = _mm256_fmadd_ps(a, b0, c0[i]);
            c1[i] = _mm256_fmadd_ps(a, b1, c1[i]);
        }
    }
    if (k0 + kc < k) {  // not the last k-block: keep the partial sums
        for (int i = 0; i < MR && first + i < m; i++) {
            _mm256_storeu_ps(out + (first + i) * stride + cs * NR, c0[i]);
            _mm256_storeu_ps(out + (first + i) * stride + cs * NR + 8, c1[i]);
        }
        return 0;
    }
    // score >= min(row threshold, column threshold) is the same test as
    // "reaches either", one compare per 8 scores.
    const __m256 t0 = _mm256_loadu_ps(column_threshold + cs * NR);
    const __m256 t1 = _mm256_loadu_ps(column_threshold + cs * NR + 8);
    __m256 h0[MR], h1[MR], any = _mm256_setzero_ps();
    for (int i = 0; i < MR; i++) {
        const __m256 rt = _mm256_broadcast_ss(row_threshold + first + i);
        h0[i] = _mm256_cmp_ps(c0[i], _mm256_min_ps(rt, t0), _CMP_GE_OQ);
        h1[i] = _mm256_cmp_ps(c1[i], _mm256_min_ps(rt, t1), _CMP_GE_OQ);
        any = _mm256_or_ps(any, _mm256_or_ps(h0[i], h1[i]));
    }
    if (_mm256_testz_ps(any, any)) return 0;
    const long g0 = cs * 2, g1 = cs * 2 + 1;
    for (int i = 0; i < MR; i++) {
        const long r = first + i;
        if (r >= m) break;
        _mm256_storeu_ps(out + r * stride + cs * NR, c0[i]);
        _mm256_storeu_ps(out + r * stride + cs * NR + 8, c1[i]);
        uint64_t *mask = group_mask + r * mask_words;
        if (_mm256_movemask_ps(h0[i])) mask[g0 >> 6] |= (uint64_t)1 << (g0 & 63);
        if (_mm256_movemask_ps(h1[i])) mask[g1 >> 6] |= (uint64_t)1 << (g1 & 63);
    }
    return 1;
}

// Both variants walk the same loops: k-blocks of at most KC columns (so one
// k-block of B, KC x 512 floats at the default block, stays in L2: 512 KiB),
// then strips of A's rows, then strips of B. With the whole of k in one pass
// the packed B block (4 MiB at 2,060 columns) came from L3 for every strip of
// A, and the kernel ran at half the speed of sgemm there. A is read in place,
// six rows at a time (six sequential streams the prefetchers follow); a
// strip's missing rows repeat its last row, whose scores there are never
// reported (+inf thresholds) nor stored.
__attribute__((target("avx2,fma")))
long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words) {
    const long row_strips = (m + MR - 1) / MR, column_strips = (n + NR - 1) / NR;
    memset(group_mask, 0, sizeof(uint64_t) * (size_t)(row_strips * MR * mask_words));
    long reached = 0;
    for (long k0 = 0; k0 < k; k0 += KC) {
        const long kc = k - k0 < KC ? k - k0 : KC;
        for (long s = 0; s < row_strips; s++) {
            const float *ar[MR];
            for (int i = 0; i < MR; i++) ar[i] = rows + (s * MR + i < m ? s * MR + i : m - 1) * k;
            for (long cs = 0; cs < column_strips; cs++)
                reached += tile_256(ar, s * MR, m, packed_b, cs, k, k0, kc, row_threshold, column_threshold, out,
                                    stride, group_mask, mask_words);
        }
    }
    return reached;
}

int kindred_fused_avx512_supported(void) {
    if (!kindred_fused_supported()) return 0;
    unsigned a, b, c, d;
    __get_cpuid(1, &a, &b, &c, &d);
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;  // and the opmask and all 32 ZMM registers
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 16) & 1;  // AVX-512 F
}

// Fully unrolled, so that arrays of registers stay in registers.
#define UNROLL _Pragma("clang loop unroll(full)")

// One register tile of MR rows x S strips of B (S = 1 or 2) over the
// k-block [k0, k0 + kc): MR x S accumulators of 16 floats, MR x S FMAs per k
// step (S loads of B, MR broadcasts of A), started and ended as in tile_256;
// on the last k-block, per MR x NR micro-tile the threshold test and, if a
// score reaches, the stores and flags. Inlined with a constant S, so the
// arrays below live in registers. Returns the number of micro-tiles with a
// score that reaches.
__attribute__((target("avx512f"), always_inline)) static inline long
tile_512(const int S, const float *const *ar, long first, long m, const float *packed_b, long cs, long k, long k0,
         long kc, const float *row_threshold, const float *column_threshold, float *out, long stride,
         uint64_t *group_mask, long mask_words) {
    __m512 c[MR][2];
    UNROLL for (int i = 0; i < MR; i++)
        UNROLL for (int t = 0; t < S; t++)
            c[i][t] = k0 > 0 && first + i < m ? _mm512_loadu_ps(out + (first + i) * stride + (cs + t) * NR)
                                              : _mm512_setzero_ps();
    const float *bp = packed_b + cs * k * NR + k0 * NR;
    for (long p = 0; p < kc; p++) {
        __m512 b[2];
        UNROLL for (int t = 0; t < S; t++) b[t] = _mm512_loadu_ps(bp + t * k * NR + p * NR);
        UNROLL for (int i = 0; i < MR; i++) {
            const __m512 a = _mm512_set1_ps(ar[i][k0 + p]);
            UNROLL for (int t = 0; t < S; t++) c[i][t] = _mm512_fmadd_ps(a, b[t], c[i][t]);
        }
    }
    if (k0 + kc < k) {  // not the last k-block: keep the partial sums
        for (int i = 0; i < MR && first + i < m; i++)
            UNROLL for (int t = 0; t < S; t++) _mm512_storeu_ps(out + (first + i) * stride + (cs + t) * NR, c[i][t]);
        return 0;
    }
    long reached = 0;
    UNROLL for (int t = 0; t < S; t++) {
        const long strip = cs + t, g0 = strip * 2, g1 = strip * 2 + 1;
        const __m512 threshold = _mm512_loadu_ps(column_threshold + strip * NR);
        __mmask16 hits[MR], any = 0;
        UNROLL for (int i = 0; i < MR; i++) {
            const __m512 rt = _mm512_set1_ps(row_threshold[first + i]);
            hits[i] = _mm512_cmp_ps_mask(c[i][t], _mm512_min_ps(rt, threshold), _CMP_GE_OQ);
            any |= hits[i];
        }
        if (!any) continue;
        reached++;
        for (int i = 0; i < MR; i++) {
            const long r = first + i;
            if (r >= m) break;
            _mm512_storeu_ps(out + r * stride + strip * NR, c[i][t]);
            uint64_t *mask = group_mask + r * mask_words;
            if (hits[i] & 0xFF) mask[g0 >> 6] |= (uint64_t)1 << (g0 & 63);
            if (hits[i] >> 8) mask[g1 >> 6] |= (uint64_t)1 << (g1 & 63);
        }
    }
    return reached;
}

// The same contract and loops as kindred_fused_scores, with 16-wide
// registers: 32 columns (two strips of B) per register tile, 12 FMAs per k
// step for 2 loads of B and 6 broadcasts of A; an odd last strip alone. The
// packed layout and the order of each score's FMAs are the same, so the two
// variants give the same bits. One thread runs it at about 170 GFLOP/s at
// k = 124 on the Xeon it was measured on (the FMA units' peak; 12 x 32
// register tiles measured the same), against about 140 for OpenBLAS's
// SkylakeX sgemm (benchmarks/README.md).
__attribute__((target("avx512f")))
long kindred_fused_scores_avx512(const float *rows, long m, const float *packed_b, long n, long k,
                                 const float *row_threshold, const float *column_threshold,
                                 float *out, long stride, uint64_t *group_mask, long mask_words) {
    const long row_strips = (m + MR - 1) / MR, column_strips = (n + NR - 1) / NR;
    memset(group_mask, 0, sizeof(uint64_t) * (size_t)(row_strips * MR * mask_words));
    long reached = 0;
    for (long k0 = 0; k0 < k; k0 += KC) {
        const long kc = k - k0 < KC ? k - k0 : KC;
        for (long s = 0; s < row_strips; s++) {
            const float *ar[MR];
            for (int i = 0; i < MR; i++) ar[i] = rows + (s * MR + i < m ? s * MR + i : m - 1) * k;
            long cs = 0;
            for (; cs + 1 < column_strips; cs += 2)
                reached += tile_512(2, ar, s * MR, m, packed_b, cs, k, k0, kc, row_threshold, column_threshold, out,
                                    stride, group_mask, mask_words);
            if (cs < column_strips)
                reached += tile_512(1, ar, s * MR, m, packed_b, cs, k, k0, kc, row_threshold, column_threshold, out,
                                    stride, group_mask, mask_words);
        }
    }
    return reached;
}
#else
int kindred_fused_supported(void) { return 0; }
int kindred_fused_avx512_supported(void) { return 0; }

long kindred_fused_scores_avx512(const float *rows, long m, const float *packed_b, long n, long k,
                                 const float *row_threshold, const float *column_threshold,
                                 float *out, long stride, uint64_t *group_mask, long mask_words) {
    return kindred_fused_scores(rows, m, packed_b, n, k, row_threshold, column_threshold, out, stride,
                                group_mask, mask_words);
}

long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words) {
    (void)rows; (void)m; (void)packed_b; (void)n; (void)k; (void)row_threshold;
    (void)column_threshold; (void)out; (void)stride; (void)group_mask; (void)mask_words;
    return 0;  // never called: kindred_fused_supported() is 0
}
#endif
