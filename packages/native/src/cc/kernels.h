// The elementwise parts of a step: gate activations forward, their derivatives backward, softmax
// cross-entropy, and the optimizer updates. Each is one pass over `[batch, hidden]`-sized rows.
// kernels.cc is compiled once per instruction set (plain x86-64, AVX2+FMA, AVX-512; see
// scripts/build.mjs) into a table of function pointers, and `kernels()` picks the best table this CPU
// runs, so one build works on any x86-64 machine and uses what the one it runs on has.
#pragma once
#include <cstdint>

namespace rnnlab {

struct Kernels {
  const char* isa;
  // Forward. `a` is a unit's gate block for one step `[batch, ldA]` holding the pre-activations; each
  // kernel overwrites it with the activations that backward reads. `y` is the step's output `[batch, ldY]`.
  void (*rnnForward)(int batch, int hidden, float* a, int ldA, float* y, int ldY);
  void (*lstmForward)(int batch, int hidden, float* a, int ldA, const float* cPrev, float* c, float* tanhC, float* y, int ldY);
  // GRU in two halves around the candidate's recurrent matmul: σ of r and u, then r⊙h ...
  void (*gruGates)(int batch, int hidden, float* a, int ldA, const float* hPrev, int ldH, float* rh);
  // ... then n = tanh(·) and h' = n + u⊙(h − n).
  void (*gruOutput)(int batch, int hidden, float* a, int ldA, const float* hPrev, int ldH, float* y, int ldY);

  // Backward. `dh` is dL/dh' from above `[batch, ldDh]`; `carryH` (and `carryC`) hold the gradient from
  // the following step on entry (zeros at the last step) and are overwritten as documented.
  void (*rnnBackward)(int batch, int hidden, const float* h, int ldH, const float* dh, int ldDh, const float* carryH, float* dP, int ldP);
  // carryC ← dc ⊙ f (the cell-state gradient passed to the previous step).
  void (*lstmBackward)(int batch, int hidden, const float* a, int ldA, const float* cPrev, const float* tanhC, const float* dh, int ldDh,
                       const float* carryH, float* carryC, float* dP, int ldP);
  // First half: dH = dh + carryH is left in carryH; dP_n and dP_u are written.
  void (*gruBackwardN)(int batch, int hidden, const float* a, int ldA, const float* hPrev, int ldH, const float* dh, int ldDh, float* carryH, float* dP,
                       int ldP);
  // Second half, given dRH = dP_n·W_hcᵀ: dP_r; with `carry`, carryH ← dH⊙u + dRH⊙r (the caller adds the matmul part).
  void (*gruBackwardR)(int batch, int hidden, const float* a, int ldA, const float* hPrev, int ldH, const float* dRH, float* carryH, bool carry, float* dP,
                       int ldP);

  /** Rows `[rows, vocab]` of logits → (softmax − onehot)/rows in place; returns Σ −log p(label). */
  double (*softmaxCrossEntropy)(int rows, int vocab, float* logits, const int32_t* labels);

  void (*multiply)(float* x, const float* mask, int64_t n);
  void (*columnSums)(int rows, int cols, const float* x, int ld, float* out);
  double (*sumSquares)(const float* x, int64_t n);
  void (*sgd)(float* p, const float* g, int64_t n, float rate);
  void (*adam)(float* p, const float* g, float* m, float* v, int64_t n, float scale, float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2,
               float sqrtBc2, float eps, float stepSize);
};

/** The best table for this CPU (chosen once). */
const Kernels& kernels();

}  // namespace rnnlab
