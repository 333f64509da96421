// One training step of a stacked (optionally bidirectional) recurrent language model over one-hot
// input, in the parameter layout of @rnnlab/core (see model/build.ts and model/cells/*.ts there):
//
//   per unit (layer-direction) and projection p: W_p `[input + hidden, width_p]` (input rows first, then
//   the recurrent rows), b_ih_p and b_hh_p `[width_p]`; then output.W `[width, vocab]`, output.b `[vocab]`.
//   The cell's maths (its projections, state, scratch and steps) is cells/<kind>.cc behind cell.h.
//
// The caller (packages/native/src/engine.ts) owns every buffer that outlives a step: parameters,
// gradients, carried state, dropout masks. The Net owns only scratch space for one (batch, steps).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cell.h"
#include "floats.h"
#include "policy.h"
#include "team.h"

namespace rnnlab {

struct Projection {
  int64_t w = 0, bih = 0, bhh = 0;  // offsets in the parameter buffer
  int gates = 1;                    // width = gates · hidden
  int col = 0;                      // where its columns start in the unit's gate block
};

struct Unit {
  const Cell* cell = nullptr;
  int layer = 0, dir = 0, input = 0;
  int gates = 0;      // the gate block's width: Σ projections' gates × hidden
  int stateSize = 1;  // the cell's state tensors (h, and c for the LSTM)
  std::vector<Projection> proj;
};

struct NetDesc {
  int vocab = 0, numLayers = 0, directions = 0, hidden = 0, outWidth = 0;
  // The cloze objective: the directions are two stacks (layer l of each reads layer l−1 of its own,
  // columns dir·H of the layer below), joined only at the output layer, where position t reads the
  // forward top state after t−1 and the backward one after t+1 (the initial state's h at the edges).
  bool cloze = false;
  int64_t outW = 0, outB = 0, paramCount = 0;
  std::vector<Unit> units;
};

/**
 * Member [j0, j1) of unit U, from the parameters (the core's column order): its summed biases b_ih + b_hh
 * into `bias` (the unit's member-blocked gate block: the member's columns from p.col + p.gates·j0, gate
 * by gate), and per projection p its columns of W_h packed (packPanels) into `forward[p]`.
 */
void blockMember(const Unit& U, const float* params, int hidden, int j0, int j1, float* bias, float* const* forward);

/** Rows [0, rows) of projection pi's W, member [j0, j1)'s columns, into `out`: the unit's member-blocked `[rows, G]`. */
void blockRows(const Unit& U, size_t pi, const float* params, int hidden, int j0, int j1, int rows, float* out);

struct StepArgs {
  const float* params;
  float* grads;            // written in full (same layout as params)
  const int32_t* x;        // token ids, row-major [batch, steps]
  const int32_t* y;        // labels, row-major [batch, steps]
  int batch, steps;
  const float* stateIn;    // carried state [unit][k][batch·hidden], or null for zeros
  float* stateOut;         // the state after the sequence, same layout
  const float* masks;      // dropout masks [layer < L−1][step][batch·width], or null
  float* logits;           // the output layer's logits [step][batch][vocab] (time-major), or null
};

struct StepResult {
  double loss;    // mean cross-entropy
  double normSq;  // Σ g² over every gradient (both bias copies counted, as the core does)
};

class Net {
 public:
  explicit Net(NetDesc desc);
  /** Runs on the process's team (see team.h and setThreads). */
  StepResult step(const StepArgs& a);
  const NetDesc& desc() const { return d_; }
  int64_t stateFloats(int batch) const;

