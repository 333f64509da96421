#include "kernels.h"

#include <cmath>

#include "vmath.h"

// Compiled once per instruction set: RNNLAB_KERNELS names the table (kernelsGeneric, kernelsAvx2,
// kernelsAvx512) and the -march flags choose the instructions.
#ifndef RNNLAB_KERNELS
#define RNNLAB_KERNELS kernelsGeneric
#define RNNLAB_ISA "generic"
#endif

namespace rnnlab {
namespace {

// Each kernel walks the batch rows and hands one row to a helper whose pointers are __restrict
// PARAMETERS: GCC honours restrict on parameters (also once inlined), not reliably on locals, and
// without it the gate blocks of one row look like they might overlap and the loops stay scalar.
#define ROW inline __attribute__((always_inline))
#define AT(p, b, ld) ((p) + int64_t(b) * (ld))

ROW void rnnForwardRow(int n, float* __restrict a, float* __restrict y) {
  for (int j = 0; j < n; j++) {
    const float h = tanh_approx(a[j]);
    a[j] = h;
    y[j] = h;
  }
}

void rnnForward(int batch, int n, float* a, int ldA, float* y, int ldY) {
  for (int b = 0; b < batch; b++) rnnForwardRow(n, AT(a, b, ldA), AT(y, b, ldY));
}

ROW void lstmForwardRow(int n, float* __restrict ai, float* __restrict af, float* __restrict ag, float* __restrict ao, const float* __restrict cp,
                        float* __restrict c, float* __restrict tc, float* __restrict y) {
  for (int j = 0; j < n; j++) {
    const float i = sigmoid(ai[j]);
    const float f = sigmoid(af[j]);
    const float g = tanh_approx(ag[j]);
    const float o = sigmoid(ao[j]);
    const float cn = f * cp[j] + i * g;
    const float t = tanh_approx(cn);
    ai[j] = i;
    af[j] = f;
    ag[j] = g;
    ao[j] = o;
    c[j] = cn;
    tc[j] = t;
    y[j] = o * t;
  }
}

void lstmForward(int batch, int n, float* a, int gs, int ldA, const float* cPrev, float* c, float* tanhC, int ldS, float* y, int ldY) {
  for (int b = 0; b < batch; b++) {
    float* ar = AT(a, b, ldA);
    lstmForwardRow(n, ar, ar + gs, ar + 2 * gs, ar + 3 * gs, AT(cPrev, b, ldS), AT(c, b, ldS), AT(tanhC, b, ldS), AT(y, b, ldY));
  }
}

ROW void gruGatesRow(int n, float* __restrict ar, float* __restrict au, const float* __restrict hp, float* __restrict rh) {
  for (int j = 0; j < n; j++) {
    const float r = sigmoid(ar[j]);
    ar[j] = r;
    au[j] = sigmoid(au[j]);
    rh[j] = r * hp[j];
  }
}

void gruGates(int batch, int n, float* a, int gs, int ldA, const float* hPrev, int ldH, float* rh, int ldS) {
  for (int b = 0; b < batch; b++) {
    float* ar = AT(a, b, ldA);
    gruGatesRow(n, ar, ar + gs, AT(hPrev, b, ldH), AT(rh, b, ldS));
  }
}

ROW void gruOutputRow(int n, const float* __restrict au, float* __restrict an, const float* __restrict hp, float* __restrict y) {
  for (int j = 0; j < n; j++) {
    const float v = tanh_approx(an[j]);
    an[j] = v;
    y[j] = v + au[j] * (hp[j] - v);
  }
}

void gruOutput(int batch, int n, const float* u, float* an, int ldA, const float* hPrev, int ldH, float* y, int ldY) {
  for (int b = 0; b < batch; b++) gruOutputRow(n, AT(u, b, ldA), AT(an, b, ldA), AT(hPrev, b, ldH), AT(y, b, ldY));
}

ROW void gruAfterForwardRow(int n, float* __restrict ar, float* __restrict au, float* __restrict an, float* __restrict hn, const float* __restrict bhh,
                           const float* __restrict hp, float* __restrict y) {
  for (int j = 0; j < n; j++) {
    const float r = sigmoid(ar[j]);
    const float u = sigmoid(au[j]);
    const float hv = hn[j] + bhh[j];
    const float v = tanh_approx(an[j] + r * hv);
    ar[j] = r;
    au[j] = u;
    an[j] = v;
    hn[j] = hv;
    y[j] = v + u * (hp[j] - v);
  }
}

void gruAfterForward(int batch, int n, float* a, int gs, float* an, int ldA, float* hn, const float* bhh, int ldS, const float* hPrev, int ldH, float* y,
                     int ldY) {
  for (int b = 0; b < batch; b++) {
    float* ar = AT(a, b, ldA);
    gruAfterForwardRow(n, ar, ar + gs, AT(an, b, ldA), AT(hn, b, ldS), bhh, AT(hPrev, b, ldH), AT(y, b, ldY));
  }
}

ROW void rnnBackwardRow(int n, const float* __restrict h, const float* __restrict dh, const float* __restrict carry, float* __restrict dP) {
  for (int j = 0; j < n; j++) dP[j] = (dh[j] + carry[j]) * (1.0f - h[j] * h[j]);
}

void rnnBackward(int batch, int n, const float* h, int ldH, const float* dh, int ldY, const float* carryH, int ldS, float* dP, int ldP) {
  for (int b = 0; b < batch; b++) rnnBackwardRow(n, AT(h, b, ldH), AT(dh, b, ldY), AT(carryH, b, ldS), AT(dP, b, ldP));
}

ROW void lstmBackwardRow(int n, const float* __restrict ai, const float* __restrict af, const float* __restrict ag, const float* __restrict ao,
                         const float* __restrict cp, const float* __restrict tc, const float* __restrict carryH, float* __restrict carryC,
                         const float* __restrict dh, float* __restrict pi, float* __restrict pf, float* __restrict pg, float* __restrict po) {
  for (int j = 0; j < n; j++) {
    const float i = ai[j], f = af[j], g = ag[j], o = ao[j], t = tc[j];
    const float dH = dh[j] + carryH[j];
    const float dC = dH * (o * (1.0f - t * t)) + carryC[j];
    pi[j] = dC * (g * (i * (1.0f - i)));
    pf[j] = dC * (cp[j] * (f * (1.0f - f)));
    pg[j] = dC * (i * (1.0f - g * g));
    po[j] = dH * (t * (o * (1.0f - o)));
    carryC[j] = dC * f;
  }
}

void lstmBackward(int batch, int n, const float* a, int gs, int ldA, const float* cPrev, const float* tanhC, const float* carryH, float* carryC, int ldS,
                  const float* dh, int ldY, float* dP, int ldP) {
  for (int b = 0; b < batch; b++) {
    const float* ar = AT(a, b, ldA);
    float* pr = AT(dP, b, ldP);
    lstmBackwardRow(n, ar, ar + gs, ar + 2 * gs, ar + 3 * gs, AT(cPrev, b, ldS), AT(tanhC, b, ldS), AT(carryH, b, ldS), AT(carryC, b, ldS), AT(dh, b, ldY), pr,
                    pr + gs, pr + 2 * gs, pr + 3 * gs);
  }
}

ROW void gruBackwardNRow(int n, const float* __restrict au, const float* __restrict an, const float* __restrict hp, float* __restrict carryH,
                         const float* __restrict dh, float* __restrict pu, float* __restrict pn) {
  for (int j = 0; j < n; j++) {
    const float u = au[j], v = an[j];
    const float dH = dh[j] + carryH[j];
    carryH[j] = dH;
    pn[j] = dH * ((1.0f - u) * (1.0f - v * v));
    pu[j] = dH * ((hp[j] - v) * (u * (1.0f - u)));
  }
}

void gruBackwardN(int batch, int n, const float* u, const float* an, int ldA, const float* hPrev, int ldH, float* carryH, int ldS, const float* dh, int ldY,
                  float* dPu, float* dPn, int ldP) {
  for (int b = 0; b < batch; b++)
    gruBackwardNRow(n, AT(u, b, ldA), AT(an, b, ldA), AT(hPrev, b, ldH), AT(carryH, b, ldS), AT(dh, b, ldY), AT(dPu, b, ldP), AT(dPn, b, ldP));
}

ROW void gruBackwardRRow(int n, const float* __restrict r, const float* __restrict u, const float* __restrict hp, const float* __restrict dRH,
                         float* __restrict carryH, bool carry, float* __restrict pr) {
  for (int j = 0; j < n; j++) pr[j] = dRH[j] * (hp[j] * (r[j] * (1.0f - r[j])));
  if (carry) {
    for (int j = 0; j < n; j++) carryH[j] = carryH[j] * u[j] + dRH[j] * r[j];
  }
}

void gruBackwardR(int batch, int n, const float* r, const float* u, int ldA, const float* hPrev, int ldH, const float* dRH, float* carryH, int ldS, bool carry,
                  float* dPr, int ldP) {
  for (int b = 0; b < batch; b++)
    gruBackwardRRow(n, AT(r, b, ldA), AT(u, b, ldA), AT(hPrev, b, ldH), AT(dRH, b, ldS), AT(carryH, b, ldS), carry, AT(dPr, b, ldP));
}

ROW void gruAfterBackwardRow(int n, const float* __restrict ar, const float* __restrict au, const float* __restrict an, const float* __restrict hn,
                            const float* __restrict hp, float* __restrict carryH, const float* __restrict dh, bool carry, float* __restrict pr,
                            float* __restrict pu, float* __restrict pn, float* __restrict dhn) {
  for (int j = 0; j < n; j++) {
    const float r = ar[j], u = au[j], v = an[j];
    const float dH = dh[j] + carryH[j];
    const float dn = dH * ((1.0f - u) * (1.0f - v * v));
    pn[j] = dn;
    pu[j] = dH * ((hp[j] - v) * (u * (1.0f - u)));
    dhn[j] = dn * r;
    pr[j] = dn * (hn[j] * (r * (1.0f - r)));
    carryH[j] = carry ? dH * u : dH;
  }
}

void gruAfterBackward(int batch, int n, const float* a, int gs, const float* an, int ldA, const float* hn, int ldS, const float* hPrev, int ldH,
                      float* carryH, const float* dh, int ldY, bool carry, float* dP, float* dPn, int ldP, float* dHN) {
  for (int b = 0; b < batch; b++) {
    const float* ar = AT(a, b, ldA);
    float* pr = AT(dP, b, ldP);
    gruAfterBackwardRow(n, ar, ar + gs, AT(an, b, ldA), AT(hn, b, ldS), AT(hPrev, b, ldH), AT(carryH, b, ldS), AT(dh, b, ldY), carry, pr, pr + gs,
                        AT(dPn, b, ldP), AT(dHN, b, ldS));
  }
}

ROW float softmaxRow(int V, float* __restrict row, int label, float scale) {
  float mx = row[0];
  for (int j = 1; j < V; j++) mx = row[j] > mx ? row[j] : mx;
  float sum = 0;
  for (int j = 0; j < V; j++) sum += exp_approx(row[j] - mx);
  const float lse = mx + std::log(sum);
  const float logp = row[label] - lse;
  for (int j = 0; j < V; j++) row[j] = exp_approx(row[j] - lse) * scale;
  row[label] -= scale;
  return logp;
}

double softmaxCrossEntropy(int rows, int vocab, float* logits, const int32_t* labels, float scale) {
  double loss = 0;
  for (int r = 0; r < rows; r++) loss -= double(softmaxRow(vocab, logits + int64_t(r) * vocab, labels[r], scale));
  return loss;
}

void multiply(float* __restrict x, const float* __restrict mask, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] *= mask[i];
}

void addRow(int n, float* __restrict out, const float* __restrict x) {
  for (int j = 0; j < n; j++) out[j] += x[j];
}

void columnSums(int rows, int cols, const float* x, int ld, float* out) {
  for (int j = 0; j < cols; j++) out[j] = 0;
  for (int r = 0; r < rows; r++) addRow(cols, out, x + int64_t(r) * ld);
}

double sumSquares(const float* __restrict x, int64_t n) {
  // Float partial sums over 16 lanes and blocks (vectorisable without -ffast-math), added in double.
  double total = 0;
  for (int64_t start = 0; start < n; start += 4096) {
    const int64_t end = start + 4096 < n ? start + 4096 : n;
    float lane[16] = {};
    int64_t i = start;
    for (; i + 16 <= end; i += 16)
      for (int k = 0; k < 16; k++) lane[k] += x[i + k] * x[i + k];
    double s = 0;
    for (int k = 0; k < 16; k++) s += lane[k];
    for (; i < end; i++) s += double(x[i]) * x[i];
    total += s;
  }
  return total;
}

void sgd(float* __restrict p, const float* __restrict g, int64_t n, float rate) {
  for (int64_t i = 0; i < n; i++) p[i] -= g[i] * rate;
}

// torch.optim.Adam's update in the core's order (train/optimizers.ts), in float32 like tfjs.
void adam(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n, float scale, float beta1, float beta2,
          float oneMinusBeta1, float oneMinusBeta2, float sqrtBc2, float eps, float stepSize) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * scale;
    const float mi = m[i] * beta1 + gi * oneMinusBeta1;
    const float vi = v[i] * beta2 + (gi * gi) * oneMinusBeta2;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (mi / (std::sqrt(vi) / sqrtBc2 + eps)) * stepSize;
  }
}

