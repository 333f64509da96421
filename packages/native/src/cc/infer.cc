// See infer.h. The gate block of a row is laid out as the core's columns (one member: no regrouping),
// so the kernels run with the gates `hidden` apart.
#include "infer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "kernels.h"

namespace rnnlab {
namespace {

/** C[m, n] = A[m, k]·B[k, n] + beta·C (row-major); one row is a matrix-vector product (cell.h). */
void gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  rnnlab::gemm(false, false, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

Inference::Inference(NetDesc desc) : d_(std::move(desc)), params_(size_t(d_.paramCount), 0.0f) {
  int64_t offset = 0;
  for (const Unit& U : d_.units) {
    stateOffset_.push_back(offset);
    offset += int64_t(U.stateSize) * d_.hidden;
    bias_.emplace_back(size_t(U.gates), 0.0f);
  }
  Y_.resize(size_t(d_.numLayers));
  solo_.hidden = d_.hidden;
}

void Inference::setParams(int64_t offset, const float* values, int64_t n) {
  if (offset < 0 || n < 0 || offset + n > d_.paramCount) throw std::out_of_range("parameters out of range");
  std::copy_n(values, n, params_.data() + offset);
  biasesStale_ = true;
}

void Inference::sumBiases() {
  for (size_t u = 0; u < d_.units.size(); u++) {
    const Unit& U = d_.units[u];
    for (size_t pi = 0; pi < U.proj.size(); pi++) {
      const Projection& p = U.proj[pi];
      // A projection whose cell applies b_hh itself (cell.h: apartPlane).
      const bool bihOnly = U.cell->apartPlane(int(pi)) >= 0;
      for (int j = 0; j < p.gates * d_.hidden; j++) bias_[u][size_t(p.col + j)] = params_[size_t(p.bih + j)] + (bihOnly ? 0.0f : params_[size_t(p.bhh + j)]);
    }
  }
  biasesStale_ = false;
}

int64_t Inference::stateFloats(int batch) const {
  int64_t n = 0;
  for (const Unit& u : d_.units) n += int64_t(u.stateSize) * d_.hidden * batch;
  return n;
}

int64_t Inference::bytes() const {
  int64_t n = int64_t(params_.size());
  for (const auto& b : bias_) n += int64_t(b.size());
  for (const auto& y : Y_) n += int64_t(y.size());
  n += int64_t(A_.size() + planes_.size());
  return n * int64_t(sizeof(float));
}

void Inference::resize(int batch) {
  if (batch <= B_) return;
  B_ = batch;
  int G = 0;
  for (const Unit& u : d_.units) G = std::max(G, u.gates);
  int planes = 0;
  for (const Unit& u : d_.units) planes = std::max(planes, u.cell->planes());
  A_.assign(size_t(batch) * G, 0.0f);
  planes_.assign(size_t(planes) * batch * d_.hidden, 0.0f);
  for (auto& y : Y_) y.assign(size_t(batch) * d_.outWidth, 0.0f);
}

void Inference::step(const int32_t* x, int B, float* state, float* logits) {
  if (B < 1) throw std::invalid_argument("batch must be positive");
  if (biasesStale_) sumBiases();
  resize(B);
  const int H = d_.hidden, W = d_.outWidth, V = d_.vocab, D = d_.directions;
  const float* P = params_.data();
  for (int l = 0; l < d_.numLayers; l++) {
    // Every layer but the first reads the whole output of the one below (both directions).
    const float* xin = l == 0 ? nullptr : Y_[size_t(l - 1)].data();
    float* Y = Y_[size_t(l)].data();
    for (int dir = 0; dir < D; dir++) {
      const int u = l * D + dir;
      const Unit& U = d_.units[size_t(u)];
      const int G = U.gates, I = U.input;
      float* A = A_.data();
      // Input side, biases included: a row of W_x for the one-hot first layer, a GEMM otherwise.
      for (const Projection& p : U.proj) {
        const int width = p.gates * H;
        const float* bias = bias_[size_t(u)].data() + p.col;
        for (int b = 0; b < B; b++) {
          float* row = A + int64_t(b) * G + p.col;
          if (xin) {
            std::memcpy(row, bias, sizeof(float) * width);
          } else {
            const float* wr = P + p.w + int64_t(x[b]) * width;
            for (int j = 0; j < width; j++) row[j] = wr[j] + bias[j];
          }
        }
        if (xin) gemm(B, width, I, xin, W, P + p.w, width, 1.0f, A + p.col, G);
      }
      // Recurrent side and the cell, one member (the core's column order): the state's rows are
      // `hidden` apart, the output's `width`; the cell's state tensors after h follow h in `state`.
      float* h = state + stateOffset_[size_t(u)] * B;
      float* y = Y + dir * H;
      ForwardStep s(B, H, G);
      s.a = A;
      s.h = h;
      s.ldh = H;
      for (int q = 1; q < U.stateSize; q++) s.prev[q] = h + int64_t(q) * B * H;
      for (int q = 0; q < U.cell->planes(); q++) s.plane[q] = planes_.data() + int64_t(q) * B * H;
      s.y = y;
      s.ldy = W;
      for (size_t pi = 0; pi < U.proj.size(); pi++) {
        const Projection& p = U.proj[pi];
        s.ldw[pi] = p.gates * H;
        s.w[pi] = P + p.w + int64_t(I) * s.ldw[pi];
        s.bhh[pi] = P + p.bhh;
      }
      U.cell->forward(s, solo_);
      for (int q = 1; q < U.stateSize; q++) std::memcpy(h + int64_t(q) * B * H, s.plane[U.cell->statePlane(q)], sizeof(float) * B * H);
      for (int b = 0; b < B; b++) std::memcpy(h + int64_t(b) * H, y + int64_t(b) * W, sizeof(float) * H);
    }
  }
  for (int b = 0; b < B; b++) std::memcpy(logits + int64_t(b) * V, P + d_.outB, sizeof(float) * V);
  gemm(B, V, W, Y_[size_t(d_.numLayers - 1)].data(), W, P + d_.outW, V, 1.0f, logits, V);
}

}  // namespace rnnlab
