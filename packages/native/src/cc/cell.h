// A recurrent cell's maths, as the native engine runs it: its projections (gate counts, in the core's
// parameter order), its state tensors, the scratch planes it keeps per time step, and one time step
// forward and backward. net.cc (training) and infer.cc (generation) call into a cell and never branch on
// which one it is; they own the layout over layers, directions, steps and threads.
//
// Each cell lives in cells/<name>.cc (the name is the core's `cell.kind`, see core/src/model/cells) and
// registers itself there, so adding one is that file alone: createNet accepts the new name and
// `capabilities()` lists it, which is what lets TRAIN_ENGINE=auto decide (src/index.ts).
//
// Columns. A unit's hidden units are cut into members (net.cc), and its gate block `[rows, G]` holds,
// per projection, the members' gates side by side: projection p's block starts at its first column
// `col`, member [j0, j1)'s part of it at col + gates_p·j0, gate q of that member at + q·(j1 − j0). With
// one member (generation) that is the core's own column order. A step's cell code works on the slices
// of the members its crew's thread owns (Crew::eachSlice) and meets the crew at its barrier where one
// slice's next product reads the whole of another's result.
#pragma once
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels.h"
#include "team.h"

namespace rnnlab {

/**
 * C = op(A)·op(B) + beta·C, row-major, op(A) `[m, k]`. One row without transposes is a matrix-vector
 * product (generation steps one row per sequence).
 */
inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * ldc + j] *= beta;
    return;
  }
  if (m == 1 && !ta && !tb) {
    cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(n), 1.0f, b, ldb, a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), 1.0f, a, lda, b, ldb, beta, c, ldc);
}

/** Member m's hidden units [j0, j1) of `hidden` cut into `parts`: whole AVX-512 vectors (16 floats) each when the size allows. */
inline void sliceOf(int hidden, int parts, int m, int* j0, int* j1) {
  const int unit = hidden >= 16 * parts ? 16 : 1;
  const int blocks = (hidden + unit - 1) / unit;
  *j0 = std::min(hidden, blocks * m / parts * unit);
  *j1 = std::min(hidden, blocks * (m + 1) / parts * unit);
}

/**
 * How one thread takes part in a unit's recurrence. The unit's hidden units are cut into `parts`
 * members (a number fixed by the model and the machine, never by the threads running, so that any
 * thread count computes the same bits); the unit's `threads` threads share the members round-robin
 * (this one: members rank, rank + threads, ...) and meet at `barrier` once per time step.
 */
struct Crew {
  int rank = 0, threads = 1, parts = 1;
  Barrier* barrier = nullptr;
  int hidden = 0;
  void wait() const { barrier->wait(); }
  template <typename F>
  void forEachMember(F&& f) const {
    for (int m = rank; m < parts; m += threads) f(m);
  }
  /** f(j0, j1) for the slice of each member this thread takes. */
  template <typename F>
  void eachSlice(F&& f) const {
    forEachMember([&](int m) {
      int j0, j1;
      sliceOf(hidden, parts, m, &j0, &j1);
      f(j0, j1);
    });
  }
};

constexpr int kMaxProjections = 4, kMaxState = 4, kMaxPlanes = 4;

/**
 * Packs `cols` columns of a `[k, cols]` matrix for Kernels::packedGemm: panel by panel (kPanel columns,
 * zero-padded), row i of a panel its columns side by side. `at(i, j)` reads element (i, j).
 */
template <typename At>
void packPanels(int k, int cols, float* out, At&& at) {
  for (int j0 = 0; j0 < cols; j0 += kPanel) {
    float* panel = out + int64_t(j0) * k;
    const int w = std::min(kPanel, cols - j0);
    for (int i = 0; i < k; i++)
      for (int j = 0; j < kPanel; j++) panel[int64_t(i) * kPanel + j] = j < w ? at(i, j0 + j) : 0.0f;
  }
}
/** Floats packPanels writes for `cols` columns of k rows. */
inline int64_t packedFloats(int k, int cols) { return int64_t((cols + kPanel - 1) / kPanel) * kPanel * k; }

/**
 * A unit's recurrent weights packed for Kernels::packedGemm, per member (training: net.cc packs them
 * once a minibatch): forward, the member's columns of each projection's W_h (the step's h·W_h); backward,
 * the member's rows of W_h transposed (the carry's dP·W_hᵀ). Without them (generation) the products go
 * to OpenBLAS.
 */
struct PackedWeights {
  struct Member {
    int j0 = 0, j1 = 0;
    float* forward[kMaxProjections] = {};
    float* backward[kMaxProjections] = {};
  };
  std::vector<Member> members;
  /** The member whose hidden units start at j0 (an empty one, hidden < members, shares its j0 with the next). */
  const Member* find(int j0) const {
    for (const Member& m : members)
      if (m.j0 == j0 && m.j1 > j0) return &m;
    return nullptr;
  }
};

