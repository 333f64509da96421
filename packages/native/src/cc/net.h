// One training step of a stacked (optionally bidirectional) recurrent language model over one-hot
// input, in the parameter layout of @rnnlab/core (see model/build.ts and model/cells/*.ts there):
//
//   per unit (layer-direction) and projection p: W_p `[input + hidden, width_p]` (input rows first, then
//   the recurrent rows), b_ih_p and b_hh_p `[width_p]`; then output.W `[width, vocab]`, output.b `[vocab]`.
//   rnn: one projection `hidden` (tanh). gru: `gates` (r, u) and `cand` (n), reset gate applied to h
//   BEFORE the recurrent matmul (d2l's form). lstm: `gates` (i, f, g, o).
//
// The caller (packages/native/src/engine.ts) owns every buffer that outlives a step: parameters,
// gradients, carried state, dropout masks. The Net owns only scratch space for one (batch, steps).
#pragma once
#include <cstdint>
#include <vector>

namespace rnnlab {

enum Cell : int { kRnn = 0, kGru = 1, kLstm = 2 };

struct Projection {
  int64_t w = 0, bih = 0, bhh = 0;  // offsets in the parameter buffer
  int width = 0;                    // columns of W_p
  int col = 0;                      // where its columns start in the unit's gate block
};

struct Unit {
  int cell = kRnn, layer = 0, dir = 0, input = 0;
  int gates = 0;      // the gate block's width: rnn H, gru 3H, lstm 4H
  int stateSize = 1;  // h (and c for the LSTM)
  std::vector<Projection> proj;
};

struct NetDesc {
  int vocab = 0, numLayers = 0, directions = 0, hidden = 0, outWidth = 0;
  int64_t outW = 0, outB = 0, paramCount = 0;
  std::vector<Unit> units;
};

struct StepArgs {
  const float* params;
  float* grads;            // written in full (same layout as params)
  const int32_t* x;        // token ids, row-major [batch, steps]
  const int32_t* y;        // labels, row-major [batch, steps]
  int batch, steps;
  const float* stateIn;    // carried state [unit][k][batch·hidden], or null for zeros
  float* stateOut;         // the state after the sequence, same layout
  const float* masks;      // dropout masks [layer < L−1][step][batch·width], or null
};

struct StepResult {
  double loss;    // mean cross-entropy
  double normSq;  // Σ g² over every gradient (both bias copies counted, as the core does)
};

class Net {
 public:
  explicit Net(NetDesc desc);
  StepResult step(const StepArgs& a);
  const NetDesc& desc() const { return d_; }
  int64_t stateFloats(int batch) const;

 private:
  void resize(int batch, int steps);
  void forwardUnit(int u, const StepArgs& a, const float* xin);
  void backwardUnit(int u, const StepArgs& a, const float* dY);
  void inputGradient(int u, const StepArgs& a, float* dX, bool first);
  void weightGradients(int u, const StepArgs& a, const float* xin);
  const float* h0(int u, const StepArgs& a) const;
  const float* c0(int u, const StepArgs& a) const;

  NetDesc d_;
  int B_ = 0, T_ = 0;
  std::vector<int64_t> stateOffset_;  // per unit, in floats per batch row
  // Scratch, sized for (B_, T_): per layer, per unit, and shared.
  std::vector<std::vector<float>> Y_, Xm_;                // layer outputs [T·B, width] (and masked)
  std::vector<std::vector<float>> A_, dP_, C_, TC_, RH_;  // per unit
  std::vector<std::vector<float>> carryH_, carryC_, tmp_; // per unit [B·H]
  std::vector<float> logits_, dY_, dX_, zeros_;
};

/** Seconds per call of C[m, n] = A[m, k]·B[k, n] (row-major), the best of `repeats` timed batches. */
double sgemmSeconds(int m, int n, int k, int repeats);

}  // namespace rnnlab
