// The engine's float buffers start on a cache line. Its kernels load 16 floats (64 bytes) at a time, and
// rows whose width is a multiple of 16 then never straddle two lines. std::vector's allocator gives 16-byte
// alignment only, so whether a buffer started on a line depended on the heap's history (a large one,
// mmap'd, never did): the same run could load twice the lines in one process as in another.
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace rnnlab {

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::size_t kAlign = 64;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign))); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kAlign)); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

/** A float buffer that starts on a cache line. */
using Floats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace rnnlab