/**
 * The recurrent product of projection p for the member whose hidden units start at j0: forward,
 * C[m, n] = h[m, k]·W_h's member columns (+ beta·C); backward (`carry`), C = dP[m, k]·(W_h's member
 * rows)ᵀ. `w`, `ldw`: the same weights for OpenBLAS, used when they are not packed.
 */
inline void recurrentProduct(const PackedWeights* packed, int p, int j0, bool carry, int64_t m, int64_t n, int64_t k, const float* a, int lda, const float* w,
                             int ldw, float beta, float* c, int ldc) {
  const PackedWeights::Member* mine = packed ? packed->find(j0) : nullptr;
  const float* b = mine ? (carry ? mine->backward[p] : mine->forward[p]) : nullptr;
  if (b) return kernels().packedGemm(int(m), int(n), int(k), a, lda, b, beta, c, ldc);
  gemm(false, carry, m, n, k, a, lda, w, ldw, beta, c, ldc);
}

/** One time step of one unit, forward. Rows are the batch; `[batch, hidden]` buffers have rows `hidden` apart. */
struct ForwardStep {
  ForwardStep(int b, int h, int g) : batch(b), hidden(h), gates(g) {}
  int batch, hidden, gates;              // gates: the gate block's width G
  float* a = nullptr;                    // the gate block `[batch, G]`, input side and biases in; the activations backward reads after
  const float* h = nullptr;              // the previous h, rows `ldh` apart
  int ldh = 0;
  const float* prev[kMaxState] = {};     // prev[k], k ≥ 1: the previous state tensor k (the LSTM's c)
  float* plane[kMaxPlanes] = {};         // this step's rows of the cell's scratch planes
  float* y = nullptr;                    // the new h, rows `ldy` apart
  int ldy = 0;
  const float* w[kMaxProjections] = {};  // projection p's recurrent rows (W_p from its first recurrent row), `ldw[p]` apart
  int ldw[kMaxProjections] = {};
  const float* bhh[kMaxProjections] = {};  // projection p's b_hh, in the core's column order
  const PackedWeights* packed = nullptr;    // the recurrent weights packed (training), or null
};

/** One time step of one unit, backward (the forward step's pointers, at the same step). */
struct BackwardStep {
  BackwardStep(int b, int h, int g) : batch(b), hidden(h), gates(g) {}
  int batch, hidden, gates;
  const float* a = nullptr;  // the activations forward left
  const float* h = nullptr;  // the previous h
  int ldh = 0;
  const float* prev[kMaxState] = {};
  float* plane[kMaxPlanes] = {};  // read; a cell may write a gradient into one of its own (apartPlane)
  const float* y = nullptr;       // this step's h
  int ldy = 0;
  const float* dh = nullptr;      // dL/dh from above (the output layer or the layer above)
  int lddh = 0;
  float* carry[kMaxState] = {};   // dL/d(state k) from the following step in; into the previous step out
  float* scratch = nullptr;       // `[batch, hidden]` of the cell's own
  float* dp = nullptr;            // dL/d(pre-activations), the gate block's layout
  bool first = false;             // the sequence's first step: the previous state is detached, nothing to carry
  const float* w[kMaxProjections] = {};
  int ldw[kMaxProjections] = {};
  const PackedWeights* packed = nullptr;
};

class Cell {
 public:
  virtual ~Cell() = default;
  /** The core's cell kind (`kind` in core/src/model/cells). */
  virtual const char* name() const = 0;
  /** Each projection's gate count, in the core's order (W_<proj>, b_ih_<proj>, b_hh_<proj>). */
  virtual std::vector<int> projections() const = 0;
  /** State tensors carried between steps: h, and for the LSTM c. */
  virtual int stateSize() const { return 1; }
  /** The scratch plane holding state tensor k ≥ 1 after each step. */
  virtual int statePlane(int) const { return -1; }
  /** Scratch planes `[steps·batch, hidden]` kept per unit for backward. */
  virtual int planes() const { return 0; }
  /**
   * The plane whose rows multiply projection p's recurrent weights (Σ zᵀ·dP): −1 for the previous h.
   * The GRU's candidate: r⊙h.
   */
  virtual int recurrentInputPlane(int) const { return -1; }
  /**
   * −1 when projection p's recurrent product and b_hh are summed with its input side (b_hh folded
   * into the input side's bias; its gradient and the recurrent rows' are dP's). Else the plane where
   * backward leaves dL/d(h·W_h + b_hh), which the cell applies itself (nn.GRU's reset-after candidate).
   */
  virtual int apartPlane(int) const { return -1; }
  virtual void forward(const ForwardStep& s, const Crew& c) const = 0;
  virtual void backward(const BackwardStep& s, const Crew& c) const = 0;

  int gateWidth(int hidden) const {
    int g = 0;
    for (int p : projections()) g += p;
    return g * hidden;
  }
};

/** The registered cell of that name, or null. */
const Cell* findCell(const std::string& name);
/** Every registered cell's name (capabilities()). */
std::vector<std::string> cellNames();

/** A cell file's `static const RegisterCell registered(theCell);` puts it in the table. */
struct RegisterCell {
  explicit RegisterCell(const Cell& cell);
};

}  // namespace rnnlab
