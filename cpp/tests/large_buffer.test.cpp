// Large result buffers: freed ones are reused (same memory, no new mapping) up to the bound, and
// the values written into a reused buffer are the caller's own.
#include <gtest/gtest.h>

#include <cstddef>

#include "septrial/large_buffer.hpp"

namespace septrial {
namespace {

TEST(LargeBuffer, AFreedBufferServesTheNextRequestOfItsSize) {
  large_buffer::release_cached();
  const std::size_t n = (std::size_t{5} << 20) / sizeof(double);  // 5 MB: above the threshold
  const double* first = nullptr;
  {
    ResultValues a(n, 1.0);
    first = a.data();
    EXPECT_EQ(large_buffer::cached_bytes(), 0u);
  }
  EXPECT_EQ(large_buffer::cached_bytes(), std::size_t{6} << 20);  // rounded up to whole 2 MB pages
  ResultValues b(n - 100, 2.0);  // fits the kept block
  EXPECT_EQ(b.data(), first);
  EXPECT_EQ(b.front(), 2.0);
  EXPECT_EQ(b.back(), 2.0);
  EXPECT_EQ(large_buffer::cached_bytes(), 0u);
}

TEST(LargeBuffer, KeepsNoMoreThanItsBound) {
  large_buffer::release_cached();
  const std::size_t n = (std::size_t{200} << 20) / sizeof(double);  // 200 MB each
  {
    ResultValues a, b, c;  // reserved, not written: nothing is paged in
    a.reserve(n);
    b.reserve(n);
    c.reserve(n);
  }
  EXPECT_LE(large_buffer::cached_bytes(), large_buffer::kCachedBytes);
  EXPECT_EQ(large_buffer::cached_bytes(), std::size_t{400} << 20);  // the third did not fit
  large_buffer::release_cached();
  EXPECT_EQ(large_buffer::cached_bytes(), 0u);
}

TEST(LargeBuffer, SmallVectorsUseTheOrdinaryAllocator) {
  large_buffer::release_cached();
  {
    ResultValues small(1000, 3.0);
  }
  EXPECT_EQ(large_buffer::cached_bytes(), 0u);
}

TEST(LargeBuffer, ABlockMuchLargerThanTheRequestIsNotTaken) {
  large_buffer::release_cached();
  const double* big = nullptr;
  {
    ResultValues a;
    a.reserve((std::size_t{64} << 20) / sizeof(double));
    big = a.data();
  }
  ResultValues small;
  small.reserve((std::size_t{4} << 20) / sizeof(double));  // would waste 60 of 64 MB
  EXPECT_NE(small.data(), big);
  large_buffer::release_cached();
}

}  // namespace
}  // namespace septrial
