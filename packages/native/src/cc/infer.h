// A trained model's forward step for generation: every row reads one token, carries its own state
// (given by the caller), and yields the next token's logits. Same parameter layout and cell kernels as
// the training step (net.h, kernels.h), without the tape: one step touches each weight once, so a
// character costs one pass over the weights. Runs on the calling thread (generation interleaves
// requests on its own threads), OpenBLAS single-threaded.
#pragma once
#include <cstdint>
#include <vector>

#include "net.h"

namespace rnnlab {

class Inference {
 public:
  /** With every parameter 0: `setParams` copies them in, a piece at a time. */
  explicit Inference(NetDesc desc);
  /** Copies `n` floats to parameters [offset, offset + n) (a checkpoint's tensors, one by one: no whole copy in between). */
  void setParams(int64_t offset, const float* values, int64_t n);
  const NetDesc& desc() const { return d_; }
  /** The carried state of `batch` rows: per unit, per state tensor (h, then c), `[batch, hidden]`. */
  int64_t stateFloats(int batch) const;
  /** Bytes held: the parameters and the scratch of the largest batch stepped so far. */
  int64_t bytes() const;
  /** Row b reads token x[b] from its state (updated in place); logits `[batch, vocab]`. */
  void step(const int32_t* x, int batch, float* state, float* logits);

 private:
  void resize(int batch);
  void sumBiases();

  NetDesc d_;
  std::vector<float> params_;
  std::vector<std::vector<float>> bias_;  // per unit: b_ih + b_hh in gate-block order (b_ih alone for a reset-after candidate)
  bool biasesStale_ = true;               // parameters changed since the biases were summed
  std::vector<int64_t> stateOffset_;      // per unit, in floats per batch row
  int B_ = 0;
  std::vector<float> A_, planes_;         // the unit being stepped: gates [B, G], the cell's scratch planes [planes][B, H]
  Barrier one_{1};
  Crew solo_{0, 1, 1, &one_, 0};          // the whole unit on the calling thread
  std::vector<std::vector<float>> Y_;     // per layer [B, width]
};

}  // namespace rnnlab
