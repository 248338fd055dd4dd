// Memory for large result buffers (a cohort's outputs: tens to hundreds of MB) in transparent huge
// pages where Linux offers them on request (the "madvise" setting), as NumPy does for its large
// arrays: one page fault per 2 MB instead of one per 4 KB. Writing a fresh 43 MB buffer in 4 KB pages
// cost ~2 us per Reynolds patient (a sixth of its simulation) and serialised threads on the
// page-fault lock.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace septrial {

template <class T>
struct LargeBufferAllocator {
  using value_type = T;
  /// Below this size the ordinary allocator is used.
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  LargeBufferAllocator() = default;
  template <class U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
#if defined(__linux__)
    if (bytes >= kHugePage) {
      const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      void* p = std::aligned_alloc(kHugePage, rounded);
      if (!p) throw std::bad_alloc();
      madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without huge pages it is a no-op
      return static_cast<T*>(p);
    }
#endif
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
#if defined(__linux__)
    if (n * sizeof(T) >= kHugePage) {
      std::free(p);
      return;
    }
#endif
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const LargeBufferAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const LargeBufferAllocator<U>&) const noexcept {
    return false;
  }
};

/// A result buffer: patients x times x columns of doubles.
using ResultValues = std::vector<double, LargeBufferAllocator<double>>;

}  // namespace septrial
