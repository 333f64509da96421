// The training step: forward over all steps, softmax cross-entropy, backprop through time, gradients.
// GEMMs go to OpenBLAS (cblas_sgemm, row-major); the rest is kernels.cc. Layout conventions:
//   - rows are time-major, row t·B + b is step t of sequence b (as the core's logits are);
//   - a layer's output Y is `[T·B, width]` with direction d in columns [d·H, (d+1)·H);
//   - per unit, A holds the gate block `[T·B, gates]` (pre-activations, then activations in place)
//     and dP the gradient w.r.t. the pre-activations, both indexed by TIME (not processing order), so
//     the reverse direction's "previous state" of step t is row block t+1.
#include "net.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "kernels.h"

namespace rnnlab {
namespace {

const Kernels& K = kernels();

inline void gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

Net::Net(NetDesc desc) : d_(std::move(desc)) {
  int64_t off = 0;
  for (const Unit& u : d_.units) {
    stateOffset_.push_back(off);
    off += int64_t(u.stateSize) * d_.hidden;
  }
}

int64_t Net::stateFloats(int batch) const {
  int64_t n = 0;
  for (const Unit& u : d_.units) n += int64_t(u.stateSize) * d_.hidden * batch;
  return n;
}

void Net::resize(int batch, int steps) {
  if (batch == B_ && steps == T_) return;
  B_ = batch;
  T_ = steps;
  const int64_t N = int64_t(batch) * steps, H = d_.hidden, W = d_.outWidth;
  const size_t L = size_t(d_.numLayers), U = d_.units.size();
  Y_.assign(L, std::vector<float>(N * W));
  Xm_.assign(L > 0 ? L - 1 : 0, std::vector<float>(N * W));
  A_.assign(U, {});
  dP_.assign(U, {});
  C_.assign(U, {});
  TC_.assign(U, {});
  RH_.assign(U, {});
  carryH_.assign(U, std::vector<float>(batch * H));
  carryC_.assign(U, std::vector<float>(batch * H));
  tmp_.assign(U, std::vector<float>(batch * H));
  for (size_t u = 0; u < U; u++) {
    const Unit& un = d_.units[u];
    A_[u].resize(N * un.gates);
    dP_[u].resize(N * un.gates);
    if (un.cell == kLstm) {
      C_[u].resize(N * H);
      TC_[u].resize(N * H);
    }
    if (un.cell == kGru) RH_[u].resize(N * H);
  }
  logits_.resize(N * d_.vocab);
  dY_.resize(N * W);
  dX_.resize(N * W);
  zeros_.assign(batch * H, 0.0f);
}

const float* Net::h0(int u, const StepArgs& a) const {
  return a.stateIn ? a.stateIn + stateOffset_[u] * a.batch : zeros_.data();
}

const float* Net::c0(int u, const StepArgs& a) const {
  return a.stateIn ? a.stateIn + (stateOffset_[u] + d_.hidden) * a.batch : zeros_.data();
}

void Net::forwardUnit(int u, const StepArgs& a, const float* xin) {
  const Unit& U = d_.units[u];
  const int B = B_, T = T_, N = B * T, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  const float* P = a.params;
  float* A = A_[u].data();
  float* Y = Y_[U.layer].data();

  // Input projections of every step at once, biases included: a row gather for the one-hot first
  // layer (x·W is row x of W), one GEMM over all T·B rows otherwise.
  for (const Projection& p : U.proj) {
    const float* Wp = P + p.w;
    const float* bi = P + p.bih;
    const float* bh = P + p.bhh;
    for (int r = 0; r < N; r++) {
      float* row = A + int64_t(r) * G + p.col;
      if (xin) {
        for (int j = 0; j < p.width; j++) row[j] = bi[j] + bh[j];
      } else {
        const int t = r / B, b = r % B;
        const float* wr = Wp + int64_t(a.x[b * T + t]) * p.width;
        for (int j = 0; j < p.width; j++) row[j] = wr[j] + (bi[j] + bh[j]);
      }
    }
    if (xin) gemm(false, false, N, p.width, I, xin, W, Wp, p.width, 1.0f, A + p.col, G);
  }

  const float* hInit = h0(u, a);
  const float* cInit = c0(u, a);
  for (int k = 0; k < T; k++) {
    const int t = U.dir ? T - 1 - k : k;
    const int tp = U.dir ? t + 1 : t - 1;
    const float* hp = k == 0 ? hInit : Y + int64_t(tp) * B * W + U.dir * H;
    const int ldh = k == 0 ? H : W;
    float* At = A + int64_t(t) * B * G;
    float* Yt = Y + int64_t(t) * B * W + U.dir * H;
    switch (U.cell) {
      case kRnn:
        gemm(false, false, B, H, H, hp, ldh, P + U.proj[0].w + int64_t(I) * H, H, 1.0f, At, G);
        K.rnnForward(B, H, At, G, Yt, W);
        break;
      case kLstm: {
        gemm(false, false, B, 4 * H, H, hp, ldh, P + U.proj[0].w + int64_t(I) * 4 * H, 4 * H, 1.0f, At, G);
        const float* cp = k == 0 ? cInit : C_[u].data() + int64_t(tp) * B * H;
        K.lstmForward(B, H, At, G, cp, C_[u].data() + int64_t(t) * B * H, TC_[u].data() + int64_t(t) * B * H, Yt, W);
        break;
      }
      case kGru: {
        const Projection& pg = U.proj[0];
        const Projection& pc = U.proj[1];
        float* rh = RH_[u].data() + int64_t(t) * B * H;
        gemm(false, false, B, 2 * H, H, hp, ldh, P + pg.w + int64_t(I) * 2 * H, 2 * H, 1.0f, At, G);
        K.gruGates(B, H, At, G, hp, ldh, rh);
        gemm(false, false, B, H, H, rh, H, P + pc.w + int64_t(I) * H, H, 1.0f, At + 2 * H, G);
        K.gruOutput(B, H, At, G, hp, ldh, Yt, W);
        break;
      }
      default:
        throw std::runtime_error("unknown cell");
    }
  }

  // The state after the sequence (after step 0 for the reverse direction): carried, detached.
  const int tLast = U.dir ? 0 : T - 1;
  float* out = a.stateOut + stateOffset_[u] * B;
  for (int b = 0; b < B; b++) std::memcpy(out + int64_t(b) * H, Y + (int64_t(tLast) * B + b) * W + U.dir * H, sizeof(float) * H);
  if (U.cell == kLstm) std::memcpy(out + int64_t(B) * H, C_[u].data() + int64_t(tLast) * B * H, sizeof(float) * B * H);
}

void Net::backwardUnit(int u, const StepArgs& a, const float* dY) {
  const Unit& U = d_.units[u];
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  const float* P = a.params;
  const float* A = A_[u].data();
  const float* Y = Y_[U.layer].data();
  float* dP = dP_[u].data();
  float* carryH = carryH_[u].data();
  float* carryC = carryC_[u].data();
  std::fill(carryH_[u].begin(), carryH_[u].end(), 0.0f);
  std::fill(carryC_[u].begin(), carryC_[u].end(), 0.0f);
  const float* hInit = h0(u, a);
  const float* cInit = c0(u, a);

  for (int k = 0; k < T; k++) {
    // Backward visits the steps in the opposite order of the forward pass.
    const int t = U.dir ? k : T - 1 - k;
    const bool first = k == T - 1;  // the forward pass's first step: its previous state is detached
    const int tp = U.dir ? t + 1 : t - 1;
    const float* hp = first ? hInit : Y + int64_t(tp) * B * W + U.dir * H;
    const int ldh = first ? H : W;
    const float* dh = dY + int64_t(t) * B * W + U.dir * H;
    const float* At = A + int64_t(t) * B * G;
    float* dPt = dP + int64_t(t) * B * G;
    switch (U.cell) {
      case kRnn:
        K.rnnBackward(B, H, Y + int64_t(t) * B * W + U.dir * H, W, dh, W, carryH, dPt, G);
        if (!first) gemm(false, true, B, H, H, dPt, G, P + U.proj[0].w + int64_t(I) * H, H, 0.0f, carryH, H);
        break;
      case kLstm: {
        const float* cp = first ? cInit : C_[u].data() + int64_t(tp) * B * H;
        K.lstmBackward(B, H, At, G, cp, TC_[u].data() + int64_t(t) * B * H, dh, W, carryH, carryC, dPt, G);
        if (!first) gemm(false, true, B, H, 4 * H, dPt, G, P + U.proj[0].w + int64_t(I) * 4 * H, 4 * H, 0.0f, carryH, H);
        break;
      }
      case kGru: {
        const Projection& pg = U.proj[0];
        const Projection& pc = U.proj[1];
        float* dRH = tmp_[u].data();
        K.gruBackwardN(B, H, At, G, hp, ldh, dh, W, carryH, dPt, G);
        gemm(false, true, B, H, H, dPt + 2 * H, G, P + pc.w + int64_t(I) * H, H, 0.0f, dRH, H);
        K.gruBackwardR(B, H, At, G, hp, ldh, dRH, carryH, !first, dPt, G);
        if (!first) gemm(false, true, B, H, 2 * H, dPt, G, P + pg.w + int64_t(I) * 2 * H, 2 * H, 1.0f, carryH, H);
        break;
      }
      default:
        throw std::runtime_error("unknown cell");
    }
  }
}

void Net::weightGradients(int u, const StepArgs& a, const float* xin) {
  const Unit& U = d_.units[u];
  const int B = B_, T = T_, N = B * T, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  const float* Y = Y_[U.layer].data();
  const float* dP = dP_[u].data();
  const float* hInit = h0(u, a);
  for (size_t j = 0; j < U.proj.size(); j++) {
    const Projection& p = U.proj[j];
    const float* dPp = dP + p.col;
    float* gW = a.grads + p.w;
    // Input rows: one-hot rows scatter-add (xᵀ·dP picks rows), a GEMM over all steps otherwise.
    if (xin) {
      gemm(true, false, I, p.width, N, xin, W, dPp, G, 0.0f, gW, p.width);
    } else {
      std::memset(gW, 0, sizeof(float) * I * p.width);
      for (int r = 0; r < N; r++) {
        const int t = r / B, b = r % B;
        float* row = gW + int64_t(a.x[b * T + t]) * p.width;
        const float* src = dPp + int64_t(r) * G;
        for (int c = 0; c < p.width; c++) row[c] += src[c];
      }
    }
    // Recurrent rows: Σ_t h_prev(t)ᵀ·dP(t) as one GEMM over the steps whose previous state is an
    // output of this minibatch, plus the carried-in state's term.
    float* gWh = gW + int64_t(I) * p.width;
    if (U.cell == kGru && j == 1) {
      gemm(true, false, H, p.width, N, RH_[u].data(), H, dPp, G, 0.0f, gWh, p.width);  // z = [x, r⊙h]
    } else {
      const int tFirst = U.dir ? T - 1 : 0;
      if (T > 1) {
        const float* hs = U.dir ? Y + int64_t(B) * W + U.dir * H : Y + U.dir * H;  // h(t∓1) for the other steps
        const float* ds = U.dir ? dPp : dPp + int64_t(B) * G;
        gemm(true, false, H, p.width, (T - 1) * B, hs, W, ds, G, 0.0f, gWh, p.width);
      }
      gemm(true, false, H, p.width, B, hInit, H, dPp + int64_t(tFirst) * B * G, G, T > 1 ? 1.0f : 0.0f, gWh, p.width);
    }
    // Both biases of PyTorch's cells get the same gradient.
    K.columnSums(N, p.width, dPp, G, a.grads + p.bih);
    std::memcpy(a.grads + p.bhh, a.grads + p.bih, sizeof(float) * p.width);
  }
}

void Net::inputGradient(int u, const StepArgs& a, float* dX, bool first) {
  const Unit& U = d_.units[u];
  const int N = B_ * T_, G = U.gates, I = U.input;
  for (size_t j = 0; j < U.proj.size(); j++) {
    const Projection& p = U.proj[j];
    gemm(false, true, N, I, p.width, dP_[u].data() + p.col, G, a.params + p.w, p.width, first && j == 0 ? 0.0f : 1.0f, dX, I);
  }
}

StepResult Net::step(const StepArgs& a) {
  if (a.batch <= 0 || a.steps <= 0) throw std::invalid_argument("batch and steps must be positive");
  resize(a.batch, a.steps);
  const int B = B_, T = T_, N = B * T, W = d_.outWidth, V = d_.vocab, L = d_.numLayers, D = d_.directions;
  const float* P = a.params;
  const int64_t layerMask = int64_t(N) * W;

  // Forward, layer by layer; dropout (inverted, masks drawn by the caller) on every output but the last.
  for (int l = 0; l < L; l++) {
    const float* xin = l == 0 ? nullptr : (a.masks ? Xm_[l - 1].data() : Y_[l - 1].data());
    for (int d = 0; d < D; d++) forwardUnit(l * D + d, a, xin);
    if (a.masks && l < L - 1) {
      std::memcpy(Xm_[l].data(), Y_[l].data(), sizeof(float) * layerMask);
      K.multiply(Xm_[l].data(), a.masks + l * layerMask, layerMask);
    }
  }

  // Output layer over all steps at once, then softmax cross-entropy; logits_ becomes dL/dlogits.
  const float* top = Y_[L - 1].data();
  float* lg = logits_.data();
  for (int r = 0; r < N; r++) std::memcpy(lg + int64_t(r) * V, P + d_.outB, sizeof(float) * V);
  gemm(false, false, N, V, W, top, W, P + d_.outW, V, 1.0f, lg, V);
  std::vector<int32_t> labels(N);
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) labels[t * B + b] = a.y[b * T + t];
  const double loss = K.softmaxCrossEntropy(N, V, lg, labels.data()) / N;

