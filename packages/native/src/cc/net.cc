// The training step: forward over all steps, softmax cross-entropy, backprop through time, gradients.
// GEMMs go to OpenBLAS (cblas_sgemm, row-major, single-threaded) but for the recurrent products of each
// step, which run on kernels.cc's packedGemm over weights prepareUnit packs once a minibatch (cell.h:
// recurrentProduct); the rest is kernels.cc.
//
// Layout: rows are time-major (row t·B + b is step t of sequence b, as the core's logits are); a
// layer's output Y is `[T·B, width]` with direction d in columns [d·H, (d+1)·H); per unit, A holds the
// gate block `[T·B, gates]` (pre-activations, then activations in place) and dP the gradient w.r.t.
// the pre-activations, both indexed by TIME, so the reverse direction's "previous state" of step t is
// row block t+1.
//
// Threads (team.h): the whole step is one parallel region. A unit's hidden units are cut into MEMBERS
// (per unit: the team's capacity divided among the directions, e.g. 2 on a 2-core machine for one
// direction, 1 per direction for two). Member m owns units [j0, j1) of every gate: their
// pre-activations (one GEMM of [B, H]·[H, gates·(j1−j0)] per step), activations and gradients. For that
// GEMM to be one call, W's columns are regrouped per minibatch so that each member's gates are adjacent
// ("member-blocked": [i f g o of member 0 | i f g o of member 1]); A and dP use the same order, and
// weight gradients are written back in the core's order. Input projections and input gradients go by
// BLOCKS of steps (blockSteps), the other phases (output layer, norms) by a fixed number of chunks.
//
// Three schedules run those same calls: one thread; all threads, splitting each unit's members between
// them and meeting at a barrier once per time step (twice for the GRU), with two directions side by
// side; and, for several layers of one direction, a pipeline of whole layers (forwardPipeline). Since
// the cuts never depend on the schedule, every GEMM call — and so every bit of the result — is the
// same whichever runs, which lets the engine pick the schedule by measuring it (policy.h) as the
// machine's load changes, without changing the maths.
#include "net.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <stdexcept>

#include "kernels.h"

namespace rnnlab {
namespace {

const Kernels& K = kernels();

/**
 * The pipeline's driver: runs this thread's layers (rank, rank + threads, ...) as far as each can go
 * (`advance` one block while `runnable`), until all are `done`; waits when none can move.
 */
template <typename Done, typename Runnable, typename Advance>
void drive(int L, int rank, int threads, Done&& done, Runnable&& runnable, Advance&& advance) {
  for (;;) {
    bool pending = false, advanced = false;
    for (int l = rank; l < L; l += threads) {
      if (!done(l)) pending = true;
      for (; runnable(l); advanced = true) advance(l);
    }
    if (!pending) return;
    if (!advanced) waitUntil([&] {
        for (int l = rank; l < L; l += threads)
          if (runnable(l)) return true;
        return false;
      });
  }
}

/** [begin, end) of `n` items for part k of `parts`. */
inline void share(int64_t n, int parts, int k, int64_t* begin, int64_t* end) {
  *begin = n * k / parts;
  *end = n * (k + 1) / parts;
}

/** The process's team and its thread setting: a fixed count, or auto. */
struct Exec {
  std::unique_ptr<Team> team;
  bool autoMode = true;
  int fixed = 1;
  int last = 1;
  bool lastPipeline = false;
  int lastRuns = 1;
  long generation = 0;  // bumped by setThreads: nets then re-measure

