// The LSTM cell: one projection `gates` (i, f, g, o); state h and c (core: cells/lstm.ts).
// Planes: 0 the cell state c (state tensor 1 after the step), 1 tanh(c).
#include "../cell.h"

namespace rnnlab {
namespace {

class Lstm final : public Cell {
 public:
  const char* name() const override { return "lstm"; }
  std::vector<int> projections() const override { return {4}; }
  int stateSize() const override { return 2; }
  int statePlane(int) const override { return 0; }
  int planes() const override { return 2; }

  void forward(const ForwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    c.eachSlice([&](int j0, int j1) {
      const int hb = j1 - j0;
      float* a4 = s.a + 4 * j0;
      recurrentProduct(s.packed, 0, j0, false, B, 4 * hb, H, s.h, s.ldh, s.w[0] + 4 * j0, s.ldw[0], 1.0f, a4, G);
      K.lstmForward(B, hb, a4, hb, G, s.prev[1] + j0, s.plane[0] + j0, s.plane[1] + j0, H, s.y + j0, s.ldy);
    });
  }

  void backward(const BackwardStep& s, const Crew& c) const override {
    const Kernels& K = kernels();
    const int B = s.batch, H = s.hidden, G = s.gates;
    c.eachSlice([&](int j0, int j1) {
      const int hb = j1 - j0;
      K.lstmBackward(B, hb, s.a + 4 * j0, hb, G, s.prev[1] + j0, s.plane[1] + j0, s.carry[0] + j0, s.carry[1] + j0, H, s.dh + j0, s.lddh, s.dp + 4 * j0, G);
    });
    c.wait();  // the carry's matmul reads all of dP
    if (s.first) return;
    c.eachSlice([&](int j0, int j1) { recurrentProduct(s.packed, 0, j0, true, B, j1 - j0, G, s.dp, G, s.w[0] + int64_t(j0) * s.ldw[0], s.ldw[0], 0.0f, s.carry[0] + j0, H); });
  }
};

const Lstm cell;
const RegisterCell registered(cell);

}  // namespace
}  // namespace rnnlab
