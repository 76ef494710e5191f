// The similarity core's fused dense kernel: scores of a panel of rows against a
// block of rows (dot products over k dense columns) with the selection's
// threshold test done while the scores are still in registers, so that only
// the few scores that reach a threshold are written to memory.
//
// Why not cblas_sgemm: sgemm must write every score of the panel, and the scan
// that reads them back cost about half of the selection (benchmarks/README.md).
// AVX2 + FMA, or AVX-512; `kindred_fused_supported` and
// `kindred_fused_avx512_supported` say whether this CPU has them.
// Callers use cblas_sgemm and the scan otherwise.
#ifndef KINDRED_FUSED_KERNEL_H
#define KINDRED_FUSED_KERNEL_H

#include <stdint.h>

// Rows per micro-tile strip of A and columns per strip of B.
#define KINDRED_FUSED_MR 6
#define KINDRED_FUSED_NR 16
// Dense columns per pass (k-block): with more, the passes keep partial sums in `out`.
#define KINDRED_FUSED_KC 256

// 1 if the CPU and the OS support AVX2 and FMA (cpuid and xgetbv), else 0.
// kindred_fused_scores uses them on x86-64: call it only when this is 1.
int kindred_fused_supported(void);

// 1 if, besides, the CPU and the OS support AVX-512 F (cpuid, and xgetbv for
// the opmask and ZMM state), else 0. kindred_fused_scores_avx512 needs it.
int kindred_fused_avx512_supported(void);

// Portable C. Packs `count` rows of `k` floats (row-major, contiguous) into strips of NR
// rows, k-major within a strip, the last strip padded with zero rows. `out`
// holds ceil(count / NR) * NR * k floats and must be 32-byte aligned.
void kindred_fused_pack_b(const float *rows, long count, long k, float *out);

// Scores of the m rows of A (row-major, contiguous, k floats each; read in
// place, m >= 1) against the n rows of B packed by kindred_fused_pack_b. Score (i, j)
// "reaches" when score >= row_threshold[i] or score >= column_threshold[j]
// (IEEE >=, so an infinite threshold is never reached). The arrays cover the
// padding: ceil(m / MR) * MR and ceil(n / NR) * NR entries, +infinity there.
//
// For every micro-tile (MR rows x NR columns) with a score that reaches, the
// micro-tile's scores of the real rows go to out[i * stride + j] (stride >=
// ceil(n / NR) * NR) and, per row, the bit of each group of 8 columns that
// holds one is set in group_mask[i * mask_words + (j / 8) / 64] (bit
// (j / 8) % 64). Every other entry of group_mask is cleared. With k <=
// KINDRED_FUSED_KC, out is left alone elsewhere; with more, the real rows of
// out hold partial sums there (the passes over k-blocks keep them in out).
// Returns the number of micro-tiles with a score that reaches.
// O(m * n * k) flops; no allocation.
long kindred_fused_scores(const float *rows, long m, const float *packed_b, long n, long k,
                          const float *row_threshold, const float *column_threshold,
                          float *out, long stride, uint64_t *group_mask, long mask_words);

// The same contract and results (up to the order of float additions, which
// is the same: one FMA per k in order) with 16-wide registers, 32 columns per
// step. Call it only when kindred_fused_avx512_supported() is 1.
long kindred_fused_scores_avx512(const float *rows, long m, const float *packed_b, long n, long k,
                                 const float *row_threshold, const float *column_threshold,
                                 float *out, long stride, uint64_t *group_mask, long mask_words);

#endif