  Team& get() {
    if (!team) {
      const unsigned hw = std::thread::hardware_concurrency();
      team = std::make_unique<Team>(int(std::min(4u, std::max(1u, hw))));
    }
    return *team;
  }
};

Exec& exec() {
  static Exec e;
  return e;
}

}  // namespace

int setThreads(int threads) {
  Exec& e = exec();
  Team& t = e.get();
  e.autoMode = threads <= 0;
  e.fixed = std::max(1, std::min(threads, t.capacity()));
  e.generation++;
  return t.capacity();
}

int threadCapacity() { return exec().get().capacity(); }
int lastThreads() { return exec().last; }
bool autoThreads() { return exec().autoMode && exec().get().capacity() > 1; }

std::string lastSchedule() {
  const Exec& e = exec();
  return std::to_string(e.last) + (e.lastPipeline ? " pipeline" : "");
}
int lastRuns() { return exec().lastRuns; }

/**
 * The schedules a step may run on (policy.h picks among them; they compute the same bits): all
 * threads splitting each unit's hidden units (a barrier per time step); for several layers of one
 * direction, all threads pipelining whole layers (no barriers); and one thread. On a quiet machine the
 * split scales best; on a loaded or oversubscribed one, threads that must meet every time step can be
 * slower than one, and the pipeline sits in between. A fixed thread count leaves only its own.
 */
std::vector<Schedule> Net::candidates() const {
  const Exec& e = exec();
  const int n = e.autoMode ? e.team->capacity() : e.fixed;
  std::vector<Schedule> out;
  if (n > 1) {
    out.push_back({n, false});
    if (d_.directions == 1 && d_.numLayers > 1) out.push_back({n, true});
  }
  if (e.autoMode || n == 1) out.push_back({1, false});
  return out;
}

namespace {

/**
 * The process's memory of the policy's choices, by net shape and thread setting: a net of a shape
 * tuned before (a job's next attempt, a study's next run in the same trainer) starts on the choice
 * and its time, without tuning again.
 */
struct Remembered {
  std::mutex m;
  std::map<std::string, std::pair<int, double>> choices;
};
Remembered& remembered() {
  static Remembered r;
  return r;
}

}  // namespace

Net::Net(NetDesc desc) : d_(std::move(desc)) {
  const int parts = exec().get().capacity();
  members_ = std::max(1, parts / d_.directions);
  chunks_ = parts;
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
  Y_.assign(L, Floats(N * W));
  Xm_.assign(L > 0 ? L - 1 : 0, Floats(N * W));
  A_.assign(U, {});
  dP_.assign(U, {});
  planes_.assign(U, {});
  Wp_.assign(U, {});
  bp_.assign(U, {});
  carry_.assign(U, {});
  scratch_.assign(U, Floats(batch * H));
  packStore_.assign(U, {});
  packed_.assign(U, {});
  blockedCol_.assign(U, {});
  for (size_t u = 0; u < U; u++) {
    const Unit& un = d_.units[u];
    A_[u].resize(N * un.gates);
    dP_[u].resize(N * un.gates);
    bp_[u].resize(un.gates);
    if (members_ > 1) Wp_[u].resize(int64_t(un.input + H) * un.gates);
    planes_[u].resize(int64_t(un.cell->planes()) * N * H);
    carry_[u].resize(int64_t(un.stateSize) * batch * H);
    // The packed recurrent weights: per member, per projection its forward block, then its backward one.
    int64_t floats = 0;
    std::vector<std::pair<int64_t, int64_t>> at;
    for (int m = 0; m < members_; m++) {
      int j0, j1;
      slice(m, &j0, &j1);
      for (const Projection& p : un.proj) {
        at.push_back({floats, floats + packedFloats(int(H), p.gates * (j1 - j0))});
        floats = at.back().second + packedFloats(p.gates * int(H), j1 - j0);
      }
    }
    packStore_[u].resize(size_t(floats));
    for (int m = 0, i = 0; m < members_; m++) {
      PackedWeights::Member pm;
      slice(m, &pm.j0, &pm.j1);
      for (size_t p = 0; p < un.proj.size(); p++, i++) {
        pm.forward[p] = packStore_[u].data() + at[size_t(i)].first;
        pm.backward[p] = packStore_[u].data() + at[size_t(i)].second;
      }
      packed_[u].members.push_back(pm);
    }
    for (const Projection& p : un.proj) {
      std::vector<int> cols;
      for (int m = 0; m < members_; m++) {
        int j0, j1;
        slice(m, &j0, &j1);
        for (int q = 0; q < p.gates; q++)
          for (int j = j0; j < j1; j++) cols.push_back(q * int(H) + j);
      }
      blockedCol_[u].push_back(std::move(cols));
    }
  }
  logits_.resize(N * d_.vocab);
  labels_.resize(N);
  dY_.resize(N * W);
  dX_.resize(N * W);
  if (d_.cloze) beside_.resize(N * W);
  zeros_.assign(batch * H, 0.0f);
  dYl_.assign(L > 1 && d_.directions == 1 ? L - 1 : 0, Floats(N * W));
  progress_ = std::make_unique<Progress[]>(L);
}

const float* Net::layerInput(int l, const StepArgs& a) const {
  if (l == 0) return nullptr;  // one-hot
  return a.masks ? Xm_[l - 1].data() : Y_[l - 1].data();
}

const float* Net::unitInput(int u, const StepArgs& a) const {
  const Unit& U = d_.units[u];
  const float* x = layerInput(U.layer, a);
  return x && d_.cloze ? x + U.dir * d_.hidden : x;
}

void Net::clozeRows(const StepArgs& a, int64_t r0, int64_t r1) {
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth, L = d_.numLayers;
  const float* Y = Y_[L - 1].data();
  const int fwd = (L - 1) * 2, bwd = fwd + 1;
  const float* fwdEdge = initial(fwd, 0, a);
  const float* bwdEdge = initial(bwd, 0, a);
  for (int64_t r = r0; r < r1; r++) {
    const int t = int(r / B), b = int(r % B);
    float* row = beside_.data() + r * W;
    std::memcpy(row, t == 0 ? fwdEdge + int64_t(b) * H : Y + (r - B) * W, sizeof(float) * H);
    std::memcpy(row + H, t == T - 1 ? bwdEdge + int64_t(b) * H : Y + (r + B) * W + H, sizeof(float) * H);
  }
}

void Net::clozeGradient(const float* dS, float* dY, int64_t r0, int64_t r1) const {
  // The forward top output at t fed position t+1, the backward one position t−1; the edges' initial
  // states are detached.
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth;
  for (int64_t r = r0; r < r1; r++) {
    const int t = int(r / B);
    float* row = dY + r * W;
    if (t < T - 1) std::memcpy(row, dS + (r + B) * W, sizeof(float) * H);
    else std::fill_n(row, H, 0.0f);
    if (t > 0) std::memcpy(row + H, dS + (r - B) * W + H, sizeof(float) * H);
    else std::fill_n(row + H, H, 0.0f);
  }
}

const float* Net::initial(int u, int k, const StepArgs& a) const {
  return a.stateIn ? a.stateIn + (stateOffset_[u] + int64_t(k) * d_.hidden) * a.batch : zeros_.data();
}

const float* Net::weights(int u, size_t p, const StepArgs& a, int* ld) const {
  const Unit& U = d_.units[u];
  const Projection& pr = U.proj[p];
  if (Wp_[u].empty()) {
    *ld = pr.gates * d_.hidden;
    return a.params + pr.w;
  }
  *ld = U.gates;
  return Wp_[u].data() + pr.col;
}

void blockMember(const Unit& U, const float* params, int hidden, int j0, int j1, float* bias, float* const* forward) {
  const int H = hidden, hb = j1 - j0;
  for (size_t pi = 0; pi < U.proj.size(); pi++) {
    const Projection& p = U.proj[pi];
    const int width = p.gates * H, pc = p.col + p.gates * j0;  // the member's block
    // A projection whose cell applies b_hh itself (cell.h: apartPlane) has b_ih alone on its input side.
    const bool bihOnly = U.cell->apartPlane(int(pi)) >= 0;
    for (int q = 0; q < p.gates; q++)
      for (int j = 0; j < hb; j++) bias[pc + q * hb + j] = params[p.bih + q * H + j0 + j] + (bihOnly ? 0.0f : params[p.bhh + q * H + j0 + j]);
    // Column c of the member's block is gate c / hb, unit j0 + c % hb.
    const float* Wh = params + p.w + int64_t(U.input) * width;
    packPanels(H, p.gates * hb, forward[pi], [&](int i, int c) { return Wh[int64_t(i) * width + (c / hb) * H + j0 + c % hb]; });
  }
}

void blockRows(const Unit& U, size_t pi, const float* params, int hidden, int j0, int j1, int rows, float* out) {
  const Projection& p = U.proj[pi];
  const int H = hidden, hb = j1 - j0, width = p.gates * H, pc = p.col + p.gates * j0;
  for (int q = 0; q < p.gates; q++)
    for (int r = 0; r < rows; r++) std::memcpy(out + int64_t(r) * U.gates + pc + q * hb, params + p.w + int64_t(r) * width + q * H + j0, sizeof(float) * hb);
}

// Member m's columns of the member-blocked W and of the summed biases b_ih + b_hh.
void Net::prepareUnit(int u, const StepArgs& a, int m) {
  const Unit& U = d_.units[u];
  const int H = d_.hidden, rowsW = U.input + H;
  int j0, j1;
  slice(m, &j0, &j1);
  const int hb = j1 - j0;
  const PackedWeights::Member& pm = packed_[u].members[size_t(m)];
  // The member's recurrent weights for the step's products (cell.h: recurrentProduct), from the
  // parameters: forward its columns (member-blocked: gate by gate), backward its rows transposed
  // over every member-blocked column (dP's order).
  blockMember(U, a.params, H, j0, j1, bp_[u].data(), pm.forward);
  for (size_t pi = 0; pi < U.proj.size(); pi++) {
    const Projection& p = U.proj[pi];
    const int width = p.gates * H;
    if (!Wp_[u].empty()) blockRows(U, pi, a.params, H, j0, j1, rowsW, Wp_[u].data());
    const float* Wh = a.params + p.w + int64_t(U.input) * width;
    const std::vector<int>& core = blockedCol_[u][pi];
    packPanels(width, hb, pm.backward[pi], [&](int k, int j) { return Wh[int64_t(j0 + j) * width + core[size_t(k)]]; });
  }
}

void Net::forwardUnit(int u, const StepArgs& a, const Crew& c, const float* xin) {
  // Input projections of every step (each member its columns, a block of steps per GEMM), the
  // recurrence, the state.
  c.forEachMember([&](int m) {
    for (int b = 0; b < sideParts(1); b++) inputRows(u, a, m, xin, int(sideStart(b, 1)), int(sideStart(b + 1, 1)));
  });
  forwardSteps(u, a, c, 0, T_);
  c.forEachMember([&](int m) { finalState(u, a, m); });
}

// Rows [r0, r1) of member m's input projections, biases included: a row gather for the one-hot first
// layer (x·W is row x of W), one GEMM otherwise. Every schedule calls it per block of steps, the same
// calls, so that it computes the same bits (OpenBLAS's edge kernels round differently from its main one).
void Net::inputRows(int u, const StepArgs& a, int m, const float* xin, int r0, int r1) {
  const Unit& U = d_.units[u];
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  float* A = A_[u].data();
  int j0, j1;
  slice(m, &j0, &j1);
  const int hb = j1 - j0;
  for (size_t pi = 0; pi < U.proj.size(); pi++) {
    const Projection& p = U.proj[pi];
    const int pc = p.col + p.gates * j0, width = p.gates * H;
    const float* bias = bp_[u].data() + pc;
    for (int r = r0; r < r1; r++) {
      float* row = A + int64_t(r) * G + pc;
      if (xin) {
        std::memcpy(row, bias, sizeof(float) * p.gates * hb);
      } else {
        const float* wr = a.params + p.w + int64_t(a.x[(r % B) * T + r / B]) * width + j0;
        for (int q = 0; q < p.gates; q++)
          for (int j = 0; j < hb; j++) row[q * hb + j] = wr[q * H + j] + bias[q * hb + j];
      }
    }
    if (xin) {
      int ld;
      const float* Wq = weights(u, pi, a, &ld);
      gemm(false, false, r1 - r0, p.gates * hb, I, xin + int64_t(r0) * W, W, Wq + p.gates * j0, ld, 1.0f, A + int64_t(r0) * G + pc, G);
    }
  }
}

// Steps k0..k1−1 of the recurrence (in processing order: backwards in time for the reverse direction).
void Net::forwardSteps(int u, const StepArgs& a, const Crew& c, int k0, int k1) {
  const Unit& U = d_.units[u];
  const Cell& cell = *U.cell;
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  float* A = A_[u].data();
  float* Y = Y_[U.layer].data();
  ForwardStep s(B, H, G);
  s.ldy = W;
  for (size_t p = 0; p < U.proj.size(); p++) {
    s.w[p] = weights(u, p, a, &s.ldw[p]) + int64_t(I) * s.ldw[p];
    s.bhh[p] = a.params + U.proj[p].bhh;
  }
  s.packed = &packed_[u];
  for (int k = k0; k < k1; k++) {
    const int t = U.dir ? T - 1 - k : k;
    const int tp = U.dir ? t + 1 : t - 1;
    s.h = k == 0 ? initial(u, 0, a) : Y + int64_t(tp) * B * W + U.dir * H;
    s.ldh = k == 0 ? H : W;
    for (int q = 1; q < U.stateSize; q++) s.prev[q] = k == 0 ? initial(u, q, a) : plane(u, cell.statePlane(q), tp);
    for (int q = 0; q < cell.planes(); q++) s.plane[q] = plane(u, q, t);
    s.a = A + int64_t(t) * B * G;
    s.y = Y + int64_t(t) * B * W + U.dir * H;
    cell.forward(s, c);
    c.wait();  // the next step's matmul reads the whole state
  }
}

// Member m's part of the state after the sequence (after step 0 for the reverse direction): carried, detached.
void Net::finalState(int u, const StepArgs& a, int m) {
  const Unit& U = d_.units[u];
  const int B = B_, H = d_.hidden, W = d_.outWidth, tLast = U.dir ? 0 : T_ - 1;
  const float* Y = Y_[U.layer].data();
  float* out = a.stateOut + stateOffset_[u] * B;
  int j0, j1;
  slice(m, &j0, &j1);
  for (int b = 0; b < B; b++) {
    std::memcpy(out + int64_t(b) * H + j0, Y + (int64_t(tLast) * B + b) * W + U.dir * H + j0, sizeof(float) * (j1 - j0));
    for (int q = 1; q < U.stateSize; q++)
      std::memcpy(out + (int64_t(q) * B + b) * H + j0, plane(u, U.cell->statePlane(q), tLast) + int64_t(b) * H + j0, sizeof(float) * (j1 - j0));
  }
}

// Steps k0..k1−1 of backprop through time, in backward order (k = 0 is the forward pass's last step).
void Net::backwardSteps(int u, const StepArgs& a, const Crew& c, const float* dY, int k0, int k1) {
  const Unit& U = d_.units[u];
  const Cell& cell = *U.cell;
  const int B = B_, T = T_, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  const float* A = A_[u].data();
  const float* Y = Y_[U.layer].data();
  float* dP = dP_[u].data();
  BackwardStep s(B, H, G);
  s.ldy = W;
  s.lddh = W;
  s.scratch = scratch_[u].data();
  for (int q = 0; q < U.stateSize; q++) s.carry[q] = carry_[u].data() + int64_t(q) * B * H;
  for (size_t p = 0; p < U.proj.size(); p++) s.w[p] = weights(u, p, a, &s.ldw[p]) + int64_t(I) * s.ldw[p];
  s.packed = &packed_[u];
  if (k0 == 0) c.eachSlice([&](int j0, int j1) {
    for (int q = 0; q < U.stateSize; q++)
      for (int b = 0; b < B; b++) std::fill_n(s.carry[q] + int64_t(b) * H + j0, j1 - j0, 0.0f);
  });

  for (int k = k0; k < k1; k++) {
    // Backward visits the steps in the opposite order of the forward pass.
    const int t = U.dir ? k : T - 1 - k;
    s.first = k == T - 1;  // the forward pass's first step: its previous state is detached
    const int tp = U.dir ? t + 1 : t - 1;
    s.h = s.first ? initial(u, 0, a) : Y + int64_t(tp) * B * W + U.dir * H;
    s.ldh = s.first ? H : W;
    for (int q = 1; q < U.stateSize; q++) s.prev[q] = s.first ? initial(u, q, a) : plane(u, cell.statePlane(q), tp);
    for (int q = 0; q < cell.planes(); q++) s.plane[q] = plane(u, q, t);
    s.a = A + int64_t(t) * B * G;
    s.y = Y + int64_t(t) * B * W + U.dir * H;
    s.dh = dY + int64_t(t) * B * W + U.dir * H;
    s.dp = dP + int64_t(t) * B * G;
    // Each member's pre-activation gradients, then (all of dP(t) written) the carry into the previous step.
    cell.backward(s, c);
  }
}

// Member m's columns of each weight gradient, written in the core's column order: Zᵀ·dP over all
// steps (one GEMM per gate when the unit has several members, one per projection otherwise).
void Net::weightGradients(int u, const StepArgs& a, int m, const float* xin) {
  const Unit& U = d_.units[u];
  const int B = B_, T = T_, N = B * T, H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  int j0, j1;
  slice(m, &j0, &j1);
  const int hb = j1 - j0;
  const float* Y = Y_[U.layer].data();
  const float* dP = dP_[u].data();
  const float* hInit = initial(u, 0, a);
  const bool blocked = members_ > 1;
  for (size_t pi = 0; pi < U.proj.size(); pi++) {
    const Projection& p = U.proj[pi];
    const int width = p.gates * H, pc = p.col + p.gates * j0;
    const int pieces = blocked ? p.gates : 1, pw = blocked ? hb : width;  // column pieces in the core's order
    float* gW = a.grads + p.w;
    for (int q = 0; q < pieces; q++) {
      const float* dPq = dP + pc + q * pw;
      float* gWq = gW + q * H + j0;
      // Input rows: the one-hot layer's rows scatter-add (xᵀ·dP picks rows), a GEMM otherwise.
      if (xin) {
        gemm(true, false, I, pw, N, xin, W, dPq, G, 0.0f, gWq, width);
      } else {
        for (int r = 0; r < I; r++) std::fill_n(gWq + int64_t(r) * width, pw, 0.0f);
        for (int r = 0; r < N; r++) K.addRow(pw, gWq + int64_t(a.x[(r % B) * T + r / B]) * width, dPq + int64_t(r) * G);
      }
      // Recurrent rows: Σ_t z_h(t)ᵀ·dR(t). z_h is a plane of the cell's (the GRU's candidate: r⊙h), or
      // else the previous state, which is this layer's output one step earlier (later, backwards) —
      // one GEMM over those T−1 steps — plus the carried-in state's term. dR is dP, or for a
      // projection the cell keeps apart (cell.h: apartPlane) the plane of dL/d(h·W_h + b_hh).
      float* gWh = gWq + int64_t(I) * width;
      const int zPlane = U.cell->recurrentInputPlane(int(pi)), rPlane = U.cell->apartPlane(int(pi));
      const bool apart = rPlane >= 0;
      const float* dR = apart ? plane(u, rPlane, 0) + j0 : dPq;
      const int ldR = apart ? H : G;
      if (zPlane >= 0) {
        gemm(true, false, H, pw, N, plane(u, zPlane, 0), H, dR, ldR, 0.0f, gWh, width);
      } else {
        const int tFirst = U.dir ? T - 1 : 0;
        const float* hs = U.dir ? Y + int64_t(B) * W + U.dir * H : Y + U.dir * H;
        const float* ds = U.dir ? dR : dR + int64_t(B) * ldR;
        gemm(true, false, H, pw, int64_t(T - 1) * B, hs, W, ds, ldR, 0.0f, gWh, width);
        gemm(true, false, H, pw, B, hInit, H, dR + int64_t(tFirst) * B * ldR, ldR, 1.0f, gWh, width);
      }
      // Both biases of PyTorch's cells get the same gradient (but for a projection the cell keeps apart).
      float* gb = a.grads + p.bih + q * H + j0;
      K.columnSums(N, pw, dPq, G, gb);
      if (apart) K.columnSums(N, pw, dR, ldR, a.grads + p.bhh + q * H + j0);
      else std::memcpy(a.grads + p.bhh + q * H + j0, gb, sizeof(float) * pw);
    }
  }
}

// Rows [r0, r1) of dL/d(layer l's input): Σ over the layer's units and projections of dP·W_xᵀ (under
// cloze each direction's own columns of it).
void Net::inputGradient(int l, const StepArgs& a, int64_t r0, int64_t r1, float* dX) {
  const int W = d_.outWidth;
  bool first = true;
  for (int d = 0; d < d_.directions; d++) {
    const int u = l * d_.directions + d;
    const Unit& U = d_.units[u];
    if (d_.cloze) first = true;
    for (size_t pi = 0; pi < U.proj.size(); pi++) {
      int ld;
      const float* Wq = weights(u, pi, a, &ld);
      const Projection& p = U.proj[pi];
      gemm(false, true, r1 - r0, U.input, p.gates * d_.hidden, dP_[u].data() + r0 * U.gates + p.col, U.gates, Wq, ld, first ? 0.0f : 1.0f,
           dX + r0 * W + (d_.cloze ? d * d_.hidden : 0), W);
      first = false;
    }
  }
}

// The layer pipeline, for several layers of one direction on several threads. Thread r runs layers
// r, r + threads, ... whole (all their members, in the same GEMM calls as the other schedules, so the
// result is the same bits). Forward, layer l advances as far as layer l−1 has published steps: it
// masks and projects those rows of its input (at least a chunk of steps at a time, so the GEMMs stay
// large), runs them, and publishes. Backward runs the other way: layer l publishes steps of the
// gradient into its input as its BPTT finishes them, and layer l−1's BPTT follows. A layer waits only
// for the one it reads, never at a barrier, so a thread delayed for a moment by other work on the
// machine holds up only what depends on its output.
void Net::forwardPipeline(const StepArgs& a, int rank, int threads) {
  const int L = d_.numLayers, T = T_, B = B_, W = d_.outWidth, nb = blocks();
  const Crew solo{0, 1, members_, &solo_, d_.hidden};
  // Layer l's next block can run once layer l−1 has published its steps.
  auto runnable = [&](int l) {
    const int done = progress_[l].fwd.load(std::memory_order_relaxed);
    return done < T && (l == 0 || progress_[l - 1].fwd.load(std::memory_order_acquire) >= blockStart(blockOf(done) + 1));
  };
  drive(L, rank, threads, [&](int l) { return progress_[l].fwd.load(std::memory_order_relaxed) == T; }, runnable, [&](int l) {
        const int b = blockOf(progress_[l].fwd.load(std::memory_order_relaxed));
        const int64_t r0 = int64_t(blockStart(b)) * B, r1 = int64_t(blockStart(b + 1)) * B;
        if (l > 0 && a.masks) {
          std::memcpy(Xm_[l - 1].data() + r0 * W, Y_[l - 1].data() + r0 * W, sizeof(float) * (r1 - r0) * W);
          K.multiply(Xm_[l - 1].data() + r0 * W, a.masks + (l - 1) * int64_t(T) * B * W + r0 * W, (r1 - r0) * W);
        }
        for (int m = 0; m < members_; m++) inputRows(l, a, m, layerInput(l, a), int(r0), int(r1));
        forwardSteps(l, a, solo, blockStart(b), blockStart(b + 1));
        progress_[l].fwd.store(blockStart(b + 1), std::memory_order_release);
        if (b == nb - 1)
          for (int m = 0; m < members_; m++) finalState(l, a, m);
      });
}

void Net::backwardPipeline(const StepArgs& a, int rank, int threads) {
  const int L = d_.numLayers, T = T_, B = B_, W = d_.outWidth;
  const Crew solo{0, 1, members_, &solo_, d_.hidden};
  // The gradient w.r.t. layer l's output: dY_ for the top layer, dYl_[l] below it.
  auto gradOut = [&](int l) { return l == L - 1 ? dY_.data() : dYl_[l].data(); };
  // Backward takes the blocks last to first; `done` counts steps from the end (k = T − 1 − t).
  auto runnable = [&](int l) {
    const int done = progress_[l].bwd.load(std::memory_order_relaxed);
    return done < T && (l == L - 1 || progress_[l + 1].bwd.load(std::memory_order_acquire) >= T - blockStart(blockOf(T - 1 - done)));
  };
  drive(L, rank, threads, [&](int l) { return progress_[l].bwd.load(std::memory_order_relaxed) == T; }, runnable, [&](int l) {
        const int b = blockOf(T - 1 - progress_[l].bwd.load(std::memory_order_relaxed));
        const int s0 = blockStart(b), s1 = blockStart(b + 1);
        backwardSteps(l, a, solo, gradOut(l), T - s1, T - s0);
        if (l > 0) {
          // This block's rows of the gradient into the layer below (its output, masked as forward did).
          float* below = gradOut(l - 1);
          inputGradient(l, a, int64_t(s0) * B, int64_t(s1) * B, below);
          if (a.masks) K.multiply(below + int64_t(s0) * B * W, a.masks + (l - 1) * int64_t(T) * B * W + int64_t(s0) * B * W, int64_t(s1 - s0) * B * W);
        }
        progress_[l].bwd.store(T - s0, std::memory_order_release);
        if (s0 == 0)
          for (int m = 0; m < members_; m++) weightGradients(l, a, m, layerInput(l, a));
      });
}

/** Whether [a, a + n) and [b, b + m) share a float. */
static bool overlaps(const float* a, int64_t n, const float* b, int64_t m) { return a && b && a < b + m && b < a + n; }

StepResult Net::step(const StepArgs& a) {
  if (a.batch <= 0 || a.steps <= 0) throw std::invalid_argument("batch and steps must be positive");
  Exec& ex = exec();
  ex.get();
  if (policyGeneration_ != ex.generation || policy_.empty()) {
    policy_.reset(candidates());
    policyGeneration_ = ex.generation;
    // The shape, the objective's inputs and the thread setting: what the schedules' speeds depend on.
    shapeKey_ = std::to_string(a.batch) + "x" + std::to_string(a.steps) + (a.masks ? " masks" : "") + " v" + std::to_string(d_.vocab) + " w" +
                std::to_string(d_.outWidth) + (d_.cloze ? " cloze" : "") + " threads " + (ex.autoMode ? "auto" : std::to_string(ex.fixed));
    for (const Unit& u : d_.units) shapeKey_ += std::string(" ") + u.cell->name() + "/" + std::to_string(u.layer) + "/" + std::to_string(u.dir);
    Remembered& r = remembered();
    std::lock_guard<std::mutex> lock(r.m);
    const auto it = r.choices.find(shapeKey_);
    if (it != r.choices.end()) policy_.adopt(it->second.first, it->second.second);
  }
  // A minibatch runs again only when its outputs do not overlap its inputs (engine.ts hands a fresh state out).
  const int64_t stateN = stateFloats(a.batch), logitsN = int64_t(a.batch) * a.steps * d_.vocab;
  const bool repeatable = !overlaps(a.stateIn, stateN, a.stateOut, stateN) && !overlaps(a.logits, logitsN, a.stateIn, stateN);
  const auto& runs = policy_.plan(repeatable);
  std::vector<double> perToken;
  StepResult result{};
  for (const ThreadPolicy::Run& r : runs) {
    const Schedule& sched = policy_.candidate(r.pick);
    const auto started = std::chrono::steady_clock::now();
    result = run(a, sched);
    perToken.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / (double(a.batch) * a.steps));
    ex.last = sched.threads;
    ex.lastPipeline = sched.pipeline;
  }
  ex.lastRuns = int(runs.size());
  // RNNLAB_DEBUG_POLICY=1: each minibatch's runs on stderr, as threads:µs per token (~ untimed).
  static const bool debugPolicy = std::getenv("RNNLAB_DEBUG_POLICY") != nullptr;
  if (debugPolicy) {
    for (size_t i = 0; i < runs.size(); i++)
      std::fprintf(stderr, "%d%s:%s%.3f ", policy_.candidate(runs[i].pick).threads, policy_.candidate(runs[i].pick).pipeline ? "p" : "", runs[i].timed ? "" : "~", perToken[i] * 1e6);
    std::fprintf(stderr, "\n");
  }
  policy_.observe(perToken);
  if (policy_.best() >= 0) {
    Remembered& r = remembered();
    std::lock_guard<std::mutex> lock(r.m);
    r.choices[shapeKey_] = {policy_.best(), policy_.bestTime()};
  }
  return result;
}

