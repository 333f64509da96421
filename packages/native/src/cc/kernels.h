// The elementwise parts of a step: gate activations forward, their derivatives backward, softmax
// cross-entropy, and the optimizer updates. Each is one pass over `[batch, n]` rows, where n is the
// hidden units one thread owns (see net.cc: threads split a unit's hidden units between them).
// kernels.cc is compiled once per instruction set (plain x86-64, AVX2+FMA, AVX-512; see
// scripts/build.mjs) into a table of function pointers, and `kernels()` picks the best table this CPU
// runs, so one build works on any x86-64 machine and uses what the one it runs on has.
//
// Pointer conventions: a gate block row holds the gates one after another, `gs` floats apart (i, f,
// g, o for the LSTM; r, u for the GRU), rows `ldA` apart; `[batch, hidden]` buffers (c, tanh c, r⊙h,
// carries) have rows `ldS` apart; h and dh rows are `ldH`/`ldY` apart (a layer's output interleaves
// the directions).
#pragma once
#include <cstdint>

namespace rnnlab {

struct Kernels {
  const char* isa;
  // Forward: the pre-activations in `a` are replaced by the activations backward reads.
  void (*rnnForward)(int batch, int n, float* a, int ldA, float* y, int ldY);
  void (*lstmForward)(int batch, int n, float* a, int gs, int ldA, const float* cPrev, float* c, float* tanhC, int ldS, float* y, int ldY);
  // GRU, in two halves around the candidate's recurrent matmul: r, u = σ(·) and r⊙h ...
  void (*gruGates)(int batch, int n, float* a, int gs, int ldA, const float* hPrev, int ldH, float* rh, int ldS);
  // ... then n = tanh(·) in place and h' = n + u⊙(h − n).
  void (*gruOutput)(int batch, int n, const float* u, float* an, int ldA, const float* hPrev, int ldH, float* y, int ldY);
  // The reset-after GRU (nn.GRU's), in one pass once `hn` holds h·W_hc: hn += b_hh (kept for backward),
  // r, u = σ(·), n = tanh(a_n + r⊙hn), all in place, and h' = n + u⊙(h − n).
  void (*gruAfterForward)(int batch, int n, float* a, int gs, float* an, int ldA, float* hn, const float* bhh, int ldS, const float* hPrev, int ldH, float* y,
                          int ldY);

  // Backward. `dh` is dL/dh' from above; the carries hold the gradient from the following step (zeros
  // at the last) and are overwritten as documented; dP (the pre-activation gradient) shares a's layout.
  void (*rnnBackward)(int batch, int n, const float* h, int ldH, const float* dh, int ldY, const float* carryH, int ldS, float* dP, int ldP);
  // carryC ← dc ⊙ f, the cell-state gradient for the previous step.
  void (*lstmBackward)(int batch, int n, const float* a, int gs, int ldA, const float* cPrev, const float* tanhC, const float* carryH, float* carryC, int ldS,
                       const float* dh, int ldY, float* dP, int ldP);
  // First half: carryH ← dH = dh + carryH; dP_u and dP_n.
  void (*gruBackwardN)(int batch, int n, const float* u, const float* an, int ldA, const float* hPrev, int ldH, float* carryH, int ldS, const float* dh,
                       int ldY, float* dPu, float* dPn, int ldP);
  // Second half, given dRH = dP_n·W_hcᵀ: dP_r; with `carry`, carryH ← dH⊙u + dRH⊙r (the caller adds dP_g·W_hgᵀ).
  void (*gruBackwardR)(int batch, int n, const float* r, const float* u, int ldA, const float* hPrev, int ldH, const float* dRH, float* carryH, int ldS,
                       bool carry, float* dPr, int ldP);
  // The reset-after GRU in one pass: dP_r, dP_u, dP_n, dHN = dL/d(h·W_hc + b_hh) = dP_n⊙r; carryH ← dH⊙u
  // with `carry` (the caller adds dP_g·W_hgᵀ and dHN·W_hcᵀ).
  void (*gruAfterBackward)(int batch, int n, const float* a, int gs, const float* an, int ldA, const float* hn, int ldS, const float* hPrev, int ldH,
                           float* carryH, const float* dh, int ldY, bool carry, float* dP, float* dPn, int ldP, float* dHN);

  /** Rows `[rows, vocab]` of logits → (softmax − onehot)·scale in place; returns Σ −log p(label). */
  double (*softmaxCrossEntropy)(int rows, int vocab, float* logits, const int32_t* labels, float scale);

  void (*multiply)(float* x, const float* mask, int64_t n);
  /** out[j] = Σ_r x[r·ld + j] for j < cols. */
  void (*columnSums)(int rows, int cols, const float* x, int ld, float* out);
  /** out[j] += x[j]. */
  void (*addRow)(int n, float* out, const float* x);
  double (*sumSquares)(const float* x, int64_t n);
  void (*sgd)(float* p, const float* g, int64_t n, float rate);
  void (*adam)(float* p, const float* g, float* m, float* v, int64_t n, float scale, float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2,
               float sqrtBc2, float eps, float stepSize);

  /**
   * C[m, n] = A[m, k]·B + beta·C (row-major; beta 0 or 1) with B PACKED (packPanels in cell.h): the
   * recurrent products of a time step, whose weights stay the same for a whole minibatch, so they are
   * laid out once for this kernel instead of OpenBLAS packing them again in each of the step's calls.
   * Each element is one FMA chain over k in order (from C when beta is 1): the same bits however the
   * rows and panels are cut.
   */
  void (*packedGemm)(int m, int n, int k, const float* a, int lda, const float* packed, float beta, float* c, int ldc);
};

/** Columns per panel of a packed B: each panel holds its columns of every row k side by side (`[k][kPanel]`), zero-padded. */
constexpr int kPanel = 32;

/** The best table for this CPU (chosen once). */
const Kernels& kernels();

}  // namespace rnnlab
