// d2l's RNN cell: h' = tanh(x·W_x + h·W_h + b_ih + b_hh), one projection `hidden` (core: cells/rnn.ts).
#include "../cell.h"

namespace rnnlab {
namespace {

class Rnn final : public Cell {
 public:
  const char* name() const override { return "rnn"; }
  std::vector<int> projections() const override { return {1}; }

  void forward(const ForwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    c.eachSlice([&](int j0, int j1) {
      const int hb = j1 - j0;
      recurrentProduct(s.packed, 0, j0, false, B, hb, H, s.h, s.ldh, s.w[0] + j0, s.ldw[0], 1.0f, s.a + j0, G);
      K.rnnForward(B, hb, s.a + j0, G, s.y + j0, s.ldy);
    });
  }

  void backward(const BackwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    c.eachSlice([&](int j0, int j1) { K.rnnBackward(B, j1 - j0, s.y + j0, s.ldy, s.dh + j0, s.lddh, s.carry[0] + j0, H, s.dp + j0, G); });
    c.wait();  // the carry's matmul reads all of dP
    if (s.first) return;
    c.eachSlice([&](int j0, int j1) { recurrentProduct(s.packed, 0, j0, true, B, j1 - j0, G, s.dp, G, s.w[0] + int64_t(j0) * s.ldw[0], s.ldw[0], 0.0f, s.carry[0] + j0, H); });
  }
};

const Rnn cell;
const RegisterCell registered(cell);

}  // namespace
}  // namespace rnnlab