StepResult Net::run(const StepArgs& a, const Schedule& sched) {
  Team& tm = exec().get();
  const int threads = sched.threads;
  tm.setActive(threads);
  resize(a.batch, a.steps);
  const int D = d_.directions, L = d_.numLayers, P = chunks_;
  // A layer's units: side by side when there are threads for each direction, else one after another.
  const bool sideBySide = D > 1 && threads >= D;
  // Several layers of one direction: each thread runs whole layers, a layer step behind the one below.
  const bool pipeline = sched.pipeline;
  for (int l = 0; l < L; l++) {
    progress_[l].fwd.store(0, std::memory_order_relaxed);
    progress_[l].bwd.store(0, std::memory_order_relaxed);
  }
  const int crewThreads = sideBySide ? threads / D : threads;
  const int crews = sideBySide ? D : 1;
  if (int(crewBarriers_.size()) != crews || crewBarriers_[0]->size() != crewThreads) {
    crewBarriers_.clear();
    for (int i = 0; i < crews; i++) crewBarriers_.push_back(std::make_unique<Barrier>(crewThreads));
  }
  partial_.assign(size_t(P) * 2, 0.0);
  const int B = B_, T = T_, N = B * T, W = d_.outWidth, V = d_.vocab;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) labels_[t * B + b] = a.y[b * T + t];
  const int64_t layerMask = int64_t(N) * W;
  Barrier& all = tm.barrier();

  tm.run([&](int rank) {
    // Runs f(unit, crew) for the units of layer l this thread works on.
    auto forEachUnit = [&](int l, auto&& f) {
      if (sideBySide) {
        const int d = rank / crewThreads;
        if (d < D) f(l * D + d, Crew{rank % crewThreads, crewThreads, members_, crewBarriers_[d].get(), d_.hidden});
      } else {
        for (int d = 0; d < D; d++) f(l * D + d, Crew{rank, threads, members_, &all, d_.hidden});
      }
    };
    // Runs f(chunk, first row, end row) for this thread's chunks of `n` rows.
    auto forEachChunk = [&](int64_t n, auto&& f) {
      for (int ch = rank; ch < P; ch += threads) {
        int64_t r0, r1;
        share(n, P, ch, &r0, &r1);
        f(ch, r0, r1);
      }
    };

    if (pipeline) {
      for (int l = rank; l < L; l += threads)
        for (int m = 0; m < members_; m++) prepareUnit(l, a, m);
    } else {
      for (int l = 0; l < L; l++) forEachUnit(l, [&](int u, const Crew& c) { c.forEachMember([&](int m) { prepareUnit(u, a, m); }); });
    }
    all.wait();

    // Forward, layer by layer; dropout (inverted, masks drawn by the caller) on every output but the last.
    if (pipeline) {
      forwardPipeline(a, rank, threads);
      all.wait();
    }
    for (int l = 0; l < L && !pipeline; l++) {
      forEachUnit(l, [&](int u, const Crew& c) { forwardUnit(u, a, c, unitInput(u, a)); });
      all.wait();
      if (a.masks && l < L - 1) {
        forEachChunk(N, [&](int, int64_t r0, int64_t r1) {
          std::memcpy(Xm_[l].data() + r0 * W, Y_[l].data() + r0 * W, sizeof(float) * (r1 - r0) * W);
          K.multiply(Xm_[l].data() + r0 * W, a.masks + l * layerMask + r0 * W, (r1 - r0) * W);
        });
        all.wait();
      }
    }

    // Output layer over all steps at once, then softmax cross-entropy; logits_ becomes dL/dlogits.
    // Its input is the top layer's output, or under cloze each direction's top state beside the position.
    const float* P0 = a.params;
    const float* top = d_.cloze ? beside_.data() : Y_[L - 1].data();
    float* lg = logits_.data();
    forEachChunk(N, [&](int ch, int64_t r0, int64_t r1) {
      if (d_.cloze) clozeRows(a, r0, r1);
      for (int64_t r = r0; r < r1; r++) std::memcpy(lg + r * V, P0 + d_.outB, sizeof(float) * V);
      gemm(false, false, r1 - r0, V, W, top + r0 * W, W, P0 + d_.outW, V, 1.0f, lg + r0 * V, V);
      if (a.logits) std::memcpy(a.logits + r0 * V, lg + r0 * V, sizeof(float) * (r1 - r0) * V);
      partial_[ch] = K.softmaxCrossEntropy(int(r1 - r0), V, lg + r0 * V, labels_.data() + r0, 1.0f / float(N));
    });
    all.wait();

    float* dY = dY_.data();
    float* dX = dX_.data();
    forEachChunk(W, [&](int ch, int64_t w0, int64_t w1) {
      gemm(true, false, w1 - w0, V, N, top + w0, W, lg, V, 0.0f, a.grads + d_.outW + w0 * V, V);
      if (ch == 0) K.columnSums(N, V, lg, V, a.grads + d_.outB);
    });
    // Under cloze that is the gradient w.r.t. the states beside each position (in dX, free until the
    // layers' input gradients), moved back to the steps that produced them.
    float* dTop = d_.cloze ? dX : dY;
    forEachChunk(N, [&](int, int64_t r0, int64_t r1) { gemm(false, true, r1 - r0, W, V, lg + r0 * V, V, P0 + d_.outW, V, 0.0f, dTop + r0 * W, W); });
    all.wait();
    if (d_.cloze) {
      forEachChunk(N, [&](int, int64_t r0, int64_t r1) { clozeGradient(dTop, dY, r0, r1); });
      all.wait();
    }

    if (pipeline) {
      backwardPipeline(a, rank, threads);
      all.wait();
    }
    for (int l = L - 1; l >= 0 && !pipeline; l--) {
      if (a.masks && l < L - 1) {
        forEachChunk(N, [&](int, int64_t r0, int64_t r1) { K.multiply(dY + r0 * W, a.masks + l * layerMask + r0 * W, (r1 - r0) * W); });
        all.wait();
      }
      forEachUnit(l, [&](int u, const Crew& c) {
        backwardSteps(u, a, c, dY, 0, T);
        // A member's weight gradients read only its own columns of dP: no barrier needed first.
        c.forEachMember([&](int m) { weightGradients(u, a, m, unitInput(u, a)); });
      });
      all.wait();
      if (l > 0) {
        for (int b = rank; b < sideParts(P); b += threads) inputGradient(l, a, sideStart(b, P), sideStart(b + 1, P), dX);
        all.wait();
        std::swap(dY, dX);
      }
    }

    forEachChunk(d_.paramCount, [&](int ch, int64_t p0, int64_t p1) { partial_[P + ch] = K.sumSquares(a.grads + p0, p1 - p0); });
  });

  // Chunk by chunk, in order: the same sums whatever the thread count.
  double loss = 0, normSq = 0;
  for (int ch = 0; ch < P; ch++) {
    loss += partial_[ch];
    normSq += partial_[P + ch];
  }
  return {loss / N, normSq};
}

