#include "septrial/large_buffer.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace septrial::large_buffer {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

/// Whole huge pages: a kept block serves any request up to its rounded size.
std::size_t rounded(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

struct Block {
  void* p;
  std::size_t bytes;  ///< rounded size
};

struct Cache {
  std::mutex mutex;
  std::vector<Block> blocks;
  std::size_t total = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: buffers may be returned during shutdown
  return *c;
}

void* fresh(std::size_t size) {
#if defined(__linux__)
  void* p = std::aligned_alloc(kHugePage, size);
  if (!p) throw std::bad_alloc();
  madvise(p, size, MADV_HUGEPAGE);  // advice only: without transparent huge pages a no-op
  return p;
#else
  return ::operator new(size);
#endif
}

void release(void* p) noexcept {
#if defined(__linux__)
  std::free(p);
#else
  ::operator delete(p);
#endif
}

}  // namespace

void* take(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    // The smallest kept block that fits and wastes at most half of itself.
    std::size_t best = c.blocks.size();
    for (std::size_t i = 0; i < c.blocks.size(); ++i) {
      const std::size_t b = c.blocks[i].bytes;
      if (b >= size && b <= 2 * size && (best == c.blocks.size() || b < c.blocks[best].bytes)) best = i;
    }
    if (best < c.blocks.size()) {
      void* p = c.blocks[best].p;
      c.total -= c.blocks[best].bytes;
      c.blocks.erase(c.blocks.begin() + static_cast<std::ptrdiff_t>(best));
      return p;
    }
  }
  return fresh(size);
}

void give(void* block, std::size_t bytes) noexcept {
  const std::size_t size = rounded(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.total + size <= kCachedBytes) {
      try {
        c.blocks.push_back({block, size});
        c.total += size;
        return;
      } catch (...) {  // no memory to remember it: free it instead
      }
    }
  }
  release(block);
}

void release_cached() noexcept {
  Cache& c = cache();
  std::vector<Block> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    blocks.swap(c.blocks);
    c.total = 0;
  }
  for (const Block& b : blocks) release(b.p);
}

std::size_t cached_bytes() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.total;
}

}  // namespace septrial::large_buffer
