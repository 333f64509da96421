// Picks the kernel table for this CPU (see kernels.h).
#include "kernels.h"

namespace rnnlab {

extern const Kernels kernelsGeneric;
#if defined(__x86_64__)
extern const Kernels kernelsAvx2;
extern const Kernels kernelsAvx512;
#endif

const Kernels& kernels() {
  static const Kernels* chosen = [] {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return &kernelsAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kernelsAvx2;
#endif
    return &kernelsGeneric;
  }();
  return *chosen;
}

}  // namespace rnnlab
