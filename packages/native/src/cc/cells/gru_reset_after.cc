// nn.GRU's form: the reset gate applied to the candidate's recurrent product, b_hh included:
// n = tanh(x·W_xn + b_ih + r⊙(h·W_hn + b_hh)) (core: cells/gru-reset-after.ts).
// Planes: 0 hn = h·W_hn + b_hh (kept for backward), 1 dHN = dL/d(hn), which the candidate's recurrent
// rows and b_hh take their gradients from.
#include "../cell.h"

namespace rnnlab {
namespace {

class GruResetAfter final : public Cell {
 public:
  const char* name() const override { return "gru-reset-after"; }
  std::vector<int> projections() const override { return {2, 1}; }
  int planes() const override { return 2; }
  int apartPlane(int p) const override { return p == 1 ? 1 : -1; }

  void forward(const ForwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    float* hn = s.plane[0];
    // The candidate's recurrent matmul reads h, not r⊙h: no barrier between the gates and it.
    c.eachSlice([&](int j0, int j1) {
      float* a2 = s.a + 2 * j0;
      recurrentProduct(s.packed, 0, j0, false, B, 2 * (j1 - j0), H, s.h, s.ldh, s.w[0] + 2 * j0, s.ldw[0], 1.0f, a2, G);
      recurrentProduct(s.packed, 1, j0, false, B, j1 - j0, H, s.h, s.ldh, s.w[1] + j0, s.ldw[1], 0.0f, hn + j0, H);
      K.gruAfterForward(B, j1 - j0, a2, j1 - j0, s.a + 2 * H + j0, G, hn + j0, s.bhh[1] + j0, H, s.h + j0, s.ldh, s.y + j0, s.ldy);
    });
  }

  void backward(const BackwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    float* carry = s.carry[0];
    const float* hn = s.plane[0];
    float* dHN = s.plane[1];
    c.eachSlice([&](int j0, int j1) {
      K.gruAfterBackward(B, j1 - j0, s.a + 2 * j0, j1 - j0, s.a + 2 * H + j0, G, hn + j0, H, s.h + j0, s.ldh, carry + j0, s.dh + j0, s.lddh, !s.first,
                         s.dp + 2 * j0, s.dp + 2 * H + j0, G, dHN + j0);
    });
    c.wait();  // the carry's matmuls read all of dP(t) and dHN(t)
    if (s.first) return;
    c.eachSlice([&](int j0, int j1) {
      recurrentProduct(s.packed, 0, j0, true, B, j1 - j0, 2 * H, s.dp, G, s.w[0] + int64_t(j0) * s.ldw[0], s.ldw[0], 1.0f, carry + j0, H);
      recurrentProduct(s.packed, 1, j0, true, B, j1 - j0, H, dHN, H, s.w[1] + int64_t(j0) * s.ldw[1], s.ldw[1], 1.0f, carry + j0, H);
    });
  }
};

const GruResetAfter cell;
const RegisterCell registered(cell);

}  // namespace
}  // namespace rnnlab
