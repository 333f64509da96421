// A trained model's forward step for generation: every row reads one token, carries its own state
// (given by the caller), and yields the next token's logits. Same parameter layout and cell kernels as
// the training step (net.h, kernels.h), without the tape: one step touches each weight once, so a
// character costs one pass over the weights.
//
// That pass is what a step costs: an LSTM of hidden 256 holds 1 MiB of recurrent weights, more than
// one core's L2 on common CPUs, so one thread streams them from L3 every character. The hidden units
// are therefore cut into a fixed number of members (kMembers, as the training step's members: each
// member's gates adjacent, its recurrent columns packed into panels), and up to that many threads of
// the calling thread's own team step them, each keeping its half of the weights in its own L2. The cut
// never depends on how many threads run it, so one thread or two compute the same bits.
#pragma once
#include <cstdint>
#include <vector>

#include "cell.h"
#include "net.h"

namespace rnnlab {

class Inference {
 public:
  /** Members a unit's hidden units are cut into, whatever the machine: the bits do not depend on it. */
  static constexpr int kMembers = 2;
  /** With every parameter 0: `setParams` copies them in, a piece at a time. */
  explicit Inference(NetDesc desc);
  /** Copies `n` floats to parameters [offset, offset + n) (a checkpoint's tensors, one by one: no whole copy in between). */
  void setParams(int64_t offset, const float* values, int64_t n);
  const NetDesc& desc() const { return d_; }
  /** The carried state of `batch` rows: per unit, per state tensor (h, then c), `[batch, hidden]`. */
  int64_t stateFloats(int batch) const;
  /** Bytes held: the parameters, their member-blocked copies and the scratch of the largest batch stepped so far. */
  int64_t bytes() const;
  /** Row b reads token x[b] from its state (updated in place); logits `[batch, vocab]`. */
  void step(const int32_t* x, int batch, float* state, float* logits);
  /** Threads a step may use (1 to kMembers, at most the machine's cores); one while another model of this process is stepping. */
  static int setMaxThreads(int threads);

 private:
  /** A unit's weights as the members read them (built from the parameters before the first step after a change). */
  struct Blocked {
    Floats bias;    // b_ih + b_hh (b_ih alone for a reset-after candidate), member-blocked `[G]`
    Floats input;   // the one-hot layer: W_x member-blocked `[vocab, G]`; else empty
    Floats store;   // packed panels: per member, per projection, W_x's columns (layers above the first), then W_h's
    PackedWeights recurrent;    // W_h's panels per member (into `store`)
    std::vector<float*> inputPanels;  // per member × projection: W_x's panels (layers above the first), else null
  };
  void resize(int batch);
  void allocateUnit(int u);
  void prepare();
  void prepareUnit(int u);
  void runUnit(int u, const int32_t* x, int B, float* state, const Crew& c);

  NetDesc d_;
  Floats params_;
  std::vector<Blocked> blocked_;
  bool stale_ = true;                     // parameters changed since the blocked copies were made
  std::vector<int64_t> stateOffset_;      // per unit, in floats per batch row
  int B_ = 0;
  Floats A_, planes_;         // the unit being stepped: gates [B, G] (member-blocked), the cell's scratch planes [planes][B, H]
  std::vector<Floats> Y_;     // per layer [B, width]
};

}  // namespace rnnlab