// The packed GEMM's micro-kernel: R rows × one panel (two 16-float vectors a row), R·2 accumulators.
// GCC's vector extension compiles it for each instruction set (AVX-512: a register a vector; AVX2 and
// generic: two or four), so the rows per call are fewer where registers are.
typedef float v16 __attribute__((vector_size(64), aligned(4)));
#if defined(__AVX512F__)
constexpr int kRows = 8;
#else
constexpr int kRows = 4;
#endif

template <int R>
ROW void packedPanel(int k, const float* __restrict a, int lda, const float* __restrict panel, float beta, float* __restrict c, int ldc, int cols) {
  v16 acc[R][2];
  float tail[kPanel];
  for (int r = 0; r < R; r++) {
    if (beta == 0.0f) {
      acc[r][0] = v16{};
      acc[r][1] = v16{};
    } else if (cols == kPanel) {
      acc[r][0] = *reinterpret_cast<const v16*>(c + int64_t(r) * ldc);
      acc[r][1] = *reinterpret_cast<const v16*>(c + int64_t(r) * ldc + 16);
    } else {
      for (int j = 0; j < kPanel; j++) tail[j] = j < cols ? c[int64_t(r) * ldc + j] : 0.0f;
      acc[r][0] = *reinterpret_cast<const v16*>(tail);
      acc[r][1] = *reinterpret_cast<const v16*>(tail + 16);
    }
  }
  for (int i = 0; i < k; i++) {
    const v16 b0 = *reinterpret_cast<const v16*>(panel + int64_t(i) * kPanel);
    const v16 b1 = *reinterpret_cast<const v16*>(panel + int64_t(i) * kPanel + 16);
    for (int r = 0; r < R; r++) {
      const float x = a[int64_t(r) * lda + i];
      acc[r][0] += x * b0;
      acc[r][1] += x * b1;
    }
  }
  for (int r = 0; r < R; r++) {
    if (cols == kPanel) {
      *reinterpret_cast<v16*>(c + int64_t(r) * ldc) = acc[r][0];
      *reinterpret_cast<v16*>(c + int64_t(r) * ldc + 16) = acc[r][1];
    } else {
      *reinterpret_cast<v16*>(tail) = acc[r][0];
      *reinterpret_cast<v16*>(tail + 16) = acc[r][1];
      for (int j = 0; j < cols; j++) c[int64_t(r) * ldc + j] = tail[j];
    }
  }
}

