// Memory for large result buffers (a cohort's outputs: tens to hundreds of MB).
//
// Two costs of fresh memory dominate a fast simulation otherwise: the page faults of its first
// touch (one per 4 KB page: ~2 us per Reynolds patient, a sixth of its simulation, and threads
// serialised on the page-fault lock), and, in virtual machines that hand free memory back to the
// host, faulting it in again from the host. So buffers are (1) allocated in transparent huge pages
// where Linux offers them on request (the "madvise" setting), as NumPy does for its large arrays,
// and (2) kept for reuse when freed, up to kCachedBytes in all, so that repeated calls (a loop of
// simulations, a notebook re-run) write into memory that is already mapped.
#pragma once

#include <cstddef>
#include <vector>

namespace septrial {

namespace large_buffer {
/// At least this many bytes: huge pages and reuse; below, the ordinary allocator.
inline constexpr std::size_t kLargeBytes = std::size_t{2} << 20;
/// At most this many bytes of freed buffers are kept for reuse (process-wide).
inline constexpr std::size_t kCachedBytes = std::size_t{512} << 20;

/// A block of at least `bytes` (a kept one when one fits, else fresh); throws std::bad_alloc.
void* take(std::size_t bytes);
/// Returns a block from take(bytes): kept for reuse while the total kept stays within
/// kCachedBytes, freed otherwise.
void give(void* block, std::size_t bytes) noexcept;
/// Frees every kept block (tests; a program that wants its memory back).
void release_cached() noexcept;
/// Bytes of freed buffers currently kept.
std::size_t cached_bytes() noexcept;
}  // namespace large_buffer

template <class T>
struct LargeBufferAllocator {
  using value_type = T;

  LargeBufferAllocator() = default;
  template <class U>
  LargeBufferAllocator(const LargeBufferAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= large_buffer::kLargeBytes) return static_cast<T*>(large_buffer::take(bytes));
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= large_buffer::kLargeBytes) large_buffer::give(p, bytes);
    else ::operator delete(p);
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