 private:
  void resize(int batch, int steps);
  void prepareUnit(int u, const StepArgs& a, int m);
  void forwardUnit(int u, const StepArgs& a, const Crew& c, const float* xin);
  void inputRows(int u, const StepArgs& a, int m, const float* xin, int r0, int r1);
  void forwardSteps(int u, const StepArgs& a, const Crew& c, int k0, int k1);
  void finalState(int u, const StepArgs& a, int m);
  void backwardSteps(int u, const StepArgs& a, const Crew& c, const float* dY, int k0, int k1);
  // The layer pipeline (one direction, several layers, several threads): see net.cc.
  void forwardPipeline(const StepArgs& a, int rank, int threads);
  void backwardPipeline(const StepArgs& a, int rank, int threads);
  const float* layerInput(int l, const StepArgs& a) const;
  /** Unit u's input rows (`width` apart): its layer's input, or under cloze its own direction's columns of it. */
  const float* unitInput(int u, const StepArgs& a) const;
  /** Cloze: rows [r0, r1) of the output layer's input, each direction's top state beside the position. */
  void clozeRows(const StepArgs& a, int64_t r0, int64_t r1);
  /** Cloze: rows [r0, r1) of the top layer's output gradient from the output layer's input gradient `dS`. */
  void clozeGradient(const float* dS, float* dY, int64_t r0, int64_t r1) const;
  // Blocks of steps: the unit of the input-side GEMMs (input projections, input gradients) in every
  // schedule, and of the pipeline's hand-offs. Block b is steps [blockStart(b), blockStart(b + 1)).
  int blockSteps() const { return T_ >= 7 ? T_ / 7 : 1; }
  int blocks() const { return (T_ + blockSteps() - 1) / blockSteps(); }
  int blockStart(int b) const { return b * blockSteps() < T_ ? b * blockSteps() : T_; }
  int blockOf(int t) const { return t / blockSteps(); }
  // The input-side GEMMs outside the layer pipeline: by blocks of steps where the pipeline is a candidate
  // (its hand-offs are blocks, and every schedule must make the same calls), else in as few calls as the
  // threads need — the team's capacity, fixed by the machine — so OpenBLAS packs the weights once for
  // more rows. Part k of `parts` is rows [sideStart(k), sideStart(k + 1)).
  bool pipelinable() const { return d_.directions == 1 && d_.numLayers > 1; }
  int sideParts(int parts) const { return pipelinable() ? blocks() : parts; }
  int64_t sideStart(int k, int parts) const {
    return pipelinable() ? int64_t(blockStart(k)) * B_ : int64_t(B_) * T_ * k / parts;
  }
  void weightGradients(int u, const StepArgs& a, int m, const float* xin);
  void inputGradient(int l, const StepArgs& a, int64_t r0, int64_t r1, float* dX);
  /** State tensor k of unit u before the sequence (`[batch, hidden]`): the carried state, or zeros. */
  const float* initial(int u, int k, const StepArgs& a) const;
  /** Rows of step t in unit u's scratch plane q (`[batch, hidden]`). */
  float* plane(int u, int q, int t) { return planes_[u].data() + (int64_t(q) * T_ + t) * B_ * d_.hidden; }
  /** Member m's hidden units [j0, j1) of `members_`. */
  void slice(int m, int* j0, int* j1) const { sliceOf(d_.hidden, members_, m, j0, j1); }
  /** W_p as the step reads it: the member-blocked copy when the unit has several members, else the parameters. */
  const float* weights(int u, size_t p, const StepArgs& a, int* ld) const;

  NetDesc d_;
  int members_ = 1;  // per unit
  int chunks_ = 1;   // row and parameter chunks of the other phases
  int B_ = 0, T_ = 0;
  std::vector<int64_t> stateOffset_;  // per unit, in floats per batch row
  // Scratch, sized for (B_, T_): per layer, per unit, and shared.
  std::vector<Floats> Y_, Xm_;                    // layer outputs [T·B, width] (and masked)
  std::vector<Floats> A_, dP_;                    // per unit: gate blocks [T·B, gates]
  std::vector<Floats> planes_;                    // per unit: the cell's scratch planes [planes][T·B, H]
  std::vector<Floats> Wp_, bp_;                   // per unit: member-blocked W, summed biases
  std::vector<Floats> packStore_;                 // per unit: its recurrent weights packed (cell.h), members one after another
  std::vector<PackedWeights> packed_;                         // per unit: where each member's packed blocks are in packStore_
  std::vector<std::vector<std::vector<int>>> blockedCol_;     // per unit and projection: the core's column of each member-blocked column
  std::vector<Floats> carry_, scratch_;           // per unit: [state][B·H] carries, [B·H] for the cell
  Floats logits_, dY_, dX_, zeros_;
  Floats beside_;                                 // cloze: the output layer's input [T·B, width]
  std::vector<int32_t> labels_;
  std::vector<double> partial_;                               // per chunk: loss, then Σ g²
  std::vector<std::unique_ptr<Barrier>> crewBarriers_;
  // The pipeline's gradients w.r.t. each lower layer's output, and per layer the steps done forward
  // and backward (written by the layer's thread, waited on by the next one).
  std::vector<Floats> dYl_;
  struct alignas(64) Progress {
    std::atomic<int> fwd{0}, bwd{0};
  };
  std::unique_ptr<Progress[]> progress_;
  Barrier solo_{1};

  /** The schedules this process's thread setting allows for this net (policy.h). */
  std::vector<Schedule> candidates() const;
  /** One run of the whole step on `sched` (every output written in full: it may run again, same bits). */
  StepResult run(const StepArgs& a, const Schedule& sched);
  ThreadPolicy policy_;
  long policyGeneration_ = -1;
  std::string shapeKey_;  // the process-wide memory of choices (net.cc: remembered) is keyed by it
};

/**
 * The process's threads: `threads` fixed, or 0 for auto (up to the team's capacity, measuring which
 * count trains faster now and using it; see net.cc). Returns the capacity.
 */
int setThreads(int threads);
/** The most threads the engine uses (min(cores, 4)), the count the last step ran with, and whether it is chosen automatically. */
int threadCapacity();
int lastThreads();
bool autoThreads();
/** The schedule the last step kept its results from ("1", "2", "2 pipeline") and how many runs of it that step took (tuning, checks). */
std::string lastSchedule();
int lastRuns();

/** Seconds per call of C[m, n] = A[m, k]·B[k, n] (row-major) with `threads` threads multiplying at once (aggregate). */
double sgemmSeconds(int m, int n, int k, int repeats, int threads);

}  // namespace rnnlab