template <int R>
void packedRows(int m, int k, const float* a, int lda, const float* panel, float beta, float* c, int ldc, int cols) {
  if constexpr (R > 1) {
    if (m < R) return packedRows<R - 1>(m, k, a, lda, panel, beta, c, ldc, cols);
  }
  int r = 0;
  for (; r + R <= m; r += R) packedPanel<R>(k, a + int64_t(r) * lda, lda, panel, beta, c + int64_t(r) * ldc, ldc, cols);
  if constexpr (R > 1) {
    if (r < m) packedRows<R - 1>(m - r, k, a + int64_t(r) * lda, lda, panel, beta, c + int64_t(r) * ldc, ldc, cols);
  }
}

void packedGemm(int m, int n, int k, const float* a, int lda, const float* packed, float beta, float* c, int ldc) {
  // Panel by panel (its k × 32 floats stay in L1 for all the rows), the rows kRows at a time.
  for (int j = 0; j < n; j += kPanel)
    packedRows<kRows>(m, k, a, lda, packed + int64_t(j) * k, beta, c + j, ldc, n - j < kPanel ? n - j : kPanel);
}

}  // namespace

extern const Kernels RNNLAB_KERNELS;
const Kernels RNNLAB_KERNELS = {
    RNNLAB_ISA,   rnnForward,   lstmForward,      gruGates,            gruOutput, gruAfterForward, rnnBackward, lstmBackward,
    gruBackwardN, gruBackwardR, gruAfterBackward, softmaxCrossEntropy, multiply,  columnSums,      addRow,      sumSquares,
    sgd,          adam,         packedGemm,
};

}  // namespace rnnlab