double sgemmSeconds(int m, int n, int k, int repeats, int threads) {
  // Every thread multiplies its own matrices at once (as the step's threads do), so with several
  // threads this is the machine's aggregate rate: seconds per call = wall / (calls · threads).
  Team& tm = exec().get();
  const int before = tm.active();
  tm.setActive(threads);
  threads = tm.active();
  const double flops = 2.0 * m * n * k;
  const int calls = std::max(1, int(2e8 / flops));  // ~0.2 GFLOP per thread per timed batch
  double best = 1e30;
  std::vector<Floats> a(threads), b(threads), c(threads);
  tm.run([&](int rank) {
    a[rank].resize(size_t(m) * k);
    b[rank].resize(size_t(k) * n);
    c[rank].resize(size_t(m) * n);
    for (size_t i = 0; i < a[rank].size(); i++) a[rank][i] = float(i % 13) * 0.01f - 0.06f;
    for (size_t i = 0; i < b[rank].size(); i++) b[rank][i] = float(i % 7) * 0.02f - 0.06f;
  });
  for (int r = 0; r <= repeats; r++) {
    const auto start = std::chrono::steady_clock::now();
    tm.run([&](int rank) {
      tm.barrier().wait();
      for (int i = 0; i < calls; i++) gemm(false, false, m, n, k, a[rank].data(), k, b[rank].data(), n, 0.0f, c[rank].data(), n);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / (double(calls) * threads);
    if (r > 0) best = std::min(best, s);  // the first round warms up
  }
  tm.setActive(before);
  return best;
}

}  // namespace rnnlab