  gemm(true, false, W, V, N, top, W, lg, V, 0.0f, a.grads + d_.outW, V);
  K.columnSums(N, V, lg, V, a.grads + d_.outB);
  float* dY = dY_.data();
  float* dX = dX_.data();
  gemm(false, true, N, W, V, lg, V, P + d_.outW, V, 0.0f, dY, W);

  for (int l = L - 1; l >= 0; l--) {
    if (a.masks && l < L - 1) K.multiply(dY, a.masks + l * layerMask, layerMask);
    const float* xin = l == 0 ? nullptr : (a.masks ? Xm_[l - 1].data() : Y_[l - 1].data());
    for (int d = 0; d < D; d++) backwardUnit(l * D + d, a, dY);
    for (int d = 0; d < D; d++) weightGradients(l * D + d, a, xin);
    if (l > 0) {
      for (int d = 0; d < D; d++) inputGradient(l * D + d, a, dX, d == 0);
      std::swap(dY, dX);
    }
  }

  return {loss, K.sumSquares(a.grads, d_.paramCount)};
}

double sgemmSeconds(int m, int n, int k, int repeats) {
  std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
  for (size_t i = 0; i < a.size(); i++) a[i] = float(i % 13) * 0.01f - 0.06f;
  for (size_t i = 0; i < b.size(); i++) b[i] = float(i % 7) * 0.02f - 0.06f;
  const double flops = 2.0 * m * n * k;
  const int calls = std::max(1, int(2e8 / flops));  // ~0.2 GFLOP per timed batch
  gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  double best = 1e30;
  for (int r = 0; r < repeats; r++) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; i++) gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls;
    best = std::min(best, s);
  }
  return best;
}

}  // namespace rnnlab
