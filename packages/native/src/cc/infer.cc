// See infer.h. The gate block A is member-blocked like the training step's ([gates of member 0 |
// gates of member 1], net.cc), so the cells run unchanged on a crew of kMembers members.
#include "infer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include "kernels.h"
#include "team.h"

namespace rnnlab {
namespace {

// Generation steps from JavaScript threads (the API's generation threads, a trainer's samples): each
// has a team of its own, made on its first step.
thread_local std::unique_ptr<Team> stepTeam;
// Steps follow each other within microseconds (the caller's sampling between them), so the helper
// spins only briefly after one: spinning on after a generation ended took a core from the threads that
// answer it (the API's event loop, the client).
constexpr int kHelperIdleSpins = 2000;

Team& team() {
  if (!stepTeam) stepTeam = std::make_unique<Team>(Inference::kMembers, kHelperIdleSpins);
  return *stepTeam;
}

int defaultThreads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return int(std::min<unsigned>(Inference::kMembers, std::max(1u, hw)));
}

std::atomic<int> maxThreads{defaultThreads()};
// Models stepping right now, process-wide: two generations on two threads of a 2-core machine would
// otherwise put four spinning threads on two cores.
std::atomic<int> stepping{0};

}  // namespace

int Inference::setMaxThreads(int threads) {
  maxThreads.store(std::clamp(threads, 1, defaultThreads()));
  return maxThreads.load();
}

Inference::Inference(NetDesc desc) : d_(std::move(desc)), params_(size_t(d_.paramCount), 0.0f) {
  int64_t offset = 0;
  for (const Unit& U : d_.units) {
    stateOffset_.push_back(offset);
    offset += int64_t(U.stateSize) * d_.hidden;
  }
  blocked_.resize(d_.units.size());
  for (size_t u = 0; u < d_.units.size(); u++) allocateUnit(int(u));
  Y_.resize(size_t(d_.numLayers));
}

// Sizes and places a unit's blocked copies (bytes() counts them from the start); prepareUnit fills them.
void Inference::allocateUnit(int u) {
  const Unit& U = d_.units[size_t(u)];
  Blocked& k = blocked_[size_t(u)];
  const int H = d_.hidden, G = U.gates, I = U.input;
  const bool oneHot = U.layer == 0;
  k.bias.assign(size_t(G), 0.0f);
  k.input.assign(oneHot ? size_t(I) * G : 0, 0.0f);
  int64_t floats = 0;
  std::vector<int64_t> at;  // per member × projection: W_x's panels (layers above the first), W_h's
  for (int m = 0; m < kMembers; m++) {
    int j0, j1;
    sliceOf(H, kMembers, m, &j0, &j1);
    for (const Projection& p : U.proj) {
      const int cols = p.gates * (j1 - j0);
      at.push_back(floats);
      if (!oneHot) floats += packedFloats(I, cols);
      at.push_back(floats);
      floats += packedFloats(H, cols);
    }
  }
  k.store.assign(size_t(floats), 0.0f);
  for (int m = 0, i = 0; m < kMembers; m++) {
    PackedWeights::Member pm;
    sliceOf(H, kMembers, m, &pm.j0, &pm.j1);
    for (size_t pi = 0; pi < U.proj.size(); pi++, i += 2) {
      k.inputPanels.push_back(oneHot ? nullptr : k.store.data() + at[size_t(i)]);
      pm.forward[pi] = k.store.data() + at[size_t(i + 1)];
    }
    k.recurrent.members.push_back(pm);
  }
}

void Inference::setParams(int64_t offset, const float* values, int64_t n) {
  if (offset < 0 || n < 0 || offset + n > d_.paramCount) throw std::out_of_range("parameters out of range");
  std::copy_n(values, n, params_.data() + offset);
  stale_ = true;
}

void Inference::prepare() {
  for (size_t u = 0; u < d_.units.size(); u++) prepareUnit(int(u));
  stale_ = false;
}

// What the training step prepares once a minibatch (net.cc), once per model; and W_x member-blocked.
void Inference::prepareUnit(int u) {
  const Unit& U = d_.units[size_t(u)];
  Blocked& k = blocked_[size_t(u)];
  const int H = d_.hidden, I = U.input;
  const float* P = params_.data();
  for (int m = 0; m < kMembers; m++) {
    const PackedWeights::Member& pm = k.recurrent.members[size_t(m)];
    const int j0 = pm.j0, hb = pm.j1 - pm.j0;
    blockMember(U, P, H, j0, pm.j1, k.bias.data(), pm.forward);
    for (size_t pi = 0; pi < U.proj.size(); pi++) {
      const Projection& p = U.proj[pi];
      const int width = p.gates * H;
      if (U.layer == 0) {
        blockRows(U, pi, P, H, j0, pm.j1, I, k.input.data());
      } else {
        packPanels(I, p.gates * hb, k.inputPanels[size_t(m) * U.proj.size() + pi], [&](int r, int c) { return P[p.w + int64_t(r) * width + (c / hb) * H + j0 + c % hb]; });
      }
    }
  }
}

