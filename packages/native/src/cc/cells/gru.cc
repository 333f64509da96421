// d2l's GRU: projections `gates` (r, u) and `cand` (n), the reset gate applied to h BEFORE the
// candidate's recurrent matmul: n = tanh(x·W_xn + (r⊙h)·W_hn + b) (core: cells/gru.ts).
// Plane 0: r⊙h, which the candidate's recurrent weight gradient multiplies.
#include "../cell.h"

namespace rnnlab {
namespace {

class Gru final : public Cell {
 public:
  const char* name() const override { return "gru"; }
  std::vector<int> projections() const override { return {2, 1}; }
  int planes() const override { return 1; }
  int recurrentInputPlane(int p) const override { return p == 1 ? 0 : -1; }

  void forward(const ForwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    float* rh = s.plane[0];
    c.eachSlice([&](int j0, int j1) {
      float* a2 = s.a + 2 * j0;  // r, u of the member's units
      recurrentProduct(s.packed, 0, j0, false, B, 2 * (j1 - j0), H, s.h, s.ldh, s.w[0] + 2 * j0, s.ldw[0], 1.0f, a2, G);
      K.gruGates(B, j1 - j0, a2, j1 - j0, G, s.h + j0, s.ldh, rh + j0, H);
    });
    c.wait();  // the candidate's matmul reads all of r⊙h
    c.eachSlice([&](int j0, int j1) {
      float* an = s.a + 2 * H + j0;
      recurrentProduct(s.packed, 1, j0, false, B, j1 - j0, H, rh, H, s.w[1] + j0, s.ldw[1], 1.0f, an, G);
      K.gruOutput(B, j1 - j0, s.a + 2 * j0 + (j1 - j0), an, G, s.h + j0, s.ldh, s.y + j0, s.ldy);
    });
  }

  void backward(const BackwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    float* carry = s.carry[0];
    c.eachSlice([&](int j0, int j1) {
      const float* a2 = s.a + 2 * j0;
      K.gruBackwardN(B, j1 - j0, a2 + (j1 - j0), s.a + 2 * H + j0, G, s.h + j0, s.ldh, carry + j0, H, s.dh + j0, s.lddh, s.dp + 2 * j0 + (j1 - j0),
                     s.dp + 2 * H + j0, G);
    });
    c.wait();  // dRH = dP_n·W_hcᵀ reads all of dP_n
    c.eachSlice([&](int j0, int j1) {
      const float* a2 = s.a + 2 * j0;
      recurrentProduct(s.packed, 1, j0, true, B, j1 - j0, H, s.dp + 2 * H, G, s.w[1] + int64_t(j0) * s.ldw[1], s.ldw[1], 0.0f, s.scratch + j0, H);
      K.gruBackwardR(B, j1 - j0, a2, a2 + (j1 - j0), G, s.h + j0, s.ldh, s.scratch + j0, carry + j0, H, !s.first, s.dp + 2 * j0, G);
    });
    c.wait();  // the carry's matmul reads all of dP_r, dP_u
    if (s.first) return;
    c.eachSlice([&](int j0, int j1) { recurrentProduct(s.packed, 0, j0, true, B, j1 - j0, 2 * H, s.dp, G, s.w[0] + int64_t(j0) * s.ldw[0], s.ldw[0], 1.0f, carry + j0, H); });
  }
};

const Gru cell;
const RegisterCell registered(cell);

}  // namespace
}  // namespace rnnlab
