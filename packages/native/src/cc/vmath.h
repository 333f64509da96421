// Float math the elementwise loops inline, written so that GCC vectorises them (no libm calls, no
// branches; the build passes -fno-trapping-math so that the clamps if-convert): exp to about 1 ulp (Cephes' expf polynomial), σ and tanh from it. tanh(a) is computed as
// 1 − 2/(e^{2a} + 1), the same identity the tfjs cells use (2σ(2a) − 1), so both paths round alike.
#pragma once
#include <cstdint>

namespace rnnlab {

inline float exp_approx(float x) {
  // Clamped so that 2^n stays a normal float: e^88 ≈ 1.7e38, e^-87.3 ≈ 1.2e-38 (σ and softmax read
  // that as 0 or 1 to float precision anyway).
  x = x < -87.3f ? -87.3f : x;  // ternaries, not fminf/fmaxf: those only vectorise with -ffinite-math-only
  x = x > 88.0f ? 88.0f : x;
  // Round to the nearest integer by adding and subtracting 1.5·2^23 (no SSE4.1 round needed).
  const float fx = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(fx) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

inline float sigmoid(float a) { return 1.0f / (1.0f + exp_approx(-a)); }

inline float tanh_approx(float a) { return 1.0f - 2.0f / (exp_approx(2.0f * a) + 1.0f); }

}  // namespace rnnlab