int64_t Inference::stateFloats(int batch) const {
  int64_t n = 0;
  for (const Unit& u : d_.units) n += int64_t(u.stateSize) * d_.hidden * batch;
  return n;
}

int64_t Inference::bytes() const {
  int64_t n = int64_t(params_.size());
  for (const Blocked& k : blocked_) n += int64_t(k.bias.size() + k.input.size() + k.store.size());
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
  if (stale_) prepare();
  resize(B);
  Team& t = team();
  int threads = stepping.fetch_add(1, std::memory_order_acq_rel) == 0 ? std::min(maxThreads.load(), t.capacity()) : 1;
  // The helper slept since the last generation: waking it costs this step more than its half saves
  // (a 1-character request took a millisecond longer on two threads). Wake it for the next steps and
  // run this one alone — the same bits.
  if (threads > 1 && t.asleep()) {
    t.kick();
    threads = 1;
  }
  if (t.active() != threads) t.setActive(threads);
  const int L = d_.numLayers, D = d_.directions, V = d_.vocab, W = d_.outWidth;
  t.run([&](int rank) {
    const Crew c{rank, threads, kMembers, &t.barrier(), d_.hidden};
    for (int u = 0; u < L * D; u++) runUnit(u, x, B, state, c);
    // runUnit ends at a barrier: the top layer's output is whole.
    if (rank == 0) {
      for (int b = 0; b < B; b++) std::memcpy(logits + int64_t(b) * V, params_.data() + d_.outB, sizeof(float) * V);
      gemm(false, false, B, V, W, Y_[size_t(L - 1)].data(), W, params_.data() + d_.outW, V, 1.0f, logits, V);
    }
  });
  stepping.fetch_sub(1, std::memory_order_acq_rel);
}

// One unit's step on this thread's members: the input side (biases included), the cell, then — once
// every member has read the old state — the new state into `state`.
void Inference::runUnit(int u, const int32_t* x, int B, float* state, const Crew& c) {
  const Unit& U = d_.units[size_t(u)];
  const Blocked& k = blocked_[size_t(u)];
  const int H = d_.hidden, W = d_.outWidth, G = U.gates, I = U.input;
  // Every layer but the first reads the whole output of the one below (both directions).
  const float* xin = U.layer == 0 ? nullptr : Y_[size_t(U.layer - 1)].data();
  float* A = A_.data();
  c.forEachMember([&](int m) {
    int j0, j1;
    sliceOf(H, kMembers, m, &j0, &j1);
    const int hb = j1 - j0;
    for (size_t pi = 0; pi < U.proj.size(); pi++) {
      const Projection& p = U.proj[pi];
      const int pc = p.col + p.gates * j0, cols = p.gates * hb;
      const float* bias = k.bias.data() + pc;
      for (int b = 0; b < B; b++) {
        float* row = A + int64_t(b) * G + pc;
        if (xin) {
          std::memcpy(row, bias, sizeof(float) * cols);
        } else {
          const float* wr = k.input.data() + int64_t(x[b]) * G + pc;
          for (int j = 0; j < cols; j++) row[j] = wr[j] + bias[j];
        }
      }
      if (xin) kernels().packedGemm(B, cols, I, xin, W, k.inputPanels[size_t(m) * U.proj.size() + pi], 1.0f, A + pc, G);
    }
  });
  float* h = state + stateOffset_[size_t(u)] * B;
  float* y = Y_[size_t(U.layer)].data() + U.dir * H;
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
    // Every member's recurrent product finds its panels in `packed`; these plain weights (the core's
    // column order) are there for the signature only.
    s.ldw[pi] = p.gates * H;
    s.w[pi] = params_.data() + p.w + int64_t(I) * s.ldw[pi];
    s.bhh[pi] = params_.data() + p.bhh;
  }
  s.packed = &k.recurrent;
  U.cell->forward(s, c);
  // The other members may still be reading the old h and c; after this the next unit's input side
  // reads a whole layer below, and the cell's planes are free to be written again.
  c.wait();
  c.eachSlice([&](int j0, int j1) {
    const size_t n = sizeof(float) * size_t(j1 - j0);
    for (int q = 1; q < U.stateSize; q++) {
      const float* from = s.plane[U.cell->statePlane(q)];
      for (int b = 0; b < B; b++) std::memcpy(h + (int64_t(q) * B + b) * H + j0, from + int64_t(b) * H + j0, n);
    }
    for (int b = 0; b < B; b++) std::memcpy(h + int64_t(b) * H + j0, y + int64_t(b) * W + j0, n);
  });
}

}  // namespace rnnlab
